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
"""Access control as S3 resources: bucket policy, Block Public Access,
Object Ownership and ACLs of buckets and objects.

The handlers only validate and store documents (see ``bucket_access.py`` for
their names and formats); deciding with them is ``authorization.py``'s job.
The storage is the access-tracking wrapper, so every write here drops the
bucket's cached documents.

Two hooks serve other handlers: ``new_bucket_documents`` /
``store_bucket_documents`` around CreateBucket (canned ACL, grant headers,
``x-amz-object-ownership``), and ``store_new_object_acl`` after a PutObject or
CopyObject that carried ACL headers.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from exordos_paas_s3.gateway import acl as acl_rules
from exordos_paas_s3.gateway import authorization, bucket_access, errors
from exordos_paas_s3.gateway import policy as policy_lang
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import integrity
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response
from exordos_paas_s3.gateway.storage.base import ObjectInfo

LOG = logging.getLogger(__name__)

MAX_DOCUMENT = 64 * 1024
_XML = {"content-type": "application/xml"}

# Canned ACLs equal to what an object gets without any ACL header.
_DEFAULT_CANNED = frozenset({"private", "bucket-owner-full-control"})


async def _access(req: Request) -> bucket_access.BucketAccess:
    assert req.bucket_info is not None
    return await authorization.bucket_access_of(req, req.bucket_info)


# --- bucket policy ----------------------------------------------------------


async def get_bucket_policy(req: Request) -> Response:
    raw = await req.storage.get_bucket_doc(req.bucket, bucket_access.DOC_POLICY)
    if raw is None:
        raise errors.NoSuchBucketPolicy(BucketName=req.bucket)
    return Response(body=raw, headers={"content-type": "application/json"})


async def put_bucket_policy(req: Request) -> Response:
    data = await integrity.read_document(req, policy_lang.MAX_BUCKET_POLICY_BYTES + 1)
    if not data.strip():
        raise errors.MalformedPolicy(
            "Policies must be valid JSON and the first byte must be '{'"
        )
    policy = policy_lang.parse_policy(data, kind="bucket", bucket=req.bucket)
    access = await _access(req)
    acl_rules.check_policy_put(access.public_access_block, policy)
    await req.storage.put_bucket_doc(req.bucket, bucket_access.DOC_POLICY, data)
    return Response(status=204)


async def delete_bucket_policy(req: Request) -> Response:
    await req.storage.delete_bucket_doc(req.bucket, bucket_access.DOC_POLICY)
    return Response(status=204)


async def get_bucket_policy_status(req: Request) -> Response:
    """Whether the bucket is public through its policy or its ACL.

    Ceph RGW's reading (what ceph/s3-tests checks): no policy is "not
    public" rather than NoSuchBucketPolicy, and a public bucket ACL counts.
    """
    access = await _access(req)
    public = access.policy_is_public or (
        access.acls_enabled
        and not access.public_access_block.ignore_public_acls
        and acl_rules.is_public_acl(access.grants)
    )
    root = s3xml.Element("PolicyStatus", [])
    root.add("IsPublic", "true" if public else "false")
    return Response(xml=root)


# --- Block Public Access ----------------------------------------------------


async def get_public_access_block(req: Request) -> Response:
    access = await _access(req)
    if not access.has_public_access_block:
        raise errors.NoSuchPublicAccessBlockConfiguration(BucketName=req.bucket)
    return Response(
        body=acl_rules.render_public_access_block(access.public_access_block),
        headers=dict(_XML),
    )


async def put_public_access_block(req: Request) -> Response:
    config = acl_rules.parse_public_access_block(
        await integrity.read_document(req, MAX_DOCUMENT)
    )
    await req.storage.put_bucket_doc(
        req.bucket,
        bucket_access.DOC_PUBLIC_ACCESS_BLOCK,
        acl_rules.render_public_access_block(config),
    )
    return Response()


async def delete_public_access_block(req: Request) -> Response:
    await req.storage.delete_bucket_doc(
        req.bucket, bucket_access.DOC_PUBLIC_ACCESS_BLOCK
    )
    return Response(status=204)


# --- Object Ownership -------------------------------------------------------


async def get_ownership_controls(req: Request) -> Response:
    access = await _access(req)
    if not access.has_ownership_controls and (
        access.ownership is acl_rules.ObjectOwnership.OBJECT_WRITER
    ):
        # No controls means ObjectWriter to AWS; a bucket following another
        # gateway default shows the setting it actually follows.
        raise errors.OwnershipControlsNotFoundError(BucketName=req.bucket)
    return Response(
        body=acl_rules.render_ownership_controls(access.ownership),
        headers=dict(_XML),
    )


def _only_owner(grants, owner_id: str) -> bool:
    return all(
        g.permission is acl_rules.Permission.FULL_CONTROL
        and g.grantee.type is acl_rules.GranteeType.CANONICAL_USER
        and g.grantee.id == owner_id
        for g in grants
    )


async def put_ownership_controls(req: Request) -> Response:
    ownership = acl_rules.parse_ownership_controls(
        await integrity.read_document(req, MAX_DOCUMENT)
    )
    access = await _access(req)
    if not acl_rules.acls_enabled(ownership) and not _only_owner(
        access.grants, access.owner_id
    ):
        # AWS refuses to disable ACLs while the bucket ACL grants others.
        raise errors.InvalidBucketAclWithObjectOwnership()
    await req.storage.put_bucket_doc(
        req.bucket,
        bucket_access.DOC_OWNERSHIP,
        acl_rules.render_ownership_controls(ownership),
    )
    return Response()


async def delete_ownership_controls(req: Request) -> Response:
    await req.storage.delete_bucket_doc(req.bucket, bucket_access.DOC_OWNERSHIP)
    return Response(status=204)


# --- ACLs -------------------------------------------------------------------


def _with_names(req: Request, acp: acl_rules.AccessControlPolicy) -> bytes:
    """Render an ACL with display names filled in from the identity store.

    Group grants come first (a stable reordering; grant order carries no
    meaning): Ceph RGW answers so, and ceph/s3-tests compares lists in order.
    """
    grants = []
    ordered = sorted(
        acp.grants,
        key=lambda g: g.grantee.type is not acl_rules.GranteeType.GROUP,
    )
    for grant in ordered:
        grantee = grant.grantee
        if grantee.type is acl_rules.GranteeType.CANONICAL_USER and grantee.id:
            grantee = dataclasses.replace(
                grantee, display_name=req.display_name_of(grantee.id)
            )
        grants.append(acl_rules.Grant(grantee, grant.permission))
    return acl_rules.render_access_control_policy(
        acl_rules.AccessControlPolicy(
            acp.owner_id, req.display_name_of(acp.owner_id), tuple(grants)
        )
    )


def _stored(owner_id: str, grants) -> bytes:
    return acl_rules.render_access_control_policy(
        acl_rules.AccessControlPolicy(owner_id, None, tuple(grants))
    )


def check_grantees(req: Request, grants, *known: str) -> None:
    authorization.check_grantees(req.services.identities, grants, *known)


async def _requested_grants(
    req: Request, access: bucket_access.BucketAccess, owner_id: str
) -> tuple[str | None, tuple[acl_rules.Grant, ...]]:
    """(canned, grants) of a PutBucketAcl / PutObjectAcl: headers or body."""
    canned, grants = acl_rules.acl_from_request(
        req.headers, owner_id=owner_id, bucket_owner_id=access.owner_id
    )
    data = await integrity.read_document(req, MAX_DOCUMENT)
    if grants is not None:
        if data.strip():
            raise errors.UnexpectedContent(
                "This request does not support content with ACL headers."
            )
        check_grantees(req, grants, owner_id, access.owner_id)
        return canned, grants
    if not data.strip():
        raise errors.MissingSecurityHeader(MissingHeaderName="x-amz-acl")
    acp = acl_rules.parse_access_control_policy(data)
    acl_rules.check_acl_owner(acp, owner_id)
    check_grantees(req, acp.grants, owner_id, access.owner_id)
    return None, acp.grants


async def get_bucket_acl(req: Request) -> Response:
    access = await _access(req)
    grants = acl_rules.effective_grants(
        access.ownership, access.grants, bucket_owner_id=access.owner_id
    )
    acp = acl_rules.AccessControlPolicy(access.owner_id, None, grants)
    return Response(body=_with_names(req, acp), headers=dict(_XML))


async def put_bucket_acl(req: Request) -> Response:
    access = await _access(req)
    canned, grants = await _requested_grants(req, access, access.owner_id)
    acl_rules.check_acl_allowed(
        access.ownership,
        canned=canned,
        grants=grants,
        bucket_owner_id=access.owner_id,
    )
    acl_rules.check_acl_put(access.public_access_block, canned=canned, grants=grants)
    await req.storage.put_bucket_doc(
        req.bucket, bucket_access.DOC_ACL, _stored(access.owner_id, grants)
    )
    return Response()


def _version(req: Request) -> str | None:
    return req.query.get("versionId") or None


async def _object(req: Request) -> ObjectInfo:
    version_id = _version(req)
    info = await req.storage.head_object(req.bucket, req.key, version_id)
    if info.is_delete_marker:
        if version_id:
            raise errors.MethodNotAllowed(resource=req.resource)
        raise errors.NoSuchKey(Key=req.key)
    return info


def _object_owner(access: bucket_access.BucketAccess, info: ObjectInfo) -> str:
    if not access.acls_enabled:
        return access.owner_id
    return info.owner_id or access.owner_id


async def get_object_acl(req: Request) -> Response:
    access = await _access(req)
    info = await _object(req)
    owner = _object_owner(access, info)
    raw = await req.storage.get_object_doc(
        req.bucket, req.key, _version(req), bucket_access.DOC_ACL
    )
    grants = acl_rules.effective_grants(
        access.ownership,
        bucket_access.parse_stored_acl(raw, owner),
        bucket_owner_id=access.owner_id,
    )
    acp = acl_rules.AccessControlPolicy(owner, None, grants)
    headers = dict(_XML)
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    return Response(body=_with_names(req, acp), headers=headers)


async def put_object_acl(req: Request) -> Response:
    access = await _access(req)
    info = await _object(req)
    owner = _object_owner(access, info)
    canned, grants = await _requested_grants(req, access, owner)
    acl_rules.check_acl_allowed(
        access.ownership,
        canned=canned,
        grants=grants,
        bucket_owner_id=access.owner_id,
    )
    acl_rules.check_acl_put(access.public_access_block, canned=canned, grants=grants)
    await req.storage.put_object_doc(
        req.bucket,
        req.key,
        _version(req),
        bucket_access.DOC_ACL,
        _stored(owner, grants),
    )
    headers = {}
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    return Response(headers=headers)


# --- hooks for CreateBucket and object writes --------------------------------


def new_bucket_documents(req: Request) -> dict[str, bytes]:
    """Validate CreateBucket's ACL and ownership headers; the documents to store.

    OwnershipControls are stored only when ``x-amz-object-ownership`` asks for
    them; without, the bucket follows the gateway's default
    (``default-object-ownership``, ObjectWriter unless configured). With ACLs
    disabled only ``private`` / ``bucket-owner-full-control`` are accepted
    (InvalidBucketAclWithObjectOwnership).
    """
    headers = req.headers
    owner_id = authorization.owner_id_of(req)
    raw_ownership = headers.get("x-amz-object-ownership")
    authorizer = authorization.authorizer_of(req)
    ownership = (
        authorizer.cache.default_ownership
        if authorizer is not None
        else acl_rules.DEFAULT_OBJECT_OWNERSHIP
    )
    if raw_ownership is not None:
        try:
            ownership = acl_rules.ObjectOwnership(raw_ownership)
        except ValueError:
            raise errors.InvalidArgument(
                "Invalid x-amz-object-ownership header",
                ArgumentName="x-amz-object-ownership",
                ArgumentValue=raw_ownership,
            ) from None
    canned, grants = acl_rules.acl_from_request(headers, owner_id=owner_id)
    check_grantees(req, grants, owner_id)
    acl_rules.check_acl_allowed(
        ownership,
        canned=canned,
        grants=grants,
        bucket_owner_id=owner_id,
        create_bucket=True,
    )
    docs = {}
    if raw_ownership is not None:
        docs[bucket_access.DOC_OWNERSHIP] = acl_rules.render_ownership_controls(
            ownership
        )
    if grants is not None and not _only_owner(grants, owner_id):
        docs[bucket_access.DOC_ACL] = _stored(owner_id, grants)
    return docs


async def store_bucket_documents(req: Request, docs: Mapping[str, bytes]) -> None:
    for name, value in docs.items():
        await req.storage.put_bucket_doc(req.bucket, name, value)


async def new_object_owner(req: Request) -> str:
    """Who owns an object this request writes, by the bucket's Object
    Ownership: the bucket owner under BucketOwnerEnforced, and under
    BucketOwnerPreferred when the write says bucket-owner-full-control;
    the writer otherwise. An anonymous write (through a public grant) has no
    owner of its own: the bucket owner owns it."""
    writer = authorization.owner_id_of(req)
    info = req.bucket_info
    if info is None or info.owner_id == writer:
        return writer
    if not writer:
        return info.owner_id
    access = await _access(req)
    canned = req.headers.get("x-amz-acl")
    return acl_rules.object_owner(
        access.ownership,
        writer_id=writer,
        bucket_owner_id=access.owner_id,
        canned=canned.strip() if canned is not None else None,
    )


def sets_object_acl(headers: Mapping[str, str]) -> bool:
    """Whether a write asks for more than the default (owner-only) ACL."""
    canned = headers.get("x-amz-acl")
    if canned is not None and canned.strip() not in _DEFAULT_CANNED:
        return True
    return any(h in headers for h in acl_rules.GRANT_HEADERS)


async def store_new_object_acl(req: Request, info: ObjectInfo) -> None:
    """After PutObject / CopyObject: keep the ACL its headers asked for.

    The headers were validated by the authorize step (ownership, Block
    Public Access) before the body was read.
    """
    if not authorization.has_acl_headers(req.headers):
        return
    access = await _access(req)
    if not access.acls_enabled:
        return
    owner = info.owner_id or req.canonical_id
    canned, grants = acl_rules.acl_from_request(
        req.headers, owner_id=owner, bucket_owner_id=access.owner_id
    )
    if grants is None or _only_owner(grants, owner):
        return
    version = info.version_id if info.version_id not in ("", "null") else None
    await req.storage.put_object_doc(
        req.bucket, req.key, version, bucket_access.DOC_ACL, _stored(owner, grants)
    )


HANDLERS = {
    Operation.GetBucketPolicy: get_bucket_policy,
    Operation.PutBucketPolicy: put_bucket_policy,
    Operation.DeleteBucketPolicy: delete_bucket_policy,
    Operation.GetBucketPolicyStatus: get_bucket_policy_status,
    Operation.GetPublicAccessBlock: get_public_access_block,
    Operation.PutPublicAccessBlock: put_public_access_block,
    Operation.DeletePublicAccessBlock: delete_public_access_block,
    Operation.GetBucketOwnershipControls: get_ownership_controls,
    Operation.PutBucketOwnershipControls: put_ownership_controls,
    Operation.DeleteBucketOwnershipControls: delete_ownership_controls,
    Operation.GetBucketAcl: get_bucket_acl,
    Operation.PutBucketAcl: put_bucket_acl,
    Operation.GetObjectAcl: get_object_acl,
    Operation.PutObjectAcl: put_object_acl,
}
