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
"""The Condition element of the AWS policy language, compiled once.

Semantics follow the IAM User Guide, "IAM JSON policy elements: Condition
operators" and "Conditions with multiple context keys or values":

- operators in a block, and keys under one operator, are ANDed; the values of
  one key are ORed (NORed for the negated operators);
- a key absent from the request makes a positive operator false and a negated
  one (``StringNotLike``, ``NotIpAddress``...) true; ``...IfExists`` makes any
  operator true for an absent key; ``Null`` tests presence only;
- ``ForAnyValue:`` needs one request value to match (false when the key is
  absent), ``ForAllValues:`` needs every request value to match (true when the
  key is absent or empty).

Policy values are parsed here, at compile time (regexes, networks, numbers,
dates), so evaluation only compares. Values holding policy variables
(``${aws:username}``) are resolved per request and compiled through a small
cache.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import functools
import ipaddress
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

LOG = logging.getLogger(__name__)

# A request context maps normalized key names to a tuple of string values.
Values = tuple[str, ...]
Lookup = Mapping[str, Values]


class ConditionError(ValueError):
    """A Condition block that is not valid; the message is the reason."""


# -- keys and variables --


def normalize_key(name: str) -> str:
    """Condition key names are case-insensitive, tag keys after '/' are not."""
    slash = name.find("/")
    if slash < 0:
        return name.lower()
    return name[:slash].lower() + name[slash:]


_KEY_RE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_.-]+(/.+)?$", re.DOTALL)

# ${key} or ${key, 'default'}; ${*}, ${?}, ${$} stand for the literal character.
_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT_RE = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")


def validate_key(name: str) -> None:
    if not isinstance(name, str) or not _KEY_RE.match(name):
        raise ConditionError(f"Policy has an invalid condition key: {name!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class Template:
    """A string with policy variables: literal parts and variable slots.

    A str part is policy text (where '*' and '?' stay wildcards); a tuple part
    is (key, default) for ``${key}`` or (None, char) for ``${*}``, ``${?}``,
    ``${$}``, whose character is always literal.
    """

    parts: tuple[str | tuple[str | None, str | None], ...]
    # the same parts with the literal text already turned into regex text
    regex_parts: tuple[str | tuple[str | None, str | None], ...]

    def _substituted(
        self,
        parts: tuple[str | tuple[str | None, str | None], ...],
        lookup: Lookup,
        value_of: Callable[[str], str],
    ) -> str | None:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            key, default = part
            if key is None:
                out.append(value_of(default or ""))
                continue
            values = lookup.get(key)
            if values is not None and len(values) == 1:
                out.append(value_of(values[0]))
            elif default is not None:
                out.append(value_of(default))
            else:
                # IAM: a variable whose key is absent (or multi-valued) makes
                # the element not match rather than matching the literal text.
                return None
        return "".join(out)

    def resolve(self, lookup: Lookup) -> str | None:
        """The plain string with variables substituted; None if one is absent."""
        return self._substituted(self.parts, lookup, _same)

    def resolve_regex(self, lookup: Lookup) -> str | None:
        """A regex: policy text as a glob, substituted values as literals."""
        return self._substituted(self.regex_parts, lookup, re.escape)


def _same(text: str) -> str:
    return text


def parse_template(text: str) -> str | Template:
    """``text`` itself when it has no variables, else a Template."""
    if "${" not in text:
        return text
    parts: list[str | tuple[str | None, str | None]] = []
    pos = 0
    for match in _VARIABLE_RE.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        body = match.group(1)
        if body in ("*", "?", "$"):
            parts.append((None, body))
        else:
            default = None
            dm = _DEFAULT_RE.match(body)
            if dm:
                body, default = dm.group(1), dm.group(2)
            body = body.strip()
            validate_key(body)
            parts.append((normalize_key(body), default))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    regex_parts = tuple(glob_to_regex(p) if isinstance(p, str) else p for p in parts)
    return Template(tuple(parts), regex_parts)


# -- globs --


def glob_to_regex(pattern: str) -> str:
    """IAM wildcards: '*' any run of characters, '?' exactly one; no escapes."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    return compile_regex(glob_to_regex(pattern), ignore_case)


@functools.lru_cache(maxsize=4096)
def compile_regex(regex: str, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# -- value parsers --


def scalar_to_str(value: Any) -> str:
    """JSON scalars as IAM reads them: true/false lower-case, numbers as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ConditionError("Condition values must be strings, numbers or booleans")


def parse_number(text: str) -> float:
    return float(text)


def parse_date(text: str) -> float:
    """ISO 8601 (as aws:CurrentTime) or epoch seconds (as aws:EpochTime)."""
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    parsed = datetime.datetime.fromisoformat(iso)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def parse_bool(text: str) -> str:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text.strip(), strict=False)


def parse_arn(text: str) -> tuple[re.Pattern[str], ...]:
    # ArnLike checks each of the six colon-delimited components on its own,
    # so a '*' never swallows a ':' boundary.
    components = text.split(":", 5)
    if len(components) != 6:
        raise ValueError(text)
    return tuple(compile_glob(c) for c in components)


def parse_binary(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


# -- operator table --


@functools.lru_cache(maxsize=4096)
def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # A request's source address is tested against every network of every
    # statement; parsing it once keeps IpAddress as cheap as StringEquals.
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _ip_in(value: str, network: Any) -> bool:
    address = _address(value)
    if address is None:
        return False
    if address.version != network.version:
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is None:
            return False
        address = mapped
    return address in network


def _arn_match(value: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    components = value.split(":", 5)
    if len(components) != 6:
        return False
    for pattern, component in zip(patterns, components, strict=True):
        if pattern.fullmatch(component) is None:
            return False
    return True


def _number_test(compare: Callable[[float, float], bool]) -> Callable[..., bool]:
    def test(value: str, policy_value: float) -> bool:
        try:
            return compare(float(value), policy_value)
        except ValueError:
            return False

    return test


def _date_test(compare: Callable[[float, float], bool]) -> Callable[..., bool]:
    def test(value: str, policy_value: float) -> bool:
        try:
            return compare(parse_date(value), policy_value)
        except ValueError:
            return False

    return test


def _binary_test(value: str, policy_value: bytes) -> bool:
    try:
        return base64.b64decode(value, validate=True) == policy_value
    except (binascii.Error, ValueError):
        return False


def _eq(a: float, b: float) -> bool:
    return a == b


def _lt(a: float, b: float) -> bool:
    return a < b


def _le(a: float, b: float) -> bool:
    return a <= b


def _gt(a: float, b: float) -> bool:
    return a > b


def _ge(a: float, b: float) -> bool:
    return a >= b


@dataclasses.dataclass(frozen=True, slots=True)
class OperatorKind:
    """A base operator: how policy values compile, how one request value tests.

    ``negated`` operators test the positive form and invert it per value;
    ``variables`` says whether policy variables are substituted in values.
    """

    name: str
    prepare: Callable[[str], Any]
    test: Callable[[str, Any], bool]
    negated: bool = False
    variables: bool = False
    glob: bool = False  # policy values are globs (StringLike)


def _string_kinds() -> list[OperatorKind]:
    def str_eq(v: str, p: str) -> bool:
        return v == p

    def str_eq_ic(v: str, p: str) -> bool:
        return v.casefold() == p

    def like(v: str, p: re.Pattern[str]) -> bool:
        return p.fullmatch(v) is not None

    kinds = []
    for name, prepare, test in (
        ("StringEquals", str, str_eq),
        ("StringEqualsIgnoreCase", str.casefold, str_eq_ic),
        ("StringLike", compile_glob, like),
    ):
        glob = name == "StringLike"
        negated_name = name.replace("String", "StringNot", 1)
        for kind_name, negated in ((name, False), (negated_name, True)):
            kinds.append(
                OperatorKind(
                    kind_name, prepare, test, negated, variables=True, glob=glob
                )
            )
    return kinds


def _numeric_kinds(prefix: str, prepare: Callable, wrap: Callable) -> list:
    return [
        OperatorKind(f"{prefix}Equals", prepare, wrap(_eq)),
        OperatorKind(f"{prefix}NotEquals", prepare, wrap(_eq), negated=True),
        OperatorKind(f"{prefix}LessThan", prepare, wrap(_lt)),
        OperatorKind(f"{prefix}LessThanEquals", prepare, wrap(_le)),
        OperatorKind(f"{prefix}GreaterThan", prepare, wrap(_gt)),
        OperatorKind(f"{prefix}GreaterThanEquals", prepare, wrap(_ge)),
    ]


def _bool_test(value: str, policy_value: str) -> bool:
    return value.lower() == policy_value


def _build_kinds() -> dict[str, OperatorKind]:
    kinds = _string_kinds()
    kinds += _numeric_kinds("Numeric", parse_number, _number_test)
    kinds += _numeric_kinds("Date", parse_date, _date_test)
    kinds += [
        OperatorKind("Bool", parse_bool, _bool_test),
        OperatorKind("IpAddress", parse_network, _ip_in),
        OperatorKind("NotIpAddress", parse_network, _ip_in, negated=True),
        OperatorKind("ArnEquals", parse_arn, _arn_match, variables=True),
        OperatorKind("ArnLike", parse_arn, _arn_match, variables=True),
        OperatorKind(
            "ArnNotEquals", parse_arn, _arn_match, negated=True, variables=True
        ),
        OperatorKind("ArnNotLike", parse_arn, _arn_match, negated=True, variables=True),
        OperatorKind("BinaryEquals", parse_binary, _binary_test),
    ]
    return {kind.name: kind for kind in kinds}


KINDS: dict[str, OperatorKind] = _build_kinds()
NULL = "Null"
OPERATOR_NAMES = frozenset(KINDS) | {NULL}

_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


@functools.lru_cache(maxsize=4096)
def _prepare_cached(kind_name: str, text: str) -> Any:
    return KINDS[kind_name].prepare(text)


# -- compiled conditions --


@dataclasses.dataclass(frozen=True, slots=True)
class Condition:
    """One operator applied to one key with its ORed policy values."""

    operator: str  # as written in the policy
    kind: OperatorKind | None  # None for Null
    key: str  # normalized
    raw_values: tuple[str, ...]
    # compiled values; a Template where a value needs per-request variables
    values: tuple[Any, ...]
    if_exists: bool = False
    qualifier: str | None = None  # "ForAnyValue" / "ForAllValues"
    templated: bool = False  # some value holds policy variables

    def _hit(self, value: str, compiled: Sequence[Any]) -> bool:
        test = self.kind.test  # type: ignore[union-attr]
        for policy_value in compiled:
            if test(value, policy_value):
                return True
        return False

    def _compiled(self, lookup: Lookup) -> Sequence[Any]:
        if not self.templated:
            return self.values
        out = []
        for value in self.values:
            if isinstance(value, Template):
                kind = self.kind
                assert kind is not None
                if kind.glob:
                    regex = value.resolve_regex(lookup)
                    if regex is not None:
                        out.append(compile_regex(regex))
                    continue
                text = value.resolve(lookup)
                if text is None:
                    continue
                try:
                    out.append(_prepare_cached(kind.name, text))
                except ValueError:
                    continue
            else:
                out.append(value)
        return out

    def evaluate(self, lookup: Lookup) -> bool:
        request_values = lookup.get(self.key)
        if self.kind is None:
            present = bool(request_values)
            # Null "true" asks for the key to be absent, "false" present.
            return any((v == "true") != present for v in self.values)
        if not request_values:
            if self.if_exists:
                return True
            if self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.kind.negated
        compiled = self._compiled(lookup)
        negated = self.kind.negated
        if self.qualifier == "ForAllValues":
            return all(self._hit(v, compiled) != negated for v in request_values)
        if self.qualifier == "ForAnyValue":
            return any(self._hit(v, compiled) != negated for v in request_values)
        for value in request_values:
            if self._hit(value, compiled):
                return not negated
        return negated


def split_operator(name: str) -> tuple[str | None, str, bool]:
    """(qualifier, base operator, if_exists) or ConditionError if unknown."""
    if not isinstance(name, str):
        raise ConditionError("Invalid Condition operator")
    qualifier = None
    rest = name
    for prefix in _QUALIFIERS:
        if rest.startswith(prefix):
            qualifier = prefix[:-1]
            rest = rest[len(prefix) :]
            break
    if_exists = False
    if rest.endswith("IfExists") and rest != "IfExists":
        if_exists = True
        rest = rest[: -len("IfExists")]
    if rest not in OPERATOR_NAMES or (rest == NULL and (if_exists or qualifier)):
        raise ConditionError(f"Invalid Condition type : {name}")
    return qualifier, rest, if_exists


def _compile_value(kind: OperatorKind, text: str, use_variables: bool) -> Any:
    if use_variables and kind.variables:
        template = parse_template(text)
        if isinstance(template, Template):
            return template
    try:
        return kind.prepare(text)
    except (ValueError, binascii.Error) as exc:
        raise ConditionError(
            f"Invalid value {text!r} for Condition operator {kind.name}"
        ) from exc


def compile_conditions(block: Any, *, use_variables: bool) -> tuple[Condition, ...]:
    """The Condition element as a tuple of ANDed Conditions."""
    if not isinstance(block, dict):
        raise ConditionError("Condition must be a JSON object")
    conditions = []
    for operator, keys in block.items():
        qualifier, base, if_exists = split_operator(operator)
        if not isinstance(keys, dict) or not keys:
            raise ConditionError(
                f"Condition operator {operator} must map keys to values"
            )
        for key, raw in keys.items():
            validate_key(key)
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                raise ConditionError(f"Condition key {key} has no values")
            texts = tuple(scalar_to_str(item) for item in items)
            if base == NULL:
                try:
                    values: tuple[Any, ...] = tuple(parse_bool(t) for t in texts)
                except ValueError as exc:
                    raise ConditionError(
                        "Null condition values must be true or false"
                    ) from exc
                kind = None
            else:
                kind = KINDS[base]
                values = tuple(_compile_value(kind, t, use_variables) for t in texts)
            conditions.append(
                Condition(
                    operator=operator,
                    kind=kind,
                    key=normalize_key(key),
                    raw_values=texts,
                    values=values,
                    if_exists=if_exists,
                    qualifier=qualifier,
                    templated=any(isinstance(v, Template) for v in values),
                )
            )
    return tuple(conditions)
