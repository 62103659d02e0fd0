#    Copyright 2026 Genesis Corporation.
#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.
"""Hardened XML parsing of request bodies and fast element builders for replies.

Parsing goes through defusedxml (no entity expansion, no DTDs, no network)
after the body was read up to a size limit; anything that is not well-formed
is MalformedXML. Replies are built as light ``Element`` trees and serialized
by one small writer: ElementTree's pure-Python serializer costs several
microseconds per element, which a 1,000-key listing cannot afford.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: N817 - only for the parsed tree type
from collections.abc import AsyncIterator, Iterable

import defusedxml.common as defused_common
import defusedxml.ElementTree as defused_et

from exordos_paas_s3.gateway import errors

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

DEFAULT_MAX_BODY = 1024 * 1024

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
# Characters XML 1.0 cannot carry even escaped: replace so the document
# stays well-formed (AWS answers such keys only with encoding-type=url).
_INVALID = {c: "\ufffd" for c in range(0x20) if c not in (0x9, 0xA, 0xD)}
_ESCAPE.update(_INVALID)


# Exactly the characters _ESCAPE changes.
_NEEDS_ESCAPE = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f]')


def escape(text: str) -> str:
    # translate looks every character up in a dict; most text (keys, ETags)
    # has nothing to escape, which one regex scan finds out 4x faster.
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return text.translate(_ESCAPE)


class Element:
    """An element: tag, then text or children, then attributes."""

    __slots__ = ("tag", "value", "attrs")

    def __init__(
        self,
        tag: str,
        value: str | list[Element] | None = None,
        attrs: dict[str, str] | None = None,
    ) -> None:
        self.tag = tag
        self.value = value
        self.attrs = attrs

    def append(self, child: Element) -> Element:
        if not isinstance(self.value, list):
            self.value = []
        self.value.append(child)
        return child

    def add(self, tag: str, value: str | list[Element] | None = None) -> Element:
        return self.append(Element(tag, value))

    def find(self, tag: str) -> Element | None:
        if isinstance(self.value, list):
            for child in self.value:
                if child.tag == tag:
                    return child
        return None


def E(tag: str, value: str | list[Element] | None = None) -> Element:  # noqa: N802
    return Element(tag, value)


class Markup(Element):
    """Ready markup written as it is, for long runs of entries (a listing's
    1,000 Contents) that one small function renders faster than a tree.
    Whoever builds it escapes every text in it with ``escape``."""

    __slots__ = ()

    def __init__(self, markup: str) -> None:
        super().__init__("", markup)


def _write(parts: list[str], el: Element) -> None:
    if el.__class__ is Markup:
        parts.append(el.value)  # type: ignore[arg-type]
        return
    attrs = ""
    if el.attrs:
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in el.attrs.items())
    value = el.value
    if value is None:
        parts.append(f"<{el.tag}{attrs}/>")
    elif isinstance(value, str):
        parts.append(f"<{el.tag}{attrs}>{escape(value)}</{el.tag}>")
    else:
        parts.append(f"<{el.tag}{attrs}>")
        for child in value:
            _write(parts, child)
        parts.append(f"</{el.tag}>")


def serialize(root: Element, namespace: str | None = S3_NS) -> bytes:
    """The document with the XML declaration; ``namespace`` on the root."""
    if namespace and not (root.attrs and "xmlns" in root.attrs):
        root.attrs = {"xmlns": namespace, **(root.attrs or {})}
    parts = [DECLARATION]
    _write(parts, root)
    return "".join(parts).encode("utf-8")


# --- parsing ---------------------------------------------------------------


async def read_body(body: AsyncIterator[bytes], limit: int = DEFAULT_MAX_BODY) -> bytes:
    """Read a small request body whole, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in body:
        size += len(chunk)
        if size > limit:
            raise errors.MalformedXML(
                f"The XML you provided was larger than the maximum of {limit} bytes."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _strip_ns(root: ET.Element) -> ET.Element:
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag[0] == "{":
            el.tag = el.tag.split("}", 1)[1]
    return root


def parse(data: bytes, root_tag: str | Iterable[str] | None = None) -> ET.Element:
    """Parse a request document; namespaces are dropped from tags."""
    if not data.strip():
        raise errors.MalformedXML()
    try:
        root = defused_et.fromstring(data, forbid_dtd=True)
    except (ET.ParseError, defused_common.DefusedXmlException, ValueError) as exc:
        raise errors.MalformedXML() from exc
    root = _strip_ns(root)
    if root_tag is not None:
        tags = (root_tag,) if isinstance(root_tag, str) else tuple(root_tag)
        if root.tag not in tags:
            raise errors.MalformedXML()
    return root


def child_text(el: ET.Element, tag: str, default: str | None = None) -> str | None:
    child = el.find(tag)
    if child is None:
        return default
    return child.text or ""
