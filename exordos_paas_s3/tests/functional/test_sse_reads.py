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
"""Encrypted (SSE-S3) reads of a real gateway process, over raw HTTP.

A read keeps the version it resolved until its last byte: GETs looping
while another thread overwrites the key all answer 200 with one whole body,
the old or the new. A client that stops reading a large encrypted GET costs
the gateway bounded memory (the decryption waits for the transport to
drain), given back when the client goes.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
import urllib.parse
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional

MIB = 1 << 20
SSE = {"ServerSideEncryption": "AES256"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gw = new_gateway(str(tmp_path_factory.mktemp("sse-reads")))
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


@pytest.fixture(scope="module")
def s3(gw):
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
def bucket(s3):
    name = "ssereads-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=name)
    return name


def _path_of(s3, bucket: str, key: str) -> str:
    """The path and query of a presigned GET (raw clients need no signer)."""
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600
    )
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _put(client, bucket: str, key: str, body: bytes, multipart: bool) -> None:
    if not multipart:
        client.put_object(Bucket=bucket, Key=key, Body=body, **SSE)
        return
    # Parts of 5 MiB and the rest: a reader opens them one after the other.
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, **SSE)
    parts = []
    for number, offset in enumerate(range(0, len(body), 5 * MIB), 1):
        etag = client.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=body[offset : offset + 5 * MIB],
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": parts},
    )


@pytest.mark.parametrize(
    ("size", "multipart"),
    [(1000, False), (200 * 1024, False), (6 * MIB, False), (11 * MIB, True)],
    ids=["inline", "small", "large", "multipart"],
)
def test_sse_get_racing_overwrites_sees_one_whole_version(
    gw, s3, bucket, size, multipart
):
    key = f"race-{size}"
    # Two versions of different sizes and contents; the second of a
    # multipart pair is a single PUT.
    bodies = [os.urandom(size), os.urandom(size + 4096)]
    _put(s3, bucket, key, bodies[0], multipart)
    path = _path_of(s3, bucket, key)
    stop = threading.Event()
    writes = [0]
    failures: list[str] = []

    def overwrite() -> None:
        w = boto3.client(
            "s3",
            endpoint_url=gw.endpoint,
            aws_access_key_id=gw.access_key,
            aws_secret_access_key=gw.secret_key,
            region_name=gw.region,
            config=Config(s3={"addressing_style": "path"}),
        )
        i = 1
        while not stop.is_set():
            try:
                _put(w, bucket, key, bodies[i % 2], multipart and i % 2 == 0)
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(f"PUT: {exc}")
                return
            writes[0] += 1
            i += 1

    writer = threading.Thread(target=overwrite)
    writer.start()
    reads = 0
    try:
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline or writes[0] < 5:
            conn.request("GET", path)
            resp = conn.getresponse()
            try:
                body = resp.read()
            except http.client.IncompleteRead as exc:
                pytest.fail(f"GET {reads} cut after {len(exc.partial)} bytes")
            assert resp.status == 200, (resp.status, body[:500])
            assert int(resp.headers["content-length"]) == len(body)
            assert body in bodies, f"GET {reads}: a body of neither version"
            reads += 1
        conn.close()
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert writes[0] >= 5 and reads >= 5
    assert "Traceback" not in gw.log(), gw.log()


def _pid_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _settled_rss(pid: int, seconds: float = 3.0) -> int:
    """The RSS once it stops moving (or after ``seconds``)."""
    last = _pid_rss(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _pid_rss(pid)
        if abs(now - last) < 256 * 1024:
            return now
        last = now
    return last


STALLED = 20
# Per stalled client, measured ~0.6 MiB (docs/operations.md); the old
# path held ~14 MB.
PER_CLIENT_BOUND = 2 * MIB


def test_stalled_sse_readers_hold_bounded_memory(gw, s3, bucket):
    size = 64 * MIB
    s3.put_object(Bucket=bucket, Key="big", Body=os.urandom(size), **SSE)
    s3.put_object(Bucket=bucket, Key="probe", Body=b"p" * 4096)
    path = _path_of(s3, bucket, "big")
    pid = gw.proc.pid
    # One whole read first: the allocator's and the pools' warm-up is not
    # what is measured.
    got = requests.get(gw.endpoint + path, timeout=60)
    assert got.status_code == 200 and len(got.content) == size
    del got
    before = _settled_rss(pid)

    socks = []
    try:
        for _ in range(STALLED):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.connect(("127.0.0.1", gw.port))
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n\r\n".encode()
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            socks.append(sock)  # and never read again
        stalled = _settled_rss(pid)
        growth = stalled - before
        # A probe stays fast meanwhile.
        start = time.monotonic()
        probe = requests.get(gw.endpoint + _path_of(s3, bucket, "probe"), timeout=5)
        assert probe.status_code == 200 and probe.content == b"p" * 4096
        assert time.monotonic() - start < 1.0
    finally:
        for sock in socks:
            sock.close()
    after = _settled_rss(pid, 5.0)
    print(
        f"RSS before {before / MIB:.1f} MiB, with {STALLED} stalled readers "
        f"{stalled / MIB:.1f} MiB (+{growth / STALLED / MIB:.2f} MiB each), "
        f"after they closed {after / MIB:.1f} MiB"
    )
    assert growth < STALLED * PER_CLIENT_BOUND, growth
    # Given back once they are gone (within one client's worth).
    assert after - before < PER_CLIENT_BOUND * 4, (before, after)
