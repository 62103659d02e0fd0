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
"""Objects: PutObject, GetObject, HeadObject, DeleteObject(s), CopyObject, ACL."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from urllib import parse as urlparse

from exordos_paas_s3.gateway import errors, quota, sse
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import (
    access_control,
    integrity,
    listing,
    object_lock,
    tagging,
    version_docs,
)
from exordos_paas_s3.gateway.lifecycle import expiration
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import (
    Request,
    Response,
    http_date,
    iso8601,
    parse_http_date,
    quote_etag,
)
from exordos_paas_s3.gateway.router import MAX_KEY_BYTES
from exordos_paas_s3.gateway.storage.base import (
    Expected,
    ObjectInfo,
    Precondition,
    PutRequest,
    etag_matches,
)

LOG = logging.getLogger(__name__)

MAX_USER_METADATA = 2048
# AWS: "The length is constrained to a maximum of 2 KB".
MAX_WEBSITE_REDIRECT = 2048
# The object document holding a multipart object's per-part checksums: a JSON
# list, one {algorithm: base64} per part (handlers/multipart.py writes it).
DOC_PART_CHECKSUMS = "part-checksums"
MAX_DELETE_KEYS = 1000
MAX_PART_NUMBER = 10000

# Stored verbatim and returned on GET/HEAD.
SYSTEM_HEADERS = (
    "content-encoding",
    "content-disposition",
    "cache-control",
    "content-language",
    "expires",
    "x-amz-website-redirect-location",
)
STORAGE_CLASSES = frozenset(
    (
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "OUTPOSTS",
        "GLACIER_IR",
        "SNOW",
        "EXPRESS_ONEZONE",
    )
)
# Headers that ask for features we do not have yet: refuse rather than
# silently store an object without them.
_UNSUPPORTED_HEADERS: tuple[str, ...] = ()
_CONTROL_CHARS = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_RESPONSE_OVERRIDES = (
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
)


# --- request reading -------------------------------------------------------


async def capped(body: AsyncIterator[bytes], limit: int, minimum: int = 0):
    """``body`` passed through, EntityTooLarge once it exceeds ``limit`` and
    EntityTooSmall at its end when shorter than ``minimum``."""
    seen = 0
    async for chunk in body:
        seen += len(chunk)
        if seen > limit:
            raise errors.EntityTooLarge(MaxSizeAllowed=str(limit))
        yield chunk
    if seen < minimum:
        raise errors.EntityTooSmall(MinSizeAllowed=str(minimum))


def body_size(req: Request) -> int | None:
    """The decoded body length (None: HTTP chunked without a length);
    MissingContentLength / EntityTooLarge."""
    if req.chunked is not None:
        value = req.headers.get("x-amz-decoded-content-length")
        if value is None:
            raise errors.MissingContentLength()
        try:
            size = int(value)
        except ValueError:
            raise errors.InvalidArgument(
                "x-amz-decoded-content-length is not a number.",
                ArgumentName="x-amz-decoded-content-length",
                ArgumentValue=value,
            ) from None
    else:
        length = req.content_length()
        if length is None:
            if "chunked" in req.headers.get("transfer-encoding", "").lower():
                # HTTP chunked without a length: size known at the end only;
                # the limit is enforced while streaming.
                req.body = capped(req.body, req.settings.max_single_put)
                return None
            raise errors.MissingContentLength()
        size = length
    if size > req.settings.max_single_put:
        raise errors.EntityTooLarge(
            ProposedSize=str(size), MaxSizeAllowed=str(req.settings.max_single_put)
        )
    return size


def check_unsupported_headers(req: Request) -> None:
    headers = req.headers
    for name in _UNSUPPORTED_HEADERS:
        if name in headers:
            raise errors.NotImplemented_(
                f"The header {name} is not implemented yet.", Header=name
            )
    # ACL headers were validated by the authorize step; PutObject and
    # CopyObject store them (access_control.store_new_object_acl), a
    # multipart upload cannot carry them to its object yet.
    if req.operation is Operation.CreateMultipartUpload and (
        access_control.sets_object_acl(headers)
    ):
        raise errors.NotImplemented_(
            "ACLs on multipart uploads are not implemented yet.", Header="x-amz-acl"
        )


def metadata_from_headers(req: Request) -> tuple[str, dict, dict, str]:
    """(content_type, system_meta, user_meta, storage_class) of a new object."""
    headers = req.headers
    content_type = headers.get("content-type") or "binary/octet-stream"
    system = {name: headers[name] for name in SYSTEM_HEADERS if name in headers}
    redirect = system.get("x-amz-website-redirect-location")
    if redirect is not None and len(redirect.encode()) > MAX_WEBSITE_REDIRECT:
        raise errors.InvalidArgument(
            "The website redirect location must be at most "
            f"{MAX_WEBSITE_REDIRECT} bytes long.",
            ArgumentName="x-amz-website-redirect-location",
        )
    encoding = system.get("content-encoding")
    if encoding is not None and "aws-chunked" in encoding:
        # aws-chunked describes this request's transfer, not the object.
        kept = [
            e.strip()
            for e in encoding.split(",")
            if e.strip() not in ("aws-chunked", "")
        ]
        if kept:
            system["content-encoding"] = ", ".join(kept)
        else:
            del system["content-encoding"]
    user: dict[str, str] = {}
    size = 0
    for name, value in headers.items():
        if name.startswith("x-amz-meta-"):
            short = name[11:]
            user[short] = value
            size += len(short.encode()) + len(value.encode())
    if size > MAX_USER_METADATA:
        raise errors.MetadataTooLarge(
            MetadataSize=str(size), MaxMetadataSize=str(MAX_USER_METADATA)
        )
    storage_class = headers.get("x-amz-storage-class", "STANDARD")
    if storage_class not in STORAGE_CLASSES:
        raise errors.InvalidStorageClass(StorageClassRequested=storage_class)
    return content_type, system, user, storage_class


def put_request(req: Request, size: int | None) -> PutRequest:
    check_unsupported_headers(req)
    content_type, system, user, storage_class = metadata_from_headers(req)
    return PutRequest(
        bucket=req.bucket,
        key=req.key,
        owner_id=req.canonical_id,
        content_type=content_type,
        system_meta=system,
        user_meta=user,
        storage_class=storage_class,
        expected_size=size,
    )


def write_precondition(req: Request) -> Precondition | None:
    """The storage precondition of a conditional PUT (If-None-Match / If-Match)."""
    none_match = req.headers.get("if-none-match")
    match = req.headers.get("if-match")
    if none_match is None and match is None:
        return None
    return Precondition(if_match=match, if_none_match=none_match)


# --- response headers ------------------------------------------------------


def object_headers(
    req: Request, info: ObjectInfo, whole: bool = True
) -> dict[str, str]:
    headers = {
        "etag": quote_etag(info.etag),
        "last-modified": http_date(info.last_modified),
        "content-type": info.content_type,
        "accept-ranges": "bytes",
    }
    if info.system_meta:
        headers.update(info.system_meta)
    for name, value in info.user_meta.items():
        headers["x-amz-meta-" + name] = value
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    if info.storage_class != "STANDARD":
        headers["x-amz-storage-class"] = info.storage_class
    # A checksum describes the whole object: never echoed on a range.
    if (
        whole
        and info.checksums
        and req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
    ):
        headers.update(integrity.checksum_headers(info.checksums))
    return headers


def _apply_overrides(req: Request, headers: dict[str, str]) -> None:
    query = req.query
    for param, header in _RESPONSE_OVERRIDES:
        value = query.get(param)
        if value is not None:
            if _CONTROL_CHARS.search(value):
                # A CR or LF here would split the answer's headers.
                raise errors.InvalidArgument(
                    f"{param} must not contain control characters.",
                    ArgumentName=param,
                    ArgumentValue=value,
                )
            headers[header] = value


# --- conditionals and ranges ----------------------------------------------


def check_read_conditions(req: Request, info: ObjectInfo) -> Response | None:
    """AWS precedence: If-Match beats If-Unmodified-Since (412), If-None-Match
    beats If-Modified-Since (304). Returns the 304 response, or None."""
    headers = req.headers
    last_modified = int(info.last_modified)
    match = headers.get("if-match")
    if match is not None:
        if not etag_matches(match, info.etag):
            raise errors.PreconditionFailed(Condition="If-Match")
    else:
        since = headers.get("if-unmodified-since")
        if since is not None:
            ts = parse_http_date(since)
            if ts is not None and last_modified > ts:
                raise errors.PreconditionFailed(Condition="If-Unmodified-Since")
    none_match = headers.get("if-none-match")
    not_modified = False
    if none_match is not None:
        not_modified = etag_matches(none_match, info.etag)
    else:
        since = headers.get("if-modified-since")
        if since is not None:
            ts = parse_http_date(since)
            not_modified = ts is not None and last_modified <= ts
    if not_modified:
        return Response(
            status=304,
            headers={
                "etag": quote_etag(info.etag),
                "last-modified": http_date(info.last_modified),
            },
        )
    return None


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """(start, length) of a single byte range; None to serve the whole object
    (syntactically invalid or multiple ranges are ignored, as AWS does)."""
    value = value.strip()
    if not value.startswith("bytes="):
        return None
    spec = value[6:].strip()
    if "," in spec:
        return None
    first, sep, last = spec.partition("-")
    if not sep:
        return None
    first, last = first.strip(), last.strip()
    if not first:
        if not last.isdigit():
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _invalid_range(value, size)
        suffix = min(suffix, size)
        return size - suffix, suffix
    if not first.isdigit():
        return None
    start = int(first)
    if last:
        if not last.isdigit():
            return None
        end = int(last)
        if end < start:
            return None
    else:
        end = size - 1
    if start >= size:
        raise _invalid_range(value, size)
    end = min(end, size - 1)
    return start, end - start + 1


def _invalid_range(value: str, size: int) -> errors.S3Error:
    return errors.InvalidRange(
        headers={"content-range": f"bytes */{size}"},
        RangeRequested=value,
        ActualObjectSize=str(size),
    )


def part_number(value: str) -> int:
    """The partNumber of a GET/HEAD or an UploadPart(Copy)."""
    return listing.int_argument(
        value,
        "partNumber",
        "Part number must be an integer between 1 and 10000, inclusive",
        low=1,
        high=MAX_PART_NUMBER,
    )


def part_range(info: ObjectInfo, value: str) -> tuple[int, int]:
    number = part_number(value)
    sizes = info.part_sizes or [info.size]
    if number > len(sizes):
        # AWS documents 416 InvalidPartNumber, but answers 400 InvalidPart
        # (s3-tests test_multipart_get_part, which passes on AWS).
        raise errors.InvalidPart(
            PartNumberRequested=str(number), ActualPartCount=str(len(sizes))
        )
    start = sum(sizes[: number - 1])
    return start, sizes[number - 1]


async def get_object(req: Request) -> Response:
    try:
        return await _read(req, head=False)
    except errors.NoSuchKey as exc:
        raise _not_a_delete_marker(exc) from None


async def head_object(req: Request) -> Response:
    try:
        return await _read(req, head=True)
    except errors.NoSuchKey as exc:
        raise _not_a_delete_marker(exc) from None


def _not_a_delete_marker(exc: errors.S3Error) -> errors.S3Error:
    # A missing key says whether a delete marker hides it (s3-tests
    # check_delete_marker expects "false" on unversioned buckets).
    exc.headers.setdefault("x-amz-delete-marker", "false")
    return exc


async def _read(req: Request, head: bool) -> Response:
    query = req.query
    version_id = query.get("versionId") or None
    range_header = req.headers.get("range")
    part_number = query.get("partNumber")
    if range_header is not None and part_number is not None:
        raise errors.InvalidRequest(
            "Cannot specify both Range header and partNumber query parameter."
        )
    sse.reject_write_headers_on_read(req.headers)
    customer_key = sse.request_key(req)
    if not head and range_header is None and part_number is None:
        # The common case in one storage call: the opened version's metadata
        # drives conditionals and headers (the bytes are read lazily).
        reader = await req.storage.open_object(
            req.bucket, req.key, version_id, customer_key=customer_key
        )
        info = reader.info
        if info.is_delete_marker:
            await tagging.lookup(req)
        response = check_read_conditions(req, info)
        if response is not None:
            return response
        response = _object_response(req, info, None, None)
        if (rules := expiration.rules_of(req)) is not None:
            await expiration.add_header(req, rules, info, response.headers)
        response.reader = reader
        return response
    if not head:
        # Open first and take the metadata from the opened version: a
        # concurrent overwrite then cannot mix one object's headers with
        # another's bytes. Retry when the range was computed on a stale size.
        info = await tagging.lookup(req)
        for _ in range(3):
            response = check_read_conditions(req, info)
            if response is not None:
                return response
            span = _span(info, range_header, part_number)
            start, length = span if span is not None else (0, info.size)
            reader = await req.storage.open_object(
                req.bucket,
                req.key,
                version_id,
                start,
                length,
                customer_key=customer_key,
            )
            if reader.info.etag == info.etag and reader.info.size == info.size:
                break
            info = reader.info
        info = reader.info
        response = _object_response(req, info, span, part_number)
        await _part_checksum_headers(req, info, part_number, response.headers)
        if (rules := expiration.rules_of(req)) is not None:
            await expiration.add_header(req, rules, info, response.headers)
        response.reader = reader
        return response
    info = await tagging.lookup(req)
    sse.check_customer_key(info.system_meta, customer_key)
    response = check_read_conditions(req, info)
    if response is not None:
        return response
    span = _span(info, range_header, part_number)
    response = _object_response(req, info, span, part_number)
    await _part_checksum_headers(req, info, part_number, response.headers)
    if (rules := expiration.rules_of(req)) is not None:
        await expiration.add_header(req, rules, info, response.headers)
    response.head_length = span[1] if span is not None else info.size
    return response


async def part_checksums(req: Request, info: ObjectInfo) -> list[dict[str, str]]:
    """The per-part checksums of a multipart object ([] when none were kept)."""
    if not info.parts_count or not info.checksums:
        return []
    raw = await req.storage.get_object_doc(
        info.bucket, info.key, _version_arg(info), DOC_PART_CHECKSUMS
    )
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        LOG.error("object %s/%s: part checksums do not parse", info.bucket, info.key)
        return []
    return value if isinstance(value, list) else []


async def _part_checksum_headers(
    req: Request, info: ObjectInfo, part_number: str | None, headers: dict
) -> None:
    """A partNumber read describes one part: its checksum, not the object's."""
    if (
        part_number is None
        or req.headers.get("x-amz-checksum-mode", "").upper() != "ENABLED"
        or not info.checksums
    ):
        return
    if not info.parts_count:
        # A single-part object's only part is the object itself.
        headers.update(integrity.checksum_headers(info.checksums))
        return
    sums = await part_checksums(req, info)
    number = int(part_number)
    if 1 <= number <= len(sums) and isinstance(sums[number - 1], dict):
        headers.update(integrity.checksum_headers(sums[number - 1]))
        if "type" in info.checksums:
            headers["x-amz-checksum-type"] = info.checksums["type"]


def _span(
    info: ObjectInfo, range_header: str | None, part_number: str | None
) -> tuple[int, int] | None:
    if part_number is not None:
        return part_range(info, part_number)
    if range_header is not None:
        return parse_range(range_header, info.size)
    return None


def _object_response(
    req: Request, info: ObjectInfo, span: tuple[int, int] | None, part_number
) -> Response:
    headers = object_headers(req, info, whole=span is None)
    status = 200
    if span is not None:
        start, length = span
        status = 206
        end = start + length - 1
        headers["content-range"] = f"bytes {start}-{end}/{info.size}"
        if length == 0:
            # A zero-length part of an empty object has no byte range.
            headers["content-range"] = f"bytes */{info.size}"
    if part_number is not None:
        headers["x-amz-mp-parts-count"] = str(info.parts_count or 1)
    _apply_overrides(req, headers)
    return Response(status=status, headers=headers)


# --- writes ----------------------------------------------------------------


async def put_object(req: Request) -> Response:
    size = body_size(req)
    new = put_request(req, size)
    new.owner_id = await access_control.new_object_owner(req)
    new.encryption = sse.request_spec(req)
    check = integrity.BodyCheck(req, size)
    new.checksum_algorithms = check.algorithms
    new.want_sha256 = check.sha256 is not None
    docs = await version_docs.from_request(req)
    docs.apply_meta(new.system_meta)
    room = await quota.prepare(req.storage, req.bucket_record, req.key)
    if room is not None and size is not None:
        # Refuse before reading a body that could never be stored.
        room.check(size)
    expected = check.expected
    expected.quota = room
    info = await req.storage.put_object(
        new, check.body(req.body), expected, write_precondition(req)
    )
    await version_docs.store(req, info, docs)
    await access_control.store_new_object_acl(req, info)
    headers = {"etag": quote_etag(info.etag)}
    headers.update(integrity.checksum_headers(info.checksums))
    headers.update(sse.public_headers(info.system_meta))
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    if (rules := expiration.rules_of(req)) is not None:
        await expiration.add_header(req, rules, info, headers, docs.tags)
    return Response(headers=headers)


async def delete_object(req: Request) -> Response:
    version_id = req.query.get("versionId") or None
    await object_lock.check_delete(req, req.key, version_id)
    deleted = await req.storage.delete_object(req.bucket, req.key, version_id)
    headers = {}
    if deleted is not None:
        if deleted.is_delete_marker:
            headers["x-amz-delete-marker"] = "true"
        if version_id or (deleted.version_id and deleted.version_id != "null"):
            headers["x-amz-version-id"] = deleted.version_id
    return Response(status=204, headers=headers)


async def delete_objects(req: Request) -> Response:
    data = await s3xml.read_body(req.body, req.settings.max_xml_body)
    integrity.verify_document(req, data, required=True)
    root = s3xml.parse(data, "Delete")
    quiet = (s3xml.child_text(root, "Quiet", "false") or "").strip().lower() == "true"
    targets: list[tuple[str, str | None]] = []
    for obj in root.findall("Object"):
        key = s3xml.child_text(obj, "Key")
        if key is None:
            raise errors.MalformedXML()
        targets.append((key, s3xml.child_text(obj, "VersionId") or None))
    if not targets or len(targets) > MAX_DELETE_KEYS:
        raise errors.MalformedXML()
    result = s3xml.Element("DeleteResult", [])
    for key, version_id in targets:
        try:
            if not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
                raise errors.KeyTooLongError() if key else errors.InvalidArgument()
            # DeleteObjects has no permission of its own: s3:DeleteObject on
            # each key, and a denied key is an <Error> entry, not a failure.
            await req.authorize(
                Operation.DeleteObject,
                req.bucket_info,
                key=key,
                version_id=version_id,
            )
            await object_lock.check_delete(req, key, version_id)
            deleted = await req.storage.delete_object(req.bucket, key, version_id)
        except errors.S3Error as exc:
            err = result.add("Error", [])
            err.add("Key", key)
            if version_id:
                err.add("VersionId", version_id)
            err.add("Code", exc.code)
            err.add("Message", exc.message)
            continue
        if quiet:
            continue
        done = result.add("Deleted", [])
        done.add("Key", key)
        if version_id:
            done.add("VersionId", version_id)
        if deleted is not None and deleted.is_delete_marker:
            done.add("DeleteMarker", "true")
            if deleted.version_id and deleted.version_id != "null":
                done.add("DeleteMarkerVersionId", deleted.version_id)
    return Response(xml=result)


# --- copy ------------------------------------------------------------------


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """x-amz-copy-source -> (bucket, key, version id)."""
    source, _, query = value.partition("?")
    version_id = None
    if query:
        params = urlparse.parse_qs(query, keep_blank_values=True)
        if "versionId" in params:
            version_id = params["versionId"][0] or None
    source = urlparse.unquote(source).lstrip("/")
    bucket, _, key = source.partition("/")
    if not bucket or not key:
        raise errors.InvalidArgument(
            "Copy Source must mention the source bucket and key: "
            "sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise errors.KeyTooLongError()
    return bucket, key, version_id


def check_copy_conditions(req: Request, info: ObjectInfo) -> None:
    """x-amz-copy-source-if-*: any failing condition is 412 (no 304 on copy)."""
    headers = req.headers
    match = headers.get("x-amz-copy-source-if-match")
    none_match = headers.get("x-amz-copy-source-if-none-match")
    modified = headers.get("x-amz-copy-source-if-modified-since")
    unmodified = headers.get("x-amz-copy-source-if-unmodified-since")
    last_modified = int(info.last_modified)
    if match is not None:
        if not etag_matches(match, info.etag):
            raise errors.PreconditionFailed(Condition="x-amz-copy-source-If-Match")
    elif unmodified is not None:
        ts = parse_http_date(unmodified)
        if ts is not None and last_modified > ts:
            raise errors.PreconditionFailed(
                Condition="x-amz-copy-source-If-Unmodified-Since"
            )
    if none_match is not None:
        if etag_matches(none_match, info.etag):
            raise errors.PreconditionFailed(Condition="x-amz-copy-source-If-None-Match")
    elif modified is not None:
        ts = parse_http_date(modified)
        if ts is not None and last_modified <= ts:
            raise errors.PreconditionFailed(
                Condition="x-amz-copy-source-If-Modified-Since"
            )


async def copy_source(req: Request) -> ObjectInfo:
    """Resolve, authorize and check the source of CopyObject/UploadPartCopy."""
    bucket, key, version_id = parse_copy_source(req.headers["x-amz-copy-source"])
    if bucket == req.bucket and req.bucket_info is not None:
        source_bucket = req.bucket_info
    else:
        source_bucket = await req.storage.get_bucket(bucket)
    await req.authorize(
        Operation.GetObject, source_bucket, key=key, version_id=version_id
    )
    info = await req.storage.head_object(bucket, key, version_id)
    if info.is_delete_marker:
        if version_id:
            raise errors.InvalidRequest(
                "The source of a copy request may not specifically refer to a "
                "delete marker by version id."
            )
        raise errors.NoSuchKey(Key=key)
    check_copy_conditions(req, info)
    return info


async def copy_object(req: Request) -> Response:
    source = await copy_source(req)
    source_key = sse.request_key(req, sse.COPY_SOURCE_C_PREFIX)
    sse.check_customer_key(source.system_meta, source_key)
    encryption = sse.request_spec(req)
    directive = req.headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise errors.InvalidArgument(
            "Unknown metadata directive.",
            ArgumentName="x-amz-metadata-directive",
            ArgumentValue=directive,
        )
    check_unsupported_headers(req)
    same = source.bucket == req.bucket and source.key == req.key
    storage_class = req.headers.get("x-amz-storage-class")
    if directive == "REPLACE":
        content_type, system, user, new_class = metadata_from_headers(req)
    else:
        content_type, system, user = (
            source.content_type,
            # The copy's encryption comes from this request, not the source.
            sse.without_encryption(source.system_meta),
            dict(source.user_meta),
        )
        new_class = storage_class or source.storage_class
        if storage_class is not None and storage_class not in STORAGE_CLASSES:
            raise errors.InvalidStorageClass(StorageClassRequested=storage_class)
    if (
        same
        and directive == "COPY"
        and new_class == source.storage_class
        and encryption is None
    ):
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an "
            "object to itself without changing the object's metadata, "
            "storage class, website redirect location or encryption "
            "attributes."
        )
    if source.size > req.settings.max_single_put:
        raise errors.InvalidRequest(
            "The specified copy source is larger than the maximum allowable size "
            "for a copy source: 5368709120"
        )
    docs = await version_docs.from_request(req, source)
    docs.apply_meta(system)
    if (
        same
        and req.query.get("versionId") is None
        and not _versioned(req)
        and encryption is None
    ):
        # Metadata-only change of the object itself: no data rewrite.
        info = await req.storage.update_object_meta(
            req.bucket,
            req.key,
            None,
            content_type=content_type,
            system_meta=system,
            user_meta=user,
            storage_class=new_class,
        )
    else:
        algorithms = [a for a in source.checksums if a in integrity.HEADERS]
        requested = req.headers.get("x-amz-checksum-algorithm")
        if requested:
            requested = requested.upper()
            if requested not in integrity.HEADERS:
                raise errors.InvalidRequest("Invalid checksum algorithm.")
            algorithms = [requested]
        new = PutRequest(
            bucket=req.bucket,
            key=req.key,
            owner_id=await access_control.new_object_owner(req),
            content_type=content_type,
            system_meta=system,
            user_meta=user,
            storage_class=new_class,
            checksum_algorithms=tuple(algorithms),
            expected_size=source.size,
        )
        room = await quota.prepare(req.storage, req.bucket_record, req.key)
        if room is not None:
            room.check(source.size)
        reader = await req.storage.open_object(
            source.bucket,
            source.key,
            _version_arg(source),
            0,
            source.size,
            customer_key=source_key,
        )
        if reader.info.etag != source.etag:
            raise errors.PreconditionFailed(
                "The source object changed during the copy; retry."
            )
        new.encryption = encryption
        info = await req.storage.put_object(
            new,
            reader.stream(),
            Expected(quota=room) if room is not None else None,
            write_precondition(req),
        )
    await version_docs.store(req, info, docs, replace=True)
    await access_control.store_new_object_acl(req, info)
    result = s3xml.Element("CopyObjectResult", [])
    result.add("LastModified", iso8601(info.last_modified))
    result.add("ETag", quote_etag(info.etag))
    integrity.add_checksum_elements(result, info.checksums)
    headers = sse.public_headers(info.system_meta)
    if source.version_id and source.version_id != "null":
        headers["x-amz-copy-source-version-id"] = source.version_id
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    if (rules := expiration.rules_of(req)) is not None:
        await expiration.add_header(req, rules, info, headers, docs.tags)
    return Response(headers=headers, xml=result)


def _versioned(req: Request) -> bool:
    return bool(req.bucket_info and req.bucket_info.versioning)


def _version_arg(info: ObjectInfo) -> str | None:
    if info.version_id and info.version_id != "null":
        return info.version_id
    return None


_OBJECT_ATTRIBUTES = frozenset(
    ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")
)


def _header_int(req: Request, name: str, default: int) -> int:
    value = req.headers.get(name)
    if value is None:
        return default
    return listing.int_argument(value, name, f"Invalid value for {name}")


async def get_object_attributes(req: Request) -> Response:
    raw = req.headers.get("x-amz-object-attributes", "")
    wanted = {a.strip() for a in raw.split(",") if a.strip()}
    if not wanted or not wanted <= _OBJECT_ATTRIBUTES:
        raise errors.InvalidArgument(
            "Invalid attribute name specified.",
            ArgumentName="x-amz-object-attributes",
            ArgumentValue=raw,
        )
    max_parts = min(_header_int(req, "x-amz-max-parts", 1000), 1000)
    marker = _header_int(req, "x-amz-part-number-marker", 0)
    info = await tagging.lookup(req)
    sse.check_customer_key(info.system_meta, sse.request_key(req))
    root = s3xml.Element("GetObjectAttributesResponse", [])
    if "ETag" in wanted:
        root.add("ETag", info.etag)
    if "Checksum" in wanted:
        sums = [(a, v) for a, v in info.checksums.items() if a in integrity.HEADERS]
        if sums:
            checksum = root.add("Checksum", [])
            for alg, value in sums:
                checksum.add("Checksum" + alg, value)
            if "type" in info.checksums:
                checksum.add("ChecksumType", info.checksums["type"])
    if "ObjectParts" in wanted and info.parts_count:
        sizes = info.part_sizes
        parts = root.add("ObjectParts", [])
        # The element is PartsCount (botocore maps it to TotalPartsCount).
        parts.add("PartsCount", str(info.parts_count))
        parts.add("PartNumberMarker", str(marker))
        page = list(enumerate(sizes, start=1))[marker : marker + max_parts]
        truncated = marker + max_parts < len(sizes)
        if page:
            parts.add("NextPartNumberMarker", str(page[-1][0]))
        parts.add("MaxParts", str(max_parts))
        parts.add("IsTruncated", "true" if truncated else "false")
        part_sums = await part_checksums(req, info)
        for number, size in page:
            part = parts.add("Part", [])
            part.add("PartNumber", str(number))
            part.add("Size", str(size))
            if number <= len(part_sums) and isinstance(part_sums[number - 1], dict):
                integrity.add_checksum_elements(part, part_sums[number - 1])
    if "StorageClass" in wanted:
        root.add("StorageClass", info.storage_class)
    if "ObjectSize" in wanted:
        root.add("ObjectSize", str(info.size))
    headers = {"last-modified": http_date(info.last_modified)}
    if info.version_id and info.version_id != "null":
        headers["x-amz-version-id"] = info.version_id
    return Response(headers=headers, xml=root)


HANDLERS = {
    Operation.GetObjectAttributes: get_object_attributes,
    Operation.PutObject: put_object,
    Operation.GetObject: get_object,
    Operation.HeadObject: head_object,
    Operation.DeleteObject: delete_object,
    Operation.DeleteObjects: delete_objects,
    Operation.CopyObject: copy_object,
}
