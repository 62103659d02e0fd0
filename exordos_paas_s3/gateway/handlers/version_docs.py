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
"""What a new object version takes from its request besides bytes and
metadata: its tag set (``x-amz-tagging``, or the source's on CopyObject) and
its Object Lock state (``x-amz-object-lock-*`` or the bucket's default).

PutObject, CopyObject and CreateMultipartUpload call ``from_request`` before
reading any body (bad headers store nothing), put ``apply_meta`` into the new
version's system metadata (the mirror GET/HEAD return), and ``store`` the
documents once the version exists. A multipart upload keeps them in the
bucket document ``upload-docs/<upload id>`` until Complete or Abort.
"""

from __future__ import annotations

import dataclasses
import json
import logging

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.handlers import object_lock, tagging
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request
from exordos_paas_s3.gateway.storage.base import ObjectInfo

LOG = logging.getLogger(__name__)

_UPLOAD_DOC = "upload-docs/"
_CHECKSUM_HEADERS = (
    "content-md5",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-trailer",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-checksum-crc64nvme",
)


@dataclasses.dataclass
class VersionDocs:
    tags: tagging.Tags = dataclasses.field(default_factory=list)
    retention: object_lock.Retention | None = None
    legal_hold: str | None = None

    def empty(self) -> bool:
        return not self.tags and self.retention is None and self.legal_hold is None

    def apply_meta(self, system_meta: dict[str, str]) -> None:
        """Set the tag count and lock mirror (dropping any copied ones)."""
        tagging.set_count(system_meta, len(self.tags))
        object_lock.set_meta(system_meta, self.retention, self.legal_hold)


async def from_request(req: Request, source: ObjectInfo | None = None) -> VersionDocs:
    headers = req.headers
    docs = VersionDocs()
    if source is not None:
        directive = headers.get("x-amz-tagging-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise errors.InvalidArgument(
                "Unknown tagging directive.",
                ArgumentName="x-amz-tagging-directive",
                ArgumentValue=directive,
            )
        if directive == "COPY":
            raw = await req.storage.get_object_doc(
                source.bucket, source.key, source.version_id, tagging.DOC
            )
            docs.tags = tagging.parse_stored(raw)
        elif "x-amz-tagging" in headers:
            docs.tags = tagging.parse_header(headers["x-amz-tagging"])
    elif "x-amz-tagging" in headers:
        docs.tags = tagging.parse_header(headers["x-amz-tagging"])
    docs.retention, docs.legal_hold = await object_lock.for_new_version(req)
    if (
        req.operation is Operation.PutObject
        and docs.retention is not None
        and not any(name in headers for name in _CHECKSUM_HEADERS)
    ):
        # AWS PutObject: "The Content-MD5 or x-amz-sdk-checksum-algorithm
        # header is required for any request to upload an object with a
        # retention period configured using Amazon S3 Object Lock."
        raise errors.InvalidRequest(
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put "
            "Object requests with Object Lock parameters"
        )
    return docs


async def store(
    req: Request, info: ObjectInfo, docs: VersionDocs, replace: bool = False
) -> None:
    """``replace``: the version may already have a tag set (CopyObject onto
    itself changes metadata in place), so an empty one removes it."""
    if docs.tags:
        await req.storage.put_object_doc(
            info.bucket,
            info.key,
            info.version_id,
            tagging.DOC,
            tagging.document(docs.tags),
        )
    elif replace:
        await req.storage.delete_object_doc(
            info.bucket, info.key, info.version_id, tagging.DOC
        )
    await object_lock.store_for_version(req, info, docs.retention, docs.legal_hold)


# --- multipart uploads -------------------------------------------------------


async def stash(req: Request, upload_id: str, docs: VersionDocs) -> None:
    if docs.empty():
        return
    retention = docs.retention
    value = {
        "tags": docs.tags,
        "retention": [retention.mode, retention.until] if retention else None,
        "legal_hold": docs.legal_hold,
    }
    await req.storage.put_bucket_doc(
        req.bucket, _UPLOAD_DOC + upload_id, json.dumps(value).encode()
    )


async def take(req: Request, upload_id: str) -> VersionDocs | None:
    raw = await req.storage.get_bucket_doc(req.bucket, _UPLOAD_DOC + upload_id)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        retention = value.get("retention")
        return VersionDocs(
            tags=[(k, v) for k, v in value.get("tags") or []],
            retention=object_lock.Retention(retention[0], float(retention[1]))
            if retention
            else None,
            legal_hold=value.get("legal_hold"),
        )
    except (ValueError, TypeError, IndexError, AttributeError):
        LOG.error("the stashed documents of upload %s do not parse", upload_id)
        return None


async def drop(req: Request, upload_id: str) -> None:
    await req.storage.delete_bucket_doc(req.bucket, _UPLOAD_DOC + upload_id)


async def complete_upload(req: Request, upload_id: str, info: ObjectInfo) -> None:
    """After CompleteMultipartUpload: attach the stashed documents."""
    docs = await take(req, upload_id)
    if docs is None:
        return
    await store(req, info, docs)
    await drop(req, upload_id)
