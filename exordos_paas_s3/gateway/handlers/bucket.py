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

import logging

from exordos_paas_s3 import bucket_rules
from exordos_paas_s3.gateway import authorization, bucket_access, errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import access_control, integrity, listing
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response, iso8601

LOG = logging.getLogger(__name__)


def check_bucket_name(name: str) -> None:
    """The S3 general purpose bucket naming rules (AWS "Bucket naming rules"),
    shared with the control plane (``bucket_rules``)."""
    if bucket_rules.bucket_name_problem(name) is not None:
        raise errors.InvalidBucketName(BucketName=name)


def _max_buckets(req: Request) -> int | None:
    value = req.query.get("max-buckets")
    if value is None:
        return None
    return listing.int_argument(
        value,
        "max-buckets",
        "max-buckets must be an integer between 1 and 10000",
        low=1,
        high=10000,
    )


async def list_buckets(req: Request) -> Response:
    principal = req.principal
    query = req.query
    limit = _max_buckets(req)
    prefix = query.get("prefix", "")
    region = query.get("bucket-region")
    token = query.get("continuation-token")
    after = ""
    if token:
        after = listing.decode_token(token)
    buckets = await req.storage.list_buckets()
    authorizer = authorization.authorizer_of(req)
    if authorizer is not None:
        everything = authorizer.lists_all_buckets(principal, req)
    else:
        everything = principal is not None and principal.is_root
    if not everything:
        # An "iam" user owns nothing of its own (decision 0004, "User kinds").
        mine = principal is not None and not principal.is_iam_user
        buckets = [b for b in buckets if mine and b.owner_id == req.canonical_id]
    buckets = [
        b
        for b in buckets
        if b.name > after
        and b.name.startswith(prefix)
        and (region is None or b.region == region)
    ]
    truncated = limit is not None and len(buckets) > limit
    if truncated:
        buckets = buckets[:limit]
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
    if truncated:
        root.add("ContinuationToken", listing.encode_token(buckets[-1].name))
    if "prefix" in query:
        root.add("Prefix", prefix)
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
    # Canned ACL, grant headers and x-amz-object-ownership: checked first,
    # stored once the bucket exists.
    access_docs = access_control.new_bucket_documents(req)
    # An "iam" user creates buckets for the account: the root owns them.
    owner_id = authorization.owner_id_of(req)
    try:
        await req.storage.create_bucket(name, owner_id, region, lock)
    except errors.BucketAlreadyExists:
        existing = await req.storage.get_bucket(name)
        if existing.owner_id == owner_id:
            # AWS CreateBucket: "for legacy compatibility, if you re-create an
            # existing bucket that you already own in the North Virginia
            # Region, Amazon S3 returns 200 OK"; elsewhere a 409. A re-create
            # that would change the bucket's ACL is refused instead
            # (s3-tests test_bucket_recreate_*_acl).
            if region != "us-east-1":
                raise errors.BucketAlreadyOwnedByYou(BucketName=name) from None
            if access_control.sets_object_acl(req.headers) or (
                await req.storage.get_bucket_doc(name, bucket_access.DOC_ACL)
            ):
                raise errors.BucketAlreadyExists(BucketName=name) from None
            return Response(headers={"location": "/" + name})
        raise errors.BucketAlreadyExists(BucketName=name) from None
    await access_control.store_bucket_documents(req, access_docs)
    return Response(headers={"location": "/" + name})


async def head_bucket(req: Request) -> Response:
    info = req.bucket_info
    return Response(headers={"x-amz-bucket-region": info.region if info else ""})


async def delete_bucket(req: Request) -> Response:
    try:
        await req.storage.delete_bucket(req.bucket)
    except errors.BucketNotEmpty:
        # Incomplete multipart uploads do not keep S3 from deleting a bucket
        # (clients and s3-tests empty buckets with ListObjectVersions +
        # DeleteObjects only): abort them when nothing else is left.
        if not await _only_uploads_left(req):
            raise
        await req.storage.delete_bucket(req.bucket)
    return Response(status=204)


async def _only_uploads_left(req: Request) -> bool:
    storage = req.storage
    left = await storage.list_object_versions(req.bucket, max_keys=1)
    if left.versions or left.common_prefixes:
        return False
    while True:
        page = await storage.list_multipart_uploads(req.bucket, max_uploads=1000)
        if not page.uploads:
            return True
        for upload in page.uploads:
            try:
                await storage.abort_multipart_upload(
                    req.bucket, upload.key, upload.upload_id
                )
            except errors.NoSuchUpload:
                pass


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
    data = await integrity.read_document(req, 64 * 1024)
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
    Operation.GetBucketLogging: get_bucket_logging,
    Operation.GetBucketNotificationConfiguration: get_bucket_notification,
    Operation.GetBucketRequestPayment: get_bucket_request_payment,
    Operation.GetBucketAccelerateConfiguration: get_bucket_accelerate,
    Operation.GetBucketWebsite: _not_configured(errors.NoSuchWebsiteConfiguration),
    Operation.GetBucketReplication: _not_configured(
        errors.ReplicationConfigurationNotFoundError
    ),
}
