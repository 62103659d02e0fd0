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
"""Listing entries rendered straight to markup are byte-for-byte what the
Element tree (one Element per field, the renderer before) produced.

The reference functions below are the old handler code, kept here as the
oracle. Keys cover XML-special characters, quotes, control characters that
XML cannot carry, unicode outside the BMP, and both key encodings.
"""

from __future__ import annotations

import math
import random
import sys
from urllib import parse as urlparse

import pytest

from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import listing
from exordos_paas_s3.gateway.request import iso8601
from exordos_paas_s3.gateway.storage.base import ObjectInfo

BUCKET_OWNER = "bucket-owner-id"
NAMES = {"alice-id": "Alice & <Bob>", 'q"id': "quote\x01name", BUCKET_OWNER: "owner"}

KEYS = [
    "plain/key-0001.txt",
    "a&b",
    "<tag>",
    'q"uote',
    "it's",
    "gt>lt<&amp;",
    "ctrl\x00\x01\x08\x0b\x0c\x0e\x1fend",
    "tab\tnl\ncr\r",
    "unicode é",
    "日本/語",
    "emoji😀/x",
    "\U0010fffd",
    "\ufffdrepl\u00a0nbsp",
    "sp ace+plus%pct",
    "semi;colon=eq?q#h~t_i.l-d",
    "back\\slash",
    "dir/",
    "",
    "z" * 300,
]


def _display_name(owner_id: str) -> str:
    return NAMES.get(owner_id, owner_id)


# --- the old Element-based rendering (the oracle) ---------------------------


def _old_encoder(url: bool):
    if url:
        return lambda s: urlparse.quote(s, safe="/")
    return lambda s: s


def _old_owner(parent: s3xml.Element, owner_id: str) -> None:
    el = parent.add("Owner", [])
    el.add("ID", owner_id)
    el.add("DisplayName", _display_name(owner_id))


def _old_contents(root, info, enc, with_owner) -> None:
    el = root.add("Contents", [])
    el.add("Key", enc(info.key))
    el.add("LastModified", iso8601(info.last_modified))
    el.add("ETag", f'"{info.etag}"')
    for alg in info.checksums:
        if alg != "type":
            el.add("ChecksumAlgorithm", alg)
    el.add("Size", str(info.size))
    el.add("StorageClass", info.storage_class)
    if with_owner:
        _old_owner(el, info.owner_id or BUCKET_OWNER)


def _old_version(root, info, enc) -> None:
    el = root.add("DeleteMarker" if info.is_delete_marker else "Version", [])
    el.add("Key", enc(info.key))
    el.add("VersionId", info.version_id or "null")
    el.add("IsLatest", "true" if info.is_latest else "false")
    el.add("LastModified", iso8601(info.last_modified))
    if not info.is_delete_marker:
        el.add("ETag", f'"{info.etag}"')
        el.add("Size", str(info.size))
        el.add("StorageClass", info.storage_class)
    _old_owner(el, info.owner_id or BUCKET_OWNER)


# --- inputs -------------------------------------------------------------------


def _infos(seed: int) -> list[ObjectInfo]:
    rnd = random.Random(seed)
    base_ts = 1763763987.0
    out = []
    for i, key in enumerate(KEYS * 3):
        # Several entries per second, and second boundaries, as in a
        # listing of keys written in a burst.
        ts = base_ts + i * rnd.choice((0.0004, 0.0013, 0.37, 1.0))
        checksums: dict[str, str] = {}
        if i % 4 == 1:
            checksums = {"CRC32": "AAAAAA==", "type": "FULL_OBJECT"}
        elif i % 4 == 2:
            checksums = {"type": "COMPOSITE", "SHA256": "x", "CRC64NVME": "y"}
        out.append(
            ObjectInfo(
                bucket="b",
                key=key,
                size=rnd.choice((0, 1, 16, 5 * 1024**4)),
                etag=rnd.choice(("d41d8cd98f00b204e9800998ecf8427e", "abc-12", "<&>")),
                last_modified=ts,
                owner_id=rnd.choice(("", "alice-id", 'q"id', "other&id")),
                version_id=rnd.choice(("null", "", "3HL4kqtJvjVBH40Nrjfkd", "v&<")),
                is_latest=bool(i % 2),
                is_delete_marker=i % 5 == 3,
                checksums=checksums,
                storage_class=rnd.choice(("STANDARD", "REDUCED_REDUNDANCY", "A&B")),
            )
        )
    return out


def _writer(url: bool) -> listing.EntryWriter:
    return listing.EntryWriter(_display_name, lambda: BUCKET_OWNER, url)


def _serialized(markup: str) -> bytes:
    root = s3xml.Element("ListBucketResult", [])
    root.add("Name", "b")
    root.append(s3xml.Markup(markup))
    root.add("IsTruncated", "false")
    return s3xml.serialize(root)


def _old_serialized(fill) -> bytes:
    root = s3xml.Element("ListBucketResult", [])
    root.add("Name", "b")
    fill(root)
    root.add("IsTruncated", "false")
    return s3xml.serialize(root)


def _assert_tricky(doc: bytes, url: bool) -> None:
    # The inputs do reach the escaping paths (keeps the comparison honest).
    assert b"&amp;" in doc and b"&lt;" in doc and b"&quot;" in doc
    if url:
        assert b"a%26b" in doc and b"emoji%F0%9F%98%80/x" in doc
    else:
        # Control characters XML cannot carry become U+FFFD.
        assert "ctrl\ufffd\ufffd".encode() in doc and "emoji😀/x".encode() in doc


# --- tests ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [False, True])
@pytest.mark.parametrize("with_owner", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contents_match_element_rendering(url, with_owner, seed) -> None:
    infos = _infos(seed)
    enc = _old_encoder(url)

    def fill(root):
        for info in infos:
            _old_contents(root, info, enc, with_owner)

    new = _serialized(_writer(url).contents(infos, with_owner))
    assert new == _old_serialized(fill)
    _assert_tricky(new, url)


@pytest.mark.parametrize("url", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_versions_match_element_rendering(url, seed) -> None:
    infos = _infos(seed)
    enc = _old_encoder(url)

    def fill(root):
        for info in infos:
            _old_version(root, info, enc)

    new = _serialized(_writer(url).versions(infos))
    assert new == _old_serialized(fill)
    _assert_tricky(new, url)
    assert b"<DeleteMarker>" in new and b"<Version>" in new


@pytest.mark.parametrize("url", [False, True])
def test_common_prefixes_match_element_rendering(url) -> None:
    prefixes = ["a&b/", "<x>/", "ctrl\x01/", "日本/", "😀/", 'q"/']
    enc = _old_encoder(url)
    old = s3xml.Element("R", [])
    for p in prefixes:
        old.add("CommonPrefixes", [s3xml.Element("Prefix", enc(p))])
    new = s3xml.Element("R", [])
    listing.add_common_prefixes(new, prefixes, enc)
    assert s3xml.serialize(new) == s3xml.serialize(old)


def test_owner_and_display_name_asked_once_per_owner() -> None:
    asked: list[str] = []

    def name(owner_id: str) -> str:
        asked.append(owner_id)
        return owner_id.upper()

    defaults: list[int] = []

    def default() -> str:
        defaults.append(1)
        return BUCKET_OWNER

    writer = listing.EntryWriter(name, default, False)
    infos = [ObjectInfo("b", f"k{i}", 1, "e", 1.0, ("", "x")[i % 2]) for i in range(10)]
    out = writer.contents(infos, True)
    assert sorted(asked) == [BUCKET_OWNER, "x"]
    assert out.count("<DisplayName>X</DisplayName>") == 5
    assert out.count(f"<DisplayName>{BUCKET_OWNER.upper()}</DisplayName>") == 5
    # Without owners the bucket owner is never looked up.
    defaults.clear()
    listing.EntryWriter(name, default, False).contents(infos, False)
    assert defaults == []


def test_date_matches_iso8601() -> None:
    rnd = random.Random(7)
    writer = _writer(False)
    values = [0.0, 0.0005, 0.9995, 1.0, 59.999, 1763763987.9999999, 1e10 + 0.5]
    values += [1763763987 + k * 1e-4 for k in range(-20_000, 20_000, 7)]
    values += [rnd.uniform(0, 4e9) for _ in range(20_000)]
    values += [-0.5, -1.25, -86400.001]
    # The largest doubles below a whole second (the last millisecond).
    values += [math.nextafter(float(n), 0) for n in (1, 2, 1000, 1763763988)]
    for ts in values:
        assert writer.date(ts) == iso8601(ts), ts


def test_url_encode_matches_quote() -> None:
    rnd = random.Random(3)
    samples = [chr(c) for c in range(0x250)] + KEYS
    alphabet = "aZ09_.-~/ %+&<>\"'\x00\x7f\u00e9\u65e5\U0001f600"
    samples += [
        "".join(rnd.choices(alphabet, k=rnd.randint(0, 12))) for _ in range(3000)
    ]
    for s in samples:
        assert listing.url_encode(s) == urlparse.quote(s, safe="/"), repr(s)


def test_escape_matches_translate_for_every_character() -> None:
    table = s3xml._ESCAPE
    changed = 0
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        want = c.translate(table)
        assert s3xml.escape(c) == want, hex(code)
        assert s3xml.escape("ab" + c + "cd") == "ab" + want + "cd", hex(code)
        changed += want != c
    assert changed == 4 + 29  # &<>" and the control characters but \t \n \r
