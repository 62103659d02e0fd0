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
"""Ported suite 2: the access-key lifecycle (create, use, disable, enable,
delete), each step visible on the S3 API as soon as the API says ACTIVE.

Runs against the stand in CI and against a live Exordos (see prepare_env.py).
"""

from __future__ import annotations

import time

import pytest
from botocore import exceptions as boto_exc

pytestmark = pytest.mark.functional

LIST_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
    ],
}


def code_of(s3) -> str:
    try:
        s3.list_buckets()
    except boto_exc.ClientError as exc:
        return exc.response["Error"]["Code"]
    return "OK"


def until(s3, expected: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    code = code_of(s3)
    while code != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        code = code_of(s3)
    return code


def test_key_lifecycle(target):
    _, key = target.user_with_key(LIST_ONLY)
    s3 = target.s3(key)
    assert code_of(s3) == "OK"
    # The secret is shown once, at creation, never again.
    assert "secret_key" not in target.api.call("GET", key["path"])
    listed = target.api.call("GET", key["user_path"] + "/keys/")
    assert all("secret_key" not in k for k in listed)

    target.api.call("PUT", key["path"], {"enabled": False})
    assert until(s3, "InvalidAccessKeyId", target.timeout) == "InvalidAccessKeyId"
    target.api.wait_active(key["path"], target.timeout)

    target.api.call("PUT", key["path"], {"enabled": True})
    assert until(s3, "OK", target.timeout) == "OK"

    target.api.call("DELETE", key["path"])
    assert until(s3, "InvalidAccessKeyId", target.timeout) == "InvalidAccessKeyId"


def test_deleting_the_user_revokes_all_its_keys(target):
    _, first = target.user_with_key(LIST_ONLY)
    second = target.api.call("POST", first["user_path"] + "/keys/", {})
    target.api.wait_active(f"{first['user_path']}/keys/{second['uuid']}")
    clients = [target.s3(first), target.s3(second)]
    assert [code_of(c) for c in clients] == ["OK", "OK"]
    target.api.call("DELETE", first["user_path"])
    for client in clients:
        assert until(client, "InvalidAccessKeyId", target.timeout) == (
            "InvalidAccessKeyId"
        )


def test_a_wrong_secret_is_refused(target):
    _, key = target.user_with_key(LIST_ONLY)
    forged = dict(key, secret_key="x" * 40)
    assert code_of(target.s3(forged)) == "SignatureDoesNotMatch"
