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
"""The driver's admin client against a real gateway process over HTTP.

Covers the admin API the driver relies on (docs/admin-api.md): idempotent
puts, errors with status and code, policies validated by the gateway's policy
parser, buckets with settings that the S3 API sees at once, the actual-state
read, and persistence across a restart.
"""

import json
import socket

import boto3
import pytest
import requests
from botocore.config import Config

from exordos_paas_s3.dataplane import gateway_client as gc
from exordos_paas_s3.tests.functional import conftest

pytestmark = pytest.mark.functional

READ_ALL = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}
    ],
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = conftest.new_gateway(str(tmp_path_factory.mktemp("admin-client")))
    gw.start()
    yield gw
    gw.stop()


@pytest.fixture
def admin_url(gateway):
    return gateway.admin_endpoint


@pytest.fixture
def root(gateway):
    return gc.GatewayAdminClient(
        gc.AdminEndpoint(gateway.admin_endpoint, gateway.access_key, gateway.secret_key)
    )


def s3_of(gateway):
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
        config=Config(s3={"addressing_style": "path"}),
    )


def client(gateway, secret=None, url=None):
    return gc.GatewayAdminClient(
        gc.AdminEndpoint(
            url or gateway.admin_endpoint,
            gateway.access_key,
            secret or gateway.secret_key,
        )
    )


def test_user_and_key_puts_are_idempotent(gateway):
    c = client(gateway)
    c.put_user("alice", user_id="0b6c9a5e-3f1f-4a55-9d0e-6e1f4f1f0a01")
    c.put_user("alice", user_id="0b6c9a5e-3f1f-4a55-9d0e-6e1f4f1f0a01")
    c.put_access_key("alice", "AKALICE0001", "alice-secret-0001", True)
    doc = c.put_access_key("alice", "AKALICE0001", "alice-secret-0001", False)
    assert doc["enabled"] is False
    assert "secret_key" not in doc
    assert c.writes == 4


def test_put_user_sets_and_changes_the_kind(gateway):
    c = client(gateway)
    assert c.put_user("kim", user_id="kim-id")["kind"] == "account"
    assert c.put_user("kim", user_id="kim-id", kind="iam")["kind"] == "iam"
    assert c.put_user("kim", user_id="kim-id")["kind"] == "iam"
    users = {u["name"]: u for u in c.get_state()["users"]}
    assert users["kim"] == {"name": "kim", "user_id": "kim-id", "kind": "iam"}
    with pytest.raises(gc.AdminError) as err:
        c.put_user("kim", kind="superuser")
    assert err.value.status == 400
    c.delete_user("kim")


def test_errors_come_back_with_status_and_code(gateway):
    c = client(gateway)
    with pytest.raises(gc.AdminError) as err:
        c.put_access_key("nobody", "AKNOBODY001", "nobody-secret-01", True)
    assert err.value.status == 404
    c.put_user("bob")
    with pytest.raises(gc.AdminError) as err:
        c.put_user("bob", user_id="another-id")
    assert err.value.status == 409 and err.value.code == "Conflict"
    c.delete_user("bob")
    with pytest.raises(gc.AdminError) as err:
        c.delete_user("bob")
    assert err.value.status == 404


def test_wrong_root_secret_is_refused(gateway):
    with pytest.raises(gc.AdminError) as err:
        client(gateway, secret="wrong-secret-0001").put_user("eve")
    assert err.value.status == 401


def test_unreachable_gateway_is_its_own_error(gateway):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(gc.AdminUnavailable) as err:
        client(gateway, url=f"http://127.0.0.1:{port}").put_user("alice")
    assert gateway.secret_key not in str(err.value)


def test_policy_is_validated_by_the_policy_parser(gateway):
    c = client(gateway)
    doc = c.put_policy("read-all", READ_ALL)
    assert doc["document"] == READ_ALL
    c.put_policy("read-all", READ_ALL)  # idempotent
    with pytest.raises(gc.AdminError) as err:
        c.put_policy("broken", {"Version": "2012-10-17", "Statement": []})
    assert err.value.status == 400 and "Statement" in err.value.message
    with pytest.raises(gc.AdminError) as err:
        c.put_policy(
            "has-principal",
            {**READ_ALL, "Statement": [{**READ_ALL["Statement"][0], "Principal": "*"}]},
        )
    assert err.value.status == 400
    names = {p["name"] for p in c.get_state()["policies"]}
    assert "read-all" in names and "broken" not in names


def test_attached_policy_cannot_be_deleted_until_detached(gateway):
    c = client(gateway)
    c.put_policy("reader", READ_ALL)
    c.put_user("carol", user_id="carol-id")
    c.put_attachment("carol", "reader")
    c.put_attachment("carol", "reader")
    assert {"user": "carol", "policy": "reader"} in c.get_state()["attachments"]
    with pytest.raises(gc.AdminError) as err:
        c.delete_policy("reader")
    assert err.value.status == 409 and "carol" in err.value.message
    with pytest.raises(gc.AdminError) as err:
        c.put_attachment("carol", "no-such-policy")
    assert err.value.status == 404
    c.delete_attachment("carol", "reader")
    c.delete_policy("reader")
    with pytest.raises(gc.AdminError) as err:
        c.delete_attachment("carol", "reader")
    assert err.value.status == 404


def test_bucket_settings_apply_and_the_s3_api_sees_them(gateway):
    c = client(gateway)
    settings = {
        "versioning": True,
        "object_lock": True,
        "retention": {"mode": "GOVERNANCE", "days": 7},
        "quota_bytes": 1024,
        "public": True,
    }
    doc = c.put_bucket("locked-bucket", settings)
    assert doc["versioning"] == "Enabled" and doc["object_lock"] is True
    assert doc["retention"] == {"mode": "GOVERNANCE", "days": 7}
    assert doc["quota_bytes"] == 1024 and doc["public"] is True
    assert doc["empty"] is True
    s3 = s3_of(gateway)
    assert s3.get_bucket_versioning(Bucket="locked-bucket")["Status"] == "Enabled"
    lock = s3.get_object_lock_configuration(Bucket="locked-bucket")
    config = lock["ObjectLockConfiguration"]
    assert config["ObjectLockEnabled"] == "Enabled"
    assert config["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 7}
    policy = json.loads(s3.get_bucket_policy(Bucket="locked-bucket")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == "*" and statement["Effect"] == "Allow"
    # Public read is public: an anonymous GET of an object works.
    s3.put_object(Bucket="locked-bucket", Key="open.txt", Body=b"open")
    anonymous = requests.get(f"{gateway.endpoint}/locked-bucket/open.txt", timeout=5)
    assert anonymous.status_code == 200 and anonymous.content == b"open"

    before = c.writes
    c.put_bucket("locked-bucket", settings)
    stats = c._request("GET", "/stats")
    assert c.writes == before + 1 and stats["writes"] >= c.writes

    # Turning public and versioning off: the public-read policy goes,
    # versioning is suspended (S3 cannot un-version a bucket).
    c.put_bucket("plain-bucket", {"versioning": True, "public": True})
    doc = c.put_bucket("plain-bucket", {"versioning": False, "public": False})
    assert doc["versioning"] == "Suspended" and doc["public"] is False
    assert doc["has_policy"] is False


def test_bucket_settings_that_cannot_apply_are_refused_with_a_reason(gateway):
    c = client(gateway)
    cases = [
        ("Bad_Name", {}, 400, "naming rules"),
        ("lock-no-versioning", {"object_lock": True}, 400, "versioning"),
        (
            "retention-no-lock",
            {"versioning": True, "retention": {"mode": "GOVERNANCE", "days": 1}},
            400,
            "object lock",
        ),
        (
            "bad-mode",
            {
                "versioning": True,
                "object_lock": True,
                "retention": {"mode": "FOREVER", "days": 1},
            },
            400,
            "mode",
        ),
        ("neg-quota", {"quota_bytes": -1}, 400, "quota_bytes"),
        ("unknown-field", {"colour": "red"}, 400, "colour"),
    ]
    for name, body, status, words in cases:
        with pytest.raises(gc.AdminError) as err:
            c.put_bucket(name, body)
        assert err.value.status == status, name
        assert words in err.value.message, (name, err.value.message)
    auth = (gateway.access_key, gateway.secret_key)
    url = gateway.admin_endpoint + "/v1/buckets/no-lock"
    assert requests.put(url + "?force=true", json={}, auth=auth).status_code == 400
    assert requests.delete(url + "?force=maybe", auth=auth).status_code == 400
    c.put_bucket("no-lock", {})
    with pytest.raises(gc.AdminError) as err:
        c.put_bucket("no-lock", {"versioning": True, "object_lock": True})
    assert err.value.status == 409


def test_bucket_empty_flag_and_forced_delete(gateway):
    c = client(gateway)
    s3 = s3_of(gateway)
    c.put_bucket("full-bucket", {"versioning": True})
    s3.put_object(Bucket="full-bucket", Key="a", Body=b"1")
    s3.put_object(Bucket="full-bucket", Key="a", Body=b"2")
    s3.create_multipart_upload(Bucket="full-bucket", Key="big")
    (doc,) = [b for b in c.get_state()["buckets"] if b["name"] == "full-bucket"]
    assert doc["empty"] is False
    with pytest.raises(gc.AdminError) as err:
        c.delete_bucket("full-bucket")
    assert err.value.status == 409 and err.value.code == "BucketNotEmpty"
    c.delete_bucket("full-bucket", force=True)
    assert "full-bucket" not in {b["name"] for b in c.get_state()["buckets"]}
    with pytest.raises(gc.AdminError) as err:
        c.delete_bucket("full-bucket")
    assert err.value.status == 404


def test_state_lists_no_root_and_no_secret(gateway):
    c = client(gateway)
    c.put_user("dave", user_id="dave-id")
    c.put_access_key("dave", "AKDAVE00001", "dave-secret-000001", True)
    state = c.get_state()
    assert "root" not in {u["name"] for u in state["users"]}
    assert gateway.access_key not in repr(state)
    assert "dave-secret-000001" not in repr(state)


def test_everything_persists_across_a_restart(tmp_path):
    gw = conftest.new_gateway(str(tmp_path))
    gw.start()
    try:
        c = client(gw)
        c.put_policy("reader", READ_ALL)
        c.put_user("erin", user_id="erin-id")
        c.put_access_key("erin", "AKERIN00001", "erin-secret-000001", False)
        c.put_attachment("erin", "reader")
        c.put_bucket("kept", {"versioning": True, "quota_bytes": 5, "public": True})
        before = c.get_state()
        gw.stop()
        gw.start()
        c = client(gw)
        assert c.get_state() == before
        assert c._request("GET", "/stats")["writes"] == 0
    finally:
        gw.stop()
