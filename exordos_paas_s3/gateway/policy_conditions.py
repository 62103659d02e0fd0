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

The grammar (operators, keys, variables, value parsers) is
``exordos_paas_s3.policy_grammar``, shared with the control plane, so the API
refuses every Condition a gateway would. It parses policy values once, when a
policy is put (regexes, networks, numbers, dates); this module adds how each
operator tests a request value, so evaluation only compares. Values holding
policy variables (``${aws:username}``) are resolved per request and compiled
through a small cache.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import ipaddress
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from exordos_paas_s3 import policy_grammar as grammar

# The grammar (keys, variables, globs, value parsers, operator names) is
# shared with the control plane; these names stay importable from here.
from exordos_paas_s3.policy_grammar import (  # noqa: F401
    NULL,
    OPERATOR_NAMES,
    ConditionError,
    Template,
    compile_glob,
    compile_regex,
    glob_to_regex,
    has_wildcard,
    normalize_key,
    parse_arn,
    parse_binary,
    parse_bool,
    parse_date,
    parse_network,
    parse_number,
    parse_template,
    scalar_to_str,
    split_operator,
    validate_key,
)

LOG = logging.getLogger(__name__)

# A request context maps normalized key names to a tuple of string values.
Values = tuple[str, ...]
Lookup = Mapping[str, Values]


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

    ``prepare`` is the grammar's parser of the operator's values
    (``policy_grammar.VALUE_PARSERS``); ``negated`` operators test the
    positive form and invert it per value; ``variables`` says whether policy
    variables are substituted in values.
    """

    name: str
    prepare: Callable[[str], Any]
    test: Callable[[str, Any], bool]
    negated: bool = False
    variables: bool = False
    glob: bool = False  # policy values are globs (StringLike)


def _str_eq(v: str, p: str) -> bool:
    return v == p


def _str_eq_ic(v: str, p: str) -> bool:
    return v.casefold() == p


def _like(v: str, p: re.Pattern[str]) -> bool:
    return p.fullmatch(v) is not None


def _bool_test(value: str, policy_value: str) -> bool:
    return value.lower() == policy_value


def _tests() -> dict[str, tuple[Callable[[str, Any], bool], bool]]:
    """Base operator -> (test of one request value, negated)."""
    tests: dict[str, tuple[Callable[[str, Any], bool], bool]] = {}
    for name, test in (
        ("StringEquals", _str_eq),
        ("StringEqualsIgnoreCase", _str_eq_ic),
        ("StringLike", _like),
    ):
        tests[name] = (test, False)
        tests[name.replace("String", "StringNot", 1)] = (test, True)
    for prefix, wrap in (("Numeric", _number_test), ("Date", _date_test)):
        for suffix, compare, negated in (
            ("Equals", _eq, False),
            ("NotEquals", _eq, True),
            ("LessThan", _lt, False),
            ("LessThanEquals", _le, False),
            ("GreaterThan", _gt, False),
            ("GreaterThanEquals", _ge, False),
        ):
            tests[prefix + suffix] = (wrap(compare), negated)
    tests["Bool"] = (_bool_test, False)
    tests["IpAddress"] = (_ip_in, False)
    tests["NotIpAddress"] = (_ip_in, True)
    for name in ("ArnEquals", "ArnLike"):
        tests[name] = (_arn_match, False)
    for name in ("ArnNotEquals", "ArnNotLike"):
        tests[name] = (_arn_match, True)
    tests["BinaryEquals"] = (_binary_test, False)
    return tests


def _build_kinds() -> dict[str, OperatorKind]:
    tests = _tests()
    # Every operator of the grammar has a test here, and nothing else does.
    assert set(tests) == set(grammar.VALUE_PARSERS), "grammar and tests disagree"
    return {
        name: OperatorKind(
            name,
            grammar.VALUE_PARSERS[name],
            test,
            negated,
            variables=name in grammar.VARIABLE_OPERATORS,
            glob=name in ("StringLike", "StringNotLike"),
        )
        for name, (test, negated) in tests.items()
    }


KINDS: dict[str, OperatorKind] = _build_kinds()


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


def compile_condition(parsed: grammar.ParsedCondition) -> Condition:
    """A Condition ready to evaluate, from what the grammar parsed."""
    return Condition(
        operator=parsed.operator,
        kind=None if parsed.base == NULL else KINDS[parsed.base],
        key=parsed.key,
        raw_values=parsed.raw_values,
        values=parsed.values,
        if_exists=parsed.if_exists,
        qualifier=parsed.qualifier,
        templated=any(isinstance(v, Template) for v in parsed.values),
    )


def compile_conditions(block: Any, *, use_variables: bool) -> tuple[Condition, ...]:
    """The Condition element as a tuple of ANDed Conditions."""
    parsed = grammar.parse_conditions(block, use_variables=use_variables)
    return tuple(compile_condition(c) for c in parsed)
