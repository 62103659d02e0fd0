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
"""The S3 ASGI application: resolve -> authenticate -> authorize -> handle -> render.

A pure ASGI app, no web framework. ``S3App.__call__`` reads top to bottom:
the router names the operation, SigV4 names the principal, ``authorize``
decides from the operation before any handler runs, the handler returns a
``Response`` of data, and ``_render`` is the one place that turns data and
errors into status, headers and bytes.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import os
import time
import typing
from collections.abc import AsyncIterator
from urllib import parse as urlparse

import orjson

from exordos_paas_s3.gateway import access_log as access_log_mod
from exordos_paas_s3.gateway import errors, readiness
from exordos_paas_s3.gateway import metrics as metrics_mod
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.auth import chunked as auth_chunked
from exordos_paas_s3.gateway.auth import sigv4
from exordos_paas_s3.gateway.handlers import HANDLERS, cors
from exordos_paas_s3.gateway.operations import Operation, Scope
from exordos_paas_s3.gateway.request import Request, Response, Services
from exordos_paas_s3.gateway.router import Router, parse_query
from exordos_paas_s3.gateway.storage import disk

LOG = logging.getLogger(__name__)
_perf_counter = time.perf_counter

STREAM_CHUNK = 1024 * 1024
# File-backed bodies from this size go out with sendfile when the server
# offers it: below it, the two thread hops (open, send) cost more than the
# copy they save.
ZEROCOPY_MIN = 1024 * 1024
# Bodies up to this size are read whole before the response starts.
SMALL_BODY = 64 * 1024

_XML_TYPE = b"application/xml"

# ``curl http://<node>:9000/health`` (the seed's troubleshooting line). On S3
# the same path is ListObjects of a bucket named "health", so only a request
# that cannot be one of a tenant's is answered here: GET or HEAD, path-style,
# no query string, no credentials. Anything signed, presigned or
# virtual-hosted keeps its S3 meaning (docs/operations.md, "Health").
HEALTH_PATH = "/health"
_HEALTH_BODY = b'{"status":"ok"}'
_JSON_TYPE = b"application/json"
# Methods that change state: virtual-hosted-style requests misread as
# path-style are refused for these (S3App._refuse_unconfigured_vhost).
_WRITE_METHODS = frozenset(("PUT", "POST", "DELETE"))

# The Iceberg REST catalog (gateway/tables/rest.py) under both its names.
# "_iceberg" can never be a bucket; "/iceberg/v1/..." path-style would be
# keys "v1/..." of a bucket named "iceberg": those stay reachable
# virtual-hosted (and the catalog is path-style only), as for "/health".
TABLES_PATHS = ("/iceberg/v1/", "/_iceberg/v1/")


class ClientDisconnected(Exception):
    """The client went away while we were reading its body."""


class _Body:
    """The request body as an async iterator of ASGI ``http.request`` chunks.

    ``done`` tells the renderer whether the body was read to its end: when it
    was not (an early error), the connection is closed after the response,
    because a client that sent ``Expect: 100-continue`` may still send the
    body, which would otherwise be parsed as the next request.
    """

    __slots__ = ("_receive", "done", "received")

    def __init__(self, receive) -> None:
        self._receive = receive
        self.done = False
        self.received = 0  # bytes, for the access log and metrics

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        receive = self._receive
        while not self.done:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            if not message.get("more_body", False):
                self.done = True
            chunk = message.get("body", b"")
            if chunk:
                self.received += len(chunk)
                yield chunk


def _has_body(scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value != b"0"
        if name == b"transfer-encoding":
            return True
    return False


def _headers_of(scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if not value.isascii():
            # Clients send (and sign) non-ASCII values as UTF-8.
            try:
                value = raw_value.decode("utf-8")
            except UnicodeDecodeError:
                pass
        if name in headers:
            headers[name] = headers[name] + "," + value
        else:
            headers[name] = value
    return headers


def _decoded_length(headers: dict[str, str]) -> int | None:
    value = headers.get("x-amz-decoded-content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.InvalidArgument(
            "x-amz-decoded-content-length is not a number.",
            ArgumentName="x-amz-decoded-content-length",
            ArgumentValue=value,
        ) from None


class S3App:
    """The S3 listener's ASGI application."""

    def __init__(
        self,
        services: Services,
        authenticator: sigv4.Authenticator,
        router: Router,
        *,
        access_log: access_log_mod.AccessLog | None = None,
        metrics: metrics_mod.Metrics | None = None,
    ) -> None:
        self.services = services
        self.authenticator = authenticator
        self.router = router
        self.access_log = access_log
        self.metrics = metrics
        # x-amz-id-2 names the serving host; fixed per process.
        self._host_id = base64.b64encode(os.urandom(24)).decode()
        self._host_id_b = self._host_id.encode()
        # Request ids: a random per-process prefix and a counter. They must
        # be unique, not secret, and os.urandom is a syscall per request.
        self._id_prefix = os.urandom(4).hex().upper()
        self._ids = itertools.count()
        # The Iceberg catalog (gateway/tables), built on its first request so
        # that a gateway serving no catalog never imports it.
        self._tables: typing.Any = None

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        request_id = "%s%08X" % (self._id_prefix, next(self._ids) & 0xFFFFFFFF)
        path = scope["path"]
        # One string compare per request; the rest only for "/health".
        if path == HEALTH_PATH and self._health_probe(scope):
            await self._send_health(scope, send, request_id)
            return
        started = _perf_counter()
        metrics = self.metrics
        if metrics is not None:
            metrics.in_flight += 1
        try:
            # And one prefix check for the catalog (see TABLES_PATHS).
            if path.startswith(TABLES_PATHS) and self._tables_request(scope):
                await self._serve_tables(scope, receive, send, request_id, started)
                return
            # The S3 request, inline: one coroutine fewer per request.
            req = None
            code = None
            body = _Body(receive)
            try:
                req = self._request(scope, body, request_id)
                response = await self._pipeline(req)
            except errors.S3Error as exc:
                code = exc.code
                response = self._error(exc, req, request_id)
            except ClientDisconnected:
                code = "ClientDisconnected"
                self._observe(req, scope, request_id, 499, code, body, 0, started)
                return
            except Exception as exc:
                if disk.is_full(exc):
                    # A body that did not fit (ENOSPC), an index that could
                    # not grow (SQLITE_FULL): a state of the node, not a bug.
                    code = "InsufficientStorage"
                    response = self._error(
                        errors.InsufficientStorage(), req, request_id
                    )
                else:
                    LOG.exception("request %s failed", request_id)
                    code = errors.InternalError.code
                    response = self._error(errors.InternalError(), req, request_id)
            if req is not None and req.bucket and "origin" in req.headers:
                # Only browsers send Origin: other requests skip CORS entirely.
                await cors.add_response_headers(req, response)
            if not body.done and _has_body(scope):
                response.headers["connection"] = "close"
            sent = await self._render(response, scope, send, request_id)
            status = response.status
            self._observe(req, scope, request_id, status, code, body, sent, started)
        finally:
            if metrics is not None:
                metrics.in_flight -= 1

    def _observe(
        self,
        req,
        scope,
        request_id: str,
        status: int,
        code,
        body: _Body,
        sent: int,
        started: float,
    ) -> None:
        """The request's line in the access log and its metrics."""
        metrics, access_log = self.metrics, self.access_log
        if metrics is None and access_log is None:
            return
        seconds = _perf_counter() - started
        op = req.operation if req is not None else None
        # _name_: Enum.name is a descriptor call, a tenth of this method.
        operation = op._name_ if op is not None else "Unknown"
        if metrics is not None:
            metrics.observe(operation, code, body.received, sent, seconds)
        if access_log is not None:
            client = scope.get("client")
            if req is not None:
                agent = req.headers.get("user-agent")
            else:
                agent = next(
                    (
                        v.decode("latin-1")
                        for n, v in scope["headers"]
                        if n == b"user-agent"
                    ),
                    None,
                )
            access_log.write(
                request_id,
                req.principal if req is not None else None,
                operation,
                req.bucket if req is not None else None,
                req.key if req is not None else None,
                status,
                code,
                body.received,
                sent,
                seconds,
                client[0] if client else None,
                agent,
            )

    # --- health ------------------------------------------------------------

    def _health_probe(self, scope) -> bool:
        """True for an anonymous path-style GET/HEAD /health (see HEALTH_PATH)."""
        if scope["method"] not in ("GET", "HEAD"):
            return False
        if scope.get("query_string") not in (b"", b"ready", None):
            return False
        if _has_body(scope):
            return False  # not a probe; S3 reads (or refuses) the body
        host = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                return False
            if name == b"host":
                host = value.decode("latin-1")
        # Host "bucket.<domain>" makes the path a key of that bucket.
        return not self.router.bucket_from_host(host)

    async def _send_health(self, scope, send, request_id: str) -> None:
        """Liveness: the listener and its event loop answer, that is what a
        plain probe asks; the data disk's state rides along (a full disk is
        not "down": reads and deletes work). ``?ready``: readiness
        (gateway/readiness.py), 503 while the storage cannot serve."""
        status, body = 200, _HEALTH_BODY
        if scope.get("query_string") == b"ready":
            report = await readiness.check(self.services.storage)
            status = 200 if report["ready"] else 503
            body = orjson.dumps(
                {"status": "ready" if report["ready"] else "not ready", **report}
            )
        else:
            state = self.services.storage.disk_state()
            if state is not None:
                body = orjson.dumps({"status": "ok", "disk": state.as_dict()})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"x-amz-request-id", request_id.encode()),
                    (b"x-amz-id-2", self._host_id_b),
                    (b"content-type", _JSON_TYPE),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        body = b"" if scope["method"] == "HEAD" else body
        await send({"type": "http.response.body", "body": body})

    # --- the Iceberg catalog ---------------------------------------------------

    def _tables_request(self, scope) -> bool:
        """A path-style catalog path: not a key of a virtual-hosted bucket."""
        for name, value in scope["headers"]:
            if name == b"host":
                return not self.router.bucket_from_host(value.decode("latin-1"))
        return True

    async def _serve_tables(
        self, scope, receive, send, request_id: str, started: float
    ) -> None:
        from exordos_paas_s3.gateway.tables import rest

        body = _Body(receive)
        code = None
        req = None
        try:
            req = self._request(scope, body, request_id)
            if self._tables is None:
                self._tables = rest.CatalogApi(req)
            response = await self._tables.handle(req, self.authenticator)
        except ClientDisconnected:
            return
        except errors.S3Error as exc:
            code = exc.code
            response = rest.error_response(exc)
        if not body.done and _has_body(scope):
            response.headers["connection"] = "close"
        sent = await self._render(response, scope, send, request_id)
        self._observe(
            req, scope, request_id, response.status, code, body, sent, started
        )

    # --- the pipeline ------------------------------------------------------

    def _request(self, scope, body: _Body, request_id: str) -> Request:
        raw_path_b = scope.get("raw_path") or scope["path"].encode("utf-8")
        raw_path = raw_path_b.decode("latin-1")
        try:
            # Most paths carry no escapes: skip unquoting them (same result).
            path = (
                urlparse.unquote_to_bytes(raw_path_b)
                if b"%" in raw_path_b
                else raw_path_b
            ).decode("utf-8")
        except UnicodeDecodeError:
            raise errors.InvalidURI(resource=raw_path) from None
        qs = scope.get("query_string", b"").decode("latin-1")
        return Request(
            self.services,
            scope["method"],
            raw_path,
            path,
            qs,
            parse_query(qs),
            _headers_of(scope),
            body.__aiter__(),
            request_id,
            scope,
        )

    async def _pipeline(self, req: Request) -> Response:
        # 1. resolve
        route = self.router.resolve(req.method, req.path, req.query, req.headers)
        if req.method in _WRITE_METHODS:
            await self._refuse_unconfigured_vhost(req, route.bucket)
        op = route.operation
        req.operation, req.bucket, req.key = op, route.bucket, route.key
        if op is Operation.OptionsObject or op is Operation.PostObject:
            # A CORS preflight carries no credentials: the bucket's CORS
            # rules decide (AWS "OPTIONS object"). A browser POST carries them
            # as form fields: its handler verifies and authorizes them.
            return await HANDLERS[op](req)
        # 2. authenticate
        auth = self.authenticator.authenticate(
            sigv4.RequestView(req.method, req.raw_path, req.query_string, req.headers)
        )
        req.auth, req.principal = auth, auth.principal
        payload = auth.payload_hash
        if payload.startswith("STREAMING-"):
            req.chunked = auth_chunked.AwsChunkedBody(
                req.body,
                auth=auth,
                signed=payload.startswith("STREAMING-AWS4-HMAC-SHA256"),
                trailer=payload.endswith("-TRAILER"),
                decoded_content_length=_decoded_length(req.headers),
            )
            req.body = req.chunked.__aiter__()
        # 3. authorize (bucket ownership needs the bucket first)
        if op.scope is not Scope.SERVICE and op is not Operation.CreateBucket:
            req.bucket_info = await req.storage.get_bucket(req.bucket)
            expected = req.headers.get("x-amz-expected-bucket-owner")
            if expected is not None and expected not in (
                req.bucket_info.owner_id,
                getattr(self.services.authorize, "account_id", None),
            ):
                raise errors.AccessDenied()
        decision = self.services.authorize(op, req.principal, req.bucket_info, req)
        if decision is not None:
            await decision
        # 4. handle
        handler = HANDLERS.get(op)
        if handler is None:
            raise errors.NotImplemented_(
                f"{op.name} is not implemented.", resource=req.resource
            )
        return await handler(req)

    async def _refuse_unconfigured_vhost(self, req: Request, bucket: str) -> None:
        """A virtual-hosted-style write to a gateway with no virtual-host
        domain would be read path-style: ``PUT /key`` with ``Host:
        b.example.com`` would create a bucket named after the key, ``DELETE
        /key`` delete one. When the Host's first label names an existing
        bucket and the path's first segment does not, the request is
        refused with a message naming the option. Writes only: a read
        misread the same way ends in an error or a listing the principal
        may see anyway, and GETs stay free of the lookups."""
        label = self.router.unconfigured_vhost_bucket(req.headers.get("host", ""))
        if not label or label == bucket:
            return
        storage = self.services.storage
        try:
            await storage.get_bucket(label)
        except errors.NoSuchBucket:
            return
        if bucket:
            try:
                await storage.get_bucket(bucket)
                return  # both exist: path-style, as configured
            except errors.NoSuchBucket:
                pass
        raise errors.InvalidRequest(
            f"The Host header names bucket {label!r} (virtual-hosted-style), "
            "but this gateway has no virtual-host domain configured "
            "(--virtual-host-domain): use path-style addressing, or configure "
            "the domain.",
            resource=req.raw_path,
        )

    # --- render --------------------------------------------------------------

    def _error(
        self, exc: errors.S3Error, req: Request | None, request_id: str
    ) -> Response:
        root = s3xml.Element("Error", [])
        root.add("Code", exc.code)
        root.add("Message", exc.message)
        for name, value in exc.extra.items():
            root.add(name, value)
        # AWS names the request's resource, whatever layer raised.
        resource = req.resource if req is not None else exc.resource
        if resource is not None:
            root.add("Resource", resource)
        root.add("RequestId", request_id)
        root.add("HostId", self._host_id)
        return Response(status=exc.status, headers=dict(exc.headers), xml=root)

    async def _render(self, response: Response, scope, send, request_id: str) -> int:
        """Send the response; the body's length (0 for HEAD, 204, 304)."""
        head = scope["method"] == "HEAD"
        headers = [
            (b"x-amz-request-id", request_id.encode()),
            (b"x-amz-id-2", self._host_id_b),
        ]
        for name, value in response.headers.items():
            try:
                # http.client and botocore read header values as latin-1.
                raw = value.encode("latin-1")
            except UnicodeEncodeError:
                raw = value.encode("utf-8")
            headers.append((name.encode("latin-1"), raw))
        reader = response.reader
        body = response.body
        if response.xml is not None:
            # Errors carry no namespace, as AWS's don't.
            body = s3xml.serialize(
                response.xml,
                namespace=None if response.xml.tag == "Error" else s3xml.S3_NS,
            )
            headers.append((b"content-type", _XML_TYPE))
        if reader is not None:
            length = reader.length
        elif head and response.head_length is not None:
            length = response.head_length
        else:
            length = len(body)
        if response.status not in (204, 304):
            headers.append((b"content-length", str(length).encode()))
        start = {
            "type": "http.response.start",
            "status": response.status,
            "headers": headers,
        }
        if head or response.status in (204, 304):
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return 0
        if reader is None:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return length
        await self._send_object(reader, start, scope, send, request_id)
        return length

    async def _send_object(self, reader, start, scope, send, request_id) -> None:
        path = reader.path
        extensions = scope.get("extensions") or {}
        if (
            path is not None
            and reader.length >= ZEROCOPY_MIN
            and "http.response.zerocopysend" in extensions
        ):
            if await self._send_zerocopy(reader, start, send):
                return
        if (
            path is not None
            and reader.offset == 0
            and reader.start == 0
            and "http.response.pathsend" in extensions
        ):
            # pathsend sends the whole file: only when it is exactly the body.
            try:
                whole = os.stat(path).st_size == reader.length
            except OSError:
                whole = False
            if whole:
                await send(start)
                await send({"type": "http.response.pathsend", "path": path})
                return
        if reader.data is not None and len(reader.data) == reader.length:
            # Already in memory (an inline object): one message, no stream.
            await send(start)
            await send({"type": "http.response.body", "body": reader.data})
            return
        stream = reader.stream()
        if path is None and reader.length <= SMALL_BODY:
            # A small body (an inline object) goes out as one message: one
            # send fewer through the server than streaming it.
            try:
                body = b"".join([chunk async for chunk in stream])
            except Exception:
                LOG.exception("request %s: reading the body failed", request_id)
                raise
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await send(start)
        try:
            async for chunk in stream:
                try:
                    await send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
                except OSError:
                    return  # the client went away: stop reading for it
        except Exception:
            # Headers are gone; the only honest signal left is a cut connection.
            LOG.exception("request %s: streaming the body failed", request_id)
            raise
        finally:
            # Release what the stream pins (an open file) now, not at GC.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _send_zerocopy(reader, start, send) -> bool:
        """Send the object's file range with sendfile; False when the file
        cannot be opened (the stream path then reports it as it would)."""
        loop = asyncio.get_running_loop()
        try:
            file = await loop.run_in_executor(None, open, reader.path, "rb", 0)
        except OSError:
            return False
        try:
            await send(start)
            await send(
                {
                    "type": "http.response.zerocopysend",
                    "file": file,
                    "offset": reader.offset,
                    "count": reader.length,
                }
            )
        finally:
            file.close()
        return True

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
