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
"""The gateway's HTTP protocol (gateway/uvicorn_protocol.py) on a real socket.

A real uvicorn server (uvloop, our httptools protocol) runs in a thread with
a small ASGI app that exercises one feature per path: zero-copy file sends
(whole, ranges, after a backlog of queued bytes, to a client that goes away),
the request body as parsed chunks, and the header checks.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time

import pytest
import uvicorn

from exordos_paas_s3.gateway import uvicorn_protocol
from exordos_paas_s3.tests.functional.conftest import free_port

FILE_SIZE = 8 * 1024 * 1024 + 12345


class _App:
    def __init__(self, path: str) -> None:
        self.path = path
        self.scopes: list[dict] = []
        self.receives: list[int] = []
        self.errors: list[BaseException] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        self.scopes.append(scope)
        try:
            await self._route(scope, receive, send)
        except BaseException as exc:
            self.errors.append(exc)
            raise

    async def _route(self, scope, receive, send) -> None:
        route = scope["path"]
        query = dict(
            p.split("=", 1) for p in scope["query_string"].decode().split("&") if p
        )
        if route == "/file":
            offset = int(query.get("offset", 0))
            count = int(query.get("count", FILE_SIZE - offset))
            with open(self.path, "rb", buffering=0) as f:
                await _start(send, 200, count)
                await send(
                    {
                        "type": "http.response.zerocopysend",
                        "file": f,
                        "offset": offset,
                        "count": count,
                    }
                )
        elif route == "/stream":
            # Queued through uvloop (not zero-copy): 4 MiB a slow client
            # leaves in the transport's buffer.
            await _answer(send, 200, b"s" * (4 * 1024 * 1024))
        elif route == "/echo":
            digest = hashlib.sha256()
            messages = 0
            while True:
                message = await receive()
                messages += 1
                digest.update(message.get("body", b""))
                if not message.get("more_body"):
                    break
            self.receives.append(messages)
            await _answer(send, 200, digest.hexdigest().encode())
        elif route == "/bad-header":
            extra = [(b"content-disposition", b"x\r\nset-cookie: a=b")]
            await _answer(send, 200, b"ok", extra)
        else:
            await _answer(send, 204, b"", length=False)


async def _start(send, status: int, length: int | None, extra=()) -> None:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers + list(extra),
        }
    )


async def _answer(send, status: int, body: bytes, extra=(), length=True) -> None:
    await _start(send, status, len(body) if length else None, extra)
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("proto") / "object")
    content = os.urandom(FILE_SIZE)
    with open(path, "wb") as f:
        f.write(content)
    app = _App(path)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=uvicorn_protocol.HttpToolsProtocol,
        loop="uvloop",
        lifespan="off",
        access_log=False,
        log_config=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield app, port, content
    server.should_exit = True
    thread.join(10)


def _get(port: int, path: str, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        if own:
            conn.close()


def test_zero_copy_is_offered_and_sends_the_whole_file(served):
    app, port, content = served
    status, _headers, body = _get(port, "/file")
    assert status == 200
    assert body == content
    assert "http.response.zerocopysend" in app.scopes[-1]["extensions"]


@pytest.mark.parametrize(
    ("offset", "count"),
    [(0, 1), (1, 4096), (FILE_SIZE - 7, 7), (3 * 1024 * 1024 + 1, 2 * 1024 * 1024)],
)
def test_zero_copy_sends_exactly_the_range(served, offset, count):
    _app, port, content = served
    status, headers, body = _get(port, f"/file?offset={offset}&count={count}")
    assert status == 200
    assert int(headers["content-length"]) == count
    assert body == content[offset : offset + count]


def test_keep_alive_connection_survives_zero_copy_sends(served):
    _app, port, content = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for offset in (0, 5, 1024 * 1024):
            status, _h, body = _get(port, f"/file?offset={offset}", conn)
            assert status == 200 and body == content[offset:]
        assert _get(port, "/other", conn)[0] == 204
    finally:
        conn.close()


def _read_response(sock: socket.socket, buf: bytes) -> tuple[bytes, bytes, bytes]:
    """(head, body, rest) of one Content-Length response from ``sock``."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        assert data, "connection closed before the head"
        buf += data
    head, _, buf = buf.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(buf) < length:
        data = sock.recv(1024 * 1024)
        assert data, "connection closed in the body"
        buf += data
    return head, buf[:length], buf[length:]


def test_zero_copy_waits_for_bytes_queued_before_it(served):
    # Two pipelined requests and a client that reads nothing for a while:
    # the first (streamed) answer stays queued in uvloop, and the second
    # (zero-copy) must not overtake it on the wire.
    _app, port, content = served
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(
            b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /file?offset=10 HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        time.sleep(0.5)
        head1, body1, rest = _read_response(sock, b"")
        head2, body2, rest = _read_response(sock, rest)
    assert head1.startswith(b"HTTP/1.1 200") and body1 == b"s" * (4 * 1024 * 1024)
    assert head2.startswith(b"HTTP/1.1 200") and body2 == content[10:]
    assert rest == b""


def test_client_leaving_during_zero_copy_leaves_server_serving(served):
    app, port, content = served
    app.errors.clear()
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(b"GET /file HTTP/1.1\r\nHost: t\r\n\r\n")
        sock.recv(1000)
        # RST instead of FIN: the sender sees ECONNRESET/EPIPE.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        sock.close()
    time.sleep(0.3)
    assert not app.errors
    assert _get(port, "/file?offset=100")[2] == content[100:]


def test_request_body_arrives_whole_in_parsed_chunks(served):
    app, port, _content = served
    body = os.urandom(5 * 1024 * 1024 + 3)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("PUT", "/echo", body=body)
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.read() == hashlib.sha256(body).hexdigest().encode()
        # Expect: 100-continue still gets its interim answer.
        conn.putrequest("PUT", "/echo")
        conn.putheader("Content-Length", "5")
        conn.putheader("Expect", "100-continue")
        conn.endheaders()
        sock = conn.sock
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        resp = conn.getresponse()
        assert resp.read() == hashlib.sha256(b"hello").hexdigest().encode()
    finally:
        conn.close()
    # Several chunks, not one joined body (nor one per byte).
    assert 2 < app.receives[-2] < 5 * 1024 * 1024 // 1024


def test_header_values_cannot_smuggle_a_header(served):
    _app, port, _content = served
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /bad-header HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    # As stock uvicorn: the app's error after the response started cuts the
    # connection; nothing of the bad head reaches the client.
    assert b"set-cookie" not in data.lower()
    assert not data.startswith(b"HTTP/1.1 200")


def test_head_request_with_zero_copy_sends_the_head_only(served):
    _app, port, _content = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("HEAD", "/file?count=1000")
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("content-length") == "1000"
        assert resp.read() == b""
        assert _get(port, "/other", conn)[0] == 204
    finally:
        conn.close()


def test_zero_copy_helper_reports_a_short_file(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"abc")
    a, b = socket.socketpair()
    try:
        with open(path, "rb") as f, pytest.raises(OSError, match="shorter"):
            uvicorn_protocol._sendfile(a.fileno(), f.fileno(), 0, 10, lambda: False)
        assert b.recv(10) == b"abc"
    finally:
        a.close()
        b.close()
