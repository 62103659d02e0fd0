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
"""Ported suite 3: data integrity - what is written is what is read, byte for
byte, for small, empty, binary, ranged and multipart objects.

Runs against the stand in CI and against a live Exordos (see prepare_env.py).
"""

from __future__ import annotations

import hashlib
import os
import secrets

import pytest

pytestmark = pytest.mark.functional

READ_WRITE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def rw_bucket(target):
    _, key = target.user_with_key(READ_WRITE)
    s3 = target.s3(key)
    name = "data-" + secrets.token_hex(4)
    doc = target.bucket(name)
    yield s3, name
    for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=obj["Key"])
    for up in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
    target.delete_bucket(doc)


@pytest.mark.parametrize("size", [0, 1, 4095, 65537, 3 * MIB + 7])
def test_round_trip_keeps_every_byte(rw_bucket, size):
    s3, bucket = rw_bucket
    data = os.urandom(size)
    put = s3.put_object(Bucket=bucket, Key=f"obj-{size}", Body=data)
    assert put["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket=bucket, Key=f"obj-{size}")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_ranges_return_exactly_the_asked_bytes(rw_bucket):
    s3, bucket = rw_bucket
    data = os.urandom(100_000)
    s3.put_object(Bucket=bucket, Key="ranged", Body=data)
    for first, last in ((0, 0), (10, 99), (99_990, 99_999)):
        got = s3.get_object(Bucket=bucket, Key="ranged", Range=f"bytes={first}-{last}")
        assert got["Body"].read() == data[first : last + 1]
    tail = s3.get_object(Bucket=bucket, Key="ranged", Range="bytes=-10")
    assert tail["Body"].read() == data[-10:]


def test_multipart_upload_assembles_the_parts_in_order(rw_bucket):
    s3, bucket = rw_bucket
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(1234)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi")
    etags = []
    for number, part in enumerate(parts, start=1):
        done = s3.upload_part(
            Bucket=bucket,
            Key="multi",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=part,
        )
        etags.append({"PartNumber": number, "ETag": done["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="multi",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": etags},
    )
    got = s3.get_object(Bucket=bucket, Key="multi")["Body"].read()
    assert got == b"".join(parts)


def test_user_metadata_survives(rw_bucket):
    s3, bucket = rw_bucket
    s3.put_object(Bucket=bucket, Key="meta", Body=b"m", Metadata={"colour": "blue"})
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == {"colour": "blue"}
