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
"""Abandoned multipart uploads (--abort-incomplete-uploads-days) on a real
gateway: counted in the admin usage report, aborted once old enough with no
lifecycle rule, their part files gone; younger uploads and finished objects
untouched. The age is a fraction of a day (3 s) so the test is short."""

from __future__ import annotations

import os
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional

MAX_AGE = 3.0  # seconds
MIB = 1 << 20


@pytest.fixture
def gw(tmp_path):
    gw = new_gateway(
        str(tmp_path), "--abort-incomplete-uploads-days", str(MAX_AGE / 86400)
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


def _usage(gw, bucket: str) -> dict:
    state = requests.get(
        gw.admin_endpoint + "/v1/state",
        auth=(gw.access_key, gw.secret_key),
        timeout=10,
    ).json()
    (item,) = [b for b in state["buckets"] if b["name"] == bucket]
    return item["usage"]


def _files(gw) -> int:
    root = os.path.join(gw.data_dir, "objects")
    return sum(len(files) for _, _, files in os.walk(root))


def test_old_uploads_are_aborted_and_counted_until_then(gw):
    s3 = _client(gw)
    bucket = "reap-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=b"k" * 100_000)
    files_before = _files(gw)
    old = []
    for i in range(3):
        up = s3.create_multipart_upload(Bucket=bucket, Key=f"cut-{i}")["UploadId"]
        s3.upload_part(
            Bucket=bucket, Key=f"cut-{i}", UploadId=up, PartNumber=1, Body=b"p" * MIB
        )
        old.append(up)
    usage = _usage(gw, bucket)
    assert usage["uploads"] == 3 and usage["upload_bytes"] == 3 * MIB, usage
    assert usage["objects"] == 1 and usage["bytes"] == 100_000
    assert _files(gw) == files_before + 3

    deadline = time.monotonic() + 20
    while s3.list_multipart_uploads(Bucket=bucket).get("Uploads"):
        assert time.monotonic() < deadline, gw.log()
        time.sleep(0.5)
    # A new upload is younger than the age: it stays (checked right away).
    young = s3.create_multipart_upload(Bucket=bucket, Key="young")["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in listed] == [young]
    usage = _usage(gw, bucket)
    assert usage["uploads"] == 1 and usage["upload_bytes"] == 0, usage
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"k" * 100_000
    # The aborted parts' files are gone (after the unlink grace period).
    deadline = time.monotonic() + 10
    while _files(gw) != files_before:
        assert time.monotonic() < deadline, (_files(gw), files_before)
        time.sleep(0.5)
    assert "aborted 3 multipart uploads" in gw.log()
