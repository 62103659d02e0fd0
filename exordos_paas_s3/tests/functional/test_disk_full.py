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
"""A full data disk is a normal state (docs/operations.md, "A full disk").

A real gateway process runs on a 64 MiB tmpfs: the test fills it through
the S3 API, then checks that every write answers 507 InsufficientStorage
(never 500) and leaves nothing in tmp/, that deletes and aborts still work
and free space so writes work again, and that the gateway starts on a full
disk and empties tmp/.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import subprocess
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from exordos_paas_s3.tests.functional.conftest import Gateway

pytestmark = pytest.mark.functional

DISK = "64m"
MIB = 1 << 20


@pytest.fixture
def disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mnt)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode()}")
    try:
        yield str(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def gw(disk):
    # The data directory is the tmpfs itself; the log goes next to it.
    gw = Gateway(
        data_dir=disk,
        access_key="AKROOT" + secrets.token_hex(6).upper(),
        secret_key=secrets.token_urlsafe(30),
    )
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


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


def _fill(s3, bucket: str, sizes=(4 * MIB, 256 * 1024, 16 * 1024, 1024, 1)):
    """PUT ever smaller objects until one of the last size does not fit; the
    keys stored. Every refusal must be the disk-full error."""
    keys = []
    for size in sizes:
        body = os.urandom(size)
        for _ in range(10_000):
            key = f"fill-{size}-{len(keys)}"
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=body)
            except ClientError as exc:
                _assert_full(exc)
                break
            keys.append(key)
        else:
            raise AssertionError(f"{size}-byte PUTs never filled the disk")
    return keys


def _assert_full(exc: ClientError) -> None:
    resp = exc.response
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 507, resp
    assert resp["Error"]["Code"] == "InsufficientStorage", resp


def _refused(call, *args, **kwargs) -> None:
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    _assert_full(exc.value)


def _tmp_files(gw) -> list[str]:
    return os.listdir(os.path.join(gw.data_dir, "tmp"))


def _wait_writable(s3, bucket: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            s3.put_object(Bucket=bucket, Key="after", Body=os.urandom(2 * MIB))
            return
        except ClientError as exc:
            _assert_full(exc)
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _squeeze(gw, checkpoint: bool = True) -> None:
    """Take the disk's last free blocks, after emptying the index's WAL
    (checkpointed and truncated: a commit then needs new blocks)."""
    if checkpoint:
        conn = sqlite3.connect(os.path.join(gw.data_dir, "meta.sqlite"), timeout=30)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0
        finally:
            conn.close()
    with open(os.path.join(gw.data_dir, "filler"), "wb", buffering=0) as f:
        block = b"\0" * 4096
        try:
            while True:
                f.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def _health(gw) -> dict:
    resp = requests.get(gw.endpoint + "/health", timeout=5)
    assert resp.status_code == 200
    return resp.json()


def test_writes_on_a_full_disk_answer_507_and_deletes_free_space(gw):
    s3 = _client(gw)
    bucket = "full-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="src", Body=os.urandom(3 * MIB))
    s3.put_object(Bucket=bucket, Key="small", Body=b"tiny")
    one = s3.create_multipart_upload(Bucket=bucket, Key="mp1")["UploadId"]
    etag1 = s3.upload_part(
        Bucket=bucket, Key="mp1", UploadId=one, PartNumber=1, Body=os.urandom(MIB)
    )["ETag"]
    two = s3.create_multipart_upload(Bucket=bucket, Key="mp2")["UploadId"]
    parts2 = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket,
                Key="mp2",
                UploadId=two,
                PartNumber=n,
                Body=os.urandom(5 * MIB),
            )["ETag"],
        }
        for n in (1, 2)
    ]
    third = s3.create_multipart_upload(Bucket=bucket, Key="mp3")["UploadId"]
    s3.upload_part(
        Bucket=bucket, Key="mp3", UploadId=third, PartNumber=1, Body=os.urandom(MIB)
    )

    keys = _fill(s3, bucket, (4 * MIB, 256 * 1024))
    assert len(keys) > 5
    # Leave the index no room at all: an empty WAL (checkpointed and
    # truncated) and the last free blocks taken, so that no write fits, and
    # the first delete needs pages the disk does not have (the reserve).
    _squeeze(gw)
    assert _health(gw)["disk"]["full"] is True
    # Alive, but not ready: the readiness probe names the full disk.
    ready = requests.get(gw.endpoint + "/health?ready", timeout=10)
    assert ready.status_code == 503, ready.text
    assert "data disk is full" in ready.json()["reason"]

    _refused(s3.put_object, Bucket=bucket, Key="big", Body=os.urandom(MIB))
    _refused(s3.put_object, Bucket=bucket, Key="inline", Body=b"x" * 100)
    _refused(s3.put_object, Bucket=bucket, Key="empty", Body=b"")
    _refused(
        s3.upload_part,
        Bucket=bucket,
        Key="mp1",
        UploadId=one,
        PartNumber=2,
        Body=os.urandom(MIB),
    )
    _refused(s3.create_bucket, Bucket="another-" + uuid.uuid4().hex[:8])
    _refused(
        s3.copy_object,
        Bucket=bucket,
        Key="copy",
        CopySource={"Bucket": bucket, "Key": "src"},
    )
    _refused(
        s3.put_object_tagging,
        Bucket=bucket,
        Key="small",
        Tagging={"TagSet": [{"Key": "k", "Value": "v" * 200}]},
    )
    _refused(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="mp2",
        UploadId=two,
        MultipartUpload={"Parts": parts2},
    )
    _refused(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="mp1",
        UploadId=one,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag1}]},
    )
    # Nothing a refused write received stays behind.
    assert _tmp_files(gw) == []
    # Reads still work.
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == b"tiny"

    # Deletes and aborts work on the full disk ...
    s3.abort_multipart_upload(Bucket=bucket, Key="mp3", UploadId=third)
    s3.delete_object(Bucket=bucket, Key=keys[-1])
    deleted = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": k} for k in keys[:6]], "Quiet": True},
    )
    assert not deleted.get("Errors"), deleted
    s3.abort_multipart_upload(Bucket=bucket, Key="mp2", UploadId=two)
    assert "reserve released for deletes" in gw.log()
    # ... and the space they free makes writes work again.
    _wait_writable(s3, bucket)
    assert _health(gw)["disk"]["full"] is False
    time.sleep(2.1)  # past the cached readiness
    assert requests.get(gw.endpoint + "/health?ready", timeout=10).status_code == 200
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp1",
        UploadId=one,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag1}]},
    )
    assert s3.head_object(Bucket=bucket, Key="mp1")["ContentLength"] == MIB
    assert "Traceback" not in gw.log(), gw.log()


def test_the_gateway_starts_on_a_full_disk_and_empties_tmp(gw):
    s3 = _client(gw)
    bucket = "restart-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="small", Body=b"tiny")
    # A body a crash left half received.
    with open(os.path.join(gw.data_dir, "tmp", "left-by-a-crash"), "wb") as f:
        f.write(b"x" * 1024)
    keys = _fill(s3, bucket)
    gw.stop()
    _squeeze(gw, checkpoint=False)

    gw.start()
    s3 = _client(gw)  # a new port
    assert _tmp_files(gw) == []
    assert _health(gw)["disk"]["full"] is True
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == b"tiny"
    _refused(s3.put_object, Bucket=bucket, Key="more", Body=os.urandom(MIB))
    s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": k} for k in keys[:8]], "Quiet": True},
    )
    _wait_writable(s3, bucket)
    assert "Traceback" not in gw.log(), gw.log()
