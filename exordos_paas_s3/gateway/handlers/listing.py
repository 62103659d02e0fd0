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
"""Listings: ListObjects (v1), ListObjectsV2, ListObjectVersions, and the
parts every listing shares (paging arguments, owners, common prefixes)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from urllib import parse as urlparse

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response, iso8601, quote_etag
from exordos_paas_s3.gateway.storage.base import ListResult, ObjectInfo

MAX_KEYS = 1000


def int_argument(
    value: str, name: str, message: str, low: int = 0, high: int | None = None
) -> int:
    """``value`` as an integer in [low, high] (no upper bound when ``high`` is
    None); InvalidArgument with ``message`` otherwise. Paging arguments of
    every listing (and part numbers) are read through here."""
    try:
        n = int(value)
    except ValueError:
        n = low - 1
    if n < low or (high is not None and n > high):
        raise errors.InvalidArgument(message, ArgumentName=name, ArgumentValue=value)
    return n


def query_count(req: Request, name: str, default: int, cap: int) -> int:
    """A non-negative count from the query (``default`` when absent), at most
    ``cap``: max-keys, max-uploads, max-parts, part-number-marker."""
    value = req.query.get(name)
    if value is None:
        return default
    message = f"Provided {name} not an integer or within integer range"
    return min(int_argument(value, name, message), cap)


def max_keys(req: Request, name: str = "max-keys") -> int:
    return query_count(req, name, MAX_KEYS, MAX_KEYS)


def encoder(req: Request) -> tuple[Callable[[str], str], str | None]:
    """(encode function, EncodingType) from ``encoding-type``."""
    value = req.query.get("encoding-type")
    if value is None:
        return (lambda s: s), None
    if value.lower() != "url":
        raise errors.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=value,
        )
    return (lambda s: urlparse.quote(s, safe="/")), "url"


def principal(req: Request, parent: s3xml.Element, tag: str, owner_id: str) -> None:
    """An Owner / Initiator element: the canonical id and its display name."""
    el = parent.add(tag, [])
    el.add("ID", owner_id)
    el.add("DisplayName", req.display_name_of(owner_id))


def _owner(req: Request, parent: s3xml.Element, owner_id: str) -> None:
    principal(req, parent, "Owner", owner_id)


def add_common_prefixes(
    root: s3xml.Element, prefixes: list[str], enc: Callable[[str], str]
) -> None:
    for p in prefixes:
        root.add("CommonPrefixes", [s3xml.Element("Prefix", enc(p))])


def _contents(
    req: Request,
    parent: s3xml.Element,
    info: ObjectInfo,
    enc: Callable[[str], str],
    with_owner: bool,
    tag: str = "Contents",
) -> s3xml.Element:
    el = parent.add(tag, [])
    el.add("Key", enc(info.key))
    el.add("LastModified", iso8601(info.last_modified))
    el.add("ETag", quote_etag(info.etag))
    for alg in info.checksums:
        if alg != "type":
            el.add("ChecksumAlgorithm", alg)
    el.add("Size", str(info.size))
    el.add("StorageClass", info.storage_class)
    if with_owner:
        _owner(req, el, info.owner_id or req.bucket_record.owner_id)
    return el


async def list_objects(req: Request) -> Response:
    query = req.query
    enc, encoding = encoder(req)
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    marker = query.get("marker", "")
    limit = max_keys(req)
    result = await _list(req, prefix, delimiter, marker, limit)
    root = s3xml.Element("ListBucketResult", [])
    root.add("Name", req.bucket)
    # v1 echoes Prefix unencoded even with encoding-type=url (botocore does
    # not decode it; s3-tests test_bucket_list_prefix_unreadable).
    root.add("Prefix", prefix)
    root.add("Marker", enc(marker))
    root.add("MaxKeys", str(limit))
    if delimiter:
        root.add("Delimiter", enc(delimiter))
    if encoding:
        root.add("EncodingType", encoding)
    root.add("IsTruncated", "true" if result.is_truncated else "false")
    # NextMarker only with a delimiter; without one clients use the last key.
    if result.is_truncated and delimiter and result.next_marker:
        root.add("NextMarker", enc(result.next_marker))
    for info in result.objects:
        _contents(req, root, info, enc, True)
    add_common_prefixes(root, result.common_prefixes, enc)
    return Response(xml=root)


def decode_token(token: str) -> str:
    try:
        padded = token + "=" * (-len(token) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise errors.InvalidArgument(
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


async def list_objects_v2(req: Request) -> Response:
    query = req.query
    enc, encoding = encoder(req)
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    start_after = query.get("start-after", "")
    token = query.get("continuation-token")
    fetch_owner = query.get("fetch-owner", "").lower() == "true"
    limit = max_keys(req)
    if token:
        after = decode_token(token)
        # The token continues the listing; start-after only shapes page one.
        after = max(after, start_after)
    else:
        after = start_after
    result = await _list(req, prefix, delimiter, after, limit)
    root = s3xml.Element("ListBucketResult", [])
    root.add("Name", req.bucket)
    root.add("Prefix", enc(prefix))
    if delimiter:
        root.add("Delimiter", enc(delimiter))
    root.add("MaxKeys", str(limit))
    if encoding:
        root.add("EncodingType", encoding)
    root.add("KeyCount", str(len(result.objects) + len(result.common_prefixes)))
    if token is not None:
        root.add("ContinuationToken", token)
    if result.is_truncated and result.next_marker:
        root.add("NextContinuationToken", encode_token(result.next_marker))
    if start_after:
        root.add("StartAfter", enc(start_after))
    root.add("IsTruncated", "true" if result.is_truncated else "false")
    for info in result.objects:
        _contents(req, root, info, enc, fetch_owner)
    add_common_prefixes(root, result.common_prefixes, enc)
    return Response(xml=root)


async def _list(req: Request, prefix: str, delimiter: str, after: str, limit: int):
    if limit == 0:
        return ListResult(objects=[], common_prefixes=[], is_truncated=False)
    return await req.storage.list_objects(req.bucket, prefix, delimiter, after, limit)


async def list_object_versions(req: Request) -> Response:
    query = req.query
    enc, encoding = encoder(req)
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    key_marker = query.get("key-marker", "")
    version_marker = query.get("version-id-marker", "")
    if version_marker and not key_marker:
        raise errors.InvalidArgument(
            "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
            ArgumentValue=version_marker,
        )
    limit = max_keys(req)
    root = s3xml.Element("ListVersionsResult", [])
    root.add("Name", req.bucket)
    root.add("Prefix", enc(prefix))
    root.add("KeyMarker", enc(key_marker))
    root.add("VersionIdMarker", version_marker)
    root.add("MaxKeys", str(limit))
    if delimiter:
        root.add("Delimiter", enc(delimiter))
    if encoding:
        root.add("EncodingType", encoding)
    if limit == 0:
        root.add("IsTruncated", "false")
        return Response(xml=root)
    result = await req.storage.list_object_versions(
        req.bucket, prefix, delimiter, key_marker, version_marker, limit
    )
    root.add("IsTruncated", "true" if result.is_truncated else "false")
    if result.is_truncated:
        if result.next_key_marker is not None:
            root.add("NextKeyMarker", enc(result.next_key_marker))
        if result.next_version_id_marker is not None:
            root.add("NextVersionIdMarker", result.next_version_id_marker)
    for info in result.versions:
        el = root.add("DeleteMarker" if info.is_delete_marker else "Version", [])
        el.add("Key", enc(info.key))
        el.add("VersionId", info.version_id or "null")
        el.add("IsLatest", "true" if info.is_latest else "false")
        el.add("LastModified", iso8601(info.last_modified))
        # A delete marker has no data: no ETag, Size or StorageClass.
        if not info.is_delete_marker:
            el.add("ETag", quote_etag(info.etag))
            el.add("Size", str(info.size))
            el.add("StorageClass", info.storage_class)
        _owner(req, el, info.owner_id or req.bucket_record.owner_id)
    add_common_prefixes(root, result.common_prefixes, enc)
    return Response(xml=root)


HANDLERS = {
    Operation.ListObjects: list_objects,
    Operation.ListObjectsV2: list_objects_v2,
    Operation.ListObjectVersions: list_object_versions,
}
