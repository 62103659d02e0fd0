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
import re
from collections.abc import Callable, Iterable
from urllib import parse as urlparse

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response, iso8601
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


# What urllib's quote(s, safe="/") leaves as it is.
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")


def url_encode(s: str) -> str:
    """``urllib.parse.quote(s, safe="/")``; most keys need no quoting, and
    the check is a fraction of quote's encode/strip/decode round."""
    if _URL_SAFE.fullmatch(s):
        return s
    return urlparse.quote(s, safe="/")


def _same(s: str) -> str:
    return s


def encoder(req: Request) -> tuple[Callable[[str], str], str | None]:
    """(encode function, EncodingType) from ``encoding-type``."""
    value = req.query.get("encoding-type")
    if value is None:
        return _same, None
    if value.lower() != "url":
        raise errors.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=value,
        )
    return url_encode, "url"


def principal(req: Request, parent: s3xml.Element, tag: str, owner_id: str) -> None:
    """An Owner / Initiator element: the canonical id and its display name."""
    el = parent.add(tag, [])
    el.add("ID", owner_id)
    el.add("DisplayName", req.display_name_of(owner_id))


def add_common_prefixes(
    root: s3xml.Element, prefixes: list[str], enc: Callable[[str], str]
) -> None:
    if prefixes:
        escape = s3xml.escape
        root.append(
            s3xml.Markup(
                "".join(
                    f"<CommonPrefixes><Prefix>{escape(enc(p))}</Prefix></CommonPrefixes>"
                    for p in prefixes
                )
            )
        )


# "000Z" .. "999Z": 0 <= ts - int(ts) < 1 is exact, and x * 1000 of the
# largest double below 1 still rounds to less than 1000.
_MILLIS = ["%03dZ" % ms for ms in range(1000)]


class EntryWriter:
    """Renders a listing's entries (Contents, Version, DeleteMarker) straight
    to markup: an Element per field costs about 10 us per key. The entries of
    one listing share dates to the second, owners and storage classes, so
    those are formatted once per listing."""

    def __init__(
        self,
        display_name_of: Callable[[str], str],
        default_owner: Callable[[], str],
        url: bool,
    ) -> None:
        self._display_name_of = display_name_of
        # The bucket owner stands for entries without one; asked only then.
        self._default_owner = default_owner
        # A url-encoded key holds only URL-safe characters and %XX: nothing
        # for XML to escape.
        self._key = url_encode if url else s3xml.escape
        self._seconds: dict[int, str] = {}
        self._owners: dict[str, str] = {}
        self._texts: dict[str, str] = {}

    def date(self, ts: float) -> str:
        """``iso8601(ts)``, formatting each second once."""
        if ts < 0:  # gmtime floors, int() truncates: no shared second
            return iso8601(ts)
        sec = int(ts)
        head = self._seconds.get(sec)
        if head is None:
            head = self._seconds[sec] = iso8601(sec)[:-4]  # "...:SS."
        return head + _MILLIS[int((ts - sec) * 1000)]

    def text(self, value: str) -> str:
        """Escaped text of a value many entries repeat (storage class ...)."""
        out = self._texts.get(value)
        if out is None:
            out = self._texts[value] = s3xml.escape(value)
        return out

    def owner(self, owner_id: str) -> str:
        owner_id = owner_id or self._default_owner()
        out = self._owners.get(owner_id)
        if out is None:
            escape = s3xml.escape
            out = self._owners[owner_id] = (
                f"<Owner><ID>{escape(owner_id)}</ID><DisplayName>"
                f"{escape(self._display_name_of(owner_id))}</DisplayName></Owner>"
            )
        return out

    def contents(self, infos: Iterable[ObjectInfo], with_owner: bool) -> str:
        key, date, text, owner = self._key, self.date, self.text, self.owner
        escape = s3xml.escape
        parts = []
        for info in infos:
            checksums = ""
            if info.checksums:
                checksums = "".join(
                    f"<ChecksumAlgorithm>{text(alg)}</ChecksumAlgorithm>"
                    for alg in info.checksums
                    if alg != "type"
                )
            parts.append(
                f"<Contents><Key>{key(info.key)}</Key>"
                f"<LastModified>{date(info.last_modified)}</LastModified>"
                f"<ETag>&quot;{escape(info.etag)}&quot;</ETag>{checksums}"
                f"<Size>{info.size}</Size>"
                f"<StorageClass>{text(info.storage_class)}</StorageClass>"
                f"{owner(info.owner_id) if with_owner else ''}</Contents>"
            )
        return "".join(parts)

    def versions(self, infos: Iterable[ObjectInfo]) -> str:
        key, date, text, owner = self._key, self.date, self.text, self.owner
        escape = s3xml.escape
        parts = []
        for info in infos:
            head = (
                f"<Key>{key(info.key)}</Key>"
                f"<VersionId>{escape(info.version_id or 'null')}</VersionId>"
                f"<IsLatest>{'true' if info.is_latest else 'false'}</IsLatest>"
                f"<LastModified>{date(info.last_modified)}</LastModified>"
            )
            # A delete marker has no data: no ETag, Size or StorageClass.
            if info.is_delete_marker:
                parts.append(
                    f"<DeleteMarker>{head}{owner(info.owner_id)}</DeleteMarker>"
                )
            else:
                parts.append(
                    f"<Version>{head}<ETag>&quot;{escape(info.etag)}&quot;</ETag>"
                    f"<Size>{info.size}</Size>"
                    f"<StorageClass>{text(info.storage_class)}</StorageClass>"
                    f"{owner(info.owner_id)}</Version>"
                )
        return "".join(parts)


def entry_writer(req: Request, encoding: str | None) -> EntryWriter:
    return EntryWriter(
        req.display_name_of,
        lambda: req.bucket_record.owner_id,
        encoding is not None,
    )


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
    if result.objects:
        writer = entry_writer(req, encoding)
        root.append(s3xml.Markup(writer.contents(result.objects, True)))
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
    if result.objects:
        writer = entry_writer(req, encoding)
        root.append(s3xml.Markup(writer.contents(result.objects, fetch_owner)))
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
    if result.versions:
        writer = entry_writer(req, encoding)
        root.append(s3xml.Markup(writer.versions(result.versions)))
    add_common_prefixes(root, result.common_prefixes, enc)
    return Response(xml=root)


HANDLERS = {
    Operation.ListObjects: list_objects,
    Operation.ListObjectsV2: list_objects_v2,
    Operation.ListObjectVersions: list_object_versions,
}
