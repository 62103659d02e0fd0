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
"""The S3 upstream blob store (``--blob-store s3``): blobs as objects of one
upstream bucket, through a small async S3 client of our own
(docs/decisions/0011-upstream-client.md).

HTTP/1.1 keep-alive connections on the server's loop, at most
``max_connections`` at once; requests signed with the gateway's own SigV4
primitives (``auth/sigv4``), ``UNSIGNED-PAYLOAD`` and a ``Content-MD5`` on
every upload. Uploads are buffered per part (one PUT up to
``multipart_threshold``, else a multipart upload of ``part_size`` parts), so
every request can be retried: connection errors, timeouts and 500/502/503/
504 are retried with jittered exponential backoff; when retries run out the
caller gets ``503 SlowDown`` with Retry-After, never a 500.

The index that names these blobs is ``storage/upstream.UpstreamStorage``
(``--blob-store s3 --index sqlite``, built by ``layout.build``).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime
import email.utils
import hashlib
import logging
import random
import ssl
import sys
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar
from urllib import parse as urlparse
from xml.etree import ElementTree as ET

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import sigv4
from exordos_paas_s3.gateway.storage import blobs
from exordos_paas_s3.gateway.storage.base import ByteStream
from exordos_paas_s3.gateway.storage.layout import Upstream

LOG = logging.getLogger(__name__)

MIB = 1 << 20
UNSIGNED = "UNSIGNED-PAYLOAD"
RETRY_STATUS = frozenset((500, 502, 503, 504))
SMALL_BODY = 64 * 1024  # sent with its request head in one write
T = TypeVar("T")


if sys.version_info >= (3, 11):

    async def _within(aw: Awaitable[T], timeout: float) -> T:
        """``asyncio.wait_for`` without its task per call: a timer on the
        current task (a small GET makes six bounded reads; the tasks were a
        tenth of its CPU)."""
        async with asyncio.timeout(timeout):
            return await aw

else:  # pragma: no cover - Python 3.10
    _within = asyncio.wait_for


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


class _Retryable(Exception):
    """A failure worth another attempt (connection, timeout, 5xx)."""


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


# An idle keep-alive connection older than this is not reused: servers close
# idle connections (RGW's beast after some seconds of silence), and a request
# written into a closed one fails only when its answer is awaited.
IDLE_MAX = 10.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0
        self.reused = False

    def close(self) -> None:
        try:
            self.writer.close()
        except RuntimeError:  # the loop is already closed
            pass


class _BodyStream:
    """A streamed answer body that gives its connection and pool slot back
    however it ends: read to the end (the connection is reused), failed,
    closed with ``aclose``, or dropped unread (a conditional GET answered
    304, a client gone): ``__del__`` then closes the connection. A plain
    async generator would keep both forever when it is never started."""

    def __init__(
        self, client: S3Client, conn: _Connection, headers: dict[str, str]
    ) -> None:
        self._client = client
        self._conn = conn
        self._headers = headers
        self._chunks = client._body_chunks(conn, headers)
        self._released = False

    def __aiter__(self) -> _BodyStream:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            self._release(reusable=True)
            raise
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            self._release(reusable=False)
            raise errors.InternalError(
                "The storage upstream broke off a read."
            ) from None
        except BaseException:
            self._release(reusable=False)
            raise

    async def aclose(self) -> None:
        self._release(reusable=False)

    def _release(self, reusable: bool) -> None:
        if self._released:
            return
        self._released = True
        if reusable:
            self._client._release(self._conn, self._headers)
        else:
            self._conn.close()
        self._client._slots.release()

    def __del__(self) -> None:
        self._release(reusable=False)


class S3Client:
    """The few S3 requests a blob store makes, path-style, on one bucket."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        max_connections: int = 16,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        attempts: int = 5,
        backoff: float = 0.1,
    ) -> None:
        self.upstream = upstream
        url = urlparse.urlsplit(upstream.endpoint)
        self._tls = url.scheme == "https"
        self._hostname = url.hostname or ""
        self._port = url.port or (443 if self._tls else 80)
        default_port = (self._tls and self._port == 443) or (
            not self._tls and self._port == 80
        )
        self._host = (
            self._hostname if default_port else f"{self._hostname}:{self._port}"
        )
        self._base = url.path.rstrip("/")
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._attempts = attempts
        self._backoff = backoff
        self._keys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"<S3Client {self.upstream.endpoint} bucket={self.upstream.bucket}>"

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    # --- signing -----------------------------------------------------------

    def _signed_head(
        self, method: str, path: str, query: str, extra: dict[str, str]
    ) -> bytes:
        amz_date = sigv4.format_amz_date(time.time())
        day = amz_date[:8]
        key = self._keys.get(day)
        if key is None:
            key = sigv4.derive_signing_key(
                self.upstream.secret_key, day, self.upstream.region, "s3"
            )
            self._keys = {day: key}
        headers = {
            "host": self._host,
            "x-amz-content-sha256": UNSIGNED,
            "x-amz-date": amz_date,
            **extra,
        }
        names = sorted(headers)
        scope = f"{day}/{self.upstream.region}/s3/aws4_request"
        canonical = sigv4.canonical_request(
            method, path, sigv4.canonical_query(query), headers, names, UNSIGNED
        )
        signature = sigv4.sign(key, sigv4.string_to_sign(amz_date, scope, canonical))
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.upstream.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        target = path + ("?" + query if query else "")
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    # --- connections ---------------------------------------------------------

    async def _connect(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if now - conn.idle_since < IDLE_MAX:
                conn.reused = True
                return conn
            conn.close()
        ctx = ssl.create_default_context() if self._tls else None
        try:
            reader, writer = await _within(
                asyncio.open_connection(
                    self._hostname,
                    self._port,
                    ssl=ctx,
                    server_hostname=self._hostname if ctx else None,
                    limit=MIB,
                ),
                self._connect_timeout,
            )
        except (OSError, asyncio.TimeoutError) as exc:
            raise _Retryable(f"connect: {exc!r}") from None
        return _Connection(reader, writer)

    async def _read_head(self, conn: _Connection) -> tuple[int, dict[str, str]]:
        raw = await _within(conn.reader.readuntil(b"\r\n\r\n"), self._read_timeout)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return status, headers

    async def _body_chunks(
        self, conn: _Connection, headers: dict[str, str]
    ) -> AsyncIterator[bytes]:
        read = conn.reader
        timeout = self._read_timeout
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = await _within(read.readuntil(b"\r\n"), timeout)
                size = int(size_line.split(b";", 1)[0], 16)
                if size == 0:
                    # Trailers (none expected), then the final CRLF.
                    while await _within(read.readuntil(b"\r\n"), timeout) != (b"\r\n"):
                        pass
                    return
                yield await _within(read.readexactly(size), timeout)
                await _within(read.readexactly(2), timeout)
        left = int(headers.get("content-length", "0"))
        while left:
            chunk = await _within(read.read(min(left, MIB)), timeout)
            if not chunk:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(chunk)
            yield chunk

    def _release(self, conn: _Connection, headers: dict[str, str]) -> None:
        if headers.get("connection", "").lower() == "close":
            conn.close()
        else:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)

    def _broken(self, conn: _Connection) -> None:
        conn.close()
        if conn.reused:
            # A kept-alive connection the server had closed: the others of
            # the same age are likely closed too; the retry opens a new one.
            while self._idle:
                self._idle.pop().close()

    # --- requests ------------------------------------------------------------

    def _path(self, key: str) -> str:
        return f"{self._base}/{self.upstream.bucket}/{urlparse.quote(key, safe='/')}"

    async def _once(
        self,
        method: str,
        key: str,
        query: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> Response:
        extra = dict(headers)
        if body is not None:
            extra["content-length"] = str(len(body))
        head = self._signed_head(method, self._path(key), query, extra)
        async with self._slots:
            conn = await self._connect()
            try:
                if body and len(body) <= SMALL_BODY:
                    # One send, one segment: a small body costs no second
                    # syscall (and no wakeup of the upstream in between).
                    conn.writer.write(head + body)
                else:
                    conn.writer.write(head)
                    if body:
                        conn.writer.write(body)
                await _within(conn.writer.drain(), self._read_timeout)
                status, got = await self._read_head(conn)
                data = b"".join(
                    [c async for c in self._body_chunks(conn, got)]
                    if method != "HEAD"
                    else []
                )
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                self._broken(conn)
                raise _Retryable(f"{method}: {exc!r}") from None
            except BaseException:
                conn.close()
                raise
            self._release(conn, got)
        if status in RETRY_STATUS:
            raise _Retryable(f"{method}: HTTP {status}")
        return Response(status, got, data)

    async def request(
        self,
        method: str,
        key: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """One request, retried while it fails in a retryable way; the body
        is read whole (blob store answers are small or bounded by a part)."""
        headers = dict(headers or {})
        if body is not None:
            # Once for all attempts; a part's MD5 (16 MiB: ~25 ms) in a
            # worker thread, so the loop keeps serving meanwhile.
            if len(body) > SMALL_BODY:
                digest = await asyncio.get_running_loop().run_in_executor(
                    None, _md5, body
                )
            else:
                digest = _md5(body)
            headers["content-md5"] = base64.b64encode(digest).decode()
        delay = self._backoff
        for attempt in range(self._attempts):
            try:
                return await self._once(method, key, query, headers, body)
            except _Retryable as exc:
                if attempt + 1 == self._attempts:
                    LOG.warning("upstream %s %s failed: %s", method, key, exc)
                    break
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay *= 2
        raise errors.SlowDown(
            "The storage upstream is not answering; retry.",
            headers={"retry-after": "1"},
        )

    async def stream(
        self, key: str, headers: dict[str, str]
    ) -> tuple[Response, ByteStream]:
        """A GET whose body is streamed; the answer's head is retried like
        any request, the body is not (the caller sees a broken stream)."""
        delay = self._backoff
        for attempt in range(self._attempts):
            try:
                return await self._open_stream(key, headers)
            except _Retryable as exc:
                if attempt + 1 == self._attempts:
                    LOG.warning("upstream GET %s failed: %s", key, exc)
                    break
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay *= 2
        raise errors.SlowDown(
            "The storage upstream is not answering; retry.",
            headers={"retry-after": "1"},
        )

    async def _open_stream(
        self, key: str, headers: dict[str, str]
    ) -> tuple[Response, ByteStream]:
        head = self._signed_head("GET", self._path(key), "", headers)
        await self._slots.acquire()
        try:
            conn = await self._connect()
        except BaseException:
            self._slots.release()
            raise
        try:
            conn.writer.write(head)
            await _within(conn.writer.drain(), self._read_timeout)
            status, got = await self._read_head(conn)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            self._broken(conn)
            self._slots.release()
            raise _Retryable(f"GET: {exc!r}") from None
        except BaseException:
            conn.close()
            self._slots.release()
            raise
        if status != 200 and status != 206:
            try:
                data = b"".join([c async for c in self._body_chunks(conn, got)])
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                conn.close()
                data = b""
            else:
                self._release(conn, got)
            finally:
                self._slots.release()
            if status in RETRY_STATUS:
                raise _Retryable(f"GET: HTTP {status}")
            return Response(status, got, data), _empty()

        return Response(status, got), _BodyStream(self, conn, got)


def _timestamp(text: str) -> float:
    """An S3 listing's time (ISO 8601, e.g. 2026-12-08T01:02:03.000Z)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _server_now(resp: Response) -> float:
    """The upstream's clock at its answer (the Date header), else ours: ages
    are measured on one clock, so a skewed gateway cannot shorten a grace."""
    date = resp.headers.get("date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


async def _empty() -> ByteStream:
    return
    yield b""  # pragma: no cover - makes this an async generator


def _check(resp: Response, what: str, ok: tuple[int, ...] = (200,)) -> None:
    if resp.status not in ok:
        code = ""
        try:
            code = ET.fromstring(resp.body).findtext("Code") or ""
        except ET.ParseError:
            pass
        LOG.error("upstream %s: HTTP %s %s", what, resp.status, code)
        raise errors.InternalError(f"The storage upstream refused {what}.")


class S3BlobStore(blobs.BlobStore):
    """Blobs as objects of one upstream bucket, named by their ids."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        multipart_threshold: int = 16 * MIB,
        part_size: int = 16 * MIB,
        **client_options: float,
    ) -> None:
        if part_size < 5 * MIB or multipart_threshold < part_size:
            raise ValueError("part_size >= 5 MiB and multipart_threshold >= part_size")
        self.client = S3Client(upstream, **client_options)  # type: ignore[arg-type]
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size

    def __repr__(self) -> str:
        return f"<S3BlobStore {self.client!r}>"

    async def start(self) -> None:
        # The bucket must exist and answer: refuse to start otherwise.
        resp = await self.client.request("HEAD", "")
        if resp.status != 200:
            raise errors.InternalError(
                f"The upstream bucket {self.client.upstream.bucket} does not "
                f"answer (HTTP {resp.status})."
            )

    async def readiness(self) -> None:
        resp = await self.client.request("HEAD", "")
        if resp.status != 200:
            raise RuntimeError(
                f"the upstream bucket {self.client.upstream.bucket} answers "
                f"HTTP {resp.status}"
            )

    async def close(self) -> None:
        await self.client.close()

    async def put(self, blob_id: str, body: ByteStream, size: int | None = None) -> int:
        buffer = bytearray()
        total = 0
        upload_id: str | None = None
        etags: list[str] = []
        try:
            async for chunk in body:
                buffer += chunk
                total += len(chunk)
                if upload_id is None and len(buffer) <= self.multipart_threshold:
                    continue
                if upload_id is None:
                    upload_id = await self._initiate(blob_id)
                while len(buffer) >= self.part_size:
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    etags.append(
                        await self._upload_part(
                            blob_id, upload_id, len(etags) + 1, part
                        )
                    )
            if upload_id is None:
                resp = await self.client.request("PUT", blob_id, body=bytes(buffer))
                _check(resp, "a blob upload")
                return total
            if buffer or not etags:
                etags.append(
                    await self._upload_part(
                        blob_id, upload_id, len(etags) + 1, bytes(buffer)
                    )
                )
            await self._complete(blob_id, upload_id, etags)
            return total
        except BaseException:
            if upload_id is not None:
                await self._abort(blob_id, upload_id)
            raise

    async def _initiate(self, blob_id: str) -> str:
        resp = await self.client.request("POST", blob_id, "uploads=")
        _check(resp, "a multipart upload")
        upload_id = ET.fromstring(resp.body).findtext("{*}UploadId")
        if not upload_id:
            raise errors.InternalError("The storage upstream sent no UploadId.")
        return upload_id

    async def _upload_part(
        self, blob_id: str, upload_id: str, number: int, data: bytes
    ) -> str:
        query = f"partNumber={number}&uploadId={urlparse.quote(upload_id, safe='')}"
        resp = await self.client.request("PUT", blob_id, query, body=data)
        _check(resp, "a blob part")
        return resp.headers.get("etag", "")

    async def _complete(self, blob_id: str, upload_id: str, etags: list[str]) -> None:
        parts = "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            for n, etag in enumerate(etags, 1)
        )
        doc = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
        query = f"uploadId={urlparse.quote(upload_id, safe='')}"
        resp = await self.client.request("POST", blob_id, query, body=doc)
        _check(resp, "a multipart completion")
        # S3 may answer 200 with an error document after a long assembly.
        if b"<Error>" in resp.body:
            _check(Response(500, resp.headers, resp.body), "a multipart completion")

    async def _abort(self, blob_id: str, upload_id: str) -> None:
        query = f"uploadId={urlparse.quote(upload_id, safe='')}"
        try:
            await self.client.request("DELETE", blob_id, query)
        except Exception as exc:  # noqa: BLE001 - best effort; GC finds it
            LOG.warning("upstream abort of %s failed: %s", blob_id, exc)

    async def open(
        self, blob_id: str, start: int = 0, length: int | None = None
    ) -> ByteStream:
        headers = {}
        if start or length is not None:
            if length == 0:
                return _empty()
            end = "" if length is None else str(start + length - 1)
            headers["range"] = f"bytes={start}-{end}"
        resp, body = await self.client.stream(blob_id, headers)
        if resp.status == 416 and length is None:
            return _empty()  # from the very end of the blob: nothing to read
        if resp.status == 404:
            LOG.error("upstream: blob %s is missing", blob_id)
            raise blobs.BlobMissing("A stored object's data is missing upstream.")
        _check(resp, "a blob read", (200, 206))
        return body

    async def delete(self, blob_id: str) -> None:
        resp = await self.client.request("DELETE", blob_id)
        _check(resp, "a blob deletion", (200, 204, 404))

    async def list_blobs(self) -> AsyncIterator[list[blobs.Listed]]:
        token = ""
        while True:
            query = "list-type=2&max-keys=1000"
            if token:
                query += "&continuation-token=" + urlparse.quote(token, safe="")
            resp = await self.client.request("GET", "", query)
            _check(resp, "a blob listing")
            now = _server_now(resp)
            doc = ET.fromstring(resp.body)
            page = [
                blobs.Listed(
                    blob_id=item.findtext("{*}Key") or "",
                    size=int(item.findtext("{*}Size") or 0),
                    age=now - _timestamp(item.findtext("{*}LastModified") or ""),
                )
                for item in doc.iterfind("{*}Contents")
            ]
            yield page
            token = doc.findtext("{*}NextContinuationToken") or ""
            if doc.findtext("{*}IsTruncated") != "true" or not token:
                return

    async def list_unfinished(self) -> list[blobs.Unfinished]:
        found: list[blobs.Unfinished] = []
        key_marker = upload_marker = ""
        while True:
            query = "uploads="
            if key_marker:
                query += "&key-marker=" + urlparse.quote(key_marker, safe="")
                query += "&upload-id-marker=" + urlparse.quote(upload_marker, safe="")
            resp = await self.client.request("GET", "", query)
            _check(resp, "an upload listing")
            now = _server_now(resp)
            doc = ET.fromstring(resp.body)
            for item in doc.iterfind("{*}Upload"):
                found.append(
                    blobs.Unfinished(
                        blob_id=item.findtext("{*}Key") or "",
                        upload_id=item.findtext("{*}UploadId") or "",
                        age=now - _timestamp(item.findtext("{*}Initiated") or ""),
                    )
                )
            key_marker = doc.findtext("{*}NextKeyMarker") or ""
            upload_marker = doc.findtext("{*}NextUploadIdMarker") or ""
            if doc.findtext("{*}IsTruncated") != "true" or not key_marker:
                return found

    async def abort_unfinished(self, item: blobs.Unfinished) -> None:
        query = f"uploadId={urlparse.quote(item.upload_id, safe='')}"
        resp = await self.client.request("DELETE", item.blob_id, query)
        _check(resp, "an upload abort", (200, 204, 404))
