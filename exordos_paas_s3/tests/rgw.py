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
"""A real Ceph RGW for the tests of the S3 upstream (``--blob-store s3``).

The RGW comes from ``shared/ceph/start-rgw.sh`` (CI starts it before the
tests): its env file is read from ``$CEPH_RGW_ENV`` (default
/tmp/ceph-rgw/rgw.env) or the RGW_* variables. Without a reachable RGW the
tests that need one skip and say how to start it.
"""

from __future__ import annotations

import atexit
import functools
import os
import shlex
import uuid

import boto3
import pytest
import requests

from exordos_paas_s3.gateway.storage import layout


def env() -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if k.startswith("RGW_")}
    path = os.environ.get("CEPH_RGW_ENV", "/tmp/ceph-rgw/rgw.env")
    if "RGW_ENDPOINT" not in found and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("export "):
                    name, _, value = line[len("export ") :].strip().partition("=")
                    found[name] = shlex.split(value)[0] if value else ""
    return found


@functools.cache
def _reachable() -> dict[str, str] | None:
    found = env()
    endpoint = found.get("RGW_ENDPOINT")
    if not endpoint:
        return None
    try:
        requests.get(endpoint, timeout=3)
    except requests.RequestException:
        return None
    return found


def client():
    """A boto3 client of the RGW's main user (skips without an RGW)."""
    found = _reachable()
    if found is None:
        pytest.skip(
            "no Ceph RGW: run shared/ceph/start-rgw.sh (and set CEPH_RGW_ENV "
            "to its rgw.env if it is not /tmp/ceph-rgw/rgw.env)"
        )
    return boto3.client(
        "s3",
        endpoint_url=found["RGW_ENDPOINT"],
        aws_access_key_id=found["RGW_MAIN_ACCESS_KEY"],
        aws_secret_access_key=found["RGW_MAIN_SECRET_KEY"],
        region_name=found.get("RGW_REGION", "default"),
    )


def new_bucket(prefix: str = "t") -> layout.Upstream:
    """A fresh bucket on the RGW as an Upstream (skips without an RGW);
    emptied and removed when the test process ends."""
    s3 = client()
    found = env()
    bucket = f"{prefix}-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    atexit.register(remove_bucket, s3, bucket)
    return layout.Upstream(
        endpoint=found["RGW_ENDPOINT"],
        bucket=bucket,
        region=found.get("RGW_REGION", "default"),
        access_key=found["RGW_MAIN_ACCESS_KEY"],
        secret_key=found["RGW_MAIN_SECRET_KEY"],
    )


@functools.cache
def shared_bucket(prefix: str = "t") -> layout.Upstream:
    """One bucket for a whole test run (blob ids never collide)."""
    return new_bucket(prefix)


def keys(s3, bucket: str) -> list[str]:
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        found.extend(obj["Key"] for obj in page.get("Contents", []))
    return found


def remove_bucket(s3, bucket: str) -> None:
    try:
        for key in keys(s3, bucket):
            s3.delete_object(Bucket=bucket, Key=key)
        for up in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            s3.abort_multipart_upload(
                Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"]
            )
        s3.delete_bucket(Bucket=bucket)
    except Exception:  # noqa: BLE001, S110 - best effort at exit
        pass
