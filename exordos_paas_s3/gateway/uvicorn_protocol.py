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
"""uvicorn's httptools protocol, with the changes the gateway needs.

1. A request is answered before the garbage after it (below).
2. ``http.response.zerocopysend`` (the ASGI extension): an object file goes
   to the socket with ``sendfile(2)``, from page cache to socket without a
   pass through Python. uvloop's transports have no sendfile, so a worker
   thread calls it on a duplicate of the socket's descriptor while the
   transport has nothing queued; see ``ResponseCycle.zerocopy``.
3. A leaner request/response cycle: the status line and headers wait for
   the first body bytes and go out in the same write (one ``send`` syscall
   for a small response instead of two), headers are checked with one
   regular expression per response instead of two per header, and request
   body chunks are handed to the app as parsed instead of being appended
   to a bytearray and copied out again.
4. Timeouts and limits uvicorn lacks (``Limits``; docs/operations.md,
   "Timeouts and limits"): a deadline for a request's head (uvicorn arms
   none before the first response: a slowloris client held a connection
   for ever), a deadline for body progress (400 RequestTimeout), a cap on
   open connections (503 SlowDown, then close) and on the head's size (400
   RequestHeaderSectionTooLarge, as AWS's 8 KB; httptools has no limit and
   buffers a header value of any size).

Answering before the garbage:

A client that sends more bytes than its Content-Length (ceph/s3-tests
test_object_create_bad_contentlength_mismatch_below_aws2) has a complete
request on the wire followed by bytes that cannot start the next one. Stock
uvicorn answers "400 Invalid HTTP request" and closes the connection as soon
as it parses those bytes, which is while the gateway is still working on the
complete request: the client never sees the gateway's answer (BadDigest, or
the 200 of an object that *was* stored). Here the 400 waits until the
request in flight has been answered, as S3 does: the client reads the real
answer, then the connection closes.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import os
import select
import time
import typing
from collections.abc import Callable

import httptools
from uvicorn.protocols import utils as uvicorn_utils
from uvicorn.protocols.http import httptools_impl

from exordos_paas_s3.gateway import errors

LOG = logging.getLogger(__name__)

ZEROCOPY = "http.response.zerocopysend"
# Request body bytes held per connection before reading pauses: a few of
# uvloop's 256 KiB reads, so the app finds the next chunk waiting instead
# of waking once per 64 KiB (uvicorn's limit); memory per connection stays
# about a mebibyte.
BODY_HIGH_WATER = 1 << 20
# A zero-copy send gives up when the client reads nothing for this long.
SEND_STALL_SECONDS = 60


# The request line may be longer than the header section (a presigned URL
# with a 1,024-byte key, escaped): bytes of a head still incomplete beyond
# max_header_bytes plus this are refused before httptools buffers more.
MAX_REQUEST_LINE = 16 * 1024
# Refused connections are logged at most once per this many seconds, with
# the count since the last line: an attack must not flood the journal.
REFUSAL_LOG_INTERVAL = 10.0


@dataclasses.dataclass(frozen=True)
class Limits:
    """The S3 listener's timeouts (seconds) and limits (gateway/config.py)."""

    header_timeout: float = 30.0
    body_timeout: float = 60.0
    max_connections: int = 4096
    max_header_bytes: int = 8192


def protocol_class(
    limits: Limits, metrics: typing.Any = None
) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn instantiates, with these limits; it keeps
    ``metrics.connections`` (gateway/metrics.py) when given."""
    return type(
        "HttpToolsProtocol",
        (HttpToolsProtocol,),
        {"limits": limits, "metrics": metrics},
    )


def _error_response(status: int, code: str, message: str, *extra: bytes) -> bytes:
    """A complete S3 XML error response that closes the connection (for the
    refusals made before a request reaches the app)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    return b"".join(
        (
            httptools_impl.STATUS_LINE[status],
            b"content-type: application/xml\r\n",
            b"content-length: %d\r\n" % len(body),
            *extra,
            b"connection: close\r\n\r\n",
            body,
        )
    )


_SLOW_DOWN = _error_response(
    503, errors.SlowDown.code, errors.SlowDown.message, b"retry-after: 1\r\n"
)
_HEAD_TOO_LARGE = _error_response(
    400,
    errors.RequestHeaderSectionTooLarge.code,
    errors.RequestHeaderSectionTooLarge.message,
)


class _Refusals:
    """Connections refused over the cap, logged as a count per interval."""

    count = 0
    logged_at = 0.0

    @classmethod
    def add(cls, limit: int) -> None:
        cls.count += 1
        now = time.monotonic()
        if now - cls.logged_at >= REFUSAL_LOG_INTERVAL:
            LOG.warning(
                "connection limit reached (%d open): refused %d connection(s) "
                "with 503 SlowDown",
                limit,
                cls.count,
            )
            cls.count = 0
            cls.logged_at = now


class ClientGone(ConnectionError):
    """The client closed the connection during a zero-copy send."""


def _sendfile(
    sock_fd: int, file_fd: int, offset: int, count: int, gone: Callable[[], bool]
) -> None:
    """Send ``count`` bytes of ``file_fd`` from ``offset`` to the non-blocking
    socket ``sock_fd``, waiting with poll(2) while its buffer is full."""
    poller = select.poll()
    poller.register(sock_fd, select.POLLOUT)
    end = offset + count
    stalled = 0
    while offset < end:
        try:
            sent = os.sendfile(sock_fd, file_fd, offset, min(end - offset, 1 << 30))
        except BlockingIOError:
            sent = -1
        if sent == 0:
            raise OSError("object file is shorter than its index says")
        if sent > 0:
            offset += sent
            stalled = 0
            continue
        if gone():
            raise ClientGone()
        if poller.poll(1000):
            continue
        stalled += 1
        if stalled >= SEND_STALL_SECONDS:
            raise ClientGone("client stopped reading")


class ResponseCycle(httptools_impl.RequestResponseCycle):
    """uvicorn's cycle with the send/receive paths described above.

    uvicorn builds its own cycle object in ``on_headers_complete``; the
    protocol re-classes it right after (same state, these methods) instead
    of repeating that method here.
    """

    head: bytes
    chunks: collections.deque[bytes]
    held: int
    body_timeout: float

    def adopt(self, zerocopy: bool, body_timeout: float) -> None:
        self.head = b""
        self.chunks = collections.deque()
        self.held = 0
        self.body_timeout = body_timeout
        if zerocopy:
            self.scope["extensions"] = {ZEROCOPY: {}}

    # --- receive ------------------------------------------------------------

    def add_body(self, chunk: bytes) -> bool:
        """Keep a parsed body chunk; True when reading should pause."""
        self.chunks.append(chunk)
        self.held += len(chunk)
        self.message_event.set()
        return self.held > BODY_HIGH_WATER

    async def receive(self):  # type: ignore[override]
        if self.waiting_for_100_continue and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.waiting_for_100_continue = False
        # Chunks go out one by one as parsed: never joined, never copied.
        self.flow.resume_reading()
        while not (self.chunks or self.disconnected or self.response_complete):
            if not self.more_body:
                break
            try:
                # Only while the app waits for bytes the client owes: a
                # Content-Length promising more than is sent ends here.
                async with asyncio.timeout(self.body_timeout):
                    await self.message_event.wait()
            except TimeoutError:
                raise errors.RequestTimeout() from None
            self.message_event.clear()
        if self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        body = b""
        if self.chunks:
            body = self.chunks.popleft()
            self.held -= len(body)
        more_body = self.more_body or bool(self.chunks)
        return {"type": "http.request", "body": body, "more_body": more_body}

    # --- send ---------------------------------------------------------------

    async def send(self, message) -> None:  # type: ignore[override]
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            if message.get("more_body"):
                # ASGI's "send raises OSError on a closed connection": the
                # app stops producing a body nobody reads (a large encrypted
                # GET would decrypt to its end otherwise).
                raise ConnectionResetError("the client closed the connection")
            return
        kind = message["type"]
        if not self.response_started:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected 'http.response.start', got '{kind}'.")
            self.response_started = True
            self.waiting_for_100_continue = False
            self.head = self._render_head(message["status"], message.get("headers", ()))
            return
        if self.response_complete:
            raise RuntimeError(f"Unexpected ASGI message '{kind}' after the response.")
        more_body = message.get("more_body", False)
        if kind == "http.response.body":
            self._write_body(message.get("body", b""), more_body)
        elif kind == ZEROCOPY and ZEROCOPY in self.scope.get("extensions", ()):
            await self.zerocopy(
                message["file"], message.get("offset"), message["count"]
            )
        else:
            raise RuntimeError(f"Unexpected ASGI message '{kind}'.")
        if not more_body and not self.disconnected:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.message_event.set()
            if not self.keep_alive:
                self.transport.close()
            self.on_response()

    def _render_head(self, status: int, headers) -> bytes:
        lines = [httptools_impl.STATUS_LINE[status]]
        names = []
        values = []
        close = False
        for headers_ in (self.default_headers, headers):
            for name, value in headers_:
                name = name.lower()
                names.append(name)
                values.append(value)
                if name == b"content-length" and self.chunked_encoding is None:
                    self.expected_content_length = int(value)
                    self.chunked_encoding = False
                elif name == b"transfer-encoding" and value.lower() == b"chunked":
                    self.expected_content_length = 0
                    self.chunked_encoding = True
                elif name == b"connection":
                    tokens = [t.strip().lower() for t in value.split(b",")]
                    if b"close" in tokens:
                        self.keep_alive = False
                        close = True
                lines += (name, b": ", value, b"\r\n")
        # uvicorn's own checks, once over all names and once over all values
        # (its forbidden sets are per character, so joining is exact):
        # no CR/LF smuggled in through response-content-disposition & co.
        if httptools_impl.HEADER_RE.search(b"".join(names)):
            raise RuntimeError("Invalid HTTP header name.")
        if httptools_impl.HEADER_VALUE_RE.search(b"".join(values)):
            raise RuntimeError("Invalid HTTP header value.")
        if not self.keep_alive and not close:
            lines.append(b"connection: close\r\n")
        if (
            self.chunked_encoding is None
            and self.scope["method"] != "HEAD"
            and status not in (204, 304)
        ):
            self.chunked_encoding = True
            lines.append(b"transfer-encoding: chunked\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def _write_body(self, body: bytes, more_body: bool) -> None:
        head, self.head = self.head, b""
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
            body = b""
        elif self.chunked_encoding:
            framed = [b"%x\r\n" % len(body), body, b"\r\n"] if body else []
            if not more_body:
                framed.append(b"0\r\n\r\n")
            body = b"".join(framed)
        else:
            if len(body) > self.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= len(body)
        if head and len(body) <= 64 * 1024:
            self.transport.write(head + body)
        elif head:
            self.transport.writelines((head, body))
        elif body:
            self.transport.write(body)

    async def zerocopy(self, file, offset: int | None, count: int) -> None:
        """``count`` bytes of ``file`` from ``offset`` straight to the socket."""
        if self.scope["method"] == "HEAD":
            self._write_body(b"", True)  # the head only, as for a body
            return
        if self.chunked_encoding:
            raise RuntimeError("zerocopysend needs a Content-Length response")
        if count > self.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        self._write_body(b"", True)  # the head, if still held
        transport = self.transport
        if transport.get_write_buffer_size():
            # Earlier bytes still queued in uvloop (a client slow to read a
            # previous response): they must reach the socket before ours.
            # A zero high-water mark makes the transport call pause_writing
            # now and resume_writing once its queue is empty.
            transport.set_write_buffer_limits(high=0)
            try:
                await self.flow.drain()
            finally:
                transport.set_write_buffer_limits()
            if self.disconnected:
                return
        sock = transport.get_extra_info("socket")
        # A duplicate descriptor: if the connection is torn down meanwhile,
        # its number cannot be reused under the thread's feet.
        sock_fd = os.dup(sock.fileno())
        if offset is None:
            offset = file.tell()
        try:
            await asyncio.get_running_loop().run_in_executor(
                None,
                _sendfile,
                sock_fd,
                file.fileno(),
                offset,
                count,
                lambda: self.disconnected,
            )
        except (ClientGone, BrokenPipeError, ConnectionResetError):
            self.disconnected = True
            transport.close()
            return
        finally:
            os.close(sock_fd)
        self.expected_content_length -= count


class HttpToolsProtocol(httptools_impl.HttpToolsProtocol):
    limits = Limits()
    _deferred_400: str | None = None
    _zerocopy = False
    # Between a request's end (or the connection's start) and the next
    # request's complete head: the head deadline runs, its bytes count.
    _in_head = True
    _head_bytes = 0
    _heads = 0  # heads completed on this connection
    _head_timer: asyncio.TimerHandle | None = None
    _refused = False
    _tls = False
    metrics: typing.Any = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.metrics is not None:
            self.metrics.connections += 1
        if len(self.connections) > self.limits.max_connections:
            # Over the cap: answer at once, read nothing, keep no state.
            self._refused = True
            _Refusals.add(self.limits.max_connections)
            transport.write(_SLOW_DOWN)
            transport.close()
            return
        # sendfile cannot go through TLS: no zero-copy on such connections.
        self._tls = uvicorn_utils.is_ssl(transport)
        self._zerocopy = not self._tls
        self._head_timer = self.loop.call_later(
            self.limits.header_timeout, self._head_timeout
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.metrics is not None:
            self.metrics.connections -= 1
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        # An idle TLS connection is aborted, not closed: close() waits for
        # the client's close_notify, which a client idling in its pool never
        # sends, and holds the graceful shutdown for the TLS shutdown
        # timeout (30 s). Nothing is lost: no request is in flight on it.
        if self._tls and (self.cycle is None or self.cycle.response_complete):
            self.transport.abort()
            return
        super().shutdown()

    def _head_timeout(self) -> None:
        self._head_timer = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # A pipelined head waits behind a request still being answered:
            # the client is busy reading, not stalling.
            self._head_timer = self.loop.call_later(
                self.limits.header_timeout, self._head_timeout
            )
            return
        LOG.debug("%s: request head not received in time: closing", self.client)
        self.transport.close()

    def _refuse_head(self) -> None:
        self._refused = True
        LOG.debug("%s: request head too large: refused", self.client)
        self.transport.write(_HEAD_TOO_LARGE)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        # uvicorn's, with the head's deadline and size accounted.
        if self._deferred_400 is not None or self._refused:
            return  # the connection closes once the answer is out
        self._unset_keepalive_if_required()
        in_head = self._in_head
        heads = self._heads
        if in_head and self._head_timer is None:
            self._head_timer = self.loop.call_later(
                self.limits.header_timeout, self._head_timeout
            )
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refused:
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if in_head and self._in_head and heads == self._heads:
            # All of this read is head still being parsed (a read that
            # also ended the previous request is not counted: at most one
            # read more is buffered).
            self._head_bytes += len(data)
            limits = self.limits
            if self._head_bytes > limits.max_header_bytes + MAX_REQUEST_LINE:
                self._refuse_head()

    def on_headers_complete(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._in_head = False
        self._head_bytes = 0
        self._heads += 1
        size = 0
        for name, value in self.headers:
            size += len(name) + len(value) + 4  # ": " and CRLF
        if size > self.limits.max_header_bytes:
            self._refuse_head()
            # Stops the parser; data_received sees _refused and returns.
            raise errors.RequestHeaderSectionTooLarge()
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle is not before:
            # The task uvicorn just created has not run yet: it runs with
            # these methods.
            cycle.__class__ = ResponseCycle
            typing.cast(ResponseCycle, cycle).adopt(
                zerocopy=self._zerocopy, body_timeout=self.limits.body_timeout
            )

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if cycle.response_complete or (
            self.parser.should_upgrade() and self._should_upgrade()
        ):
            return
        if cycle.add_body(body):  # type: ignore[attr-defined]
            self.flow.pause_reading()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True

    def _request_body_complete(self) -> bool:
        cycle = self.cycle
        return (
            cycle is not None
            and not cycle.response_complete
            and not cycle.more_body
            and not self.pipeline
        )

    def send_400_response(self, msg: str) -> None:
        if self.transport.is_closing():
            return
        if self._deferred_400 is None and self._request_body_complete():
            # The request in flight has all its body: let it answer first and
            # read nothing more from this connection.
            self._deferred_400 = msg
            self.flow.pause_reading()
            return
        super().send_400_response(msg)

    def on_response_complete(self) -> None:
        msg = self._deferred_400
        if msg is None:
            super().on_response_complete()
            return
        self._deferred_400 = None
        self.server_state.total_requests += 1
        if not self.transport.is_closing():
            super().send_400_response(msg)
