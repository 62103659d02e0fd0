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
"""The S3 upstream blob store against a real Ceph RGW
(gateway/storage/s3_blobs.py).

The RGW comes from ``shared/ceph/start-rgw.sh``: its env file is read from
``$CEPH_RGW_ENV`` (default /tmp/ceph-rgw/rgw.env) or the RGW_* variables;
without a reachable RGW these tests skip and say how to start one.
"""

import asyncio
import hashlib
import os
import shlex
import uuid

import boto3
import pytest
import requests

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import blobs, layout, s3_blobs

pytestmark = pytest.mark.functional

MIB = 1 << 20


def _rgw_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("RGW_")}
    path = os.environ.get("CEPH_RGW_ENV", "/tmp/ceph-rgw/rgw.env")
    if "RGW_ENDPOINT" not in env and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("export "):
                    name, _, value = line[len("export ") :].strip().partition("=")
                    env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture(scope="module")
def rgw():
    env = _rgw_env()
    endpoint = env.get("RGW_ENDPOINT")
    try:
        if not endpoint:
            raise requests.ConnectionError("no RGW_ENDPOINT")
        requests.get(endpoint, timeout=3)
    except requests.RequestException:
        pytest.skip(
            "no Ceph RGW: run shared/ceph/start-rgw.sh (and set CEPH_RGW_ENV "
            "to its rgw.env if it is not /tmp/ceph-rgw/rgw.env)"
        )
    bucket = "blobs-" + uuid.uuid4().hex[:12]
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env["RGW_MAIN_ACCESS_KEY"],
        aws_secret_access_key=env["RGW_MAIN_SECRET_KEY"],
        region_name=env.get("RGW_REGION", "default"),
    )
    client.create_bucket(Bucket=bucket)
    upstream = layout.Upstream(
        endpoint=endpoint,
        bucket=bucket,
        region=env.get("RGW_REGION", "default"),
        access_key=env["RGW_MAIN_ACCESS_KEY"],
        secret_key=env["RGW_MAIN_SECRET_KEY"],
    )
    yield upstream, client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
    for up in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(
            Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"]
        )
    client.delete_bucket(Bucket=bucket)


def _run(upstream, fn, **options):
    async def main():
        store = s3_blobs.S3BlobStore(
            upstream, multipart_threshold=5 * MIB, part_size=5 * MIB, **options
        )
        await store.start()
        try:
            await fn(store)
        finally:
            await store.close()

    asyncio.run(main())


async def chunks(data: bytes, size: int = 256 * 1024):
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read(store, blob_id, start=0, length=None) -> bytes:
    return b"".join([c async for c in await store.open(blob_id, start, length)])


@pytest.mark.parametrize("size", [0, 1, 4096, 5 * MIB, 5 * MIB + 1, 11 * MIB + 7])
def test_put_open_ranges_delete(rgw, size):
    upstream, client = rgw
    data = os.urandom(size)

    async def t(store):
        blob_id = blobs.new_blob_id()
        assert await store.put(blob_id, chunks(data), size) == size
        assert await read(store, blob_id) == data
        head = client.head_object(Bucket=upstream.bucket, Key=blob_id)
        assert head["ContentLength"] == size
        if size <= 5 * MIB:
            assert head["ETag"].strip('"') == hashlib.md5(data).hexdigest()
        else:
            assert head["ETag"].endswith('-%d"' % -(-size // (5 * MIB)))
        for start, length in ((0, 1), (size // 2, 100), (size - 1, None), (3, 0)):
            if size == 0 and length != 0:
                continue
            end = size if length is None else start + length
            assert await read(store, blob_id, start, length) == data[start:end]
        await store.delete(blob_id)
        await store.delete(blob_id)  # idempotent
        with pytest.raises(errors.InternalError):
            await store.open(blob_id)

    _run(upstream, t)


def test_a_failing_body_leaves_no_blob_and_no_upload(rgw):
    upstream, client = rgw

    async def broken(n):
        yield os.urandom(n)
        raise errors.IncompleteBody()

    async def t(store):
        for n in (1000, 12 * MIB):
            blob_id = blobs.new_blob_id()
            with pytest.raises(errors.IncompleteBody):
                await store.put(blob_id, broken(n))
            with pytest.raises(errors.InternalError):
                await store.open(blob_id)
        uploads = client.list_multipart_uploads(Bucket=upstream.bucket)
        assert uploads.get("Uploads", []) == []

    _run(upstream, t)


def test_many_concurrent_blobs_share_a_bounded_pool(rgw):
    upstream, _client = rgw
    datas = [os.urandom(20000 + i) for i in range(40)]

    async def t(store):
        ids = [blobs.new_blob_id() for _ in datas]
        await asyncio.gather(
            *(store.put(b, chunks(d)) for b, d in zip(ids, datas, strict=True))
        )
        got = await asyncio.gather(*(read(store, b) for b in ids))
        assert got == datas
        await asyncio.gather(*(store.delete(b) for b in ids))

    _run(upstream, t, max_connections=4)


def test_unreachable_upstream_is_503_slowdown_with_retry_after(rgw):
    upstream, _client = rgw
    dead = layout.Upstream(
        endpoint="http://127.0.0.1:9",  # discard port: nothing listens
        bucket=upstream.bucket,
        region=upstream.region,
        access_key=upstream.access_key,
        secret_key=upstream.secret_key,
    )

    async def t():
        store = s3_blobs.S3BlobStore(dead, attempts=3, backoff=0.01)
        with pytest.raises(errors.SlowDown) as exc:
            await store.start()
        assert exc.value.status == 503
        assert exc.value.headers["retry-after"] == "1"
        with pytest.raises(errors.SlowDown):
            await store.put(blobs.new_blob_id(), chunks(b"x"))
        await store.close()

    asyncio.run(t())


def test_wrong_keys_are_refused_not_retried(rgw):
    upstream, _client = rgw
    wrong = layout.Upstream(
        endpoint=upstream.endpoint,
        bucket=upstream.bucket,
        region=upstream.region,
        access_key=upstream.access_key,
        secret_key="not-the-secret",
    )

    async def t():
        store = s3_blobs.S3BlobStore(wrong)
        with pytest.raises(errors.InternalError):
            await store.start()
        await store.close()

    asyncio.run(t())


def test_unread_and_half_read_streams_give_their_connection_back(rgw):
    """A GET answered 304 by the gateway never reads the opened blob; a
    client that goes away stops half way. Neither may keep a pool slot
    (with 2 connections, the third open would wait forever)."""
    upstream, _client = rgw
    data = os.urandom(3 * MIB)

    async def t(store):
        blob_id = blobs.new_blob_id()
        await store.put(blob_id, chunks(data))
        for _ in range(6):
            await asyncio.wait_for(store.open(blob_id), 10)  # dropped unread
        for _ in range(6):
            stream = await asyncio.wait_for(store.open(blob_id), 10)
            await stream.__anext__()  # half read, then dropped
            del stream
        got = await asyncio.wait_for(read(store, blob_id), 10)
        assert got == data
        await store.delete(blob_id)

    _run(upstream, t, max_connections=2)


@pytest.mark.skipif(
    os.environ.get("EXORDOS_TEST_RGW_RESTART") != "1",
    reason="restarts the RGW (set EXORDOS_TEST_RGW_RESTART=1 on a test RGW)",
)
def test_reads_survive_an_rgw_restart(rgw):
    """RGW stopped and started again: the pooled keep-alive connections are
    dead; the next read fails over to a new connection and succeeds once
    RGW answers again (retries with backoff), never a 500."""
    import signal
    import subprocess
    import time

    upstream, _client = rgw
    env = _rgw_env()
    rgw_dir = env["CEPH_RGW_DIR"]
    script = os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        *[".."] * 4,  # the repository's parent: where shared/ is
        "shared",
        "ceph",
        "start-rgw.sh",
    )
    script = os.environ.get("CEPH_START_RGW", os.path.normpath(script))
    data = os.urandom(1000)

    async def t(store):
        blob_id = blobs.new_blob_id()
        await store.put(blob_id, chunks(data))
        assert await read(store, blob_id) == data  # leaves a pooled connection
        with open(os.path.join(rgw_dir, "run", "client.rgw.gw.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            await asyncio.sleep(0.1)
        restart = subprocess.Popen(
            ["bash", script],
            env={**os.environ, "CEPH_RGW_DIR": rgw_dir},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started = time.monotonic()
        try:
            assert await read(store, blob_id) == data
        finally:
            await asyncio.to_thread(restart.wait, 120)
        assert time.monotonic() - started < 60
        await store.delete(blob_id)

    _run(upstream, t, attempts=8, backoff=0.2)
