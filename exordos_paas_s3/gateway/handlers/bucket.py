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
"""The service and buckets: ListBuckets, Create/Head/DeleteBucket, location,
versioning, ACL, and the "not configured" answers of bucket sub-resources
whose Put side is not implemented yet."""

from __future__ import annotations

import ipaddress
import logging

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import integrity
from exordos_paas_s3.gateway.handlers.object import owner_acl
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response, iso8601

LOG = logging.getLogger(__name__)

_BUCKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def check_bucket_name(name: str) -> None:
    """The S3 general purpose bucket naming rules (AWS "Bucket naming rules")."""
    bad = (
        not 3 <= len(name) <= 63
        or not set(name) <= _BUCKET_CHARS
        or not name[0].isalnum()
        or not name[-1].isalnum()
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )
    if not bad:
        try:
            ipaddress.IPv4Address(name)
            bad = True
        except ValueError:
            pass
    if bad:
        raise errors.InvalidBucketName(BucketName=name)


async def list_buckets(req: Request) -> Response:
    principal = req.principal
    buckets = await req.storage.list_buckets()
    if principal is None or not principal.is_root:
        buckets = [b for b in buckets if b.owner_id == req.canonical_id]
    root = s3xml.Element("ListAllMyBucketsResult", [])
    owner = root.add("Owner", [])
    owner.add("ID", req.canonical_id)
    owner.add("DisplayName", principal.display_name if principal else "")
    listed = root.add("Buckets", [])
    for info in buckets:
        b = listed.add("Bucket", [])
        b.add("Name", info.name)
        b.add("CreationDate", iso8601(info.created))
        b.add("BucketRegion", info.region)
    return Response(xml=root)


async def create_bucket(req: Request) -> Response:
    name = req.bucket
    check_bucket_name(name)
    region = req.settings.region
    data = await s3xml.read_body(req.body, 64 * 1024)
    if data.strip():
        integrity.verify_document(req, data, required=False)
        doc = s3xml.parse(data, "CreateBucketConfiguration")
        constraint = (s3xml.child_text(doc, "LocationConstraint") or "").strip()
        if (
            constraint
            and constraint != region
            and not (region == "us-east-1" and constraint == "US")
        ):
            raise errors.InvalidLocationConstraint(LocationConstraint=constraint)
    lock = req.headers.get("x-amz-bucket-object-lock-enabled", "").lower() == "true"
    acl = req.headers.get("x-amz-acl")
    if acl is not None and acl not in ("private", "bucket-owner-full-control"):
        raise errors.NotImplemented_(
            f"The canned ACL {acl!r} is not implemented yet.", Header="x-amz-acl"
        )
    try:
        await req.storage.create_bucket(name, req.canonical_id, region, lock)
    except errors.BucketAlreadyExists:
        existing = await req.storage.get_bucket(name)
        if existing.owner_id == req.canonical_id:
            raise errors.BucketAlreadyOwnedByYou(BucketName=name) from None
        raise errors.BucketAlreadyExists(BucketName=name) from None
    return Response(headers={"location": "/" + name})


async def head_bucket(req: Request) -> Response:
    info = req.bucket_info
    return Response(headers={"x-amz-bucket-region": info.region if info else ""})


async def delete_bucket(req: Request) -> Response:
    await req.storage.delete_bucket(req.bucket)
    return Response(status=204)


async def get_bucket_location(req: Request) -> Response:
    region = req.bucket_info.region if req.bucket_info else req.settings.region
    # us-east-1 is the empty constraint (AWS GetBucketLocation).
    return Response(
        xml=s3xml.Element("LocationConstraint", "" if region == "us-east-1" else region)
    )


async def get_bucket_versioning(req: Request) -> Response:
    root = s3xml.Element("VersioningConfiguration", [])
    status = req.bucket_info.versioning if req.bucket_info else ""
    if status:
        root.add("Status", status)
    return Response(xml=root)


async def put_bucket_versioning(req: Request) -> Response:
    data = await s3xml.read_body(req.body, 64 * 1024)
    integrity.verify_document(req, data, required=False)
    doc = s3xml.parse(data, "VersioningConfiguration")
    status = s3xml.child_text(doc, "Status")
    if status not in ("Enabled", "Suspended"):
        raise errors.MalformedXML()
    if (s3xml.child_text(doc, "MfaDelete") or "Disabled") != "Disabled":
        raise errors.NotImplemented_("MFA delete is not implemented.")
    info = req.bucket_info
    if info is not None and info.object_lock_enabled and status == "Suspended":
        raise errors.InvalidBucketState(
            "An Object Lock configuration is present on this bucket, so the "
            "versioning state cannot be changed."
        )
    await req.storage.update_bucket(req.bucket, versioning=status)
    return Response()


async def get_bucket_acl(req: Request) -> Response:
    return Response(xml=owner_acl(req, req.bucket_info.owner_id))


async def get_bucket_logging(req: Request) -> Response:
    return Response(xml=s3xml.Element("BucketLoggingStatus", []))


async def get_bucket_notification(req: Request) -> Response:
    return Response(xml=s3xml.Element("NotificationConfiguration", []))


async def get_bucket_request_payment(req: Request) -> Response:
    root = s3xml.Element("RequestPaymentConfiguration", [])
    root.add("Payer", "BucketOwner")
    return Response(xml=root)


async def get_bucket_accelerate(req: Request) -> Response:
    return Response(xml=s3xml.Element("AccelerateConfiguration", []))


async def get_object_lock_configuration(req: Request) -> Response:
    info = req.bucket_info
    if info is None or not info.object_lock_enabled:
        raise errors.ObjectLockConfigurationNotFoundError(BucketName=req.bucket)
    root = s3xml.Element("ObjectLockConfiguration", [])
    root.add("ObjectLockEnabled", "Enabled")
    return Response(xml=root)


def _not_configured(error: type[errors.S3Error]):
    """A Get of a configuration that cannot have been Put yet."""

    async def handler(req: Request) -> Response:
        raise error(BucketName=req.bucket)

    handler.__name__ = f"not_configured_{error.code}"
    return handler


HANDLERS = {
    Operation.ListBuckets: list_buckets,
    Operation.CreateBucket: create_bucket,
    Operation.HeadBucket: head_bucket,
    Operation.DeleteBucket: delete_bucket,
    Operation.GetBucketLocation: get_bucket_location,
    Operation.GetBucketVersioning: get_bucket_versioning,
    Operation.PutBucketVersioning: put_bucket_versioning,
    Operation.GetBucketAcl: get_bucket_acl,
    Operation.GetBucketLogging: get_bucket_logging,
    Operation.GetBucketNotificationConfiguration: get_bucket_notification,
    Operation.GetBucketRequestPayment: get_bucket_request_payment,
    Operation.GetBucketAccelerateConfiguration: get_bucket_accelerate,
    Operation.GetObjectLockConfiguration: get_object_lock_configuration,
    Operation.GetBucketPolicy: _not_configured(errors.NoSuchBucketPolicy),
    Operation.GetBucketTagging: _not_configured(errors.NoSuchTagSet),
    Operation.GetBucketCors: _not_configured(errors.NoSuchCORSConfiguration),
    Operation.GetBucketLifecycleConfiguration: _not_configured(
        errors.NoSuchLifecycleConfiguration
    ),
    Operation.GetBucketEncryption: _not_configured(
        errors.ServerSideEncryptionConfigurationNotFoundError
    ),
    Operation.GetBucketOwnershipControls: _not_configured(
        errors.OwnershipControlsNotFoundError
    ),
    Operation.GetPublicAccessBlock: _not_configured(
        errors.NoSuchPublicAccessBlockConfiguration
    ),
    Operation.GetBucketWebsite: _not_configured(errors.NoSuchWebsiteConfiguration),
    Operation.GetBucketReplication: _not_configured(
        errors.ReplicationConfigurationNotFoundError
    ),
}
