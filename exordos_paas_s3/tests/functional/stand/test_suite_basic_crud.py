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
"""Ported suite 1: basic CRUD through the service (bucket and object life).

Runs against the stand in CI and against a live Exordos (see prepare_env.py).
"""

from __future__ import annotations

import secrets

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


def test_bucket_from_the_api_is_usable_and_its_delete_removes_it(target, rw):
    name = "crud-" + secrets.token_hex(4)
    doc = target.bucket(name)
    rw.head_bucket(Bucket=name)
    target.delete_bucket(doc)
    target.api.wait(
        f"{target.path}/buckets/",
        lambda docs: name not in [b["name"] for b in docs],
    )

    def gone():
        try:
            rw.head_bucket(Bucket=name)
        except boto_exc.ClientError:
            return True
        return False

    target.api.wait(f"{target.path}/buckets/", lambda _: gone())


def test_object_put_get_list_copy_delete(target, rw):
    name = "crud-" + secrets.token_hex(4)
    doc = target.bucket(name)
    rw.put_object(Bucket=name, Key="dir/a.txt", Body=b"alpha", ContentType="text/plain")
    rw.put_object(Bucket=name, Key="dir/b.txt", Body=b"beta")
    head = rw.head_object(Bucket=name, Key="dir/a.txt")
    assert head["ContentLength"] == 5 and head["ContentType"] == "text/plain"
    assert rw.get_object(Bucket=name, Key="dir/a.txt")["Body"].read() == b"alpha"
    listed = rw.list_objects_v2(Bucket=name, Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/a.txt", "dir/b.txt"]
    rw.copy_object(Bucket=name, Key="c.txt", CopySource=f"{name}/dir/a.txt")
    assert rw.get_object(Bucket=name, Key="c.txt")["Body"].read() == b"alpha"
    rw.delete_object(Bucket=name, Key="dir/a.txt")
    with pytest.raises(boto_exc.ClientError) as err:
        rw.get_object(Bucket=name, Key="dir/a.txt")
    assert err.value.response["Error"]["Code"] == "NoSuchKey"
    for key in ("dir/b.txt", "c.txt"):
        rw.delete_object(Bucket=name, Key=key)
    target.delete_bucket(doc)


def test_non_empty_bucket_delete_is_refused_by_the_api(target, rw):
    name = "crud-" + secrets.token_hex(4)
    doc = target.bucket(name)
    rw.put_object(Bucket=name, Key="keep", Body=b"x")
    path = f"{target.path}/buckets/{doc['uuid']}"
    # The control plane learns emptiness from the nodes' reports.
    target.api.wait(path, lambda d: isinstance(d, dict) and d.get("is_empty") is False)
    response = target.api.session.delete(target.api.url + path, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    rw.delete_object(Bucket=name, Key="keep")
    target.api.wait(path, lambda d: isinstance(d, dict) and d.get("is_empty") is True)
    target.delete_bucket(doc)
