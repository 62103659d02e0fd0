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
"""Bucket deletes through the API reach the gateways however the timing falls.

A newcomer's run of the README found it: ``PUT {"force_delete": true}`` then
``DELETE`` within a second or two answered 204 while the bucket and its
objects stayed on the gateway for good. Runs against the stand in CI and
against a live Exordos (see prepare_env.py).
"""

from __future__ import annotations

import secrets
import time

import pytest
from botocore import exceptions as boto_exc

pytestmark = pytest.mark.functional

READ_WRITE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def rw(target):
    _, key = target.user_with_key(READ_WRITE)
    return target.s3(key)


def _wait_gone(rw, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            rw.head_bucket(Bucket=name)
        except boto_exc.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchBucket"):
                return
            raise
        time.sleep(0.5)
    raise AssertionError(f"bucket {name} is still on the gateway")


def _full_bucket(target, rw) -> tuple[dict, str, str]:
    name = "del-" + secrets.token_hex(4)
    doc = target.bucket(name, versioning_enabled=True)
    rw.put_object(Bucket=name, Key="a", Body=b"one")
    rw.put_object(Bucket=name, Key="a", Body=b"two")  # two versions
    return doc, name, f"{target.path}/buckets/{doc['uuid']}"


def test_force_delete_right_after_setting_force_removes_the_bucket(target, rw):
    doc, name, path = _full_bucket(target, rw)
    target.api.wait(path, lambda d: isinstance(d, dict) and d.get("is_empty") is False)
    # No pause: the DELETE races the builders and the node's agent.
    target.api.call("PUT", path, {"force_delete": True})
    target.api.call("DELETE", path)
    assert target.api.session.get(target.api.url + path).status_code == 404
    _wait_gone(rw, name, target.timeout)


def test_delete_with_force_query_removes_a_full_bucket_at_once(target, rw):
    doc, name, path = _full_bucket(target, rw)
    target.api.wait(path, lambda d: isinstance(d, dict) and d.get("is_empty") is False)
    target.api.call("DELETE", path + "?force=true")
    _wait_gone(rw, name, target.timeout)


def test_plain_delete_the_data_plane_refuses_is_reported_then_forceable(target, rw):
    name = "del-" + secrets.token_hex(4)
    doc = target.bucket(name)
    path = f"{target.path}/buckets/{doc['uuid']}"
    # ACTIVE and reported empty; objects arrive before the next report.
    assert target.api.call("GET", path)["is_empty"] is True
    rw.put_object(Bucket=name, Key="late", Body=b"x")
    response = target.api.session.delete(target.api.url + path, timeout=30)
    if response.status_code == 409:
        pytest.skip("the node reported the object before the DELETE came")
    assert response.status_code == 204, response.text

    # Not a silent orphan: the instance says what is left and how to go on.
    shown = target.api.wait(
        target.path,
        lambda d: isinstance(d, dict) and f"deleted bucket {name}" in d["reason"],
    )
    assert "not empty" in shown["reason"] and "force=true" in shown["reason"]
    rw.head_bucket(Bucket=name)

    target.api.call("DELETE", path + "?force=true")
    _wait_gone(rw, name, target.timeout)
    target.api.wait(
        target.path, lambda d: isinstance(d, dict) and name not in d["reason"]
    )


def test_force_on_a_bucket_nobody_deleted_is_still_404(target):
    path = f"{target.path}/buckets/{'0' * 8}-0000-4000-8000-{'0' * 12}"
    response = target.api.session.delete(target.api.url + path + "?force=true")
    assert response.status_code == 404
