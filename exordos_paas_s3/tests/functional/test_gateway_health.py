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
"""``curl http://<node>:9000/health`` (seed 002's troubleshooting line) on a
real gateway process, and the S3 meaning of the same path kept for every
request that could be a tenant's (signed, with a query, virtual-hosted)."""

import json
import shutil
import subprocess

import pytest
import requests
from botocore import exceptions as boto_exc

from exordos_paas_s3.tests.functional.conftest import VIRTUAL_HOST_DOMAIN

pytestmark = pytest.mark.functional

DISK_FIELDS = {"free_bytes", "total_bytes", "reserve_bytes", "full"}


def _healthy(doc: dict) -> bool:
    """The liveness answer: ok, with the data disk's state."""
    return (
        doc["status"] == "ok"
        and set(doc["disk"]) == DISK_FIELDS
        and doc["disk"]["full"] is False
        and doc["disk"]["free_bytes"] > 0
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl")
def test_curl_health_on_the_s3_port(gateway):
    out = subprocess.run(
        [
            "curl",
            "-s",
            "--noproxy",
            "*",
            "--max-time",
            "10",
            "-w",
            "\n%{http_code} %{content_type}",
            f"{gateway.endpoint}/health",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    body, _, status = out.rpartition("\n")
    assert status == "200 application/json"
    assert _healthy(json.loads(body))


def test_health_answers_get_and_head_without_credentials(gateway):
    got = requests.get(f"{gateway.endpoint}/health", timeout=10)
    assert got.status_code == 200 and _healthy(got.json())
    assert got.headers["x-amz-request-id"]
    head = requests.head(f"{gateway.endpoint}/health", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))


@pytest.mark.parametrize(
    "path", ["/health?list-type=2", "/health?location", "/health/", "/healthz"]
)
def test_anything_else_under_that_path_is_s3(gateway, path):
    got = requests.get(f"{gateway.endpoint}{path}", timeout=10)
    assert got.status_code in (403, 404), got.text
    assert got.text.startswith("<?xml")


def test_other_methods_on_health_are_s3(gateway):
    put = requests.put(f"{gateway.endpoint}/health", timeout=10)
    assert put.status_code == 403 and "<Code>AccessDenied</Code>" in put.text


def test_a_bucket_named_health_keeps_its_s3_meaning_when_signed(s3, gateway):
    s3.create_bucket(Bucket="health")
    try:
        s3.put_object(Bucket="health", Key="k", Body=b"v")
        listed = s3.list_objects(Bucket="health")
        assert [o["Key"] for o in listed["Contents"]] == ["k"]
        assert s3.list_objects_v2(Bucket="health")["KeyCount"] == 1
        # Anonymous, path-style, no query: the probe, even with the bucket.
        got = requests.get(f"{gateway.endpoint}/health", timeout=10)
        assert _healthy(got.json())
        s3.delete_object(Bucket="health", Key="k")
    finally:
        s3.delete_bucket(Bucket="health")
    with pytest.raises(boto_exc.ClientError) as err:
        s3.list_objects(Bucket="health")
    assert err.value.response["Error"]["Code"] == "NoSuchBucket"


def test_virtual_hosted_health_is_a_key_of_that_bucket(gateway, s3, bucket):
    got = requests.get(
        f"{gateway.endpoint}/health",
        headers={"Host": f"{bucket}.{VIRTUAL_HOST_DOMAIN}"},
        timeout=10,
    )
    assert got.status_code == 403 and got.text.startswith("<?xml")
    # The bare domain names no bucket: that is the probe again.
    got = requests.get(
        f"{gateway.endpoint}/health",
        headers={"Host": VIRTUAL_HOST_DOMAIN},
        timeout=10,
    )
    assert _healthy(got.json())
