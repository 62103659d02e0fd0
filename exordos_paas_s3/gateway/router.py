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
"""Request -> (Operation, bucket, key): one small parse function per HTTP method.

Precedence is explicit and read top to bottom in each function: a
sub-resource in the query string names the operation first (``?uploads``,
``?acl`` ...), then headers (``x-amz-copy-source``), then the plain verb.
Both addressing styles are resolved here: path-style (``/bucket/key``) and
virtual-hosted-style (``Host: bucket.<base domain>``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from urllib import parse as urlparse

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.operations import Operation as Op

MAX_KEY_BYTES = 1024


@dataclasses.dataclass(slots=True)
class Route:
    operation: Op
    bucket: str = ""
    key: str = ""


# Bucket sub-resources: query parameter -> operation, per method. Checked in
# this order; the first present wins.
_BUCKET_GET: tuple[tuple[str, Op], ...] = (
    ("uploads", Op.ListMultipartUploads),
    ("versions", Op.ListObjectVersions),
    ("location", Op.GetBucketLocation),
    ("versioning", Op.GetBucketVersioning),
    ("acl", Op.GetBucketAcl),
    ("policyStatus", Op.GetBucketPolicyStatus),
    ("policy", Op.GetBucketPolicy),
    ("tagging", Op.GetBucketTagging),
    ("cors", Op.GetBucketCors),
    ("lifecycle", Op.GetBucketLifecycleConfiguration),
    ("encryption", Op.GetBucketEncryption),
    ("object-lock", Op.GetObjectLockConfiguration),
    ("ownershipControls", Op.GetBucketOwnershipControls),
    ("publicAccessBlock", Op.GetPublicAccessBlock),
    ("website", Op.GetBucketWebsite),
    ("logging", Op.GetBucketLogging),
    ("notification", Op.GetBucketNotificationConfiguration),
    ("replication", Op.GetBucketReplication),
    ("requestPayment", Op.GetBucketRequestPayment),
    ("accelerate", Op.GetBucketAccelerateConfiguration),
    ("analytics", Op.GetBucketAnalyticsConfiguration),
    ("metrics", Op.GetBucketMetricsConfiguration),
    ("inventory", Op.GetBucketInventoryConfiguration),
    ("intelligent-tiering", Op.GetBucketIntelligentTieringConfiguration),
)
_BUCKET_PUT: tuple[tuple[str, Op], ...] = (
    ("versioning", Op.PutBucketVersioning),
    ("acl", Op.PutBucketAcl),
    ("policy", Op.PutBucketPolicy),
    ("tagging", Op.PutBucketTagging),
    ("cors", Op.PutBucketCors),
    ("lifecycle", Op.PutBucketLifecycleConfiguration),
    ("encryption", Op.PutBucketEncryption),
    ("object-lock", Op.PutObjectLockConfiguration),
    ("ownershipControls", Op.PutBucketOwnershipControls),
    ("publicAccessBlock", Op.PutPublicAccessBlock),
    ("website", Op.PutBucketWebsite),
    ("logging", Op.PutBucketLogging),
    ("notification", Op.PutBucketNotificationConfiguration),
    ("replication", Op.PutBucketReplication),
    ("requestPayment", Op.PutBucketRequestPayment),
    ("accelerate", Op.PutBucketAccelerateConfiguration),
    ("analytics", Op.PutBucketAnalyticsConfiguration),
    ("metrics", Op.PutBucketMetricsConfiguration),
    ("inventory", Op.PutBucketInventoryConfiguration),
    ("intelligent-tiering", Op.PutBucketIntelligentTieringConfiguration),
)
_BUCKET_DELETE: tuple[tuple[str, Op], ...] = (
    ("policy", Op.DeleteBucketPolicy),
    ("tagging", Op.DeleteBucketTagging),
    ("cors", Op.DeleteBucketCors),
    ("lifecycle", Op.DeleteBucketLifecycle),
    ("encryption", Op.DeleteBucketEncryption),
    ("ownershipControls", Op.DeleteBucketOwnershipControls),
    ("publicAccessBlock", Op.DeletePublicAccessBlock),
    ("website", Op.DeleteBucketWebsite),
    ("replication", Op.DeleteBucketReplication),
    ("analytics", Op.DeleteBucketAnalyticsConfiguration),
    ("metrics", Op.DeleteBucketMetricsConfiguration),
    ("inventory", Op.DeleteBucketInventoryConfiguration),
    ("intelligent-tiering", Op.DeleteBucketIntelligentTieringConfiguration),
)
_OBJECT_GET: tuple[tuple[str, Op], ...] = (
    ("uploadId", Op.ListParts),
    ("acl", Op.GetObjectAcl),
    ("tagging", Op.GetObjectTagging),
    ("attributes", Op.GetObjectAttributes),
    ("retention", Op.GetObjectRetention),
    ("legal-hold", Op.GetObjectLegalHold),
    ("torrent", Op.GetObjectTorrent),
)
_OBJECT_PUT: tuple[tuple[str, Op], ...] = (
    ("acl", Op.PutObjectAcl),
    ("tagging", Op.PutObjectTagging),
    ("retention", Op.PutObjectRetention),
    ("legal-hold", Op.PutObjectLegalHold),
)


def _first(query: Mapping[str, str], table: Sequence[tuple[str, Op]]) -> Op | None:
    for name, op in table:
        if name in query:
            return op
    return None


def parse_get(bucket: str, key: str, query: Mapping[str, str], headers) -> Op:
    if not bucket:
        return Op.ListBuckets
    if not key:
        op = _first(query, _BUCKET_GET)
        if op is not None:
            return op
        if query.get("list-type") == "2":
            return Op.ListObjectsV2
        return Op.ListObjects
    return _first(query, _OBJECT_GET) or Op.GetObject


def parse_head(bucket: str, key: str, query: Mapping[str, str], headers) -> Op:
    if not bucket:
        raise errors.MethodNotAllowed(resource="/")
    return Op.HeadObject if key else Op.HeadBucket


def parse_put(bucket: str, key: str, query: Mapping[str, str], headers) -> Op:
    if not bucket:
        raise errors.MethodNotAllowed(resource="/")
    if not key:
        return _first(query, _BUCKET_PUT) or Op.CreateBucket
    # UploadPart(Copy) before CopyObject: a part copy carries both the
    # upload parameters and x-amz-copy-source.
    if "partNumber" in query and "uploadId" in query:
        if "x-amz-copy-source" in headers:
            return Op.UploadPartCopy
        return Op.UploadPart
    op = _first(query, _OBJECT_PUT)
    if op is not None:
        return op
    if "x-amz-copy-source" in headers:
        return Op.CopyObject
    return Op.PutObject


def parse_post(bucket: str, key: str, query: Mapping[str, str], headers) -> Op:
    if not bucket:
        raise errors.MethodNotAllowed(resource="/")
    if not key:
        if "delete" in query:
            return Op.DeleteObjects
        # Browser form upload (multipart/form-data).
        return Op.PostObject
    if "uploads" in query:
        return Op.CreateMultipartUpload
    if "uploadId" in query:
        return Op.CompleteMultipartUpload
    if "restore" in query:
        return Op.RestoreObject
    if "select" in query:
        return Op.SelectObjectContent
    raise errors.MethodNotAllowed(resource=f"/{bucket}/{key}")


def parse_delete(bucket: str, key: str, query: Mapping[str, str], headers) -> Op:
    if not bucket:
        raise errors.MethodNotAllowed(resource="/")
    if not key:
        return _first(query, _BUCKET_DELETE) or Op.DeleteBucket
    if "uploadId" in query:
        return Op.AbortMultipartUpload
    if "tagging" in query:
        return Op.DeleteObjectTagging
    return Op.DeleteObject


def parse_options(bucket: str, key: str, query: Mapping[str, str], headers) -> Op:
    if not bucket:
        raise errors.MethodNotAllowed(resource="/")
    # A CORS preflight for the bucket or any key in it.
    return Op.OptionsObject


_PARSERS = {
    "GET": parse_get,
    "HEAD": parse_head,
    "PUT": parse_put,
    "POST": parse_post,
    "DELETE": parse_delete,
    "OPTIONS": parse_options,
}


def parse_query(raw: bytes | str) -> dict[str, str]:
    """Query string -> {name: first value}; valueless names map to ""."""
    if not raw:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if len(raw) <= _MEMO_MAX_QUERY:
        # A presigned URL's query (a dozen %-escaped parameters) is the same
        # on every fetch of that URL: parse it once.
        return dict(_parsed_query(raw))
    return dict(_parse_pairs(raw))


_MEMO_MAX_QUERY = 2048


@functools.lru_cache(maxsize=4096)
def _parsed_query(raw: str) -> tuple[tuple[str, str], ...]:
    return _parse_pairs(raw)


def _parse_pairs(raw: str) -> tuple[tuple[str, str], ...]:
    # parse_qsl(keep_blank_values=True) semantics ("+" is a space, %XX is
    # UTF-8 with replacement), but unquoting only the parts that need it.
    out: dict[str, str] = {}
    unquote = urlparse.unquote
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = unquote(name.replace("+", " "))
        if name in out:
            continue
        if "%" in value or "+" in value:
            value = unquote(value.replace("+", " "))
        out[name] = value
    return tuple(out.items())


class Router:
    """Resolves a request to a Route; built once with the virtual-host domains."""

    def __init__(self, virtual_host_domains: Sequence[str] = ()) -> None:
        # Longest first so "s3.eu.example.com" wins over "example.com".
        self._domains = tuple(
            sorted(
                ("." + d.strip(".").lower() for d in virtual_host_domains if d),
                key=len,
                reverse=True,
            )
        )

    def bucket_from_host(self, host: str) -> str:
        """The bucket named by a virtual-hosted-style Host, or ""."""
        if not self._domains or not host:
            return ""
        host = host.lower()
        if host[-1] != "]":  # not an IPv6 literal: strip the port
            host = host.rsplit(":", 1)[0] if ":" in host else host
        for domain in self._domains:
            if host.endswith(domain) and len(host) > len(domain):
                return host[: -len(domain)]
        return ""

    def unconfigured_vhost_bucket(self, host: str) -> str:
        """With no virtual-host domain configured: the first label of a DNS
        Host ("b" of "b.s3.example.com:9000"), the bucket a client using
        virtual-hosted-style addressing would mean; "" for IP literals,
        single-label names, or when domains are configured (then
        ``bucket_from_host`` decides)."""
        if self._domains or not host or host[0] == "[" or host[0].isdigit():
            return ""
        label, dot, rest = host.lower().partition(".")
        if not dot or not rest or rest[0] == ":":
            return ""
        return label

    def resolve(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> Route:
        """``path`` is the percent-decoded request path."""
        parser = _PARSERS.get(method)
        if parser is None:
            raise errors.MethodNotAllowed(resource=path, Method=method)
        bucket = self.bucket_from_host(headers.get("host", ""))
        if bucket:
            key = path[1:] if path.startswith("/") else path
        else:
            bucket, _, key = path.lstrip("/").partition("/")
            if not bucket:
                # A path like "//x" is not a bucket name we can serve.
                key = ""
        if key and len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise errors.KeyTooLongError(
                resource=path,
                Size=str(len(key.encode("utf-8", "surrogatepass"))),
                MaxSizeAllowed=str(MAX_KEY_BYTES),
            )
        return Route(parser(bucket, key, query, headers), bucket, key)
