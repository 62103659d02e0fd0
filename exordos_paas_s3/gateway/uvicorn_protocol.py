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
"""uvicorn's httptools protocol, with three changes the gateway needs.

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
import logging
import os
import select
import typing
from collections.abc import Callable

from uvicorn.protocols import utils as uvicorn_utils
from uvicorn.protocols.http import httptools_impl

LOG = logging.getLogger(__name__)

ZEROCOPY = "http.response.zerocopysend"
# Request body bytes held per connection before reading pauses: a few of
# uvloop's 256 KiB reads, so the app finds the next chunk waiting instead
# of waking once per 64 KiB (uvicorn's limit); memory per connection stays
# about a mebibyte.
BODY_HIGH_WATER = 1 << 20
# A zero-copy send gives up when the client reads nothing for this long.
SEND_STALL_SECONDS = 60


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

    def adopt(self, zerocopy: bool) -> None:
        self.head = b""
        self.chunks = collections.deque()
        self.held = 0
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
            await self.message_event.wait()
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
    _deferred_400: str | None = None
    _zerocopy = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # sendfile cannot go through TLS: no zero-copy on such connections.
        self._zerocopy = not uvicorn_utils.is_ssl(transport)

    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle is not before:
            # The task uvicorn just created has not run yet: it runs with
            # these methods.
            cycle.__class__ = ResponseCycle
            typing.cast(ResponseCycle, cycle).adopt(zerocopy=self._zerocopy)

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if cycle.response_complete or (
            self.parser.should_upgrade() and self._should_upgrade()
        ):
            return
        if cycle.add_body(body):  # type: ignore[attr-defined]
            self.flow.pause_reading()

    def _request_body_complete(self) -> bool:
        cycle = self.cycle
        return (
            cycle is not None
            and not cycle.response_complete
            and not cycle.more_body
            and not self.pipeline
        )

    def send_400_response(self, msg: str) -> None:
        if self._deferred_400 is None and self._request_body_complete():
            # The request in flight has all its body: let it answer first and
            # read nothing more from this connection.
            self._deferred_400 = msg
            self.flow.pause_reading()
            return
        super().send_400_response(msg)

    def data_received(self, data: bytes) -> None:
        if self._deferred_400 is not None:
            return  # the connection closes once the answer is out
        super().data_received(data)

    def on_response_complete(self) -> None:
        msg = self._deferred_400
        if msg is None:
            super().on_response_complete()
            return
        self._deferred_400 = None
        self.server_state.total_requests += 1
        if not self.transport.is_closing():
            super().send_400_response(msg)
