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
"""The input rules of /v1/types/s3/ (docs/controlplane.md, "Input rules").

What a request body and a query flag may be before any field rule applies:
how big, how deep, which JSON type each kind of field takes, which
characters text may hold. RestAlchemy coerces where it should refuse
(``bool("no")`` is True, ``True`` is an int to PostgreSQL's driver) and
echoes whole values in its messages; these checks run on the JSON as the
client sent it and describe a value by a short prefix only.
"""

import json
import re

from restalchemy.common import exceptions as ra_exc

from exordos_paas_s3.controlplane import validation

# A body is at most this many bytes (the largest legitimate one, a policy
# with its document, is some tens of KiB).
MAX_BODY_BYTES = 1024 * 1024
# Objects and arrays nest at most this deep, the body itself being level 1
# (a policy document with conditions needs 7).
MAX_JSON_DEPTH = 32
# How much of a value an error message repeats.
PREVIEW_CHARS = 40
# An error message RestAlchemy builds is cut to this many characters: some
# repeat the value they refused in full. (Ours show PREVIEW_CHARS of a value.)
MAX_MESSAGE_CHARS = 160

# ``?page_limit=`` is at most this (0, the default, means one page of all).
MAX_PAGE_LIMIT = 1000

# Query flags (``?force=``) take one of these, in any letter case.
FLAG_VALUES = {"true": True, "1": True, "false": False, "0": False}

# Control characters (Unicode category Cc: C0, DEL, C1). PostgreSQL refuses
# NUL outright; the others end up in logs, terminals and node configs.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# What a multi-line text field (``description``) may hold besides: tab and
# line breaks.
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MULTILINE_FIELDS = frozenset({"description"})


class BodyTooLarge(ra_exc.RestAlchemyException):
    message = "Request body too large: at most %(limit)d bytes are accepted."
    code = 413


class UnknownPath(ra_exc.RestAlchemyException):
    message = "Nothing at %(path)s: see GET /v1/types/s3/ for the collections."
    code = 404


class ResourceInUse(ra_exc.RestAlchemyException):
    message = "%(what)s is in use: %(reason)s."
    code = 409


def preview(value) -> str:
    """A short, safe rendering of a client's value for an error message."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= PREVIEW_CHARS:
        return repr(text) if isinstance(value, str) else text
    shown = text[:PREVIEW_CHARS]
    shown = repr(shown) if isinstance(value, str) else shown
    return f"{shown}... ({len(text)} characters)"


def shorten(text: str) -> str:
    """The first PREVIEW_CHARS characters of ``text``, marked when cut."""
    if len(text) <= PREVIEW_CHARS:
        return text
    return f"{text[:PREVIEW_CHARS]}... ({len(text)} characters)"


def cap_message(exception: ra_exc.RestAlchemyException) -> None:
    """Cut the message of a RestAlchemy exception to MAX_MESSAGE_CHARS."""
    if type(exception).__module__.startswith("exordos_paas_s3."):
        return  # ours say what they refused by a short preview already
    msg = exception.msg
    if isinstance(msg, str) and len(msg) > MAX_MESSAGE_CHARS:
        exception.msg = (
            f"{msg[:MAX_MESSAGE_CHARS]}... (message cut at {MAX_MESSAGE_CHARS} "
            "characters)"
        )
        exception.args = (exception.msg,)


def text_problem(value: str, field: str) -> str | None:
    """Why ``value`` may not be the text of ``field``, or None."""
    if "\x00" in value:
        return "text must not contain NUL characters"
    pattern = _CONTROL_MULTILINE if field in MULTILINE_FIELDS else _CONTROL
    found = pattern.search(value)
    if found:
        allowed = (
            " (tab and line breaks are allowed)" if field in MULTILINE_FIELDS else ""
        )
        return (
            f"text must not contain control characters{allowed}; found "
            f"U+{ord(found.group()):04X} at position {found.start()}"
        )
    return None


def nested_problem(value) -> str | None:
    """Why the nested value of a field cannot be stored, or None.

    Strings anywhere inside (keys too) must be free of NUL: PostgreSQL
    refuses it in text and JSON columns alike. Depth is checked separately.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text must not contain NUL characters"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _depth(value) -> int:
    # Iterative: the point is to refuse what would exhaust the stack.
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep() -> validation.InvalidBody:
    return validation.InvalidBody(
        reason=f"JSON nests deeper than {MAX_JSON_DEPTH} levels"
    )


def _refuse_constant(name):
    # NaN and Infinity are not JSON; Python's parser takes them by default.
    raise ValueError(f"{name} is not a JSON number")


def parse_json_body(raw: bytes):
    """The JSON document of a request body, refused with a 400 when it is not
    JSON or nests deeper than MAX_JSON_DEPTH."""
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        # The C scanner gives up around a thousand levels, far past the limit.
        raise _too_deep() from None
    except ValueError as e:  # JSONDecodeError, bad UTF-8, huge integers
        reason = e.msg if isinstance(e, json.JSONDecodeError) else "unreadable"
        raise validation.InvalidBody(reason=f"not valid JSON ({reason})") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise _too_deep()
    return document


def parse_flag(name: str, values: list[str]) -> bool:
    """A query flag: absent is False, else one of FLAG_VALUES."""
    if not values:
        return False
    if len(values) > 1:
        raise validation.InvalidField(field=name, reason="give the flag once")
    value = FLAG_VALUES.get(values[0].lower())
    if value is None:
        raise validation.InvalidField(
            field=name,
            reason=f"{preview(values[0])} is not one of true, false, 1, 0",
        )
    return value
