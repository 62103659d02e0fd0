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
"""The minio Python SDK against the real gateway process."""

from __future__ import annotations

import io
import os

import pytest
from minio import Minio
from minio.commonconfig import CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

pytestmark = pytest.mark.functional


@pytest.fixture
def mc(gateway):
    return Minio(
        f"127.0.0.1:{gateway.port}",
        access_key=gateway.access_key,
        secret_key=gateway.secret_key,
        secure=False,
        region=gateway.region,
    )


def test_minio_round_trip(mc, bucket_name):
    mc.make_bucket(bucket_name)
    assert mc.bucket_exists(bucket_name)
    assert bucket_name in [b.name for b in mc.list_buckets()]
    data = os.urandom(300_000)
    mc.put_object(
        bucket_name,
        "dir/a.bin",
        io.BytesIO(data),
        len(data),
        metadata={"x-amz-meta-k": "v"},
    )
    listed = [o.object_name for o in mc.list_objects(bucket_name, recursive=True)]
    assert listed == ["dir/a.bin"]
    assert [o.object_name for o in mc.list_objects(bucket_name)] == ["dir/"]
    resp = mc.get_object(bucket_name, "dir/a.bin")
    try:
        assert resp.read() == data
    finally:
        resp.close()
        resp.release_conn()
    resp = mc.get_object(bucket_name, "dir/a.bin", offset=100, length=50)
    try:
        assert resp.read() == data[100:150]
    finally:
        resp.close()
        resp.release_conn()
    stat = mc.stat_object(bucket_name, "dir/a.bin")
    assert stat.size == len(data) and stat.metadata["x-amz-meta-k"] == "v"
    mc.copy_object(bucket_name, "copy.bin", CopySource(bucket_name, "dir/a.bin"))
    assert mc.stat_object(bucket_name, "copy.bin").etag == stat.etag
    # put_object with part_size below the length: minio's multipart upload.
    big = os.urandom(11 * 1024 * 1024)
    mc.put_object(
        bucket_name, "big", io.BytesIO(big), len(big), part_size=5 * 1024 * 1024
    )
    assert mc.stat_object(bucket_name, "big").etag.endswith("-3")
    resp = mc.get_object(bucket_name, "big")
    try:
        assert resp.read() == big
    finally:
        resp.close()
        resp.release_conn()
    for name in ("dir/a.bin", "copy.bin"):
        mc.remove_object(bucket_name, name)
    errors = list(mc.remove_objects(bucket_name, iter([DeleteObject("big")])))
    assert errors == []
    mc.remove_bucket(bucket_name)
    assert not mc.bucket_exists(bucket_name)


def test_minio_errors(mc, bucket_name):
    with pytest.raises(S3Error) as e:
        mc.stat_object("no-such-bucket-xyz", "k")
    assert e.value.code in ("NoSuchBucket", "NoSuchKey", "ResourceNotFound")
    mc.make_bucket(bucket_name)
    with pytest.raises(S3Error) as e:
        mc.get_object(bucket_name, "missing")
    assert e.value.code == "NoSuchKey"
    mc.remove_bucket(bucket_name)
