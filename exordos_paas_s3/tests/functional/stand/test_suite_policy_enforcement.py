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
"""Ported suite 4: policy enforcement - what an attached policy allows, and
nothing else; changes of policies and attachments apply on the next request.

Runs against the stand in CI and against a live Exordos (see prepare_env.py).
"""

from __future__ import annotations

import secrets
import time

import pytest
from botocore import exceptions as boto_exc

pytestmark = pytest.mark.functional


def policy(actions, resource="*", effect="Allow"):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Action": actions, "Resource": resource}],
    }


READ_WRITE = policy("s3:*")


def code(call, **kwargs) -> str:
    try:
        call(**kwargs)
    except boto_exc.ClientError as exc:
        return exc.response["Error"]["Code"]
    return "OK"


def until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.fixture(scope="module")
def buckets(target):
    _, key = target.user_with_key(READ_WRITE)
    admin = target.s3(key)
    names = ["pol-a-" + secrets.token_hex(3), "pol-b-" + secrets.token_hex(3)]
    docs = [target.bucket(n) for n in names]
    for name in names:
        admin.put_object(Bucket=name, Key="seed", Body=b"seed")
    yield names
    for name in names:
        for obj in admin.list_objects_v2(Bucket=name).get("Contents", []):
            admin.delete_object(Bucket=name, Key=obj["Key"])
    for doc in docs:
        target.delete_bucket(doc)


def test_read_only_policy_reads_but_never_writes(target, buckets):
    a, _ = buckets
    _, key = target.user_with_key(policy(["s3:GetObject", "s3:ListBucket"]))
    s3 = target.s3(key)
    assert code(s3.list_objects_v2, Bucket=a) == "OK"
    assert code(s3.get_object, Bucket=a, Key="seed") == "OK"
    assert code(s3.put_object, Bucket=a, Key="w", Body=b"w") == "AccessDenied"
    assert code(s3.delete_object, Bucket=a, Key="seed") == "AccessDenied"


def test_policy_scoped_to_one_bucket(target, buckets):
    a, b = buckets
    scoped = policy(
        ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        resource=[f"arn:aws:s3:::{a}", f"arn:aws:s3:::{a}/*"],
    )
    _, key = target.user_with_key(scoped)
    s3 = target.s3(key)
    assert code(s3.put_object, Bucket=a, Key="mine", Body=b"m") == "OK"
    assert code(s3.get_object, Bucket=b, Key="seed") == "AccessDenied"
    assert code(s3.list_objects_v2, Bucket=b) == "AccessDenied"


def test_explicit_deny_wins(target, buckets):
    a, _ = buckets
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ],
    }
    _, key = target.user_with_key(document)
    s3 = target.s3(key)
    assert code(s3.put_object, Bucket=a, Key="keep-me", Body=b"k") == "OK"
    assert code(s3.delete_object, Bucket=a, Key="keep-me") == "AccessDenied"


def test_no_policy_means_no_access(target, buckets):
    a, _ = buckets
    _, key = target.user_with_key(None)
    s3 = target.s3(key)
    assert code(s3.get_object, Bucket=a, Key="seed") == "AccessDenied"


def test_policy_change_and_detach_apply_on_the_next_request(target, buckets):
    a, _ = buckets
    _, key = target.user_with_key(policy(["s3:GetObject"]))
    s3 = target.s3(key)
    assert code(s3.get_object, Bucket=a, Key="seed") == "OK"
    (attachment,) = target.api.call("GET", key["user_path"] + "/policies/")
    policy_path = attachment["policy"]
    target.api.call("PUT", policy_path, {"content": policy(["s3:PutObject"])})
    assert until(
        lambda: code(s3.get_object, Bucket=a, Key="seed") == "AccessDenied",
        target.timeout,
    )
    assert code(s3.put_object, Bucket=a, Key="p", Body=b"p") == "OK"
    target.api.call("DELETE", f"{key['user_path']}/policies/{attachment['uuid']}")
    assert until(
        lambda: code(s3.put_object, Bucket=a, Key="p", Body=b"p") == "AccessDenied",
        target.timeout,
    )
