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
"""The original product's API contract (shared/seeds/002: its README) against
the stand, with plain HTTP requests as its curl examples make them: create
with a version name, ``bucket_name``, ``encryption`` and ``versioning``;
``PATCH``; ``/access-keys``; ``mfa_delete``; the ``nodes`` array. And what
the fields promise, checked where it happens: on the gateway, with boto3 and
in the files the gateway stores.
"""

from __future__ import annotations

import os
import secrets
import time

import boto3
import pytest
import requests
from botocore import exceptions as boto_exc
from botocore.config import Config

pytestmark = pytest.mark.functional

READ_WRITE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
INSTANCES = "/v1/types/s3/instances"


def curl(stand, method: str, path: str, body=None) -> requests.Response:
    """One request as the seed README's curl lines make it."""
    return requests.request(
        method,
        stand.api + path,
        json=body,
        headers={"Authorization": f"Bearer {stand.token}"},
        timeout=30,
    )


def s3_client(endpoint: str, key: dict):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key["access_key"],
        aws_secret_access_key=key["secret_key"],
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


def files_holding(root: str, needle: bytes) -> list[str]:
    found = []
    for base, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(base, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def seed_version(api):
    # The seed names versions like this; "0.0.1" is its example.
    return api.call("POST", "/v1/types/s3/versions/", {"name": "0.0.1", "image": "x"})


def test_seed_create_example_encrypts_and_versions_the_default_bucket(
    stand, api, seed_version
):
    name = "s3-data-" + secrets.token_hex(3)
    bucket = "data-bucket-" + secrets.token_hex(3)
    # The seed README's example, field for field.
    created = curl(
        stand,
        "POST",
        f"{INSTANCES}",
        {
            "name": name,
            "version": "0.0.1",
            "bucket_name": bucket,
            "encryption": "aes256",
            "versioning": True,
        },
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["version"] == f"/v1/types/s3/versions/{seed_version['uuid']}"
    assert (doc["bucket_name"], doc["encryption"], doc["versioning"]) == (
        bucket,
        "aes256",
        True,
    )
    assert doc["mfa_delete"] is False and doc["nodes"] == []
    path = f"{INSTANCES}/{doc['uuid']}"
    shown = api.wait_active(path)
    # nodes: id, ip, port of each data-plane node, the same as `endpoints`.
    (node,) = shown["nodes"]
    assert set(node) == {"id", "ip", "port"}
    assert shown["endpoints"] == [f"http://{node['ip']}:{node['port']}"]

    (default_bucket,) = api.call("GET", f"{path}/buckets/?name={bucket}")
    assert default_bucket["versioning_enabled"] is True
    api.wait_active(f"{path}/buckets/{default_bucket['uuid']}")

    # A user, a key through the seed's /access-keys, a policy: then boto3.
    user = api.call("POST", f"{path}/users/", {"name": "writer"})
    user_path = f"{path}/users/{user['uuid']}"
    key = curl(stand, "POST", f"{user_path}/access-keys/", {})
    assert key.status_code == 201, key.text
    key = key.json()
    assert len(key["secret_key"]) == 40
    policy = api.call(
        "POST", f"{path}/policies/", {"name": "rw", "content": READ_WRITE}
    )
    attachment = api.call(
        "POST",
        f"{user_path}/policies/",
        {"policy": f"{path}/policies/{policy['uuid']}"},
    )
    api.wait_active(f"{user_path}/access-keys/{key['uuid']}")
    api.wait_active(f"{user_path}/policies/{attachment['uuid']}")

    s3 = s3_client(f"http://{node['ip']}:{node['port']}", key)
    marker = b"seed-plaintext-" + secrets.token_hex(16).encode()
    # No SSE header: the bucket's default encryption does it.
    put = s3.put_object(Bucket=bucket, Key="test.txt", Body=marker)
    assert put["ServerSideEncryption"] == "AES256"
    assert put.get("VersionId")  # versioning: true
    got = s3.get_object(Bucket=bucket, Key="test.txt")
    assert got["Body"].read() == marker and got["ServerSideEncryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="test.txt")
    assert head["ServerSideEncryption"] == "AES256"
    rules = s3.get_bucket_encryption(Bucket=bucket)
    (rule,) = rules["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    # Stored encrypted: no file the node wrote holds the plaintext.
    assert files_holding(stand.state_dir, marker) == []

    # Every bucket of the instance gets it, not only the default one.
    other = api.call("POST", f"{path}/buckets/", {"name": bucket + "-2"})
    assert other["versioning_enabled"] is True  # the instance's default
    api.wait_active(f"{path}/buckets/{other['uuid']}")
    put = s3.put_object(Bucket=bucket + "-2", Key="k", Body=b"x")
    assert put["ServerSideEncryption"] == "AES256"

    # PATCH encryption off: the default encryption leaves the gateway, new
    # objects are stored as they come; the versioning default only changes
    # what later buckets get.
    patched = curl(stand, "PATCH", path, {"encryption": "none", "versioning": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["encryption"] == "none"
    assert patched.json()["versioning"] is False
    api.wait_active(path)  # the instance, too, once its nodes have it

    # The buckets' items change with it; the nodes apply that next cycle.
    def encryption_gone() -> bool:
        try:
            s3.get_bucket_encryption(Bucket=bucket)
        except boto_exc.ClientError as exc:
            code = exc.response["Error"]["Code"]
            return code == "ServerSideEncryptionConfigurationNotFoundError"
        return False

    deadline = time.monotonic() + 60
    while not encryption_gone():
        assert time.monotonic() < deadline, "the default encryption stayed"
        time.sleep(0.5)
    api.wait_active(f"{path}/buckets/{default_bucket['uuid']}")
    plain = b"seed-plaintext-" + secrets.token_hex(16).encode()
    put = s3.put_object(Bucket=bucket, Key="plain.txt", Body=plain)
    assert "ServerSideEncryption" not in put
    # (The check above looks where the data is: this one is found there.)
    assert files_holding(stand.state_dir, plain)
    third = api.call("POST", f"{path}/buckets/", {"name": bucket + "-3"})
    assert third["versioning_enabled"] is False


def test_patch_is_a_partial_update(stand, api, seed_version):
    created = api.call(
        "POST",
        f"{INSTANCES}/",
        {"name": "patch-" + secrets.token_hex(3), "version": "0.0.1"},
    )
    path = f"{INSTANCES}/{created['uuid']}"
    response = curl(stand, "PATCH", path, {"description": "only this"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["description"] == "only this"
    for field in ("name", "version", "cpu", "ram", "disk_size", "encryption"):
        assert doc[field] == created[field], field
    # Nested resources too, and the same checks as PUT.
    bucket = api.call("POST", f"{path}/buckets/", {"name": "patch-me"})
    bpath = f"{path}/buckets/{bucket['uuid']}"
    response = curl(stand, "PATCH", bpath, {"quota_bytes": 1000})
    assert response.status_code == 200, response.text
    assert response.json()["quota_bytes"] == 1000
    assert response.json()["name"] == "patch-me"
    refused = curl(stand, "PATCH", bpath, {"name": "renamed"})
    assert refused.status_code == 403, refused.text
    refused = curl(stand, "PATCH", path, {"ram": 10**9})
    assert refused.status_code == 400 and "512 to 1048576" in refused.text
    api.call("DELETE", path)


def test_access_keys_is_the_keys_collection(stand, api, seed_version):
    created = api.call(
        "POST",
        f"{INSTANCES}/",
        {"name": "alias-" + secrets.token_hex(3), "version": "0.0.1"},
    )
    path = f"{INSTANCES}/{created['uuid']}"
    user = api.call("POST", f"{path}/users/", {"name": "alias"})
    user_path = f"{path}/users/{user['uuid']}"
    made = curl(stand, "POST", f"{user_path}/access-keys/", {})
    assert made.status_code == 201 and "secret_key" in made.json()
    key = made.json()
    # One collection under two names.
    for collection in ("keys", "access-keys"):
        listed = api.call("GET", f"{user_path}/{collection}/")
        assert [k["uuid"] for k in listed] == [key["uuid"]]
        assert all("secret_key" not in k for k in listed)
        shown = api.call("GET", f"{user_path}/{collection}/{key['uuid']}")
        assert shown["access_key"] == key["access_key"]
        assert "secret_key" not in shown
    patched = curl(
        stand, "PATCH", f"{user_path}/access-keys/{key['uuid']}", {"enabled": False}
    )
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    deleted = curl(stand, "DELETE", f"{user_path}/access-keys/{key['uuid']}")
    assert deleted.status_code == 204
    assert api.call("GET", f"{user_path}/keys/") == []
    api.call("DELETE", path)


def test_mfa_delete_true_is_refused_and_nothing_is_made(stand, api, seed_version):
    name = "mfa-" + secrets.token_hex(3)
    refused = curl(
        stand,
        "POST",
        f"{INSTANCES}/",
        {"name": name, "version": "0.0.1", "mfa_delete": True},
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"].startswith("Invalid value of field 'mfa_delete'")
    assert "not supported" in refused.json()["message"]
    assert api.call("GET", f"{INSTANCES}/?name={name}") == []

    created = api.call(
        "POST",
        f"{INSTANCES}/",
        {"name": name, "version": "0.0.1", "mfa_delete": False},
    )
    path = f"{INSTANCES}/{created['uuid']}"
    refused = curl(stand, "PATCH", path, {"mfa_delete": True})
    assert refused.status_code == 400 and "mfa_delete" in refused.text
    assert api.call("GET", path)["mfa_delete"] is False
    api.call("DELETE", path)


def test_version_by_name_uuid_or_uri_and_bad_ones(stand, api, seed_version):
    for version in (
        "0.0.1",
        seed_version["uuid"],
        f"/v1/types/s3/versions/{seed_version['uuid']}",
    ):
        created = api.call(
            "POST",
            f"{INSTANCES}/",
            {"name": "v-" + secrets.token_hex(3), "version": version},
        )
        assert created["version"].endswith(seed_version["uuid"])
        # An update takes the same forms.
        path = f"{INSTANCES}/{created['uuid']}"
        patched = curl(stand, "PATCH", path, {"version": version})
        assert patched.status_code == 200, patched.text
        assert patched.json()["version"] == created["version"]
        api.call("DELETE", path)
    for version, status in (("9.9.9", 400), ("x" * 300, 400), ("", 400)):
        refused = curl(
            stand, "POST", f"{INSTANCES}/", {"name": "nov", "version": version}
        )
        assert refused.status_code == status, (version[:20], refused.text)
        assert len(refused.text) < 1000
    refused = curl(
        stand, "POST", f"{INSTANCES}/", {"name": "nov", "encryption": "rot13"}
    )
    assert 400 <= refused.status_code < 500


def test_client_identity_and_links_are_checked(stand, api, seed_version):
    """What the CLI sends on create: a uuid, the project, the links."""
    created = api.call(
        "POST",
        f"{INSTANCES}/",
        {"name": "ids-" + secrets.token_hex(3), "version": "0.0.1"},
    )
    path = f"{INSTANCES}/{created['uuid']}"
    other = api.call(
        "POST",
        f"{INSTANCES}/",
        {"name": "ids-" + secrets.token_hex(3), "version": "0.0.1"},
    )
    other_path = f"{INSTANCES}/{other['uuid']}"
    user = api.call("POST", f"{path}/users/", {"name": "u1"})
    user_path = f"{path}/users/{user['uuid']}"
    other_user = api.call("POST", f"{other_path}/users/", {"name": "u1"})

    # A malformed uuid, an existing one: 4xx.
    for uuid, status in (("not-a-uuid", 400), (user["uuid"], 409)):
        refused = curl(stand, "POST", f"{path}/users/", {"uuid": uuid, "name": "u2"})
        assert refused.status_code == status, refused.text
    # Another project than the token's / the instance's: 403.
    foreign = "00000000-0000-4000-8000-000000000000"
    refused = curl(stand, "POST", f"{path}/users/", {"project_id": foreign})
    assert refused.status_code == 403 and "project_id" in refused.text
    refused = curl(
        stand,
        "POST",
        f"{INSTANCES}/",
        {"name": "x", "version": "0.0.1", "project_id": foreign},
    )
    assert refused.status_code == 403 and "project_id" in refused.text
    # Links that are not the URL's: 400 naming the field.
    for body, field in (
        ({"instance": other_path}, "instance"),
        ({"user": f"{other_path}/users/{other_user['uuid']}"}, "user"),
    ):
        refused = curl(stand, "POST", f"{user_path}/keys/", body)
        assert refused.status_code == 400, refused.text
        assert f"field '{field}'" in refused.json()["message"]
    # The consistent ones are taken.
    key = curl(
        stand,
        "POST",
        f"{user_path}/keys/",
        {
            "uuid": "11111111-2222-4333-8444-555555555555",
            "project_id": created["project_id"],
            "instance": path,
            "user": user_path,
        },
    )
    assert key.status_code == 201, key.text
    assert key.json()["uuid"] == "11111111-2222-4333-8444-555555555555"
    for cleanup in (path, other_path):
        api.call("DELETE", cleanup)


def test_policy_rename_reaches_the_gateway(stand, api, seed_version):
    created = api.call(
        "POST",
        f"{INSTANCES}/",
        {"name": "ren-" + secrets.token_hex(3), "version": "0.0.1"},
    )
    path = f"{INSTANCES}/{created['uuid']}"
    endpoint = api.wait_active(path)["endpoints"][0]
    user = api.call("POST", f"{path}/users/", {"name": "ren"})
    user_path = f"{path}/users/{user['uuid']}"
    key = api.call("POST", f"{user_path}/keys/", {})
    policy = api.call(
        "POST", f"{path}/policies/", {"name": "before", "content": READ_WRITE}
    )
    ppath = f"{path}/policies/{policy['uuid']}"
    api.call("POST", f"{user_path}/policies/", {"policy": ppath})
    api.call("POST", f"{path}/policies/", {"name": "taken", "content": READ_WRITE})
    refused = curl(stand, "PUT", ppath, {"name": "taken"})
    assert refused.status_code == 409, refused.text
    refused = curl(stand, "PUT", ppath, {"name": "bad name!"})
    assert refused.status_code == 400, refused.text

    renamed = curl(stand, "PUT", ppath, {"name": "after"})
    assert renamed.status_code == 200 and renamed.json()["status"] == "NEW"
    api.wait_active(ppath)
    api.wait_active(f"{user_path}/keys/{key['uuid']}")
    s3 = s3_client(endpoint, key)
    deadline = time.monotonic() + 30
    while True:  # the attachment follows the policy to its new name
        try:
            s3.create_bucket(Bucket="renamed-policy-works")
            break
        except boto_exc.ClientError:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    api.call("DELETE", path)
