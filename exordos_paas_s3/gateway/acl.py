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
"""S3 access control lists, Object Ownership and Block Public Access: pure rules.

- ACLs: canned ACLs and ``x-amz-grant-*`` headers to grants, the
  AccessControlPolicy document both ways, and the grant check.
- Object Ownership (``OwnershipControls``): with BucketOwnerEnforced ACLs are
  disabled, only bucket-owner-full-control (or its XML equivalent) is accepted.
- Block Public Access (``PublicAccessBlockConfiguration``): what each of the
  four switches rejects or ignores.

Everything here is a function of its arguments; the storage of the documents
and the wiring into the request pipeline live elsewhere.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import xml.etree.ElementTree as std_etree
from collections.abc import Callable, Iterable, Mapping, Sequence

from defusedxml import ElementTree as defused_etree

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy as policy_lang

LOG = logging.getLogger(__name__)

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})

# AWS caps an ACL at 100 grants.
MAX_GRANTS = 100


class Permission(str, enum.Enum):
    FULL_CONTROL = "FULL_CONTROL"
    WRITE = "WRITE"
    WRITE_ACP = "WRITE_ACP"
    READ = "READ"
    READ_ACP = "READ_ACP"


class GranteeType(str, enum.Enum):
    CANONICAL_USER = "CanonicalUser"
    GROUP = "Group"
    EMAIL = "AmazonCustomerByEmail"


@dataclasses.dataclass(frozen=True)
class Grantee:
    type: GranteeType
    id: str | None = None
    uri: str | None = None
    email: str | None = None
    display_name: str | None = None

    @classmethod
    def user(cls, canonical_id: str, display_name: str | None = None) -> Grantee:
        return cls(
            GranteeType.CANONICAL_USER, id=canonical_id, display_name=display_name
        )

    @classmethod
    def group(cls, uri: str) -> Grantee:
        return cls(GranteeType.GROUP, uri=uri)

    def same_as(self, other: Grantee) -> bool:
        """Identity, ignoring the display name."""
        return (self.type, self.id, self.uri, self.email) == (
            other.type,
            other.id,
            other.uri,
            other.email,
        )


@dataclasses.dataclass(frozen=True)
class Grant:
    grantee: Grantee
    permission: Permission


@dataclasses.dataclass(frozen=True)
class AccessControlPolicy:
    owner_id: str
    owner_display_name: str | None
    grants: tuple[Grant, ...]


# -- canned ACLs --

CANNED_ACLS = frozenset(
    {
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
        "log-delivery-write",
    }
)
PUBLIC_CANNED_ACLS = frozenset(
    {"public-read", "public-read-write", "authenticated-read"}
)


def _dedupe(grants: Iterable[Grant]) -> tuple[Grant, ...]:
    out: list[Grant] = []
    for grant in grants:
        if not any(
            g.permission == grant.permission and g.grantee.same_as(grant.grantee)
            for g in out
        ):
            out.append(grant)
    return tuple(out)


def canned_acl_grants(
    name: str,
    *,
    owner_id: str,
    bucket_owner_id: str | None = None,
    owner_display_name: str | None = None,
) -> tuple[Grant, ...]:
    """The grants a canned ACL stands for (S3 User Guide, "Canned ACL").

    ``owner_id`` owns the resource; ``bucket_owner_id`` is the owner of the
    bucket an object lands in (the bucket-owner-* ACLs; on a bucket they
    reduce to private, as AWS ignores them there).
    """
    if name not in CANNED_ACLS:
        raise errors.InvalidArgument(
            f"Invalid canned ACL: {name}", ArgumentName="x-amz-acl", ArgumentValue=name
        )
    owner = Grant(Grantee.user(owner_id, owner_display_name), Permission.FULL_CONTROL)
    grants = [owner]
    if name == "public-read":
        grants.append(Grant(Grantee.group(ALL_USERS), Permission.READ))
    elif name == "public-read-write":
        grants.append(Grant(Grantee.group(ALL_USERS), Permission.READ))
        grants.append(Grant(Grantee.group(ALL_USERS), Permission.WRITE))
    elif name == "authenticated-read":
        grants.append(Grant(Grantee.group(AUTHENTICATED_USERS), Permission.READ))
    elif name == "log-delivery-write":
        grants.append(Grant(Grantee.group(LOG_DELIVERY), Permission.WRITE))
        grants.append(Grant(Grantee.group(LOG_DELIVERY), Permission.READ_ACP))
    elif name == "bucket-owner-read" and bucket_owner_id:
        grants.append(Grant(Grantee.user(bucket_owner_id), Permission.READ))
    elif name == "bucket-owner-full-control" and bucket_owner_id:
        grants.append(Grant(Grantee.user(bucket_owner_id), Permission.FULL_CONTROL))
    # aws-exec-read adds a grant to Amazon EC2, a principal that does not exist
    # here; what remains is the owner's full control.
    return _dedupe(grants)


# -- grant headers --

GRANT_HEADERS: Mapping[str, Permission] = {
    "x-amz-grant-read": Permission.READ,
    "x-amz-grant-write": Permission.WRITE,
    "x-amz-grant-read-acp": Permission.READ_ACP,
    "x-amz-grant-write-acp": Permission.WRITE_ACP,
    "x-amz-grant-full-control": Permission.FULL_CONTROL,
}

_GRANTEE_ITEM_RE = re.compile(
    r'\s*(id|uri|emailAddress)\s*=\s*(?:"([^"]*)"|([^,"\s]+))\s*(?:,|$)',
    re.IGNORECASE,
)

EmailResolver = Callable[[str], "tuple[str, str | None] | None"]


def _grantee_from_header(
    kind: str, value: str, header: str, resolve_email: EmailResolver | None
) -> Grantee:
    kind = kind.lower()
    if not value:
        raise errors.InvalidArgument(f"Invalid {header} grantee", ArgumentName=header)
    if kind == "id":
        return Grantee.user(value)
    if kind == "uri":
        if value not in GROUPS:
            raise errors.InvalidArgument(
                "Invalid group uri", ArgumentName=header, ArgumentValue=value
            )
        return Grantee.group(value)
    return _resolve_email(value, resolve_email)


def _resolve_email(email: str, resolve_email: EmailResolver | None) -> Grantee:
    found = resolve_email(email) if resolve_email else None
    if found is None:
        raise errors.UnresolvableGrantByEmailAddress(EmailAddress=email)
    canonical_id, display_name = found
    return Grantee.user(canonical_id, display_name)


def grants_from_headers(
    headers: Mapping[str, str], *, resolve_email: EmailResolver | None = None
) -> tuple[Grant, ...] | None:
    """Grants from ``x-amz-grant-*`` headers; None when there are none.

    Header names are looked up lower-case. A value is a comma-separated list
    of ``id="..."``, ``uri="..."`` or ``emailAddress="..."``.
    """
    grants: list[Grant] = []
    seen = False
    for header, permission in GRANT_HEADERS.items():
        value = headers.get(header)
        if value is None:
            continue
        seen = True
        pos = 0
        text = value.strip()
        if not text:
            raise errors.InvalidArgument(f"Invalid {header} value", ArgumentName=header)
        while pos < len(text):
            match = _GRANTEE_ITEM_RE.match(text, pos)
            if match is None or match.end() == pos:
                raise errors.InvalidArgument(
                    f"Invalid {header} value", ArgumentName=header, ArgumentValue=value
                )
            item_value = (
                match.group(2) if match.group(2) is not None else match.group(3)
            )
            grantee = _grantee_from_header(
                match.group(1), item_value, header, resolve_email
            )
            grants.append(Grant(grantee, permission))
            pos = match.end()
    if not seen:
        return None
    if len(grants) > MAX_GRANTS:
        raise errors.InvalidArgument("Too many grants", ArgumentName="x-amz-grant")
    return _dedupe(grants)


def acl_from_request(
    headers: Mapping[str, str],
    *,
    owner_id: str,
    bucket_owner_id: str | None = None,
    resolve_email: EmailResolver | None = None,
) -> tuple[str | None, tuple[Grant, ...] | None]:
    """(canned name, grants) asked for by ``x-amz-acl`` / ``x-amz-grant-*``.

    Both None when the request sets no ACL. Header grants describe the whole
    ACL, so the owner gets no implicit grant, as in AWS.
    """
    canned = headers.get("x-amz-acl")
    header_grants = grants_from_headers(headers, resolve_email=resolve_email)
    if canned is not None and header_grants is not None:
        raise errors.InvalidRequest(
            "Specifying both Canned ACLs and Header Grants is not allowed"
        )
    if canned is not None:
        canned = canned.strip()
        grants = canned_acl_grants(
            canned, owner_id=owner_id, bucket_owner_id=bucket_owner_id
        )
        return canned, grants
    return None, header_grants


# -- AccessControlPolicy XML --


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: std_etree.Element, name: str) -> std_etree.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: std_etree.Element, name: str) -> str | None:
    child = _child(element, name)
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _parse_xml(body: bytes | str, error: type[errors.S3Error]) -> std_etree.Element:
    try:
        return defused_etree.fromstring(body)
    except (std_etree.ParseError, ValueError) as exc:
        # defusedxml's refusals (entities, DTDs) are ValueErrors too.
        raise error() from exc


def _parse_grantee(
    element: std_etree.Element, resolve_email: EmailResolver | None
) -> Grantee:
    declared = element.get(f"{{{XSI_NS}}}type")
    canonical_id = _text(element, "ID")
    uri = _text(element, "URI")
    email = _text(element, "EmailAddress")
    display = _text(element, "DisplayName")
    if declared is None:
        # Some clients omit xsi:type; the child element says what is meant.
        declared = (
            "CanonicalUser"
            if canonical_id
            else "Group"
            if uri
            else "AmazonCustomerByEmail"
            if email
            else None
        )
    if declared == "CanonicalUser" and canonical_id:
        return Grantee.user(canonical_id, display)
    if declared == "Group" and uri:
        if uri not in GROUPS:
            raise errors.InvalidArgument(
                "Invalid group uri", ArgumentName="uri", ArgumentValue=uri
            )
        return Grantee.group(uri)
    if declared == "AmazonCustomerByEmail" and email:
        return _resolve_email(email, resolve_email)
    raise errors.MalformedACLError()


def parse_access_control_policy(
    body: bytes | str, *, resolve_email: EmailResolver | None = None
) -> AccessControlPolicy:
    """The PutBucketAcl / PutObjectAcl body; MalformedACLError if it is not one."""
    root = _parse_xml(body, errors.MalformedACLError)
    if _local(root.tag) != "AccessControlPolicy":
        raise errors.MalformedACLError()
    owner = _child(root, "Owner")
    owner_id = _text(owner, "ID") if owner is not None else None
    if not owner_id:
        raise errors.MalformedACLError()
    owner_display = _text(owner, "DisplayName") if owner is not None else None
    acl = _child(root, "AccessControlList")
    grants: list[Grant] = []
    if acl is not None:
        for grant_el in acl:
            if _local(grant_el.tag) != "Grant":
                raise errors.MalformedACLError()
            grantee_el = _child(grant_el, "Grantee")
            permission = _text(grant_el, "Permission")
            if grantee_el is None or permission not in Permission.__members__:
                raise errors.MalformedACLError()
            grants.append(
                Grant(_parse_grantee(grantee_el, resolve_email), Permission(permission))
            )
    if len(grants) > MAX_GRANTS:
        raise errors.MalformedACLError("Too many grants")
    return AccessControlPolicy(owner_id, owner_display, _dedupe(grants))


def render_access_control_policy(acp: AccessControlPolicy) -> bytes:
    # Literal prefixed names keep ElementTree's global namespace map untouched.
    root = std_etree.Element(
        "AccessControlPolicy", {"xmlns": S3_NS, "xmlns:xsi": XSI_NS}
    )
    owner = std_etree.SubElement(root, "Owner")
    std_etree.SubElement(owner, "ID").text = acp.owner_id
    if acp.owner_display_name:
        std_etree.SubElement(owner, "DisplayName").text = acp.owner_display_name
    acl = std_etree.SubElement(root, "AccessControlList")
    for grant in acp.grants:
        grant_el = std_etree.SubElement(acl, "Grant")
        grantee = grant.grantee
        grantee_el = std_etree.SubElement(
            grant_el, "Grantee", {"xsi:type": grantee.type.value}
        )
        if grantee.type is GranteeType.CANONICAL_USER:
            std_etree.SubElement(grantee_el, "ID").text = grantee.id
            if grantee.display_name:
                std_etree.SubElement(
                    grantee_el, "DisplayName"
                ).text = grantee.display_name
        elif grantee.type is GranteeType.GROUP:
            std_etree.SubElement(grantee_el, "URI").text = grantee.uri
        else:
            std_etree.SubElement(grantee_el, "EmailAddress").text = grantee.email
        std_etree.SubElement(grant_el, "Permission").text = grant.permission.value
    return _document(root)


def _document(root: std_etree.Element) -> bytes:
    body = std_etree.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def check_acl_owner(acp: AccessControlPolicy, owner_id: str) -> None:
    """A PutAcl body may not hand the resource to another owner (AWS: 403)."""
    if acp.owner_id != owner_id:
        raise errors.AccessDenied()


# -- evaluating grants --

# ACL permission each S3 action needs, and on what ("Mapping of ACL
# permissions and access policy permissions" in the S3 User Guide).
ACTION_PERMISSIONS: Mapping[str, tuple[str, Permission]] = {
    "s3:ListBucket": ("bucket", Permission.READ),
    "s3:ListBucketVersions": ("bucket", Permission.READ),
    "s3:ListBucketMultipartUploads": ("bucket", Permission.READ),
    "s3:PutObject": ("bucket", Permission.WRITE),
    "s3:DeleteObject": ("bucket", Permission.WRITE),
    "s3:DeleteObjectVersion": ("bucket", Permission.WRITE),
    # Whoever may write parts may also abort and list them (a multipart
    # upload is a PutObject in pieces).
    "s3:AbortMultipartUpload": ("bucket", Permission.WRITE),
    "s3:ListMultipartUploadParts": ("bucket", Permission.WRITE),
    "s3:GetBucketAcl": ("bucket", Permission.READ_ACP),
    "s3:PutBucketAcl": ("bucket", Permission.WRITE_ACP),
    "s3:GetObject": ("object", Permission.READ),
    "s3:GetObjectVersion": ("object", Permission.READ),
    "s3:GetObjectAcl": ("object", Permission.READ_ACP),
    "s3:GetObjectVersionAcl": ("object", Permission.READ_ACP),
    "s3:PutObjectAcl": ("object", Permission.WRITE_ACP),
    "s3:PutObjectVersionAcl": ("object", Permission.WRITE_ACP),
}


def is_public_grant(grant: Grant) -> bool:
    return grant.grantee.type is GranteeType.GROUP and grant.grantee.uri in (
        PUBLIC_GROUPS
    )


def is_public_acl(grants: Iterable[Grant]) -> bool:
    return any(is_public_grant(g) for g in grants)


def acl_allows(
    grants: Iterable[Grant],
    *,
    canonical_id: str | None,
    is_anonymous: bool,
    permission: Permission,
    ignore_public: bool = False,
) -> bool:
    """Whether a grant gives ``permission`` (FULL_CONTROL gives all five)."""
    for grant in grants:
        if grant.permission is not permission and (
            grant.permission is not Permission.FULL_CONTROL
        ):
            continue
        grantee = grant.grantee
        if grantee.type is GranteeType.GROUP:
            if ignore_public and grantee.uri in PUBLIC_GROUPS:
                continue
            if grantee.uri == ALL_USERS:
                return True
            if grantee.uri == AUTHENTICATED_USERS and not is_anonymous:
                return True
        elif (
            grantee.type is GranteeType.CANONICAL_USER
            and not is_anonymous
            and canonical_id is not None
            and grantee.id == canonical_id
        ):
            return True
    return False


# -- Object Ownership --


class ObjectOwnership(str, enum.Enum):
    BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"
    BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"
    OBJECT_WRITER = "ObjectWriter"


# What a bucket without OwnershipControls uses unless the gateway is configured
# otherwise (``default-object-ownership``): ACLs enabled, as in Ceph RGW, MinIO
# and AWS buckets created before April 2023 (decision 0004).
DEFAULT_OBJECT_OWNERSHIP = ObjectOwnership.OBJECT_WRITER


def acls_enabled(ownership: ObjectOwnership) -> bool:
    return ownership is not ObjectOwnership.BUCKET_OWNER_ENFORCED


def _only_owner_full_control(grants: Sequence[Grant], bucket_owner_id: str) -> bool:
    return all(
        g.permission is Permission.FULL_CONTROL
        and g.grantee.type is GranteeType.CANONICAL_USER
        and g.grantee.id == bucket_owner_id
        for g in grants
    )


def check_acl_allowed(
    ownership: ObjectOwnership,
    *,
    canned: str | None,
    grants: Sequence[Grant] | None,
    bucket_owner_id: str,
    create_bucket: bool = False,
) -> None:
    """Reject an ACL the bucket's Object Ownership forbids.

    With BucketOwnerEnforced a request may carry no ACL, the canned
    bucket-owner-full-control, or grants giving only the bucket owner
    FULL_CONTROL (its XML equivalent); CreateBucket may also say private.
    Anything else is AccessControlListNotSupported
    (InvalidBucketAclWithObjectOwnership on CreateBucket).
    """
    if acls_enabled(ownership) or (canned is None and grants is None):
        return
    allowed_canned = {"bucket-owner-full-control"}
    if create_bucket:
        allowed_canned.add("private")
    if canned is not None:
        ok = canned in allowed_canned
    else:
        ok = _only_owner_full_control(grants or (), bucket_owner_id)
    if ok:
        return
    if create_bucket:
        raise errors.InvalidBucketAclWithObjectOwnership()
    raise errors.AccessControlListNotSupported()


def object_owner(
    ownership: ObjectOwnership,
    *,
    writer_id: str,
    bucket_owner_id: str,
    canned: str | None,
) -> str:
    """Who owns a newly written object under the bucket's Object Ownership."""
    if ownership is ObjectOwnership.BUCKET_OWNER_ENFORCED:
        return bucket_owner_id
    if (
        ownership is ObjectOwnership.BUCKET_OWNER_PREFERRED
        and canned == "bucket-owner-full-control"
    ):
        return bucket_owner_id
    return writer_id


def effective_grants(
    ownership: ObjectOwnership, grants: Sequence[Grant], *, bucket_owner_id: str
) -> tuple[Grant, ...]:
    """Grants that count: with ACLs disabled only the bucket owner's control."""
    if acls_enabled(ownership):
        return tuple(grants)
    return (Grant(Grantee.user(bucket_owner_id), Permission.FULL_CONTROL),)


def parse_ownership_controls(body: bytes | str) -> ObjectOwnership:
    root = _parse_xml(body, errors.MalformedXML)
    if _local(root.tag) != "OwnershipControls":
        raise errors.MalformedXML()
    rules = [child for child in root if _local(child.tag) == "Rule"]
    if len(rules) != 1 or len(root) != 1:
        raise errors.MalformedXML()
    value = _text(rules[0], "ObjectOwnership")
    try:
        return ObjectOwnership(value)
    except ValueError as exc:
        raise errors.MalformedXML() from exc


def render_ownership_controls(ownership: ObjectOwnership) -> bytes:
    root = std_etree.Element("OwnershipControls", xmlns=S3_NS)
    rule = std_etree.SubElement(root, "Rule")
    std_etree.SubElement(rule, "ObjectOwnership").text = ownership.value
    return _document(root)


# -- Block Public Access --

_PAB_FIELDS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


@dataclasses.dataclass(frozen=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False


NO_PUBLIC_ACCESS_BLOCK = PublicAccessBlock()


def merge_public_access_blocks(*configs: PublicAccessBlock | None) -> PublicAccessBlock:
    """The most restrictive combination (account and bucket settings together)."""
    present = [c for c in configs if c is not None]
    return PublicAccessBlock(
        **{
            field: any(getattr(c, field) for c in present)
            for field in _PAB_FIELDS.values()
        }
    )


def parse_public_access_block(body: bytes | str) -> PublicAccessBlock:
    root = _parse_xml(body, errors.MalformedXML)
    if _local(root.tag) != "PublicAccessBlockConfiguration":
        raise errors.MalformedXML()
    values: dict[str, bool] = {}
    for child in root:
        field = _PAB_FIELDS.get(_local(child.tag))
        text = (child.text or "").strip().lower()
        if field is None or field in values or text not in ("true", "false"):
            raise errors.MalformedXML()
        values[field] = text == "true"
    return PublicAccessBlock(**values)


def render_public_access_block(config: PublicAccessBlock) -> bytes:
    root = std_etree.Element("PublicAccessBlockConfiguration", xmlns=S3_NS)
    for element, field in _PAB_FIELDS.items():
        value = getattr(config, field)
        std_etree.SubElement(root, element).text = "true" if value else "false"
    return _document(root)


def check_acl_put(
    config: PublicAccessBlock, *, canned: str | None, grants: Iterable[Grant] | None
) -> None:
    """BlockPublicAcls: a request setting a public ACL is refused (403)."""
    if not config.block_public_acls:
        return
    if (canned is not None and canned in PUBLIC_CANNED_ACLS) or (
        grants is not None and is_public_acl(grants)
    ):
        raise errors.AccessDenied()


def check_policy_put(config: PublicAccessBlock, policy: policy_lang.Policy) -> None:
    """BlockPublicPolicy: PutBucketPolicy with a public policy is refused (403)."""
    if config.block_public_policy and policy_lang.is_public(policy):
        raise errors.AccessDenied()


def visible_grants(
    config: PublicAccessBlock, grants: Iterable[Grant]
) -> tuple[Grant, ...]:
    """IgnorePublicAcls: public grants stay stored but give nothing."""
    if not config.ignore_public_acls:
        return tuple(grants)
    return tuple(g for g in grants if not is_public_grant(g))


def policy_restriction(
    config: PublicAccessBlock,
    policy: policy_lang.Policy | None,
    owner_account: str,
) -> str | None:
    """``restrict_to_account`` for ``policy.evaluate`` under RestrictPublicBuckets.

    When the switch is on and the bucket policy is public, access through the
    bucket policy is limited to principals of the owner's account.
    """
    if config.restrict_public_buckets and policy_lang.is_public(policy):
        return owner_account
    return None
