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
"""The AWS policy language: identity and bucket policies, parsed once, evaluated.

``parse_policy`` validates a JSON document and compiles it (wildcards to
regexes, networks, numbers and dates parsed) so ``evaluate`` only matches.
Evaluation is the IAM "policy evaluation logic" for one account: an explicit
Deny in any policy wins; otherwise an Allow in an identity policy or the bucket
policy allows; otherwise the request is implicitly denied. ACL grants are the
caller's next step after IMPLICIT_DENY (see ``gateway/acl.py``).

``is_public`` is the S3 definition of a public bucket policy ("The meaning of
public" in the S3 User Guide), used by PublicAccessBlock and
GetBucketPolicyStatus.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from exordos_paas_s3 import policy_grammar as grammar
from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy_conditions as conditions

LOG = logging.getLogger(__name__)

# The grammar is shared with the control plane (policy_grammar); these names
# stay importable from here.
VERSION_2012 = grammar.VERSION_2012
VERSION_2008 = grammar.VERSION_2008
VERSIONS = grammar.VERSIONS
MAX_BUCKET_POLICY_BYTES = grammar.MAX_BUCKET_POLICY_BYTES
MAX_IDENTITY_POLICY_CHARS = grammar.MAX_IDENTITY_POLICY_CHARS
S3_ARN_PREFIX = grammar.S3_ARN_PREFIX
S3_ACTIONS = grammar.S3_ACTIONS

PolicyKind = Literal["identity", "bucket"]


class Decision(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"  # an explicit Deny matched
    IMPLICIT_DENY = "ImplicitDeny"  # nothing matched


# -- request context --


def _as_values(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, (str, int, float)):
        return (str(value),)
    return tuple(conditions.scalar_to_str(v) for v in value)


@dataclasses.dataclass(slots=True)
class RequestContext:
    """Everything a decision may look at, built once per request.

    ``keys`` holds condition keys as sent (``aws:SourceIp``, ``s3:prefix``,
    ``s3:ExistingObjectTag/<k>`` ...) with str, bool, number or list values.
    The principal fields also feed ``aws:username``, ``aws:userid``,
    ``aws:PrincipalArn`` and ``aws:PrincipalAccount`` unless ``keys`` sets
    them.
    """

    action: str
    resource: str
    canonical_id: str | None = None
    principal_arn: str | None = None
    account_id: str | None = None
    username: str | None = None
    userid: str | None = None
    is_anonymous: bool = False
    service: str | None = None  # a service principal, e.g. logging.s3.amazonaws.com
    keys: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    values: dict[str, tuple[str, ...]] = dataclasses.field(init=False, repr=False)
    action_lower: str = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.action_lower = self.action.lower()
        values: dict[str, tuple[str, ...]] = {}
        if not self.is_anonymous:
            for key, value in (
                ("aws:username", self.username),
                ("aws:userid", self.userid),
                ("aws:principalarn", self.principal_arn),
                ("aws:principalaccount", self.account_id),
            ):
                if value is not None:
                    values[key] = (value,)
        for key, value in self.keys.items():
            values[conditions.normalize_key(key)] = _as_values(value)
        self.values = values


# -- compiled matchers --


@dataclasses.dataclass(frozen=True, slots=True)
class _PatternSet:
    """Strings matched exactly, by one combined wildcard regex, or by templates."""

    match_all: bool
    exact: frozenset[str]
    regex: re.Pattern[str] | None
    templates: tuple[conditions.Template, ...]

    @classmethod
    def build(
        cls, patterns: Iterable[str], *, ignore_case: bool, variables: bool
    ) -> _PatternSet:
        exact = set()
        globs = []
        templates = []
        for pattern in patterns:
            if ignore_case:
                pattern = pattern.lower()
            parsed = conditions.parse_template(pattern) if variables else pattern
            if isinstance(parsed, conditions.Template):
                templates.append(parsed)
            elif pattern == "*":
                return cls(True, frozenset(), None, ())
            elif conditions.has_wildcard(pattern):
                globs.append(conditions.glob_to_regex(pattern))
            else:
                exact.add(pattern)
        regex = None
        if globs:
            regex = re.compile("|".join(f"(?:{g})" for g in globs), re.DOTALL)
        return cls(False, frozenset(exact), regex, tuple(templates))

    def matches(self, value: str, lookup: Mapping[str, tuple[str, ...]]) -> bool:
        if self.match_all or value in self.exact:
            return True
        if self.regex is not None and self.regex.fullmatch(value) is not None:
            return True
        for template in self.templates:
            regex = template.resolve_regex(lookup)
            if regex is not None and conditions.compile_regex(regex).fullmatch(value):
                return True
        return False


def _principals_match(principals: grammar.ParsedPrincipal, ctx: RequestContext) -> bool:
    """Whether Principal / NotPrincipal of a bucket-policy statement names
    the requester."""
    if principals.anyone:
        return True
    if ctx.is_anonymous:
        return False
    if ctx.canonical_id is not None and ctx.canonical_id in principals.canonical_ids:
        return True
    if ctx.principal_arn is not None and ctx.principal_arn in principals.arns:
        return True
    if ctx.account_id is not None and ctx.account_id in principals.accounts:
        return True
    if principals.accountless and ctx.principal_arn is not None:
        if ctx.principal_arn.split(":", 5)[-1] in principals.accountless:
            return True
    return ctx.service is not None and ctx.service in principals.services


@dataclasses.dataclass(frozen=True, slots=True)
class Statement:
    sid: str | None
    effect: str  # "Allow" / "Deny"
    actions: _PatternSet
    not_action: bool
    resources: _PatternSet
    not_resource: bool
    principals: grammar.ParsedPrincipal | None  # None in identity policies
    not_principal: bool
    conditions: tuple[conditions.Condition, ...]
    raw: Mapping[str, Any]

    def matches(self, ctx: RequestContext) -> bool:
        values = ctx.values
        if self.actions.matches(ctx.action_lower, values) == self.not_action:
            return False
        if self.principals is not None:
            if _principals_match(self.principals, ctx) == self.not_principal:
                return False
        if self.resources.matches(ctx.resource, values) == self.not_resource:
            return False
        for condition in self.conditions:
            if not condition.evaluate(values):
                return False
        return True

    def may_match(self, ctx: RequestContext) -> bool:
        """False when the action, principal or resource already rule the
        statement out; conditions (and templated resources, whose variables
        may name request keys ``ctx`` lacks) are not looked at."""
        values = ctx.values
        if self.actions.matches(ctx.action_lower, values) == self.not_action:
            return False
        if self.principals is not None:
            if _principals_match(self.principals, ctx) == self.not_principal:
                return False
        if self.resources.templates:
            return True
        return self.resources.matches(ctx.resource, values) != self.not_resource


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    """A validated, compiled policy; ``text`` is the document as stored."""

    kind: str
    version: str
    id: str | None
    statements: tuple[Statement, ...]
    text: str
    deny: tuple[Statement, ...] = ()
    allow: tuple[Statement, ...] = ()

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.text)


# -- parsing --


def _compile_statement(parsed: grammar.ParsedStatement, version: str) -> Statement:
    variables = version == VERSION_2012
    return Statement(
        sid=parsed.sid,
        effect=parsed.effect,
        actions=_PatternSet.build(parsed.actions, ignore_case=True, variables=False),
        not_action=parsed.not_action,
        resources=_PatternSet.build(
            parsed.resources, ignore_case=False, variables=variables
        ),
        not_resource=parsed.not_resource,
        principals=parsed.principals,
        not_principal=parsed.not_principal,
        conditions=tuple(conditions.compile_condition(c) for c in parsed.conditions),
        raw=parsed.raw,
    )


def parse_policy(
    text: str | bytes, *, kind: PolicyKind, bucket: str | None = None
) -> Policy:
    """Validate and compile a policy document; MalformedPolicy says why not.

    The grammar (``policy_grammar.parse``) is the control plane's too: what
    it accepts there compiles here. ``kind`` "bucket" requires a Principal in
    every statement and resources inside ``bucket``; "identity" forbids a
    Principal.
    """
    try:
        parsed = grammar.parse(text, kind=kind, bucket=bucket)
    except grammar.GrammarError as exc:
        raise errors.MalformedPolicy(exc.reason) from exc
    statements = tuple(_compile_statement(s, parsed.version) for s in parsed.statements)
    return Policy(
        kind=kind,
        version=parsed.version,
        id=parsed.id,
        statements=statements,
        text=parsed.text,
        deny=tuple(s for s in statements if s.effect == "Deny"),
        allow=tuple(s for s in statements if s.effect == "Allow"),
    )


# -- evaluation --


def evaluate(
    policies_identity: Sequence[Policy],
    bucket_policy: Policy | None,
    ctx: RequestContext,
    *,
    restrict_to_account: str | None = None,
) -> Decision:
    """Decide one (principal, action, resource) the IAM way.

    ``restrict_to_account`` implements RestrictPublicBuckets: when set (the
    bucket's policy is public and the block is on), Allows from the bucket
    policy count only for authenticated principals of that account; its
    Denies always count.
    """
    for policy in policies_identity:
        for statement in policy.deny:
            if statement.matches(ctx):
                return Decision.DENY
    if bucket_policy is not None:
        for statement in bucket_policy.deny:
            if statement.matches(ctx):
                return Decision.DENY
    for policy in policies_identity:
        for statement in policy.allow:
            if statement.matches(ctx):
                return Decision.ALLOW
    if bucket_policy is not None:
        if restrict_to_account is not None and (
            ctx.is_anonymous or ctx.account_id != restrict_to_account
        ):
            return Decision.IMPLICIT_DENY
        for statement in bucket_policy.allow:
            if statement.matches(ctx):
                return Decision.ALLOW
    return Decision.IMPLICIT_DENY


def denies(policy: Policy, ctx: RequestContext) -> bool:
    """Whether an explicit Deny of ``policy`` matches (the root's check)."""
    for statement in policy.deny:
        if statement.matches(ctx):
            return True
    return False


def deny_may_apply(policy: Policy, ctx: RequestContext) -> bool:
    """Whether some Deny of ``policy`` could match a request like ``ctx``
    whatever its condition keys: lets the caller skip building them."""
    for statement in policy.deny:
        if statement.may_match(ctx):
            return True
    return False


# -- public policies --

# Keys that, compared to fixed values, pin a "*" grant to known callers
# (S3 User Guide, "Blocking public access" -> "The meaning of public").
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
# An IP range this wide still counts as public (AWS gives 0.0.0.0/1 as a
# public example); /8 or narrower for IPv4 and /32 for IPv6 do not.
_MIN_PREFIX = {4: 8, 6: 32}


def _condition_restricts(condition: conditions.Condition) -> bool:
    kind = condition.kind
    if kind is None or kind.negated or condition.if_exists:
        return False
    if condition.qualifier == "ForAllValues" or condition.key not in RESTRICTING_KEYS:
        return False
    if kind.name == "IpAddress":
        for network in condition.values:
            if network.prefixlen < _MIN_PREFIX[network.version]:
                return False
        return True
    if kind.name not in ("StringEquals", "StringLike", "ArnEquals", "ArnLike"):
        return False
    return not any(
        conditions.has_wildcard(v) or "${" in v for v in condition.raw_values
    )


def statement_is_public(statement: Statement) -> bool:
    if statement.effect != "Allow" or statement.principals is None:
        return False
    if statement.not_principal:
        public = True  # everyone except a few
    else:
        public = statement.principals.anyone
    if not public:
        return False
    return not any(_condition_restricts(c) for c in statement.conditions)


def is_public(policy: Policy | None) -> bool:
    """Whether a bucket policy grants access to anyone (PolicyStatus.IsPublic)."""
    if policy is None:
        return False
    return any(statement_is_public(s) for s in policy.statements)


def public_read_policy(bucket: str) -> str:
    """The bucket policy behind the control plane's ``public`` bucket flag."""
    document = {
        "Version": VERSION_2012,
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject"],
                "Resource": [f"{S3_ARN_PREFIX}{bucket}/*"],
            }
        ],
    }
    return json.dumps(document, indent=2)
