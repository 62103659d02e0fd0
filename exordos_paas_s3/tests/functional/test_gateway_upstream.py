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
"""A real gateway process with ``--blob-store s3 --index sqlite`` over a
real Ceph RGW (tests/rgw.py; skipped without one), driven by boto3.

The bytes must really be in the upstream bucket, under opaque blob ids
(never a user's key), and an overwrite or a delete must remove the old blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import time

import boto3
import pytest
import requests
from botocore.config import Config

from exordos_paas_s3.tests import rgw
from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional

MIB = 1 << 20
BLOB_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def upstream_gateway(tmp_path, monkeypatch):
    upstream = rgw.new_bucket("gw")
    monkeypatch.setenv("EXORDOS_S3_UPSTREAM_ACCESS_KEY", upstream.access_key)
    monkeypatch.setenv("EXORDOS_S3_UPSTREAM_SECRET_KEY", upstream.secret_key)
    gw = new_gateway(
        str(tmp_path),
        "--blob-store",
        "s3",
        "--upstream-endpoint",
        upstream.endpoint,
        "--upstream-bucket",
        upstream.bucket,
        "--upstream-region",
        upstream.region,
        "--upstream-multipart-threshold-mib",
        "5",
        "--upstream-part-size-mib",
        "5",
    )
    gw.start()
    client = boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(retries={"max_attempts": 1}),
    )
    yield gw, client, upstream
    code = gw.stop()
    assert code == 0, gw.log()
    assert upstream.secret_key not in gw.log()


def _blobs(upstream) -> dict[str, int]:
    s3 = rgw.client()
    found: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=upstream.bucket):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = obj["Size"]
    return found


def _eventually(check, timeout: float = 10.0):
    # Obsolete blobs are deleted after the commit, in the background.
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def test_put_get_ranges_list_multipart_overwrite_delete(upstream_gateway):
    gw, s3, upstream = upstream_gateway
    s3.create_bucket(Bucket="data")
    small = os.urandom(4096)
    s3.put_object(Bucket="data", Key="dir/small.bin", Body=small)
    assert s3.get_object(Bucket="data", Key="dir/small.bin")["Body"].read() == small
    got = s3.get_object(Bucket="data", Key="dir/small.bin", Range="bytes=100-199")
    assert got["Body"].read() == small[100:200]
    assert got["ContentRange"] == "bytes 100-199/4096"

    # The bytes are upstream, under an opaque id, never under the key.
    blobs = _blobs(upstream)
    assert list(blobs.values()) == [4096]
    assert all(BLOB_ID.match(name) for name in blobs)
    stored = rgw.client().get_object(Bucket=upstream.bucket, Key=next(iter(blobs)))
    assert stored["Body"].read() == small

    # Multipart: three parts (5, 5, 1 MiB), three blobs, no concatenation;
    # a range across the part boundaries reads through.
    data = os.urandom(11 * MIB)
    up = s3.create_multipart_upload(Bucket="data", Key="big")
    parts = []
    for n, start in enumerate(range(0, len(data), 5 * MIB), 1):
        piece = data[start : start + 5 * MIB]
        etag = s3.upload_part(
            Bucket="data", Key="big", UploadId=up["UploadId"], PartNumber=n, Body=piece
        )["ETag"]
        parts.append({"PartNumber": n, "ETag": etag})
    s3.complete_multipart_upload(
        Bucket="data",
        Key="big",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": parts},
    )
    body = s3.get_object(Bucket="data", Key="big")["Body"].read()
    assert hashlib.md5(body).digest() == hashlib.md5(data).digest()
    lo, hi = 5 * MIB - 10, 10 * MIB + 10
    ranged = s3.get_object(Bucket="data", Key="big", Range=f"bytes={lo}-{hi}")
    assert ranged["Body"].read() == data[lo : hi + 1]
    assert sorted(_blobs(upstream).values()) == [4096, MIB, 5 * MIB, 5 * MIB]

    listed = s3.list_objects_v2(Bucket="data")
    assert [o["Key"] for o in listed["Contents"]] == ["big", "dir/small.bin"]
    assert s3.list_objects_v2(Bucket="data", Delimiter="/")["CommonPrefixes"] == [
        {"Prefix": "dir/"}
    ]

    # An overwrite is a new blob; the old one goes (after the grace period,
    # which a gateway stop cuts short).
    s3.put_object(Bucket="data", Key="dir/small.bin", Body=b"new")
    assert s3.get_object(Bucket="data", Key="dir/small.bin")["Body"].read() == b"new"
    s3.delete_object(Bucket="data", Key="big")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="data", Key="big")
    gw.stop()
    assert sorted(_blobs(upstream).values()) == [3]

    # The index is kept across a restart; the bytes are still upstream.
    gw.start()
    s3 = boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
    )
    assert s3.get_object(Bucket="data", Key="dir/small.bin")["Body"].read() == b"new"


def test_ready_with_its_index_on_a_disk_with_room(upstream_gateway):
    """The SQLite index is on the data disk: the gateway holds the disk
    reserve as the local backend does, and a disk with room is ready (it
    once reported "disk full" with gigabytes free, failing the node)."""
    gw, _s3, _upstream = upstream_gateway
    got = requests.get(f"{gw.endpoint}/health?ready", timeout=10)
    assert got.status_code == 200, got.text
    health = requests.get(f"{gw.endpoint}/health", timeout=10).json()
    assert health["disk"]["full"] is False
    assert health["disk"]["reserve_bytes"] > 0


def test_rejected_write_leaves_no_blob(upstream_gateway):
    gw, s3, upstream = upstream_gateway
    s3.create_bucket(Bucket="cond")
    s3.put_object(Bucket="cond", Key="k", Body=b"first")
    before = _blobs(upstream)
    # A failed If-None-Match and a wrong Content-MD5: the body was streamed
    # upstream before the check, and its blob is removed.
    with pytest.raises(s3.exceptions.ClientError) as exc:
        s3.put_object(Bucket="cond", Key="k", Body=b"second", IfNoneMatch="*")
    assert exc.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(s3.exceptions.ClientError) as exc:
        s3.put_object(
            Bucket="cond", Key="k", Body=b"third", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="
        )
    assert exc.value.response["Error"]["Code"] == "BadDigest"
    _eventually(lambda: _blobs(upstream) == before)
    assert s3.get_object(Bucket="cond", Key="k")["Body"].read() == b"first"


# --- the storage itself (no gateway process) ---------------------------------


async def _settled(check, timeout: float = 10.0):
    """_eventually on the storage's own loop (its deletions run there)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def _chunks(data: bytes):
    yield data


def test_reader_keeps_the_version_it_resolved(tmp_path):
    import asyncio

    from exordos_paas_s3.gateway.storage import base, s3_blobs, upstream

    bucket = rgw.new_bucket("rd")

    async def t():
        st = upstream.UpstreamStorage(
            str(tmp_path / "d"), s3_blobs.S3BlobStore(bucket), name=bucket.bucket
        )
        await st.start()
        try:
            await st.create_bucket("b", "owner", "us-east-1")
            req = base.PutRequest("b", "k", "owner")
            await st.put_object(req, _chunks(b"old" * 1000))
            reader = await st.open_object("b", "k")
            await st.put_object(req, _chunks(b"new"))
            old = b"".join([c async for c in reader.stream()])
            assert old == b"old" * 1000
            assert len(_blobs(bucket)) == 2  # the old blob waits out its grace
        finally:
            await st.close()
        assert list(_blobs(bucket).values()) == [3]

    asyncio.run(t())


def test_index_refuses_another_upstream_bucket(tmp_path):
    import asyncio

    from exordos_paas_s3.gateway.storage import layout

    first, second = rgw.new_bucket("ix"), rgw.new_bucket("ix")

    def chosen(up):
        return layout.parse(
            blob_store="s3",
            upstream_endpoint=up.endpoint,
            upstream_bucket=up.bucket,
            upstream_region=up.region,
            upstream_access_key=up.access_key,
            upstream_secret_key=up.secret_key,
        )

    async def t():
        st = await layout.build(chosen(first), str(tmp_path / "d"))
        await st.close()
        with pytest.raises(layout.LayoutError) as exc:
            await layout.build(chosen(second), str(tmp_path / "d"))
        assert first.bucket in str(exc.value) and "refusing" in str(exc.value)
        assert first.secret_key not in str(exc.value)

    asyncio.run(t())


def test_a_write_cancelled_while_it_commits_keeps_its_blob(tmp_path):
    # A client that goes away while its PUT waits for the index commit
    # cancels the handler, but the commit goes on in the writer thread: the
    # blob must follow the commit's outcome, or the index names a deleted
    # blob (a dangling row).
    import asyncio

    from exordos_paas_s3.gateway.storage import base, s3_blobs, upstream

    bucket = rgw.new_bucket("cx")

    async def t():
        st = upstream.UpstreamStorage(
            str(tmp_path / "d"), s3_blobs.S3BlobStore(bucket), name=bucket.bucket
        )
        await st.start()
        try:
            await st.create_bucket("b", "owner", "us-east-1")
            assert st._writer is not None
            # The writer is busy: the PUT's commit waits behind this job.
            busy = st._writer.submit(lambda tx: time.sleep(1.5))
            put = asyncio.ensure_future(
                st.put_object(base.PutRequest("b", "k", "owner"), _chunks(b"kept"))
            )
            for _ in range(100):  # until the blob is upstream
                await asyncio.sleep(0.02)
                if _blobs(bucket):
                    break
            assert _blobs(bucket), "the blob never reached the upstream"
            put.cancel()
            with pytest.raises(asyncio.CancelledError):
                await put
            await busy
            for _ in range(100):  # until the PUT's job committed
                try:
                    await st.head_object("b", "k")
                    break
                except Exception:  # noqa: BLE001 - not committed yet
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # a wrong deletion would be done by now
            reader = await st.open_object("b", "k")
            assert b"".join([c async for c in reader.stream()]) == b"kept"
        finally:
            await st.close()

    asyncio.run(t())


def test_parts_left_out_replaced_or_aborted_lose_their_blobs(tmp_path):
    import asyncio

    from exordos_paas_s3.gateway.storage import base, s3_blobs, upstream

    bucket = rgw.new_bucket("mp")
    five = os.urandom(5 * MIB)

    async def t():
        st = upstream.UpstreamStorage(
            str(tmp_path / "d"),
            s3_blobs.S3BlobStore(
                bucket, multipart_threshold=5 * MIB, part_size=5 * MIB
            ),
            name=bucket.bucket,
            unlink_grace=0,
        )
        await st.start()
        try:
            await st.create_bucket("b", "owner", "us-east-1")
            req = base.PutRequest("b", "k", "owner")
            up = await st.create_multipart_upload(req)
            p1 = await st.upload_part("b", "k", up.upload_id, 1, _chunks(b"x"))
            # Part 1 again: the first blob of part 1 is replaced.
            p1 = await st.upload_part("b", "k", up.upload_id, 1, _chunks(five))
            await st.upload_part("b", "k", up.upload_id, 2, _chunks(b"left out"))
            p3 = await st.upload_part("b", "k", up.upload_id, 3, _chunks(b"end"))
            info = await st.complete_multipart_upload(
                "b", "k", up.upload_id, [(1, p1.etag), (3, p3.etag)]
            )
            assert info.size == 5 * MIB + 3
            await _settled(lambda: sorted(_blobs(bucket).values()) == [3, 5 * MIB])
            reader = await st.open_object("b", "k", start=5 * MIB - 2)
            assert b"".join([c async for c in reader.stream()]) == five[-2:] + b"end"

            gone = await st.create_multipart_upload(base.PutRequest("b", "g", "owner"))
            await st.upload_part("b", "g", gone.upload_id, 1, _chunks(b"abc"))
            assert len(_blobs(bucket)) == 3
            await st.abort_multipart_upload("b", "g", gone.upload_id)
            await _settled(lambda: len(_blobs(bucket)) == 2)
        finally:
            await st.close()

    asyncio.run(t())


def test_encrypted_reader_keeps_the_version_it_resolved(tmp_path):
    """SSE over the upstream: the decrypting reader reads the blobs it
    resolved (ObjectReader.stored), not the key again, after an overwrite."""
    import asyncio

    from exordos_paas_s3.gateway import sse
    from exordos_paas_s3.gateway.storage import base, encrypting, s3_blobs, upstream

    bucket = rgw.new_bucket("enc")
    old_body = os.urandom(300_000)

    async def t():
        inner = upstream.UpstreamStorage(
            str(tmp_path / "d"), s3_blobs.S3BlobStore(bucket), name=bucket.bucket
        )
        (tmp_path / "keys").mkdir()
        st = encrypting.EncryptingStorage(inner, sse.Keyring(str(tmp_path / "keys")))
        await st.start()
        try:
            await st.create_bucket("b", "owner", "us-east-1")
            req = base.PutRequest("b", "k", "owner", encryption=sse.Spec(sse.KIND_S3))
            await st.put_object(req, _chunks(old_body))
            reader = await st.open_object("b", "k")
            ranged = await st.open_object("b", "k", start=70_000, length=100_000)
            await st.put_object(req, _chunks(b"new"))
            assert b"".join([c async for c in reader.stream()]) == old_body
            got = b"".join([c async for c in ranged.stream()])
            assert got == old_body[70_000:170_000]
        finally:
            await st.close()

    asyncio.run(t())
