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
"""What a handler receives (``Request``) and what it returns (``Response``).

Handlers never touch ASGI: they read the request fields, the body iterator
and the shared ``Services`` (storage, settings, the authorize function), and
return a ``Response`` holding data: an XML element tree, small bytes or an
opened object. ``server.py`` renders it.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import time
from collections.abc import AsyncIterator, Callable
from email import utils as email_utils
from typing import TYPE_CHECKING, Any

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.storage import base as storage_base
from exordos_paas_s3.gateway.xml import Element

if TYPE_CHECKING:
    from exordos_paas_s3.gateway.auth.identities import IdentityStore, Principal
    from exordos_paas_s3.gateway.auth.sessions import Sessions

MAX_SINGLE_PUT = 5 * 1024**3


@dataclasses.dataclass
class Settings:
    region: str = "us-east-1"
    max_single_put: int = MAX_SINGLE_PUT
    # Request documents (DeleteObjects with 1,000 keys of 1 KiB, Complete
    # with 10,000 parts) stay below this.
    max_xml_body: int = 4 * 1024 * 1024
    # S3 Tables: vended credentials (--tables-vending) and their lifetimes,
    # already clamped (sessions.clamp_ttl).
    tables_vending: bool = False
    tables_vending_ttl: int = 900
    tables_token_ttl: int = 3600


# authorize(operation, principal, bucket info, request, *, key=None,
# version_id=None) raises AccessDenied; it may be a coroutine function
# (gateway.authorization.Authorizer is one).
Authorize = Callable[..., Any]


@dataclasses.dataclass
class Services:
    """The object graph handlers use; built once in cmd/ and passed in."""

    storage: storage_base.Storage
    settings: Settings
    authorize: Authorize
    identities: IdentityStore | None = None
    # Temporary credentials (auth/sessions.py); None: none are issued.
    sessions: Sessions | None = None


class Request:
    """One S3 request as the pipeline sees it."""

    __slots__ = (
        "services",
        "method",
        "raw_path",
        "path",
        "query_string",
        "query",
        "headers",
        "body",
        "request_id",
        "operation",
        "bucket",
        "key",
        "bucket_info",
        "auth",
        "principal",
        "chunked",
        "scope",
    )

    def __init__(
        self,
        services: Services,
        method: str,
        raw_path: str,
        path: str,
        query_string: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: AsyncIterator[bytes],
        request_id: str,
        scope: dict | None = None,
    ) -> None:
        self.services = services
        self.method = method
        self.raw_path = raw_path
        self.path = path
        self.query_string = query_string
        self.query = query
        self.headers = headers
        self.body = body
        self.request_id = request_id
        self.scope = scope
        self.operation: Operation | None = None
        self.bucket = ""
        self.key = ""
        self.bucket_info: storage_base.BucketInfo | None = None
        self.auth: Any = None
        self.principal: Principal | None = None
        # The AwsChunkedBody when the payload is STREAMING-*, for trailers.
        self.chunked: Any = None

    @property
    def storage(self) -> storage_base.Storage:
        return self.services.storage

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def bucket_record(self) -> storage_base.BucketInfo:
        """The bucket of a bucket- or object-scoped operation.

        The pipeline loads it before authorizing, so by the time a handler
        runs it is there; the check keeps that promise visible to the reader
        and to the type checker.
        """
        if self.bucket_info is None:
            raise errors.NoSuchBucket(BucketName=self.bucket or "")
        return self.bucket_info

    @property
    def resource(self) -> str:
        if self.operation is None:
            # Not routed yet (the router refused the request): the raw path.
            return self.path or "/"
        if self.key:
            return f"/{self.bucket}/{self.key}"
        return f"/{self.bucket}" if self.bucket else "/"

    async def authorize(
        self,
        operation: Operation,
        bucket: storage_base.BucketInfo | None,
        *,
        key: str | None = None,
        version_id: str | None = None,
    ) -> None:
        """Authorize a further operation on another object: CopyObject's read
        of its source, each key of DeleteObjects."""
        decision = self.services.authorize(
            operation, self.principal, bucket, self, key=key, version_id=version_id
        )
        if decision is not None:
            await decision

    @property
    def canonical_id(self) -> str:
        return self.principal.canonical_id if self.principal else ""

    def display_name_of(self, canonical_id: str) -> str:
        p = self.principal
        if p is not None and p.canonical_id == canonical_id:
            return p.display_name
        ids = self.services.identities
        if ids is not None:
            other = ids.principal_by_canonical_id(canonical_id)
            if other is not None:
                return other.display_name
        return canonical_id

    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        try:
            n = int(value)
        except ValueError:
            raise errors.InvalidArgument(
                "Content-Length is not a number.",
                ArgumentName="Content-Length",
                ArgumentValue=value,
            ) from None
        if n < 0:
            raise errors.InvalidArgument(
                "Content-Length is negative.",
                ArgumentName="Content-Length",
                ArgumentValue=value,
            )
        return n


@dataclasses.dataclass(slots=True)
class Response:
    """Data for the renderer: status, headers and one kind of body."""

    status: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    xml: Element | None = None
    body: bytes = b""
    reader: storage_base.ObjectReader | None = None
    # For HEAD: the Content-Length the GET would have had.
    head_length: int | None = None


# --- formats -------------------------------------------------------------


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def http_date(ts: float) -> str:
    # email.utils.formatdate(ts, usegmt=True), at a quarter of its cost
    # (it goes through datetime): every GET and HEAD formats one, mostly of
    # the same few objects' Last-Modified, hence the memo by whole second.
    return _http_date(int(ts))


@functools.lru_cache(maxsize=4096)
def _http_date(ts: int) -> str:
    t = time.gmtime(ts)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec,
    )  # fmt: skip


def iso8601(ts: float) -> str:
    # AWS listings use millisecond precision with a "Z" suffix.
    t = time.gmtime(ts)
    ms = int((ts - int(ts)) * 1000)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[:6] + (ms,))


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch, or None for a date we cannot read (ignored,
    as AWS ignores unparseable conditional dates)."""
    try:
        dt = email_utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=datetime.timezone.utc).timestamp()
    return dt.timestamp()


def quote_etag(etag: str) -> str:
    return f'"{etag}"'
