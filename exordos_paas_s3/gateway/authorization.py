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
"""The authorize step of the pipeline: one decision, made from the operation.

Principals (docs/decisions/0004-authorization.md):

- the instance's root credentials may do everything an explicit Deny of
  the bucket policy does not forbid (the account root on AWS); a bucket
  without a Deny statement costs the root no policy evaluation, and
  Get/Put/DeleteBucketPolicy stay the root's whatever the policy says;
- a user of kind "account" (from the identity store) is allowed what its
  attached identity policies or the bucket policy allow, what the ACLs grant
  it, and - as the owner of a bucket it created - everything on that bucket;
  it may create buckets and list its own unless a policy denies it;
- a user of kind "iam" is allowed only what its identity policies, the bucket
  policy or the ACLs allow: no owner shortcut, and CreateBucket needs an
  Allow; what it creates is owned by the root (``owner_id_of``);
- an explicit Deny in any policy wins over all of these;
- an anonymous request gets only what a bucket policy or an ACL gives
  everyone.

One account per instance: its 12-digit id derives from the root's canonical
id; users are ``arn:aws:iam::<account>:user/<name>``, the root is
``arn:aws:iam::<account>:root``.

For each IAM action an operation needs (``actions_for``) the pipeline is::

    d = evaluate(identity policies, bucket policy, ctx,
                 restrict_to_account=RestrictPublicBuckets ? account : None)
    DENY -> AccessDenied;  ALLOW -> next action;
    IMPLICIT_DENY -> bucket owner? allowed
                  -> ACLs enabled and a (non-ignored) grant gives the ACL
                     permission of the action? allowed
                  -> AccessDenied

Bucket documents come from ``bucket_access.AccessCache`` (parsed once, in
memory), so a decision reads the disk only for what is per object and only
when a policy or an ACL needs it: ``s3:ExistingObjectTag/*`` conditions and
object ACL grants.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib import parse as urlparse

from defusedxml import ElementTree as defused_etree

from exordos_paas_s3.gateway import acl as acl_rules
from exordos_paas_s3.gateway import bucket_access, errors
from exordos_paas_s3.gateway import policy as policy_lang
from exordos_paas_s3.gateway.auth import sessions
from exordos_paas_s3.gateway.operations import Operation, Scope

if TYPE_CHECKING:
    from exordos_paas_s3.gateway.auth.identities import IdentityStore, Principal
    from exordos_paas_s3.gateway.request import Request
    from exordos_paas_s3.gateway.storage.base import BucketInfo

LOG = logging.getLogger(__name__)

Op = Operation

# The versioned variant of an object action, used when ?versionId is given
# (Service Authorization Reference, "Actions defined by Amazon S3").
_VERSION_ACTIONS: Mapping[str, str] = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
    "s3:GetObjectTorrent": "s3:GetObjectVersionTorrent",
}
_VERSIONED_OPS = frozenset(
    {
        Op.GetObject,
        Op.HeadObject,
        Op.DeleteObject,
        Op.GetObjectAcl,
        Op.PutObjectAcl,
        Op.GetObjectTagging,
        Op.PutObjectTagging,
        Op.DeleteObjectTagging,
        Op.GetObjectAttributes,
        Op.GetObjectTorrent,
    }
)
# Operations that write a new object and may carry tags, ACLs or a lock.
_WRITES = frozenset({Op.PutObject, Op.CopyObject, Op.CreateMultipartUpload})
_LISTS = frozenset(
    {
        Op.ListObjects,
        Op.ListObjectsV2,
        Op.ListObjectVersions,
        Op.ListMultipartUploads,
    }
)
# What a write asks for beyond s3:PutObject when it sets the new object's ACL
# or tags. With ACLs enabled the writer owns what it writes, so without a
# policy Allow these follow the write's own permission (Ceph RGW, AWS ACL
# model); an explicit Deny still wins.
_WRITER_EXTRAS = frozenset({"s3:PutObjectAcl", "s3:PutObjectTagging"})
# Reads whose answer for a missing key is 404 to whoever may list the bucket
# and 403 to anyone else (S3: "If the object you request doesn't exist, the
# error that Amazon S3 returns depends on whether you also have the
# s3:ListBucket permission").
_LISTABLE_MISS = frozenset({"s3:GetObject", "s3:GetObjectVersion"})
_GRANT_HEADERS = tuple(acl_rules.GRANT_HEADERS)
# What the root may do whatever the bucket policy denies: read, replace and
# delete the policy, so it can never lock itself out (AWS: "the root user can
# always delete the bucket policy").
_ROOT_KEEPS = frozenset({Op.GetBucketPolicy, Op.PutBucketPolicy, Op.DeleteBucketPolicy})
# Request headers exposed as s3:<header> condition keys when present.
_HEADER_KEYS = (
    "x-amz-acl",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-storage-class",
    "x-amz-metadata-directive",
    "x-amz-copy-source",
    "x-amz-content-sha256",
    "x-amz-object-ownership",
    *_GRANT_HEADERS,
)
_LOCK_KEYS = (
    ("x-amz-object-lock-mode", "s3:object-lock-mode"),
    ("x-amz-object-lock-retain-until-date", "s3:object-lock-retain-until-date"),
    ("x-amz-object-lock-legal-hold", "s3:object-lock-legal-hold"),
)


def account_id_for(root_canonical_id: str) -> str:
    """The instance's 12-digit account id: stable as long as the root is."""
    digest = hashlib.sha256(f"exordos-s3-account:{root_canonical_id}".encode())
    return str(int.from_bytes(digest.digest()[:8], "big") % 10**12).zfill(12)


def has_acl_headers(headers: Mapping[str, str]) -> bool:
    return "x-amz-acl" in headers or any(h in headers for h in _GRANT_HEADERS)


def check_grantees(identities: Any, grants: Any, *known: str) -> None:
    """Every CanonicalUser grantee must exist (AWS: 400 InvalidArgument).

    ``known`` are ids valid without a lookup (the owners involved).
    """
    for grant in grants or ():
        grantee = grant.grantee
        if grantee.type is not acl_rules.GranteeType.CANONICAL_USER:
            continue
        if grantee.id in known:
            continue
        if identities is None or identities.principal_by_canonical_id(grantee.id):
            continue
        raise errors.InvalidArgument(
            "Invalid id", ArgumentName="CanonicalUser/ID", ArgumentValue=grantee.id
        )


def actions_for(
    operation: Operation, headers: Mapping[str, str], version_id: str | None
) -> tuple[str, ...]:
    """Every IAM action ``operation`` needs with these request headers."""
    actions = operation.actions
    if version_id and operation in _VERSIONED_OPS:
        actions = tuple(_VERSION_ACTIONS.get(a, a) for a in actions)
        if operation is Op.GetObjectAttributes:
            actions = (*actions, "s3:GetObjectVersion")
    if operation in _WRITES:
        extra = []
        if "x-amz-tagging" in headers:
            extra.append("s3:PutObjectTagging")
        if has_acl_headers(headers):
            extra.append("s3:PutObjectAcl")
        if "x-amz-object-lock-mode" in headers:
            extra.append("s3:PutObjectRetention")
        if "x-amz-object-lock-legal-hold" in headers:
            extra.append("s3:PutObjectLegalHold")
        if extra:
            actions = (*actions, *extra)
    elif operation in (Op.DeleteObject, Op.PutObjectRetention):
        # The header asks to bypass GOVERNANCE retention: that needs its own
        # permission (AWS "Bypassing governance mode").
        bypass = headers.get("x-amz-bypass-governance-retention", "")
        if bypass.strip().lower() == "true":
            actions = (*actions, "s3:BypassGovernanceRetention")
    elif operation is Op.CreateBucket:
        extra = []
        if has_acl_headers(headers):
            extra.append("s3:PutBucketAcl")
        if "x-amz-object-ownership" in headers:
            extra.append("s3:PutBucketOwnershipControls")
        if headers.get("x-amz-bucket-object-lock-enabled", "").lower() == "true":
            extra += ["s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"]
        if extra:
            actions = (*actions, *extra)
    return actions


def _request_tags(headers: Mapping[str, str]) -> dict[str, Any]:
    raw = headers.get("x-amz-tagging")
    if raw is None:
        return {}
    pairs = urlparse.parse_qsl(raw, keep_blank_values=True)
    keys: dict[str, Any] = {f"s3:RequestObjectTag/{k}": v for k, v in pairs}
    keys["s3:RequestObjectTagKeys"] = [k for k, _ in pairs]
    return keys


def parse_object_tags(raw: bytes | None) -> dict[str, str]:
    """An object's stored tag set: the Tagging XML document as put."""
    if not raw:
        return {}
    try:
        root = defused_etree.fromstring(raw)
    except Exception:  # noqa: BLE001 - a broken document means no tags
        LOG.error("stored object tagging document does not parse")
        return {}
    tags = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Tag":
            continue
        key = value = None
        for child in element:
            name = child.tag.rsplit("}", 1)[-1]
            if name == "Key":
                key = child.text or ""
            elif name == "Value":
                value = child.text or ""
        if key is not None:
            tags[key] = value or ""
    return tags


class Authorizer:
    """``Services.authorize``: an awaitable decision per operation.

    Built once by the composition root with the identity store and the
    bucket access cache.
    """

    def __init__(
        self,
        identities: IdentityStore,
        cache: bucket_access.AccessCache,
        *,
        account_id: str | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.identities = identities
        self.cache = cache
        self.account_id = account_id or account_id_for(identities.root.canonical_id)
        self.region = region
        self.root_arn = f"arn:aws:iam::{self.account_id}:root"
        # aws:CurrentTime of the current second, formatted once per second.
        self._clock: tuple[int, str] = (0, "")

    def __repr__(self) -> str:
        return f"<Authorizer account={self.account_id}>"

    def principal_arn(self, principal: Principal) -> str:
        if principal.is_root:
            return self.root_arn
        return f"arn:aws:iam::{self.account_id}:user/{principal.name}"

    # -- the decision -------------------------------------------------------

    async def __call__(
        self,
        operation: Operation,
        principal: Principal | None,
        bucket: BucketInfo | None,
        request: Request,
        *,
        key: str | None = None,
        version_id: str | None = None,
    ) -> None:
        """Raise AccessDenied unless ``principal`` may perform ``operation``.

        ``key``/``version_id`` name another object than the request's own
        (CopyObject's source, each key of DeleteObjects).
        """
        if isinstance(principal, sessions.SessionPrincipal) and principal.scope:
            # A scoped session: its scope first, then the issuer's own rights
            # below (the intersection of both).
            if not sessions.allows(
                principal.scope,
                operation,
                bucket.name if bucket is not None else None,
                request.key if key is None else key,
                request.query,
            ):
                raise errors.AccessDenied()
        if principal is not None and principal.is_root:
            if bucket is None:
                return
            # The root's fast path: one cache lookup, no policy evaluation,
            # unless the bucket policy has a Deny (or the write sets an ACL).
            access = await self.cache.get(request.storage, bucket)
            policy = access.policy
            if (policy is not None and policy.deny) or (
                operation in _WRITES and has_acl_headers(request.headers)
            ):
                await self._root(operation, principal, access, request, key, version_id)
            return
        if operation is Op.DeleteObjects and key is None:
            # No permission of its own: the handler authorizes
            # s3:DeleteObject for each key it is asked to delete.
            return
        headers = request.headers
        if key is None:
            key = request.key
            version_id = request.query.get("versionId") or None
        actions = actions_for(operation, headers, version_id)
        if operation.scope is Scope.SERVICE or bucket is None:
            self._identity_only(operation, actions, principal, request, key)
            return
        access = await self.cache.get(request.storage, bucket)
        keys = self._keys(operation, request, version_id)
        if access.needs_object_tags and operation.scope is Scope.OBJECT:
            keys.update(
                await self._existing_tags(request, bucket.name, key, version_id)
            )
        identity = self.identities.identity_policies(principal)
        restrict = acl_rules.policy_restriction(
            access.public_access_block, access.policy, self.account_id
        )
        for action in actions:
            ctx = self._context(action, principal, bucket.name, key, operation, keys)
            decision = policy_lang.evaluate(
                identity, access.policy, ctx, restrict_to_account=restrict
            )
            if decision is policy_lang.Decision.DENY:
                raise errors.AccessDenied()
            if decision is policy_lang.Decision.ALLOW:
                continue
            if (
                principal is not None
                and not principal.is_iam_user
                and principal.canonical_id == access.owner_id
            ):
                continue
            if (
                operation in _WRITES
                and action in _WRITER_EXTRAS
                and access.acls_enabled
            ):
                continue
            if await self._acl_allows(
                action, principal, access, request, key, version_id
            ):
                continue
            if action in _LISTABLE_MISS and await self._missing_but_listable(
                principal, access, request, key, version_id, identity, restrict
            ):
                continue
            raise errors.AccessDenied()
        if operation in _WRITES:
            self._check_acl_headers(access, headers)

    async def _root(
        self,
        operation: Operation,
        principal: Principal,
        access: bucket_access.BucketAccess,
        request: Request,
        key: str | None,
        version_id: str | None,
    ) -> None:
        """The root may do everything a Deny of the bucket policy does not
        forbid (as the account root on AWS); an ACL the bucket forbids is
        still refused."""
        policy = access.policy
        if (
            policy is not None
            and policy.deny
            and operation not in _ROOT_KEEPS
            and not (operation is Op.DeleteObjects and key is None)
        ):
            if key is None:
                key = request.key
                version_id = request.query.get("versionId") or None
            actions = actions_for(operation, request.headers, version_id)
            # Most requests fall outside every Deny by action or resource
            # alone: then the condition keys are never built.
            actions = tuple(
                action
                for action in actions
                if policy_lang.deny_may_apply(
                    policy,
                    self._context(action, principal, access.bucket, key, operation, {}),
                )
            )
            if actions:
                keys = self._keys(operation, request, version_id)
                if access.needs_object_tags and operation.scope is Scope.OBJECT:
                    keys.update(
                        await self._existing_tags(
                            request, access.bucket, key, version_id
                        )
                    )
                for action in actions:
                    ctx = self._context(
                        action, principal, access.bucket, key, operation, keys
                    )
                    if policy_lang.denies(policy, ctx):
                        raise errors.AccessDenied()
        if operation in _WRITES and has_acl_headers(request.headers):
            self._check_acl_headers(access, request.headers)

    async def _missing_but_listable(
        self,
        principal: Principal | None,
        access: bucket_access.BucketAccess,
        request: Request,
        key: str,
        version_id: str | None,
        identity: Any,
        restrict: str | None,
    ) -> bool:
        """A read of a missing key: let it through (to its 404) when the
        principal may list the bucket with the key as prefix."""
        try:
            info = await request.storage.head_object(access.bucket, key, version_id)
        except errors.S3Error:
            info = None
        if info is not None and not info.is_delete_marker:
            return False
        keys = self._keys(Op.ListObjects, request, None)
        keys["s3:prefix"] = key
        ctx = self._context(
            "s3:ListBucket", principal, access.bucket, "", Op.ListObjects, keys
        )
        decision = policy_lang.evaluate(
            identity, access.policy, ctx, restrict_to_account=restrict
        )
        if decision is not policy_lang.Decision.IMPLICIT_DENY:
            return decision is policy_lang.Decision.ALLOW
        return access.acls_enabled and acl_rules.acl_allows(
            acl_rules.visible_grants(access.public_access_block, access.grants),
            canonical_id=principal.canonical_id if principal else None,
            is_anonymous=principal is None,
            permission=acl_rules.Permission.READ,
        )

    def lists_all_buckets(self, principal: Principal | None, request: Request) -> bool:
        """ListBuckets: whether ``principal`` sees every bucket of the instance.

        One account per instance: root, and a user whose identity policy
        allows s3:ListAllMyBuckets, see them all; anyone else sees the buckets
        it owns (decision 0004) - none, for an "iam" user.
        """
        if principal is None:
            return False
        if principal.is_root:
            return True
        identity = self.identities.identity_policies(principal)
        if not identity:
            return False
        keys = self._keys(Op.ListBuckets, request, None)
        ctx = self._context(
            "s3:ListAllMyBuckets", principal, "", "", Op.ListBuckets, keys
        )
        decision = policy_lang.evaluate(identity, None, ctx)
        return decision is policy_lang.Decision.ALLOW

    def _identity_only(
        self,
        operation: Operation,
        actions: tuple[str, ...],
        principal: Principal | None,
        request: Request,
        key: str,
    ) -> None:
        """ListBuckets and CreateBucket: no bucket (policy) to consult.

        An "account" user may list and create its own buckets unless an
        identity policy denies it (each user owns what it creates, as in Ceph
        RGW). An "iam" user needs an Allow to create one; its ListBuckets
        passes but shows only what ``lists_all_buckets`` lets it see.
        """
        if principal is None:
            raise errors.AccessDenied()
        needs_allow = principal.is_iam_user and operation is not Op.ListBuckets
        identity = self.identities.identity_policies(principal)
        if not identity:
            if needs_allow:
                raise errors.AccessDenied()
            return
        keys = self._keys(operation, request, None)
        for action in actions:
            ctx = self._context(action, principal, request.bucket, key, operation, keys)
            decision = policy_lang.evaluate(identity, None, ctx)
            if decision is policy_lang.Decision.DENY:
                raise errors.AccessDenied()
            if needs_allow and decision is not policy_lang.Decision.ALLOW:
                raise errors.AccessDenied()

    def _context(
        self,
        action: str,
        principal: Principal | None,
        bucket: str,
        key: str,
        operation: Operation,
        keys: dict[str, Any],
    ) -> policy_lang.RequestContext:
        if operation.scope is Scope.SERVICE:
            resource = "arn:aws:s3:::*"
        elif action.startswith("s3tables:"):
            # The catalog's key is "<namespace>/<table>" of a table action.
            resource = (
                f"arn:aws:s3tables:{self.region}:{self.account_id}:bucket/{bucket}"
            )
            if key:
                resource += "/table/" + key
        elif operation.scope is Scope.OBJECT or (operation is Op.DeleteObjects and key):
            resource = f"arn:aws:s3:::{bucket}/{key}"
        else:
            resource = f"arn:aws:s3:::{bucket}"
        if principal is None:
            return policy_lang.RequestContext(
                action=action, resource=resource, is_anonymous=True, keys=keys
            )
        return policy_lang.RequestContext(
            action=action,
            resource=resource,
            canonical_id=principal.canonical_id,
            principal_arn=self.principal_arn(principal),
            account_id=self.account_id,
            username=None if principal.is_root else principal.name,
            userid=self.account_id if principal.is_root else principal.user_id,
            keys=keys,
        )

    def _now(self) -> tuple[int, str]:
        second = int(time.time())
        if self._clock[0] != second:
            self._clock = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)),
            )
        return self._clock

    def _keys(
        self, operation: Operation, request: Request, version_id: str | None
    ) -> dict[str, Any]:
        """The request's condition keys (IAM global keys and S3 keys)."""
        headers = request.headers
        epoch, current = self._now()
        scope = request.scope or {}
        client = scope.get("client")
        keys: dict[str, Any] = {
            "aws:CurrentTime": current,
            "aws:EpochTime": epoch,
            "aws:SecureTransport": scope.get("scheme") == "https",
        }
        if client:
            keys["aws:SourceIp"] = client[0]
        referer = headers.get("referer")
        if referer is not None:
            keys["aws:Referer"] = referer
        agent = headers.get("user-agent")
        if agent is not None:
            keys["aws:UserAgent"] = agent
        auth = request.auth
        if auth is not None and auth.principal is not None:
            keys["s3:signatureversion"] = "AWS4-HMAC-SHA256"
            keys["s3:authType"] = (
                "REST-QUERY-STRING" if auth.presigned else "REST-HEADER"
            )
        for name in _HEADER_KEYS:
            value = headers.get(name)
            if value is not None:
                keys["s3:" + name] = value
        for header, key in _LOCK_KEYS:
            value = headers.get(header)
            if value is not None:
                keys[key] = value
        if operation in _LISTS:
            query = request.query
            # AWS's documented "home folder" policies match "" for a listing
            # without a prefix, so the key is present and empty then.
            keys["s3:prefix"] = query.get("prefix", "")
            if "delimiter" in query:
                keys["s3:delimiter"] = query["delimiter"]
            max_keys = query.get("max-keys") or query.get("max-uploads")
            if max_keys is not None:
                keys["s3:max-keys"] = max_keys
        if operation in _WRITES:
            keys.update(_request_tags(headers))
        if version_id:
            keys["s3:VersionId"] = version_id
        return keys

    @staticmethod
    async def _existing_tags(
        request: Request, bucket: str, key: str, version_id: str | None
    ) -> dict[str, Any]:
        try:
            raw = await request.storage.get_object_doc(
                bucket, key, version_id, "tagging"
            )
        except errors.S3Error:
            return {}
        return {
            f"s3:ExistingObjectTag/{k}": v for k, v in parse_object_tags(raw).items()
        }

    async def _acl_allows(
        self,
        action: str,
        principal: Principal | None,
        access: bucket_access.BucketAccess,
        request: Request,
        key: str,
        version_id: str | None,
    ) -> bool:
        if not access.acls_enabled:
            return False
        needed = acl_rules.ACTION_PERMISSIONS.get(action)
        if needed is None:
            return False
        on, permission = needed
        if on == "bucket":
            grants = access.grants
            owner: str | None = access.owner_id
        else:
            grants, owner = await self._object_grants(request, access, key, version_id)
        if principal is not None and principal.is_iam_user:
            if owner == principal.canonical_id:
                # What an "iam" user owns (made while it was an "account")
                # gives it no implicit rights: its owner grant does not count.
                grants = tuple(
                    g for g in grants if g.grantee.id != principal.canonical_id
                )
        return acl_rules.acl_allows(
            acl_rules.visible_grants(access.public_access_block, grants),
            canonical_id=principal.canonical_id if principal else None,
            is_anonymous=principal is None,
            permission=permission,
        )

    @staticmethod
    async def _object_grants(
        request: Request,
        access: bucket_access.BucketAccess,
        key: str,
        version_id: str | None,
    ) -> tuple[tuple[acl_rules.Grant, ...], str | None]:
        """An object's grants and, when it has no ACL of its own, its owner."""
        storage = request.storage
        try:
            raw = await storage.get_object_doc(
                access.bucket, key, version_id, bucket_access.DOC_ACL
            )
            if raw is not None:
                return bucket_access.parse_stored_acl(raw, access.owner_id), None
            info = await storage.head_object(access.bucket, key, version_id)
        except errors.S3Error:
            # A missing object is AccessDenied to whoever may not list.
            return (), None
        owner = info.owner_id or access.owner_id
        return bucket_access.owner_grants(owner), owner

    def _check_acl_headers(
        self, access: bucket_access.BucketAccess, headers: Mapping[str, str]
    ) -> None:
        """ACL headers of a write: Object Ownership, BlockPublicAcls, and
        grantees that exist."""
        if not has_acl_headers(headers):
            return
        identities = self.identities
        canned, grants = acl_rules.acl_from_request(
            headers, owner_id=access.owner_id, bucket_owner_id=access.owner_id
        )
        acl_rules.check_acl_allowed(
            access.ownership,
            canned=canned,
            grants=grants,
            bucket_owner_id=access.owner_id,
        )
        acl_rules.check_acl_put(
            access.public_access_block, canned=canned, grants=grants
        )
        check_grantees(identities, grants, access.owner_id)


def owner_id_of(request: Request) -> str:
    """Who owns a bucket or object this request creates: the account (the
    root) when an "iam" user creates it, as in AWS; the signer otherwise."""
    principal = request.principal
    identities = request.services.identities
    if principal is not None and principal.is_iam_user and identities is not None:
        return identities.root.canonical_id
    return request.canonical_id


def authorizer_of(request: Request) -> Authorizer | None:
    """The Authorizer behind ``Services.authorize``, when it is one."""
    authorize = request.services.authorize
    return authorize if isinstance(authorize, Authorizer) else None


async def bucket_access_of(request: Request, info: BucketInfo):
    """The cached access documents of a bucket (read fresh without a cache)."""
    authorizer = authorizer_of(request)
    if authorizer is not None:
        return await authorizer.cache.get(request.storage, info)
    return await bucket_access.load(
        request.storage, info, acl_rules.DEFAULT_OBJECT_OWNERSHIP
    )
