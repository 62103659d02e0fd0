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
"""A database dump after the README quick start holds no secret (issue 10,
item 2), checked the way an attacker would: ``pg_dump`` of the stand's whole
database, then a grep for each secret.

The quick start runs on the stand, which seals secrets to each local node
with that node's own key exactly as production does (a NodeEncryptionKey row
copied by the infra builder, the key file in the node's directory). Before
this test's change the node documents in ``ua_target_resources`` and the
gateway.conf Config body carried every secret in clear.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess

import boto3
import psycopg
import pytest
from botocore.config import Config

from exordos_paas_s3 import node_seal
from exordos_paas_s3.controlplane import secret_box
from exordos_paas_s3.stand import runner

pytestmark = pytest.mark.functional

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def _s3(endpoint: str, access_key: str, secret_key: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


@pytest.fixture(scope="module")
def quick_start(stand, api, cp_pg_server_url):
    """The README quick start: version, instance, bucket, user, key, policy,
    attachment, all ACTIVE, and boto3 writing with the key."""
    version = api.call(
        "POST", "/v1/types/s3/versions/", {"name": "0.0.1", "image": "s3-dp.raw"}
    )
    instance = api.call(
        "POST",
        "/v1/types/s3/instances/",
        {"name": "dump-check", "version": f"/v1/types/s3/versions/{version['uuid']}"},
    )
    path = f"/v1/types/s3/instances/{instance['uuid']}"
    api.wait_active(path)
    bucket = api.call("POST", path + "/buckets/", {"name": "dump-bucket"})
    user = api.call("POST", path + "/users/", {"name": "dumper"})
    user_path = f"{path}/users/{user['uuid']}"
    key = api.call("POST", user_path + "/keys/", {})
    policy = api.call("POST", path + "/policies/", {"name": "all", "content": POLICY})
    attachment = api.call(
        "POST",
        user_path + "/policies/",
        {"policy": f"{path}/policies/{policy['uuid']}"},
    )
    for child in (
        f"{path}/buckets/{bucket['uuid']}",
        user_path,
        f"{user_path}/keys/{key['uuid']}",
        f"{path}/policies/{policy['uuid']}",
        f"{user_path}/policies/{attachment['uuid']}",
    ):
        api.wait_active(child)
    shown = api.wait_active(path)
    endpoint = shown["endpoints"][0]
    s3 = _s3(endpoint, key["access_key"], key["secret_key"])
    s3.put_object(Bucket="dump-bucket", Key="hello.txt", Body=b"hello")
    assert s3.get_object(Bucket="dump-bucket", Key="hello.txt")["Body"].read() == (
        b"hello"
    )

    db_url = runner.database_url(cp_pg_server_url, stand.database())
    with psycopg.connect(db_url) as conn:
        root_access_key, sealed_root = conn.execute(
            "SELECT root_access_key, root_secret FROM s3_instances WHERE uuid = %s",
            (instance["uuid"],),
        ).fetchone()
    with open(os.path.join(stand.state_dir, "stand.json"), encoding="utf-8") as f:
        secrets_key = json.load(f)["secrets_key"]
    previous = os.environ.get(secret_box.KEY_ENV)
    os.environ[secret_box.KEY_ENV] = secrets_key
    try:
        root_secret = secret_box.open_sealed(sealed_root, "s3_instances.root_secret")
    finally:
        if previous is None:
            os.environ.pop(secret_box.KEY_ENV, None)
        else:
            os.environ[secret_box.KEY_ENV] = previous
    # The pair really is the gateway's root: the dump check below means
    # something only if these are the live credentials.
    _s3(endpoint, root_access_key, root_secret).list_buckets()
    return {
        "instance": instance,
        "db_url": db_url,
        "key": key,
        "root_access_key": root_access_key,
        "root_secret": root_secret,
    }


def test_pg_dump_after_the_quick_start_holds_no_secret(quick_start):
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--dbname", quick_start["db_url"]],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "s3_access_keys" in dump and "ua_target_resources" in dump
    for name, secret in (
        ("access key secret", quick_start["key"]["secret_key"]),
        ("root secret", quick_start["root_secret"]),
    ):
        assert secret not in dump, f"the {name} is in the database dump"
    # What the data plane gets is there, sealed to its node.
    assert node_seal.PREFIX in dump


def test_the_root_access_key_is_random_not_the_uuid(quick_start):
    key = quick_start["root_access_key"]
    uuid_hex = quick_start["instance"]["uuid"].replace("-", "").upper()
    assert re.fullmatch(r"EXS3[A-Z0-9]{16}", key), key
    assert uuid_hex[:12] not in key and not key.startswith("EXS3ROOT")


def test_each_node_has_its_own_key_0600_and_nothing_secret_is_world_readable(
    stand, quick_start
):
    nodes_root = os.path.join(stand.state_dir, "nodes")
    node_dirs = [os.path.join(nodes_root, n) for n in sorted(os.listdir(nodes_root))]
    assert node_dirs
    with psycopg.connect(quick_start["db_url"]) as conn:
        rows = dict(
            conn.execute(
                "SELECT uuid::text, private_key FROM ua_node_encryption_keys"
            ).fetchall()
        )
    for node_dir in node_dirs:
        key_path = os.path.join(node_dir, "private_key")
        assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
        with open(key_path, encoding="utf-8") as f:
            assert rows[os.path.basename(node_dir)] == f.read().strip()
        conf = os.path.join(node_dir, "gateway.conf")
        assert stat.S_IMODE(os.stat(conf).st_mode) & 0o077 == 0
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        assert quick_start["root_secret"] not in text
        assert "root_secret_key_sealed = " + node_seal.PREFIX in text
    # What the stand keeps besides the nodes holds no plaintext either.
    for name in ("infra.json", "stand.json"):
        path = os.path.join(stand.state_dir, name)
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert quick_start["root_secret"] not in text
        assert quick_start["key"]["secret_key"] not in text
    assert quick_start["root_secret"] not in stand.log()
    assert quick_start["key"]["secret_key"] not in stand.log()
