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
"""The grammar of AWS policy documents: the one both sides of the product obey.

The control plane checks an identity policy with :func:`check_document`
before it stores it; the gateway compiles what :func:`parse` returns into
matchers (``gateway/policy.py``, ``gateway/policy_conditions.py``). Both call
the same function on the same text, so a document the API accepts is never
one a gateway refuses (it used to be: the API allowed a 20 KB identity
policy, the gateway IAM's 6,144 characters, and the difference surfaced as a
data-plane ERROR).

What is checked (IAM User Guide, "Grammar of the IAM JSON policy language";
S3 User Guide, "Bucket policy examples"; Service Authorization Reference for
S3 action names):

- size: a bucket policy at most 20 KB (bytes); an identity policy at most
  6,144 characters not counting white space;
- top level: ``Version`` (2012-10-17 or 2008-10-17; absent reads as
  2008-10-17, without policy variables), ``Id`` (string), ``Statement`` (one
  object or a non-empty list), nothing else;
- statement: only the known elements; ``Sid`` alphanumeric (plus space, '_'
  and '-'), unique in the policy; ``Effect`` Allow or Deny; exactly one of
  ``Action``/``NotAction`` and of ``Resource``/``NotResource``, each a
  non-empty string or list of non-empty strings;
- ``Action``: ``*`` or ``service:action`` (``*``/``?`` wildcards); in a bucket
  policy an S3 or S3 Tables (``s3tables:``) action that exists (a wildcard
  must match one);
- ``Resource``: ``*`` or an ARN; in a bucket policy an S3 ARN inside the
  bucket the policy is put on, or an ``arn:aws:s3tables:...:bucket/<it>``
  ARN (its catalog), and a resource the named actions apply to;
- ``Principal``/``NotPrincipal``: none in an identity policy; required in a
  bucket policy (``*``, or ``AWS`` account ids / IAM ARNs, ``CanonicalUser``,
  ``Service``), ``NotPrincipal`` only with Deny;
- ``Condition``: known operators (``ForAnyValue:``/``ForAllValues:`` and
  ``...IfExists`` forms, ``Null`` bare), valid keys, scalar values each
  parsed by its operator (numbers, dates, networks, ARNs, base64, booleans);
  policy variables (``${aws:username}``) in string and ARN operators and in
  resources of a 2012-10-17 policy.

Standard library only: the gateway (on data-plane nodes) and the control
plane both import it, and neither imports the other (DESIGN §2).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Literal

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = (VERSION_2012, VERSION_2008)

# S3 limits a bucket policy to 20 KB; IAM limits a managed policy to 6,144
# characters not counting white space.
MAX_BUCKET_POLICY_BYTES = 20 * 1024
MAX_IDENTITY_POLICY_CHARS = 6144

S3_ARN_PREFIX = "arn:aws:s3:::"

POLICY_FIELDS = frozenset({"Version", "Id", "Statement"})
STATEMENT_FIELDS = frozenset(
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

# lower-case "s3:action" -> "bucket" | "object" | "account"
S3_ACTIONS: dict[str, str] = {
    **{f"s3:{a}".lower(): "bucket" for a in _BUCKET_ACTIONS},
    **{f"s3:{a}".lower(): "object" for a in _OBJECT_ACTIONS},
    **{f"s3:{a}".lower(): "account" for a in _ACCOUNT_ACTIONS},
}

# S3 Tables (the gateway's Iceberg catalog, decision 0010): the AWS action
# names (Service Authorization Reference, "Actions defined by Amazon S3
# Tables") and the catalog's own for what AWS has no action for (namespace
# properties, views). A bucket policy of a table bucket may name them with
# resources arn:aws:s3tables:<region>:<account>:bucket/<bucket>[/table/...].
_TABLES_ACTIONS = (
    "CreateTableBucket DeleteTableBucket GetTableBucket ListTableBuckets "
    "PutTableBucketPolicy GetTableBucketPolicy DeleteTableBucketPolicy "
    "GetTableBucketMaintenanceConfiguration "
    "PutTableBucketMaintenanceConfiguration GetTableBucketEncryption "
    "PutTableBucketEncryption DeleteTableBucketEncryption CreateNamespace "
    "DeleteNamespace GetNamespace ListNamespaces CreateTable DeleteTable "
    "GetTable ListTables RenameTable UpdateTableMetadataLocation "
    "GetTableMetadataLocation GetTableData PutTableData "
    "GetTableMaintenanceConfiguration PutTableMaintenanceConfiguration "
    "GetTableMaintenanceJobStatus PutTablePolicy GetTablePolicy "
    "DeleteTablePolicy GetTableEncryption TagResource UntagResource "
    "ListTagsForResource "
    # Ours (no AWS counterpart):
    "UpdateNamespaceProperties ListViews CreateView GetView DeleteView "
    "ReplaceView RunTableMaintenance GetCatalogDiagnostics"
).split()
TABLES_ACTIONS: frozenset[str] = frozenset(
    f"s3tables:{a}".lower() for a in _TABLES_ACTIONS
)
TABLES_ARN_PREFIX = "arn:aws:s3tables:"
_TABLES_ARN_RE = re.compile(r"arn:aws:s3tables:[^:]*:[^:]*:bucket/([^/]+)(/.*)?")

_ACTION_RE = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")
_SID_RE = re.compile(r"[A-Za-z0-9 _-]*")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ACCOUNT_ROOT_RE = re.compile(r"^arn:aws:iam::(\d{12}):root$")
_ACCOUNTLESS_PREFIX = "arn:aws:iam:::"

PolicyKind = Literal["identity", "bucket"]


def _short(value: Any) -> str:
    """A value as a reason may quote it: never more than a short prefix."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 64 else text[:61] + "..."


class GrammarError(ValueError):
    """A document outside the grammar; the message is the reason.

    ``where`` names the element (``Statement[1].Action``), or "" for the
    whole document.
    """

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where

    def located(self) -> str:
        """The reason prefixed by the element it is about."""
        return f"{self.where}: {self.reason}" if self.where else self.reason


class ConditionError(GrammarError):
    """A Condition block outside the grammar."""


# -- keys, variables, globs --


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


def validate_key(name: Any) -> None:
    if not isinstance(name, str) or not _KEY_RE.match(name):
        raise ConditionError(f"Policy has an invalid condition key: {_short(name)!r}")


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
def compile_regex(regex: str, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@functools.lru_cache(maxsize=4096)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    return compile_regex(glob_to_regex(pattern), ignore_case)


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _same(text: str) -> str:
    return text


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
        lookup: Mapping[str, tuple[str, ...]],
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

    def resolve(self, lookup: Mapping[str, tuple[str, ...]]) -> str | None:
        """The plain string with variables substituted; None if one is absent."""
        return self._substituted(self.parts, lookup, _same)

    def resolve_regex(self, lookup: Mapping[str, tuple[str, ...]]) -> str | None:
        """A regex: policy text as a glob, substituted values as literals."""
        return self._substituted(self.regex_parts, lookup, re.escape)


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


# -- condition values --


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


def _value_parsers() -> dict[str, Callable[[str], Any]]:
    parsers: dict[str, Callable[[str], Any]] = {}
    string_parsers: tuple[tuple[str, Callable[[str], Any]], ...] = (
        ("StringEquals", str),
        ("StringEqualsIgnoreCase", str.casefold),
        ("StringLike", compile_glob),
    )
    for name, parse in string_parsers:
        parsers[name] = parsers[name.replace("String", "StringNot", 1)] = parse
    for prefix, number in (("Numeric", parse_number), ("Date", parse_date)):
        for suffix in (
            "Equals",
            "NotEquals",
            "LessThan",
            "LessThanEquals",
            "GreaterThan",
            "GreaterThanEquals",
        ):
            parsers[prefix + suffix] = number
    parsers["Bool"] = parse_bool
    parsers["IpAddress"] = parsers["NotIpAddress"] = parse_network
    for name in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        parsers[name] = parse_arn
    parsers["BinaryEquals"] = parse_binary
    return parsers


# Base operator -> the parser of its policy values (the compiled value the
# gateway compares against). Null takes "true"/"false" only.
VALUE_PARSERS: dict[str, Callable[[str], Any]] = _value_parsers()
NULL = "Null"
OPERATOR_NAMES = frozenset(VALUE_PARSERS) | {NULL}
# Operators whose values may hold policy variables (in a 2012-10-17 policy).
VARIABLE_OPERATORS = frozenset(
    name for name in VALUE_PARSERS if name.startswith(("String", "Arn"))
)
_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


def split_operator(name: Any) -> tuple[str | None, str, bool]:
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
        raise ConditionError(f"Invalid Condition type : {_short(name)}")
    return qualifier, rest, if_exists


def parse_value(base: str, text: str, use_variables: bool) -> Any:
    """A policy value compiled for ``base``: a Template where it holds
    variables, else what the operator's parser makes of it."""
    if use_variables and base in VARIABLE_OPERATORS:
        template = parse_template(text)
        if isinstance(template, Template):
            return template
    try:
        return VALUE_PARSERS[base](text)
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise ConditionError(
            f"Invalid value {_short(text)!r} for Condition operator {base}"
        ) from exc


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedCondition:
    """One operator applied to one key, its values parsed."""

    operator: str  # as written in the policy
    base: str  # the operator without qualifier and IfExists
    qualifier: str | None  # "ForAnyValue" / "ForAllValues"
    if_exists: bool
    key: str  # normalized
    raw_values: tuple[str, ...]
    # "true"/"false" for Null; else VALUE_PARSERS[base] of each (or a Template)
    values: tuple[Any, ...]


def parse_conditions(block: Any, *, use_variables: bool) -> tuple[ParsedCondition, ...]:
    """The Condition element as ANDed (operator, key, values) triples."""
    if not isinstance(block, dict):
        raise ConditionError("Condition must be a JSON object")
    out = []
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
                raise ConditionError(f"Condition key {_short(key)} has no values")
            texts = tuple(scalar_to_str(item) for item in items)
            if base == NULL:
                try:
                    values: tuple[Any, ...] = tuple(parse_bool(t) for t in texts)
                except ValueError as exc:
                    raise ConditionError(
                        "Null condition values must be true or false"
                    ) from exc
            else:
                values = tuple(parse_value(base, t, use_variables) for t in texts)
            out.append(
                ParsedCondition(
                    operator=operator,
                    base=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=normalize_key(key),
                    raw_values=texts,
                    values=values,
                )
            )
    return tuple(out)


# -- principals --


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedPrincipal:
    """Principal / NotPrincipal of a bucket-policy statement."""

    anyone: bool = False
    canonical_ids: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    # "arn:aws:iam:::user/NAME" (no account, the Ceph RGW spelling used by
    # ceph/s3-tests) names the user in this instance, whatever its account id.
    accountless: frozenset[str] = frozenset()


def _strings(value: Any, field: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise GrammarError(f"{field} must be a non-empty string or list of strings")
    return items


def parse_principal(value: Any, field: str) -> ParsedPrincipal:
    if value == "*":
        return ParsedPrincipal(anyone=True)
    if not isinstance(value, dict) or not value:
        raise GrammarError(f"Invalid principal in policy: {field}")
    canonical: set[str] = set()
    arns: set[str] = set()
    accounts: set[str] = set()
    services: set[str] = set()
    accountless: set[str] = set()
    anyone = False
    for ptype, ids in value.items():
        items = _strings(ids, f"{field}.{_short(ptype)}")
        if ptype == "AWS":
            for item in items:
                if item == "*":
                    anyone = True
                elif _ACCOUNT_RE.match(item):
                    accounts.add(item)
                elif (m := _ACCOUNT_ROOT_RE.match(item)) is not None:
                    accounts.add(m.group(1))
                elif item.startswith(_ACCOUNTLESS_PREFIX) and "*" not in item:
                    accountless.add(item[len(_ACCOUNTLESS_PREFIX) :])
                elif item.startswith("arn:") and "*" not in item:
                    arns.add(item)
                else:
                    raise GrammarError(f"Invalid principal in policy: {_short(item)}")
        elif ptype == "CanonicalUser":
            if "*" in items:
                raise GrammarError("Invalid principal in policy: CanonicalUser *")
            canonical.update(items)
        elif ptype == "Service":
            services.update(items)
        else:
            raise GrammarError(f"Invalid principal in policy: {_short(ptype)}")
    return ParsedPrincipal(
        anyone=anyone,
        canonical_ids=frozenset(canonical),
        arns=frozenset(arns),
        accounts=frozenset(accounts),
        services=frozenset(services),
        accountless=frozenset(accountless),
    )


# -- actions and resources --


def check_action(action: str, kind: str) -> None:
    if not _ACTION_RE.match(action):
        raise GrammarError(f"Policy has invalid action: {_short(action)}")
    if kind != "bucket" or action == "*":
        return
    lowered = action.lower()
    if lowered.startswith("s3:"):
        known: Collection[str] = S3_ACTIONS.keys()
    elif lowered.startswith("s3tables:"):
        known = TABLES_ACTIONS
    else:
        raise GrammarError(f"Policy has invalid action: {_short(action)}")
    if has_wildcard(lowered):
        pattern = compile_glob(lowered)
        if not any(pattern.fullmatch(name) for name in known):
            raise GrammarError(f"Policy has invalid action: {_short(action)}")
    elif lowered not in known:
        raise GrammarError(f"Policy has invalid action: {_short(action)}")


def bucket_resource_kinds(resource: str, bucket: str | None) -> set[str]:
    """Which resource types a bucket policy's Resource can name: "bucket",
    "object" (S3) or "tables" (the bucket's catalog)."""
    if resource == "*":
        return {"bucket", "object", "tables"}
    if resource.startswith(TABLES_ARN_PREFIX):
        match = _TABLES_ARN_RE.fullmatch(resource)
        if match is None:
            raise GrammarError("Policy has invalid resource")
        name = match.group(1)
        if bucket is not None and (
            "${" in name or not compile_glob(name).fullmatch(bucket)
        ):
            raise GrammarError("Policy has invalid resource")
        return {"tables"}
    if not resource.startswith(S3_ARN_PREFIX):
        raise GrammarError("Policy has invalid resource")
    rest = resource[len(S3_ARN_PREFIX) :]
    bucket_part, slash, _ = rest.partition("/")
    if not bucket_part:
        raise GrammarError("Policy has invalid resource")
    if bucket is not None:
        # The resource must lie in the bucket the policy is attached to.
        if "${" in bucket_part or not compile_glob(bucket_part).fullmatch(bucket):
            raise GrammarError("Policy has invalid resource")
    kinds = set()
    if slash:
        kinds.add("object")
    elif bucket_part.endswith("*"):
        kinds.update(("bucket", "object"))
    else:
        kinds.add("bucket")
    return kinds


def check_identity_resource(resource: str) -> None:
    if resource != "*" and not resource.startswith("arn:"):
        raise GrammarError(f"Policy has invalid resource: {_short(resource)}")


def _check_action_resources(actions: list[str], resource_kinds: set[str]) -> None:
    for action in actions:
        lowered = action.lower()
        scope = "tables" if lowered.startswith("s3tables:") else S3_ACTIONS.get(lowered)
        if scope is not None and scope not in resource_kinds:
            raise GrammarError("Action does not apply to any resource(s) in statement")


# -- statements and documents --


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedStatement:
    sid: str | None
    effect: str  # "Allow" / "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: ParsedPrincipal | None  # None in identity policies
    not_principal: bool
    conditions: tuple[ParsedCondition, ...]
    raw: Mapping[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedPolicy:
    kind: str
    version: str
    id: str | None
    statements: tuple[ParsedStatement, ...]
    text: str


@contextlib.contextmanager
def _element(name: str) -> Iterator[None]:
    """Errors raised inside name the element they are about."""
    try:
        yield
    except GrammarError as exc:
        exc.where = f"{name}.{exc.where}" if exc.where else name
        raise


def _exactly_one(raw: Mapping[str, Any], a: str, b: str, required: bool) -> str | None:
    if a in raw and b in raw:
        raise GrammarError(f"Statement must not have both {a} and {b}")
    if a in raw:
        return a
    if b in raw:
        return b
    if required:
        raise GrammarError(f"Missing required field {a}")
    return None


def _parse_statement(
    raw: Any, *, kind: str, version: str, bucket: str | None
) -> ParsedStatement:
    if not isinstance(raw, dict):
        raise GrammarError("Statement must be a JSON object")
    unknown = set(raw) - STATEMENT_FIELDS
    if unknown:
        raise GrammarError(f"Unknown field {_short(sorted(unknown)[0])} in Statement")
    sid = raw.get("Sid")
    if sid is not None and (not isinstance(sid, str) or not _SID_RE.fullmatch(sid)):
        raise GrammarError("Statement Sid must be an alphanumeric string", "Sid")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise GrammarError("Invalid effect: Effect must be Allow or Deny", "Effect")
    variables = version == VERSION_2012

    action_field = _exactly_one(raw, "Action", "NotAction", required=True)
    assert action_field is not None
    with _element(action_field):
        actions = _strings(raw[action_field], action_field)
        for action in actions:
            check_action(action, kind)

    resource_field = _exactly_one(raw, "Resource", "NotResource", required=True)
    assert resource_field is not None
    with _element(resource_field):
        resources = _strings(raw[resource_field], resource_field)
        if kind == "bucket":
            resource_kinds: set[str] = set()
            for resource in resources:
                resource_kinds |= bucket_resource_kinds(resource, bucket)
            if action_field == "Action" and resource_field == "Resource":
                _check_action_resources(actions, resource_kinds)
        else:
            for resource in resources:
                check_identity_resource(resource)
        if variables:
            for resource in resources:
                parse_template(resource)  # the variables must name valid keys

    principal_field = _exactly_one(raw, "Principal", "NotPrincipal", required=False)
    principals = None
    if kind == "bucket":
        if principal_field is None:
            raise GrammarError("Missing required field Principal")
        with _element(principal_field):
            principals = parse_principal(raw[principal_field], principal_field)
            if principal_field == "NotPrincipal" and effect == "Allow":
                # IAM: "NotPrincipal" only with Deny (an Allow to everyone but
                # a few is almost always a mistake, so AWS refuses it).
                raise GrammarError("NotPrincipal is only valid with Effect Deny")
    elif principal_field is not None:
        raise GrammarError(
            f"Policy document should not specify a principal: {principal_field}",
            principal_field,
        )

    parsed_conditions: tuple[ParsedCondition, ...] = ()
    if "Condition" in raw:
        with _element("Condition"):
            parsed_conditions = parse_conditions(
                raw["Condition"], use_variables=variables
            )
    return ParsedStatement(
        sid=sid,
        effect=effect,
        actions=tuple(actions),
        not_action=action_field == "NotAction",
        resources=tuple(resources),
        not_resource=resource_field == "NotResource",
        principals=principals,
        not_principal=principal_field == "NotPrincipal",
        conditions=parsed_conditions,
        raw=raw,
    )


def _check_size(text: str, kind: str) -> None:
    if kind == "bucket" and len(text.encode("utf-8")) > MAX_BUCKET_POLICY_BYTES:
        raise GrammarError("Policies must be less than 20 KB")
    if kind == "identity":
        significant = sum(1 for ch in text if not ch.isspace())
        if significant > MAX_IDENTITY_POLICY_CHARS:
            raise GrammarError(
                f"Policies must be at most {MAX_IDENTITY_POLICY_CHARS} characters "
                f"not counting white space (this one has {significant})"
            )


def parse(
    text: str | bytes, *, kind: PolicyKind, bucket: str | None = None
) -> ParsedPolicy:
    """Check a policy document and parse it; GrammarError says why not.

    ``kind`` "bucket" requires a Principal in every statement and resources
    inside ``bucket``; "identity" forbids a Principal.
    """
    if kind not in ("identity", "bucket"):
        raise ValueError(f"unknown policy kind {kind!r}")
    if isinstance(text, bytes):
        if kind == "bucket" and len(text) > MAX_BUCKET_POLICY_BYTES:
            raise GrammarError("Policies must be less than 20 KB")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GrammarError("Policy is not valid UTF-8") from exc
    _check_size(text, kind)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise GrammarError("This policy contains invalid Json") from exc
    if not isinstance(document, dict):
        raise GrammarError("This policy contains invalid Json")
    unknown = set(document) - POLICY_FIELDS
    if unknown:
        raise GrammarError(f"Unknown field {_short(sorted(unknown)[0])}")
    # IAM reads a document without Version as 2008-10-17 (no policy variables).
    version = document.get("Version", VERSION_2008)
    if version not in VERSIONS:
        raise GrammarError(
            f"The policy must contain a valid version string: {VERSION_2012} "
            f"or {VERSION_2008}",
            "Version",
        )
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise GrammarError("Id must be a string", "Id")
    raw_statements = document.get("Statement")
    if raw_statements is None:
        raise GrammarError("Missing required field Statement", "Statement")
    single = isinstance(raw_statements, dict)
    if single:
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise GrammarError("Missing required field Statement", "Statement")
    statements = []
    for number, raw in enumerate(raw_statements):
        try:
            statements.append(
                _parse_statement(raw, kind=kind, version=version, bucket=bucket)
            )
        except GrammarError as exc:
            where = "Statement" if single else f"Statement[{number}]"
            exc.where = f"{where}.{exc.where}" if exc.where else where
            raise
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise GrammarError("Statement IDs (SID) in a single policy must be unique")
    return ParsedPolicy(
        kind=kind,
        version=version,
        id=policy_id,
        statements=tuple(statements),
        text=text,
    )


def canonical_text(document: Any) -> str:
    """The text a node is given for a policy document held as JSON data.

    The data-plane driver sends the document as JSON and the gateway's admin
    API stores it with sorted keys and no white space between tokens (orjson,
    OPT_SORT_KEYS); this is the same text, so sizes agree on both sides.
    """
    return json.dumps(
        document,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def check_document(document: Any, *, kind: PolicyKind = "identity") -> ParsedPolicy:
    """Check a document given as JSON data (the control plane's ``content``)."""
    if not isinstance(document, dict):
        raise GrammarError("a policy document is a JSON object")
    try:
        text = canonical_text(document)
    except (ValueError, TypeError, RecursionError) as exc:
        raise GrammarError("This policy contains invalid Json") from exc
    return parse(text, kind=kind)


# -- names --

# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
POLICY_NAME_RE = re.compile(r"[A-Za-z0-9+=,.@_-]{1,128}\Z")
POLICY_NAME_RULE = "1 to 128 of letters, digits and +=,.@_-"


def policy_name_problem(name: Any) -> str | None:
    """Why ``name`` is not an IAM policy name, or None if it is."""
    if not isinstance(name, str) or not POLICY_NAME_RE.match(name):
        return f"a policy name is {POLICY_NAME_RULE}"
    return None
