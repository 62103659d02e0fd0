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

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy_conditions as conditions

LOG = logging.getLogger(__name__)

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = (VERSION_2012, VERSION_2008)

# S3 limits a bucket policy to 20 KB; IAM limits a managed policy to 6,144
# characters not counting white space.
MAX_BUCKET_POLICY_BYTES = 20 * 1024
MAX_IDENTITY_POLICY_CHARS = 6144

S3_ARN_PREFIX = "arn:aws:s3:::"

_POLICY_FIELDS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_FIELDS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)

# S3 actions and the resource each applies to ("Actions, resources, and
# condition keys for Amazon S3" in the Service Authorization Reference). A
# bucket policy naming an unknown s3 action, or an action none of its
# resources can carry, is rejected as AWS does.
_BUCKET_ACTIONS = (
    "CreateBucket DeleteBucket ListBucket ListBucketVersions "
    "ListBucketMultipartUploads GetBucketLocation GetBucketAcl PutBucketAcl "
    "GetBucketPolicy PutBucketPolicy DeleteBucketPolicy GetBucketPolicyStatus "
    "GetBucketCORS PutBucketCORS GetBucketVersioning PutBucketVersioning "
    "GetBucketTagging PutBucketTagging GetBucketWebsite PutBucketWebsite "
    "DeleteBucketWebsite GetBucketLogging PutBucketLogging GetBucketNotification "
    "PutBucketNotification GetBucketObjectLockConfiguration "
    "PutBucketObjectLockConfiguration GetBucketOwnershipControls "
    "PutBucketOwnershipControls GetBucketPublicAccessBlock "
    "PutBucketPublicAccessBlock GetBucketRequestPayment PutBucketRequestPayment "
    "GetLifecycleConfiguration PutLifecycleConfiguration "
    "GetEncryptionConfiguration PutEncryptionConfiguration "
    "GetReplicationConfiguration PutReplicationConfiguration "
    "GetAccelerateConfiguration PutAccelerateConfiguration "
    "GetAnalyticsConfiguration PutAnalyticsConfiguration "
    "GetInventoryConfiguration PutInventoryConfiguration "
    "GetMetricsConfiguration PutMetricsConfiguration "
    "GetIntelligentTieringConfiguration PutIntelligentTieringConfiguration "
    "ListBucketByTags GetBucketMetadataTableConfiguration"
).split()
_OBJECT_ACTIONS = (
    "GetObject GetObjectVersion PutObject DeleteObject DeleteObjectVersion "
    "GetObjectAcl GetObjectVersionAcl PutObjectAcl PutObjectVersionAcl "
    "GetObjectTagging GetObjectVersionTagging PutObjectTagging "
    "PutObjectVersionTagging DeleteObjectTagging DeleteObjectVersionTagging "
    "GetObjectAttributes GetObjectVersionAttributes GetObjectRetention "
    "PutObjectRetention GetObjectLegalHold PutObjectLegalHold "
    "BypassGovernanceRetention AbortMultipartUpload ListMultipartUploadParts "
    "RestoreObject GetObjectTorrent GetObjectVersionTorrent ReplicateObject "
    "ReplicateDelete ReplicateTags ObjectOwnerOverrideToBucketOwner "
    "GetObjectVersionForReplication InitiateReplication"
).split()
_ACCOUNT_ACTIONS = (
    "ListAllMyBuckets GetAccountPublicAccessBlock PutAccountPublicAccessBlock"
).split()

S3_ACTIONS: dict[str, str] = {
    **{f"s3:{a}".lower(): "bucket" for a in _BUCKET_ACTIONS},
    **{f"s3:{a}".lower(): "object" for a in _OBJECT_ACTIONS},
    **{f"s3:{a}".lower(): "account" for a in _ACCOUNT_ACTIONS},
}

_ACTION_RE = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ACCOUNT_ROOT_RE = re.compile(r"^arn:aws:iam::(\d{12}):root$")

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


@dataclasses.dataclass(frozen=True, slots=True)
class _Principals:
    """Principal / NotPrincipal: who a bucket-policy statement speaks of."""

    anyone: bool = False
    canonical_ids: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    # "arn:aws:iam:::user/NAME" (no account, the Ceph RGW spelling used by
    # ceph/s3-tests) names the user in this instance, whatever its account id.
    accountless: frozenset[str] = frozenset()

    def matches(self, ctx: RequestContext) -> bool:
        if self.anyone:
            return True
        if ctx.is_anonymous:
            return False
        if ctx.canonical_id is not None and ctx.canonical_id in self.canonical_ids:
            return True
        if ctx.principal_arn is not None and ctx.principal_arn in self.arns:
            return True
        if ctx.account_id is not None and ctx.account_id in self.accounts:
            return True
        if self.accountless and ctx.principal_arn is not None:
            if ctx.principal_arn.split(":", 5)[-1] in self.accountless:
                return True
        return ctx.service is not None and ctx.service in self.services


@dataclasses.dataclass(frozen=True, slots=True)
class Statement:
    sid: str | None
    effect: str  # "Allow" / "Deny"
    actions: _PatternSet
    not_action: bool
    resources: _PatternSet
    not_resource: bool
    principals: _Principals | None  # None in identity policies
    not_principal: bool
    conditions: tuple[conditions.Condition, ...]
    raw: Mapping[str, Any]

    def matches(self, ctx: RequestContext) -> bool:
        values = ctx.values
        if self.actions.matches(ctx.action_lower, values) == self.not_action:
            return False
        if self.principals is not None:
            if self.principals.matches(ctx) == self.not_principal:
                return False
        if self.resources.matches(ctx.resource, values) == self.not_resource:
            return False
        for condition in self.conditions:
            if not condition.evaluate(values):
                return False
        return True


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


def _malformed(reason: str) -> errors.S3Error:
    return errors.MalformedPolicy(reason)


def _strings(value: Any, field: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise _malformed(f"{field} must be a non-empty string or list of strings")
    return items


def _check_action(action: str, kind: str) -> None:
    if not _ACTION_RE.match(action):
        raise _malformed(f"Policy has invalid action: {action}")
    if kind != "bucket" or action == "*":
        return
    lowered = action.lower()
    if not lowered.startswith("s3:"):
        raise _malformed(f"Policy has invalid action: {action}")
    if conditions.has_wildcard(lowered):
        pattern = conditions.compile_glob(lowered)
        if not any(pattern.fullmatch(known) for known in S3_ACTIONS):
            raise _malformed(f"Policy has invalid action: {action}")
    elif lowered not in S3_ACTIONS:
        raise _malformed(f"Policy has invalid action: {action}")


def _bucket_resource_kinds(resource: str, bucket: str | None) -> set[str]:
    """Which S3 resource types a bucket policy's Resource can name."""
    if resource == "*":
        return {"bucket", "object"}
    if not resource.startswith(S3_ARN_PREFIX):
        raise _malformed("Policy has invalid resource")
    rest = resource[len(S3_ARN_PREFIX) :]
    bucket_part, slash, _ = rest.partition("/")
    if not bucket_part:
        raise _malformed("Policy has invalid resource")
    if bucket is not None:
        # The resource must lie in the bucket the policy is attached to.
        if "${" in bucket_part or not conditions.compile_glob(bucket_part).fullmatch(
            bucket
        ):
            raise _malformed("Policy has invalid resource")
    kinds = set()
    if slash:
        kinds.add("object")
    elif bucket_part.endswith("*"):
        kinds.update(("bucket", "object"))
    else:
        kinds.add("bucket")
    return kinds


def _check_identity_resource(resource: str) -> None:
    if resource != "*" and not resource.startswith("arn:"):
        raise _malformed(f"Policy has invalid resource: {resource}")


def _check_action_resources(actions: list[str], resource_kinds: set[str]) -> None:
    for action in actions:
        scope = S3_ACTIONS.get(action.lower())
        if scope is not None and scope not in resource_kinds:
            raise _malformed("Action does not apply to any resource(s) in statement")


def _parse_principal(value: Any, field: str) -> _Principals:
    if value == "*":
        return _Principals(anyone=True)
    if not isinstance(value, dict) or not value:
        raise _malformed(f"Invalid principal in policy: {field}")
    canonical: set[str] = set()
    arns: set[str] = set()
    accounts: set[str] = set()
    services: set[str] = set()
    accountless: set[str] = set()
    anyone = False
    for ptype, ids in value.items():
        items = _strings(ids, f"{field}.{ptype}")
        if ptype == "AWS":
            for item in items:
                if item == "*":
                    anyone = True
                elif _ACCOUNT_RE.match(item):
                    accounts.add(item)
                elif (m := _ACCOUNT_ROOT_RE.match(item)) is not None:
                    accounts.add(m.group(1))
                elif item.startswith("arn:aws:iam:::") and "*" not in item:
                    accountless.add(item[len("arn:aws:iam:::") :])
                elif item.startswith("arn:") and "*" not in item:
                    arns.add(item)
                else:
                    raise _malformed(f"Invalid principal in policy: {item}")
        elif ptype == "CanonicalUser":
            if "*" in items:
                raise _malformed("Invalid principal in policy: CanonicalUser *")
            canonical.update(items)
        elif ptype == "Service":
            services.update(items)
        else:
            raise _malformed(f"Invalid principal in policy: {ptype}")
    return _Principals(
        anyone=anyone,
        canonical_ids=frozenset(canonical),
        arns=frozenset(arns),
        accounts=frozenset(accounts),
        services=frozenset(services),
        accountless=frozenset(accountless),
    )


def _exactly_one(raw: Mapping[str, Any], a: str, b: str, required: bool) -> str | None:
    if a in raw and b in raw:
        raise _malformed(f"Statement must not have both {a} and {b}")
    if a in raw:
        return a
    if b in raw:
        return b
    if required:
        raise _malformed(f"Missing required field {a}")
    return None


def _parse_statement(
    raw: Any, *, kind: str, version: str, bucket: str | None
) -> Statement:
    if not isinstance(raw, dict):
        raise _malformed("Statement must be a JSON object")
    unknown = set(raw) - _STATEMENT_FIELDS
    if unknown:
        raise _malformed(f"Unknown field {sorted(unknown)[0]} in Statement")
    sid = raw.get("Sid")
    if sid is not None and (
        not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9 _-]*", sid)
    ):
        raise _malformed("Statement Sid must be an alphanumeric string")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _malformed("Invalid effect: Effect must be Allow or Deny")
    variables = version == VERSION_2012

    action_field = _exactly_one(raw, "Action", "NotAction", required=True)
    assert action_field is not None
    actions = _strings(raw[action_field], action_field)
    for action in actions:
        _check_action(action, kind)

    resource_field = _exactly_one(raw, "Resource", "NotResource", required=True)
    assert resource_field is not None
    resources = _strings(raw[resource_field], resource_field)
    if kind == "bucket":
        resource_kinds: set[str] = set()
        for resource in resources:
            resource_kinds |= _bucket_resource_kinds(resource, bucket)
        if action_field == "Action" and resource_field == "Resource":
            _check_action_resources(actions, resource_kinds)
    else:
        for resource in resources:
            _check_identity_resource(resource)

    principal_field = _exactly_one(raw, "Principal", "NotPrincipal", required=False)
    principals = None
    if kind == "bucket":
        if principal_field is None:
            raise _malformed("Missing required field Principal")
        principals = _parse_principal(raw[principal_field], principal_field)
        if principal_field == "NotPrincipal" and effect == "Allow":
            # IAM: "NotPrincipal" only with Deny (an Allow to everyone but a
            # few is almost always a mistake, so AWS refuses it).
            raise _malformed("NotPrincipal is only valid with Effect Deny")
    elif principal_field is not None:
        raise _malformed(
            f"Policy document should not specify a principal: {principal_field}"
        )

    compiled_conditions: tuple[conditions.Condition, ...] = ()
    if "Condition" in raw:
        try:
            compiled_conditions = conditions.compile_conditions(
                raw["Condition"], use_variables=variables
            )
        except conditions.ConditionError as exc:
            raise _malformed(str(exc)) from exc

    try:
        action_set = _PatternSet.build(actions, ignore_case=True, variables=False)
        resource_set = _PatternSet.build(
            resources, ignore_case=False, variables=variables
        )
    except conditions.ConditionError as exc:
        raise _malformed(str(exc)) from exc
    return Statement(
        sid=sid,
        effect=effect,
        actions=action_set,
        not_action=action_field == "NotAction",
        resources=resource_set,
        not_resource=resource_field == "NotResource",
        principals=principals,
        not_principal=principal_field == "NotPrincipal",
        conditions=compiled_conditions,
        raw=raw,
    )


def parse_policy(
    text: str | bytes, *, kind: PolicyKind, bucket: str | None = None
) -> Policy:
    """Validate and compile a policy document; MalformedPolicy says why not.

    ``kind`` "bucket" requires a Principal in every statement and resources
    inside ``bucket``; "identity" forbids a Principal.
    """
    if kind not in ("identity", "bucket"):
        raise ValueError(f"unknown policy kind {kind!r}")
    if isinstance(text, bytes):
        if kind == "bucket" and len(text) > MAX_BUCKET_POLICY_BYTES:
            raise _malformed("Policies must be less than 20 KB")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed("Policy is not valid UTF-8") from exc
    if kind == "bucket" and len(text.encode("utf-8")) > MAX_BUCKET_POLICY_BYTES:
        raise _malformed("Policies must be less than 20 KB")
    if kind == "identity":
        significant = sum(1 for ch in text if not ch.isspace())
        if significant > MAX_IDENTITY_POLICY_CHARS:
            raise _malformed(
                f"Policies must be at most {MAX_IDENTITY_POLICY_CHARS} characters"
            )
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise _malformed("This policy contains invalid Json") from exc
    if not isinstance(document, dict):
        raise _malformed("This policy contains invalid Json")
    unknown = set(document) - _POLICY_FIELDS
    if unknown:
        raise _malformed(f"Unknown field {sorted(unknown)[0]}")
    # IAM reads a document without Version as 2008-10-17 (no policy variables).
    version = document.get("Version", VERSION_2008)
    if version not in VERSIONS:
        raise _malformed(
            f"The policy must contain a valid version string: {VERSION_2012} "
            f"or {VERSION_2008}"
        )
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise _malformed("Id must be a string")
    raw_statements = document.get("Statement")
    if raw_statements is None:
        raise _malformed("Missing required field Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise _malformed("Missing required field Statement")
    statements = tuple(
        _parse_statement(raw, kind=kind, version=version, bucket=bucket)
        for raw in raw_statements
    )
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise _malformed("Statement IDs (SID) in a single policy must be unique")
    return Policy(
        kind=kind,
        version=version,
        id=policy_id,
        statements=statements,
        text=text,
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
