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
"""Multipart uploads: Create, UploadPart(Copy), Complete, Abort, ListParts,
ListMultipartUploads."""

from __future__ import annotations

import base64
import hashlib
import json

from exordos_paas_s3.gateway import errors, quota, sse
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import (
    access_control,
    integrity,
    listing,
    version_docs,
)
from exordos_paas_s3.gateway.handlers import object as object_handlers
from exordos_paas_s3.gateway.lifecycle import expiration
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response, iso8601, quote_etag
from exordos_paas_s3.gateway.storage.base import PartInfo

MAX_PART_NUMBER = object_handlers.MAX_PART_NUMBER
MAX_PARTS_LISTED = 1000


def _part_number(req: Request) -> int:
    return object_handlers.part_number(req.query.get("partNumber", ""))


def _upload_id(req: Request) -> str:
    upload_id = req.query.get("uploadId", "")
    if not upload_id:
        raise errors.NoSuchUpload(UploadId=upload_id)
    return upload_id


async def create_multipart_upload(req: Request) -> Response:
    new = object_handlers.put_request(req, None)
    new.owner_id = await access_control.new_object_owner(req)
    algorithm = req.headers.get("x-amz-checksum-algorithm")
    checksum_type = req.headers.get("x-amz-checksum-type", "").strip().upper()
    if algorithm:
        algorithm = algorithm.upper()
        if algorithm not in integrity.HEADERS:
            raise errors.InvalidRequest("Checksum algorithm provided is unsupported.")
        new.checksum_algorithms = (algorithm,)
        checksum_type = _checksum_type(algorithm, checksum_type)
        new.checksum_type = checksum_type
    elif checksum_type:
        raise errors.InvalidRequest(
            "The x-amz-checksum-type header can only be used with the "
            "x-amz-checksum-algorithm header."
        )
    new.encryption = sse.request_spec(req)
    docs = await version_docs.from_request(req)
    docs.apply_meta(new.system_meta)
    upload = await req.storage.create_multipart_upload(new)
    await version_docs.stash(req, upload.upload_id, docs)
    root = s3xml.Element("InitiateMultipartUploadResult", [])
    root.add("Bucket", req.bucket)
    root.add("Key", req.key)
    root.add("UploadId", upload.upload_id)
    headers = sse.public_headers(upload.request.system_meta)
    if algorithm:
        headers["x-amz-checksum-algorithm"] = algorithm
        headers["x-amz-checksum-type"] = checksum_type
    return Response(headers=headers, xml=root)


def _checksum_type(algorithm: str, requested: str) -> str:
    """AWS: CRC64NVME is FULL_OBJECT only, SHA1/SHA256 COMPOSITE only, and
    CRC32/CRC32C either (COMPOSITE by default)."""
    if requested not in ("", "COMPOSITE", "FULL_OBJECT"):
        raise errors.InvalidRequest(
            "Value for x-amz-checksum-type header is invalid.",
        )
    default = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
    chosen = requested or default
    if (algorithm == "CRC64NVME" and chosen != "FULL_OBJECT") or (
        algorithm in ("SHA1", "SHA256") and chosen != "COMPOSITE"
    ):
        raise errors.InvalidRequest(
            f"The {chosen} checksum type cannot be used with the {algorithm} "
            "checksum algorithm."
        )
    return chosen


async def upload_part(req: Request) -> Response:
    number = _part_number(req)
    upload_id = _upload_id(req)
    size = object_handlers.body_size(req)
    check = integrity.BodyCheck(req, size)
    upload = await req.storage.get_multipart_upload(req.bucket, req.key, upload_id)
    customer_key = sse.request_key(req)
    sse.check_customer_key(upload.request.system_meta, customer_key)
    algorithms = tuple(
        dict.fromkeys(
            tuple(check.algorithms) + tuple(upload.request.checksum_algorithms)
        )
    )
    part = await req.storage.upload_part(
        req.bucket,
        req.key,
        upload_id,
        number,
        check.body(req.body),
        checksum_algorithms=algorithms,
        want_sha256=check.sha256 is not None,
        expected=check.expected,
        customer_key=customer_key,
    )
    headers = {"etag": quote_etag(part.etag)}
    headers.update(integrity.checksum_headers(part.checksums))
    headers.update(sse.public_headers(upload.request.system_meta))
    return Response(headers=headers)


def _copy_range(value: str, size: int) -> tuple[int, int]:
    """x-amz-copy-source-range must be bytes=first-last inside the source."""
    spec = value.strip()
    first, sep, last = spec[6:].partition("-")
    if not (
        spec.startswith("bytes=")
        and sep
        and first.strip().isdigit()
        and last.strip().isdigit()
    ):
        raise errors.InvalidArgument(
            "The x-amz-copy-source-range value must be of the form "
            "bytes=first-last where first and last are the zero-based offsets "
            "of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=value,
        )
    start, end = int(first), int(last)
    if end < start or end >= size:
        raise errors.InvalidRange(
            "The requested range is not satisfiable",
            headers={"content-range": f"bytes */{size}"},
            RangeRequested=value,
            ActualObjectSize=str(size),
        )
    return start, end - start + 1


async def upload_part_copy(req: Request) -> Response:
    number = _part_number(req)
    upload_id = _upload_id(req)
    upload = await req.storage.get_multipart_upload(req.bucket, req.key, upload_id)
    source = await object_handlers.copy_source(req)
    source_key = sse.request_key(req, sse.COPY_SOURCE_C_PREFIX)
    sse.check_customer_key(source.system_meta, source_key)
    customer_key = sse.request_key(req)
    sse.check_customer_key(upload.request.system_meta, customer_key)
    range_header = req.headers.get("x-amz-copy-source-range")
    if range_header:
        start, length = _copy_range(range_header, source.size)
    else:
        start, length = 0, source.size
    if length > req.settings.max_single_put:
        raise errors.EntityTooLarge()
    reader = await req.storage.open_object(
        source.bucket,
        source.key,
        object_handlers._version_arg(source),
        start,
        length,
        customer_key=source_key,
    )
    if reader.info.etag != source.etag:
        raise errors.PreconditionFailed(
            "The source object changed during the copy; retry."
        )
    part = await req.storage.upload_part(
        req.bucket,
        req.key,
        upload_id,
        number,
        reader.stream(),
        checksum_algorithms=tuple(upload.request.checksum_algorithms),
        customer_key=customer_key,
    )
    root = s3xml.Element("CopyPartResult", [])
    root.add("LastModified", iso8601(part.last_modified))
    root.add("ETag", quote_etag(part.etag))
    integrity.add_checksum_elements(root, part.checksums)
    headers = sse.public_headers(upload.request.system_meta)
    if source.version_id and source.version_id != "null":
        headers["x-amz-copy-source-version-id"] = source.version_id
    return Response(headers=headers, xml=root)


async def complete_multipart_upload(req: Request) -> Response:
    upload_id = _upload_id(req)
    data = await s3xml.read_body(req.body, req.settings.max_xml_body)
    integrity.verify_document(req, data, required=False, checksum_headers=False)
    doc = s3xml.parse(data, "CompleteMultipartUpload")
    parts: list[tuple[int, str]] = []
    for part in doc.findall("Part"):
        number = s3xml.child_text(part, "PartNumber")
        etag = s3xml.child_text(part, "ETag")
        if number is None or etag is None:
            raise errors.MalformedXML()
        try:
            n = int(number.strip())
        except ValueError:
            raise errors.MalformedXML() from None
        entry = (n, etag.strip().strip('"'))
        if parts and parts[-1][0] == n:
            # The same part listed twice in a row (a client that re-uploaded
            # it while the first upload was finishing, s3-tests
            # test_multipart_resend_first_finishes_last): the later entry
            # names the part as it is now.
            parts[-1] = entry
        else:
            parts.append(entry)
    if not parts:
        raise errors.MalformedXML(
            "The XML you provided was not well-formed or did not validate "
            "against our published schema"
        )
    customer_key = sse.request_key(req)
    try:
        upload = await req.storage.get_multipart_upload(req.bucket, req.key, upload_id)
    except errors.NoSuchUpload:
        pass
    else:
        # ceph/s3-tests expect an SSE-C upload's key on Complete as well.
        sse.check_customer_key(upload.request.system_meta, customer_key)
    try:
        await _verify_object_checksum(req, upload_id, parts)
        await _check_quota(req, upload_id, parts)
        part_sums = await _part_checksums(req, upload_id, parts)
        info = await req.storage.complete_multipart_upload(
            req.bucket,
            req.key,
            upload_id,
            parts,
            object_handlers.write_precondition(req),
        )
    except errors.NoSuchUpload:
        # A retried Complete of an upload that already completed succeeds
        # again (AWS; s3-tests test_multipart_upload_small): recognise it by
        # the composite ETag the same part list produces.
        info = await _completed_before(req, parts)
        if info is None:
            raise
    else:
        await version_docs.complete_upload(req, upload_id, info)
        if part_sums:
            await req.storage.put_object_doc(
                req.bucket,
                req.key,
                object_handlers._version_arg(info),
                object_handlers.DOC_PART_CHECKSUMS,
                json.dumps(part_sums).encode(),
            )
    root = s3xml.Element("CompleteMultipartUploadResult", [])
    root.add("Location", f"/{req.bucket}/{req.key}")
    root.add("Bucket", req.bucket)
    root.add("Key", req.key)
    root.add("ETag", quote_etag(info.etag))
    integrity.add_checksum_elements(root, info.checksums)
    if "type" in info.checksums:
        root.add("ChecksumType", info.checksums["type"])
    headers = sse.public_headers(info.system_meta)
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    if (rules := expiration.rules_of(req)) is not None:
        await expiration.add_header(req, rules, info, headers)
    return Response(headers=headers, xml=root)


async def _verify_object_checksum(
    req: Request, upload_id: str, parts: list[tuple[int, str]]
) -> None:
    """x-amz-checksum-* on Complete is the whole object's checksum: compare it
    with what the stored parts make (composite "value-N", or for CRCs the
    full-object value) before anything is committed."""
    declared = {
        alg: req.headers[name]
        for alg, name in integrity.HEADERS.items()
        if name in req.headers
    }
    if not declared:
        return
    stored = await _stored_parts(req, upload_id)
    for alg, value in declared.items():
        pieces = []
        for number, _etag in parts:
            part = stored.get(number)
            if part is None or alg not in part.checksums:
                raise integrity.mismatch(alg)
            pieces.append((base64.b64decode(part.checksums[alg]), part.size))
        composite, full = integrity.multipart_checksums(alg, pieces)
        given = value.strip()
        if given.endswith(f"-{len(parts)}"):
            given = given.rsplit("-", 1)[0]
        if given not in (composite, full):
            raise integrity.mismatch(alg)


async def _stored_parts(req: Request, upload_id: str) -> dict[int, PartInfo]:
    stored = {}
    marker = 0
    while True:
        page, truncated = await req.storage.list_parts(
            req.bucket, req.key, upload_id, marker, MAX_PARTS_LISTED
        )
        for part in page:
            stored[part.part_number] = part
        if not truncated or not page:
            return stored
        marker = page[-1].part_number


async def _part_checksums(
    req: Request, upload_id: str, parts: list[tuple[int, str]]
) -> list[dict[str, str]] | None:
    """Each listed part's checksums, kept with the object so that a
    ``partNumber`` GET and GetObjectAttributes can show them."""
    upload = await req.storage.get_multipart_upload(req.bucket, req.key, upload_id)
    if not upload.request.checksum_algorithms:
        return None
    stored = await _stored_parts(req, upload_id)
    wanted = [a.upper() for a in upload.request.checksum_algorithms]
    out = []
    for number, _etag in parts:
        part = stored.get(number)
        sums = part.checksums if part is not None else {}
        out.append({a: sums[a] for a in wanted if a in sums})
    return out


async def _check_quota(
    req: Request, upload_id: str, parts: list[tuple[int, str]]
) -> None:
    room = await quota.prepare(req.storage, req.bucket_record, req.key)
    if room is None:
        return
    stored = await _stored_parts(req, upload_id)
    # A listed part that is missing fails the Complete itself (InvalidPart).
    room.check(sum(stored[n].size for n, _etag in parts if n in stored))


def composite_etag(parts: list[tuple[int, str]]) -> str | None:
    try:
        digests = b"".join(bytes.fromhex(etag) for _, etag in parts)
    except ValueError:
        return None
    return f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"


async def _completed_before(req: Request, parts: list[tuple[int, str]]):
    expected = composite_etag(parts)
    if expected is None:
        return None
    try:
        info = await req.storage.head_object(req.bucket, req.key)
    except errors.S3Error:
        return None
    return info if info.etag == expected else None


async def abort_multipart_upload(req: Request) -> Response:
    upload_id = _upload_id(req)
    await req.storage.abort_multipart_upload(req.bucket, req.key, upload_id)
    await version_docs.drop(req, upload_id)
    return Response(status=204)


async def list_parts(req: Request) -> Response:
    upload_id = _upload_id(req)
    marker = listing.query_count(req, "part-number-marker", 0, MAX_PART_NUMBER)
    limit = listing.query_count(req, "max-parts", MAX_PARTS_LISTED, MAX_PARTS_LISTED)
    upload = await req.storage.get_multipart_upload(req.bucket, req.key, upload_id)
    parts, truncated = await req.storage.list_parts(
        req.bucket, req.key, upload_id, marker, limit
    )
    root = s3xml.Element("ListPartsResult", [])
    root.add("Bucket", req.bucket)
    root.add("Key", req.key)
    root.add("UploadId", upload_id)
    listing.principal(req, root, "Initiator", upload.owner_id)
    listing.principal(req, root, "Owner", upload.owner_id)
    root.add("StorageClass", upload.request.storage_class)
    root.add("PartNumberMarker", str(marker))
    if parts:
        root.add("NextPartNumberMarker", str(parts[-1].part_number))
    root.add("MaxParts", str(limit))
    root.add("IsTruncated", "true" if truncated else "false")
    for alg in upload.request.checksum_algorithms:
        root.add("ChecksumAlgorithm", alg)
    for part in parts:
        el = root.add("Part", [])
        el.add("PartNumber", str(part.part_number))
        el.add("LastModified", iso8601(part.last_modified))
        el.add("ETag", quote_etag(part.etag))
        el.add("Size", str(part.size))
        integrity.add_checksum_elements(el, part.checksums)
    return Response(xml=root)


async def list_multipart_uploads(req: Request) -> Response:
    query = req.query
    enc, encoding = listing.encoder(req)
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    key_marker = query.get("key-marker", "")
    upload_marker = query.get("upload-id-marker", "")
    limit = listing.query_count(req, "max-uploads", 1000, 1000)
    root = s3xml.Element("ListMultipartUploadsResult", [])
    root.add("Bucket", req.bucket)
    root.add("KeyMarker", enc(key_marker))
    root.add("UploadIdMarker", upload_marker)
    if prefix:
        root.add("Prefix", enc(prefix))
    if delimiter:
        root.add("Delimiter", enc(delimiter))
    if encoding:
        root.add("EncodingType", encoding)
    if limit == 0:
        root.add("MaxUploads", "0")
        root.add("IsTruncated", "false")
        return Response(xml=root)
    result = await req.storage.list_multipart_uploads(
        req.bucket, prefix, delimiter, key_marker, upload_marker, limit
    )
    if result.next_key_marker is not None:
        root.add("NextKeyMarker", enc(result.next_key_marker))
    if result.next_upload_id_marker is not None:
        root.add("NextUploadIdMarker", result.next_upload_id_marker)
    root.add("MaxUploads", str(limit))
    root.add("IsTruncated", "true" if result.is_truncated else "false")
    for upload in result.uploads:
        el = root.add("Upload", [])
        el.add("Key", enc(upload.key))
        el.add("UploadId", upload.upload_id)
        listing.principal(req, el, "Initiator", upload.owner_id)
        listing.principal(req, el, "Owner", upload.owner_id)
        el.add("StorageClass", upload.request.storage_class)
        el.add("Initiated", iso8601(upload.initiated))
    listing.add_common_prefixes(root, result.common_prefixes, enc)
    return Response(xml=root)


HANDLERS = {
    Operation.CreateMultipartUpload: create_multipart_upload,
    Operation.UploadPart: upload_part,
    Operation.UploadPartCopy: upload_part_copy,
    Operation.CompleteMultipartUpload: complete_multipart_upload,
    Operation.AbortMultipartUpload: abort_multipart_upload,
    Operation.ListParts: list_parts,
    Operation.ListMultipartUploads: list_multipart_uploads,
}
