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
"""Bucket configuration documents: lifecycle and default encryption.

Both are validated the way S3 validates them and kept as bucket documents
(``lifecycle``, ``encryption``) for an exact round trip. The lifecycle
executor (gateway/lifecycle/) applies the lifecycle rules; Transition and
NoncurrentVersionTransition are refused (501 NotImplemented): the gateway
has one storage tier, and a rule accepted but never executed would lie
(docs/decisions, lifecycle). Default encryption is applied by
storage/encrypting.py.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
import xml.etree.ElementTree as ET  # noqa: N817 - building the stored document

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import integrity
from exordos_paas_s3.gateway.handlers.object import STORAGE_CLASSES
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response

LOG = logging.getLogger(__name__)

DOC_LIFECYCLE = "lifecycle"
DOC_ENCRYPTION = "encryption"
MAX_RULES = 1000
MAX_NEWER_NONCURRENT = 100
MAX_ID = 255
MAX_DOCUMENT = 1024 * 1024
_XML = {"content-type": "application/xml"}
# AWS: "The date value must conform to the ISO 8601 format. The time is
# always midnight UTC."
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})(T00:00:00(\.0+)?(Z|[+-]00:?00)?)?\Z")
_ACTIONS = (
    "Expiration",
    "Transition",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransition",
    "AbortIncompleteMultipartUpload",
)
_SIZE_AND_PREFIX = ("Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def _stored(root: ET.Element) -> bytes:
    root.set("xmlns", s3xml.S3_NS)
    return s3xml.DECLARATION.encode() + ET.tostring(root, encoding="utf-8")


def _only(el: ET.Element, allowed: tuple[str, ...]) -> None:
    for child in el:
        if child.tag not in allowed:
            raise errors.MalformedXML()


def _positive(el: ET.Element, tag: str, what: str, required: bool = True) -> None:
    text = s3xml.child_text(el, tag)
    if text is None:
        if required:
            raise errors.MalformedXML()
        return
    try:
        value = int(text.strip())
    except ValueError:
        raise errors.MalformedXML() from None
    if value <= 0:
        raise errors.InvalidArgument(
            f"'{tag}' for {what} action must be a positive integer",
            ArgumentName=tag,
            ArgumentValue=text,
        )


def _date(el: ET.Element) -> None:
    text = (s3xml.child_text(el, "Date") or "").strip()
    match = _MIDNIGHT.match(text)
    valid = match is not None
    if match is not None:
        try:
            datetime.date.fromisoformat(match.group(1))
        except ValueError:
            valid = False
    if not valid:
        raise errors.InvalidArgument(
            "'Date' must be at midnight GMT", ArgumentName="Date", ArgumentValue=text
        )


def _size_bounds(cond: ET.Element) -> None:
    """ObjectSizeGreaterThan / LessThan: non-negative, and a range that is
    not empty."""
    bounds = {}
    for tag in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        text = s3xml.child_text(cond, tag)
        if text is None:
            continue
        try:
            bounds[tag] = int(text.strip())
        except ValueError:
            raise errors.MalformedXML() from None
        if bounds[tag] < 0:
            raise errors.InvalidArgument(
                f"'{tag}' should be a non-negative integer",
                ArgumentName=tag,
                ArgumentValue=text,
            )
    if len(bounds) == 2 and (
        bounds["ObjectSizeGreaterThan"] >= bounds["ObjectSizeLessThan"]
    ):
        raise errors.InvalidArgument(
            "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
            ArgumentName="ObjectSizeGreaterThan",
        )


def _check_filter(rule: ET.Element) -> bool:
    """Validate the rule's filter; whether it filters by tags."""
    filt = rule.find("Filter")
    has_prefix = rule.find("Prefix") is not None
    if filt is None:
        if not has_prefix:
            raise errors.MalformedXML()
        return False
    if has_prefix:
        raise errors.MalformedXML()
    conditions = list(filt)
    if len(conditions) > 1:
        raise errors.MalformedXML()
    tagged = False
    for cond in conditions:
        if cond.tag == "Tag":
            if s3xml.child_text(cond, "Key") is None:
                raise errors.MalformedXML()
            tagged = True
        elif cond.tag == "And":
            _only(
                cond, ("Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
            )
            for tag in cond.findall("Tag"):
                if s3xml.child_text(tag, "Key") is None:
                    raise errors.MalformedXML()
            tagged = cond.find("Tag") is not None
            _size_bounds(cond)
        elif cond.tag in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
            _size_bounds(filt)
        elif cond.tag != "Prefix":
            raise errors.MalformedXML()
    return tagged


def _check_rule(rule: ET.Element) -> None:
    _only(rule, ("ID", "Status", "Filter", "Prefix", *_ACTIONS))
    status = s3xml.child_text(rule, "Status")
    if status not in ("Enabled", "Disabled"):
        raise errors.MalformedXML()
    tagged = _check_filter(rule)
    if not any(rule.find(tag) is not None for tag in _ACTIONS):
        raise errors.InvalidRequest(
            "At least one action needs to be specified in a rule"
        )
    expiration = rule.find("Expiration")
    if expiration is not None:
        _only(expiration, ("Days", "Date", "ExpiredObjectDeleteMarker"))
        if len(list(expiration)) != 1:
            raise errors.MalformedXML()
        if expiration.find("Days") is not None:
            _positive(expiration, "Days", "Expiration")
        elif expiration.find("Date") is not None:
            _date(expiration)
        elif s3xml.child_text(expiration, "ExpiredObjectDeleteMarker") not in (
            "true",
            "false",
        ):
            raise errors.MalformedXML()
        elif tagged:
            raise errors.InvalidRequest(
                "ExpiredObjectDeleteMarker cannot be specified with object tags"
            )
    noncurrent = rule.find("NoncurrentVersionExpiration")
    if noncurrent is not None:
        _only(noncurrent, ("NoncurrentDays", "NewerNoncurrentVersions"))
        _positive(noncurrent, "NoncurrentDays", "NoncurrentVersionExpiration")
        _positive(
            noncurrent, "NewerNoncurrentVersions", "NoncurrentVersionExpiration", False
        )
        newer = s3xml.child_text(noncurrent, "NewerNoncurrentVersions")
        if newer is not None and int(newer.strip()) > MAX_NEWER_NONCURRENT:
            raise errors.InvalidArgument(
                "'NewerNoncurrentVersions' must be at most 100",
                ArgumentName="NewerNoncurrentVersions",
                ArgumentValue=newer,
            )
    abort = rule.find("AbortIncompleteMultipartUpload")
    if abort is not None:
        _only(abort, ("DaysAfterInitiation",))
        _positive(abort, "DaysAfterInitiation", "AbortIncompleteMultipartUpload")
        if tagged:
            raise errors.InvalidRequest(
                "AbortIncompleteMultipartUpload cannot be specified with Tags."
            )
    for tag in ("Transition", "NoncurrentVersionTransition"):
        for transition in rule.findall(tag):
            if s3xml.child_text(transition, "StorageClass") not in STORAGE_CLASSES:
                raise errors.InvalidStorageClass()
            if transition.find("Date") is not None:
                _date(transition)


def _refuse_transitions(root: ET.Element) -> None:
    """After every other check, so a malformed rule still gets its 400."""
    for tag in ("Transition", "NoncurrentVersionTransition"):
        if root.find(f"Rule/{tag}") is not None:
            raise errors.NotImplemented_(
                f"Lifecycle {tag} actions are not supported: this gateway has a "
                "single storage tier. Use Expiration or "
                "NoncurrentVersionExpiration.",
                Header=tag,
            )


def parse_lifecycle(data: bytes) -> ET.Element:
    """Validate; the document with an ID given to every rule that had none."""
    root = s3xml.parse(data, "LifecycleConfiguration")
    rules = list(root)
    if not rules or len(rules) > MAX_RULES or any(r.tag != "Rule" for r in rules):
        raise errors.MalformedXML()
    ids: set[str] = set()
    for rule in rules:
        _check_rule(rule)
        rule_id = s3xml.child_text(rule, "ID")
        if rule_id is None or not rule_id.strip():
            if rule.find("ID") is None:
                ET.SubElement(rule, "ID")
            rule_id = uuid.uuid4().hex
            id_el = rule.find("ID")
            assert id_el is not None
            id_el.text = rule_id
        if len(rule_id) > MAX_ID:
            raise errors.InvalidArgument(
                "ID length should not exceed allowed limit of 255",
                ArgumentName="ID",
                ArgumentValue=rule_id,
            )
        if rule_id in ids:
            raise errors.InvalidArgument(
                "Rule ID must be unique. Found same ID for more than one rule",
                ArgumentName="ID",
                ArgumentValue=rule_id,
            )
        ids.add(rule_id)
    _refuse_transitions(root)
    return root


def parse_encryption(data: bytes) -> ET.Element:
    root = s3xml.parse(data, "ServerSideEncryptionConfiguration")
    rules = list(root)
    if not rules or any(r.tag != "Rule" for r in rules):
        raise errors.MalformedXML()
    for rule in rules:
        _only(rule, ("ApplyServerSideEncryptionByDefault", "BucketKeyEnabled"))
        default = rule.find("ApplyServerSideEncryptionByDefault")
        if default is None:
            raise errors.MalformedXML()
        _only(default, ("SSEAlgorithm", "KMSMasterKeyID"))
        algorithm = s3xml.child_text(default, "SSEAlgorithm")
        if algorithm not in _SSE_ALGORITHMS:
            raise errors.MalformedXML()
        if algorithm == "AES256" and default.find("KMSMasterKeyID") is not None:
            raise errors.InvalidArgument(
                "a KMSMasterKeyID is not applicable if the default sse algorithm "
                "is not aws:kms or aws:kms:dsse",
                ArgumentName="ApplyServerSideEncryptionByDefault",
            )
        enabled = s3xml.child_text(rule, "BucketKeyEnabled")
        if enabled is not None and enabled not in ("true", "false"):
            raise errors.MalformedXML()
    return root


# --- handlers --------------------------------------------------------------


async def put_bucket_lifecycle(req: Request) -> Response:
    root = parse_lifecycle(await integrity.read_document(req, MAX_DOCUMENT))
    await req.storage.put_bucket_doc(req.bucket, DOC_LIFECYCLE, _stored(root))
    return Response()


async def get_bucket_lifecycle(req: Request) -> Response:
    raw = await req.storage.get_bucket_doc(req.bucket, DOC_LIFECYCLE)
    if raw is None:
        raise errors.NoSuchLifecycleConfiguration(BucketName=req.bucket)
    return Response(headers=dict(_XML), body=raw)


async def delete_bucket_lifecycle(req: Request) -> Response:
    await req.storage.delete_bucket_doc(req.bucket, DOC_LIFECYCLE)
    return Response(status=204)


async def put_bucket_encryption(req: Request) -> Response:
    root = parse_encryption(await integrity.read_document(req, MAX_DOCUMENT))
    await req.storage.put_bucket_doc(req.bucket, DOC_ENCRYPTION, _stored(root))
    return Response()


async def get_bucket_encryption(req: Request) -> Response:
    raw = await req.storage.get_bucket_doc(req.bucket, DOC_ENCRYPTION)
    if raw is None:
        raise errors.ServerSideEncryptionConfigurationNotFoundError(
            BucketName=req.bucket
        )
    return Response(headers=dict(_XML), body=raw)


async def delete_bucket_encryption(req: Request) -> Response:
    await req.storage.delete_bucket_doc(req.bucket, DOC_ENCRYPTION)
    return Response(status=204)


HANDLERS = {
    Operation.PutBucketLifecycleConfiguration: put_bucket_lifecycle,
    Operation.GetBucketLifecycleConfiguration: get_bucket_lifecycle,
    Operation.DeleteBucketLifecycle: delete_bucket_lifecycle,
    Operation.PutBucketEncryption: put_bucket_encryption,
    Operation.GetBucketEncryption: get_bucket_encryption,
    Operation.DeleteBucketEncryption: delete_bucket_encryption,
}
