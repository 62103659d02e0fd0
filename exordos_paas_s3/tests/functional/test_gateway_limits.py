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
"""Timeouts, limits and graceful shutdown of a real gateway process, over
raw sockets (docs/operations.md, "Timeouts and limits").

The gateway runs with short timeouts and a small connection cap so that each
test is bounded to a few seconds: slowloris connections are closed while a
probe stays fast, connections over the cap are refused with 503 SlowDown and
logged, a PUT that sends less than its Content-Length gets 400
RequestTimeout, oversized heads and values get their S3 errors, and SIGTERM
lets an in-flight GET and PUT finish.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import time
import uuid
import xml.etree.ElementTree as ET

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 1.5
MAX_CONNECTIONS = 40


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gw = new_gateway(
        str(tmp_path_factory.mktemp("limits")),
        "--header-timeout",
        str(HEADER_TIMEOUT),
        "--keep-alive-timeout",
        "1",
        "--body-timeout",
        str(BODY_TIMEOUT),
        "--max-connections",
        str(MAX_CONNECTIONS),
    )
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


def _client(gw):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


@pytest.fixture(scope="module")
def bucket(gw):
    name = "limits-" + uuid.uuid4().hex[:12]
    _client(gw).create_bucket(Bucket=name)
    return name


class _PayloadFromHeader(SigV4Auth):
    def payload(self, request):
        return request.headers["x-amz-content-sha256"]


def _signed_head(
    gw, method: str, path: str, headers: dict[str, str], host: str = ""
) -> bytes:
    """The raw request head of a SigV4-signed request with UNSIGNED-PAYLOAD."""
    h = dict(headers)
    h["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    h["host"] = host or f"127.0.0.1:{gw.port}"
    req = AWSRequest(method=method, url=gw.endpoint + path, data=b"", headers=h)
    _PayloadFromHeader(
        Credentials(gw.access_key, gw.secret_key), "s3", gw.region
    ).add_auth(req)
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _connect(gw) -> socket.socket:
    return socket.create_connection(("127.0.0.1", gw.port), timeout=10)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response (Content-Length framed) from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _code(body: bytes) -> str:
    return ET.fromstring(body).findtext("Code") or ""


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _probe_seconds(gw) -> float:
    start = time.monotonic()
    resp = requests.get(gw.endpoint + "/health", timeout=5)
    assert resp.status_code == 200
    return time.monotonic() - start


def test_slowloris_connections_are_closed_while_a_probe_stays_fast(gw):
    started = time.monotonic()
    socks = [_connect(gw) for _ in range(MAX_CONNECTIONS // 2)]
    try:
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        # Dribble one header line each, well before the deadline: progress
        # does not extend it.
        for _ in range(3):
            time.sleep(0.3)
            for s in socks:
                s.sendall(b"X-Slow: 1\r\n")
            assert _probe_seconds(gw) < 0.5
        # An idle connection that never sends a byte is closed as well.
        idle = _connect(gw)
        socks.append(idle)
        deadline = started + HEADER_TIMEOUT + 3
        for s in socks:
            assert _closed_within(s, max(0.1, deadline - time.monotonic()))
        assert time.monotonic() - started >= HEADER_TIMEOUT - 0.2
    finally:
        for s in socks:
            s.close()
    assert _probe_seconds(gw) < 0.5


def test_connections_over_the_cap_are_refused_and_logged(gw):
    proc_fds = f"/proc/{gw.proc.pid}/fd"
    fds_before = len(os.listdir(proc_fds))
    held = []
    try:
        for _ in range(MAX_CONNECTIONS):
            held.append(_connect(gw))
        time.sleep(0.3)  # accepted by the server
        # Many more than the cap: each is answered 503 SlowDown and closed,
        # and the gateway's descriptors stay bounded.
        refused = 0
        for _ in range(5 * MAX_CONNECTIONS):
            s = _connect(gw)
            try:
                status, headers, body = _read_response(s)
            finally:
                s.close()
            assert status == 503
            assert _code(body) == "SlowDown"
            assert headers["retry-after"] == "1"
            refused += 1
        assert refused == 5 * MAX_CONNECTIONS
        assert len(os.listdir(proc_fds)) <= fds_before + MAX_CONNECTIONS + 5
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert _probe_seconds(gw) < 0.5
    assert "connection limit reached" in gw.log()


def test_put_shorter_than_its_content_length_times_out(gw, bucket):
    s3 = _client(gw)
    head = _signed_head(gw, "PUT", f"/{bucket}/short", {"content-length": "100"})
    with _connect(gw) as s:
        s.sendall(head + b"x" * 90)
        started = time.monotonic()
        status, headers, body = _read_response(s)
        waited = time.monotonic() - started
        assert status == 400, body
        assert _code(body) == "RequestTimeout"
        assert BODY_TIMEOUT - 0.2 <= waited < BODY_TIMEOUT + 3
        assert headers.get("connection") == "close"
        assert _closed_within(s, 2)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="short")
    assert exc.value.response["Error"]["Code"] == "404"


@pytest.mark.parametrize("name", ["Content-Type", "Cache-Control"])
def test_a_70000_byte_header_is_refused_not_stored(gw, bucket, name):
    head = _signed_head(
        gw,
        "PUT",
        f"/{bucket}/big-{name}",
        {"content-length": "1", name: "t/" + "a" * 70_000},
    )
    with _connect(gw) as s:
        # In small pieces, as a slow client would: refused without waiting
        # for the end of the value.
        for i in range(0, len(head), 4096):
            try:
                s.sendall(head[i : i + 4096])
            except (BrokenPipeError, ConnectionResetError):
                break
        status, _, body = _read_response(s)
    assert status == 400
    assert _code(body) == "RequestHeaderSectionTooLarge"
    with pytest.raises(ClientError):
        _client(gw).head_object(Bucket=bucket, Key=f"big-{name}")


def test_header_section_over_8_kib_is_refused_under_it_accepted(gw, bucket):
    def put(total_extra: int) -> tuple[int, bytes]:
        # Many small headers: the total counts, not one value.
        headers = {"content-length": "1"}
        for i in range(total_extra // 100):
            headers[f"x-pad-{i:03d}"] = "p" * 88
        head = _signed_head(gw, "PUT", f"/{bucket}/pad", headers)
        with _connect(gw) as s:
            s.sendall(head + b"x")
            status, _, body = _read_response(s)
        return status, body

    status, body = put(9000)
    assert status == 400 and _code(body) == "RequestHeaderSectionTooLarge"
    status, body = put(6000)
    assert status == 200, body


def test_a_large_body_in_the_heads_read_is_not_counted_as_head(gw, bucket):
    # Head and a 100 KB body in one write, on a fresh connection and after
    # a first request on the same one: the body is no part of the head.
    body = b"b" * 100_000
    with _connect(gw) as s:
        for _ in range(2):
            head = _signed_head(
                gw, "PUT", f"/{bucket}/one-write", {"content-length": str(len(body))}
            )
            s.sendall(head + body)
            status, _, answer = _read_response(s)
            assert status == 200, answer


def test_metadata_and_redirect_limits(gw, bucket):
    s3 = _client(gw)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="meta", Body=b"x", Metadata={"m": "v" * 2100})
    assert exc.value.response["Error"]["Code"] == "MetadataTooLarge"
    s3.put_object(Bucket=bucket, Key="meta", Body=b"x", Metadata={"m": "v" * 2000})
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket,
            Key="redirect",
            Body=b"x",
            WebsiteRedirectLocation="/" + "r" * 2100,
        )
    assert exc.value.response["Error"]["Code"] == "InvalidArgument"
    s3.put_object(
        Bucket=bucket, Key="redirect", Body=b"x", WebsiteRedirectLocation="/r"
    )


def _raw(gw, method: str, path: str, host: str) -> tuple[int, bytes]:
    with _connect(gw) as s:
        s.sendall(_signed_head(gw, method, path, {"content-length": "0"}, host))
        status, _, body = _read_response(s)
    return status, body


def test_virtual_hosted_write_without_a_configured_domain_is_refused(gw):
    s3 = _client(gw)
    bucket = "vh-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    key = "k-" + uuid.uuid4().hex[:12]
    host = f"{bucket}.s3.example.test:{gw.port}"
    # Read path-style, this PutObject would create a bucket named the key,
    # and this DeleteObject would delete one.
    for method in ("PUT", "DELETE"):
        status, body = _raw(gw, method, f"/{key}", host)
        assert status == 400, body
        assert _code(body) == "InvalidRequest"
        assert b"virtual-host-domain" in body
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert key not in names
    # A DNS Host whose first label is no bucket: path-style as before.
    other = "p-" + uuid.uuid4().hex[:12]
    status, body = _raw(gw, "PUT", f"/{other}", f"node1.example.test:{gw.port}")
    assert status == 200, body
    # Both the Host's label and the path's bucket exist: path-style.
    status, body = _raw(gw, "PUT", f"/{other}/obj", host)
    assert status == 200, body
    assert s3.get_object(Bucket=other, Key="obj")["Body"].read() == b""


def test_sigterm_lets_in_flight_get_and_put_finish(tmp_path):
    gw = new_gateway(str(tmp_path), "--shutdown-timeout", "20")
    gw.start()
    try:
        s3 = _client(gw)
        s3.create_bucket(Bucket="drain")
        size = 32 * 1024 * 1024
        data = os.urandom(1024 * 1024) * 32
        s3.put_object(Bucket="drain", Key="big", Body=data)

        get = _connect(gw)
        get.sendall(_signed_head(gw, "GET", "/drain/big", {}))
        get.settimeout(10)
        first = get.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")

        put_body = os.urandom(4 * 1024 * 1024)
        put = _connect(gw)
        put.sendall(
            _signed_head(
                gw, "PUT", "/drain/during", {"content-length": str(len(put_body))}
            )
            + put_body[: len(put_body) // 2]
        )
        time.sleep(0.2)
        gw.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # Not accepting any more...
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", gw.port), timeout=2).recv(1)
        # ...but the requests in flight complete.
        put.sendall(put_body[len(put_body) // 2 :])
        status, _, body = _read_response(put)
        assert status == 200, body
        put.close()
        received = first
        while True:
            chunk = get.recv(1 << 20)
            if not chunk:
                break
            received += chunk
        get.close()
        body = received.partition(b"\r\n\r\n")[2]
        assert len(body) == size
        assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        assert gw.proc.wait(timeout=20) == 0
        gw.proc = None
        gw.start()
        got = _client(gw).get_object(Bucket="drain", Key="during")["Body"].read()
        assert got == put_body
    finally:
        gw.stop()
