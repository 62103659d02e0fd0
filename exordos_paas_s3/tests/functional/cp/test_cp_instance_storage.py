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
"""An instance told where its bytes and its index live (issue 11, item 8):
the storage fields through the real API (PostgreSQL, role tokens), their
4xx rules, secrets never shown, and the gateway.conf the infra builder writes
for them, which a real gateway opens and serves from over a real Ceph RGW.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
import uuid as sys_uuid

import boto3
import pytest
import requests
from botocore.config import Config
from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.infra.services import builder as gcl_infra_builder
from restalchemy.dm import filters as dm_filters

from exordos_paas_s3 import node_seal
from exordos_paas_s3.controlplane import iam, secret_box
from exordos_paas_s3.controlplane.infra import builder as infra_builder
from exordos_paas_s3.controlplane.infra import models as infra_s3
from exordos_paas_s3.tests import rgw
from exordos_paas_s3.tests.functional.conftest import REPO_ROOT, free_port
from exordos_paas_s3.tests.functional.cp import conftest

pytestmark = pytest.mark.functional

INSTANCES = "/v1/types/s3/instances/"
UPSTREAM_SECRET = "Upstream/Secret+" + secrets.token_hex(12)
INDEX_PASSWORD = "pg-" + secrets.token_hex(12)


def _s3_body(version, **extra):
    return {
        "name": f"i-{secrets.token_hex(3)}",
        "version": version,
        "blob_store": "s3",
        "upstream_endpoint": "http://rgw.example:7480",
        "upstream_bucket": "exordos-blobs",
        "upstream_region": "default",
        "upstream_access_key": "UPSTREAMKEY",
        "upstream_secret_key": UPSTREAM_SECRET,
        **extra,
    }


@pytest.mark.parametrize(
    "change,field",
    [
        ({"blob_store": "ceph"}, "blob_store"),
        ({"upstream_endpoint": None}, "upstream_endpoint"),
        ({"upstream_endpoint": "ftp://rgw.example"}, "upstream_endpoint"),
        ({"upstream_endpoint": "http://user:pw@rgw.example"}, "upstream_endpoint"),
        ({"upstream_endpoint": "http://rgw.example:99999"}, "upstream_endpoint"),
        ({"upstream_endpoint": "http://rgw.example/$HOME"}, "upstream_endpoint"),
        ({"upstream_bucket": "Bad_Bucket"}, "upstream_bucket"),
        ({"upstream_bucket": "a.b.c"}, "upstream_bucket"),
        ({"upstream_region": "Not A Region"}, "upstream_region"),
        ({"upstream_access_key": None}, "upstream_access_key"),
        ({"upstream_secret_key": None}, "upstream_secret_key"),
        ({"upstream_secret_key": "has space"}, "upstream_secret_key"),
        ({"upstream_secret_key": 42}, "upstream_secret_key"),
        ({"index_url": "mysql://db/x"}, "index_url"),
        ({"index_url": "postgresql://u:pw@db/s3"}, "index_url"),
        ({"index_url": "postgresql://u@db/s3?password=pw"}, "index_url"),
        ({"index_url": "postgresql://u@db"}, "index_url"),
        ({"index_password": "pw"}, "index_password"),  # with sqlite
        # Several nodes over one bucket need one index (each node's GC).
        ({"kind": "cluster", "nodes_number": 3}, "index_url"),
    ],
)
def test_bad_storage_is_a_400_naming_the_field(cp_owner, cp_version, change, field):
    body = {k: v for k, v in {**_s3_body(cp_version), **change}.items()}
    response = cp_owner.post(INSTANCES, body)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert f"Invalid value of field '{field}'" in message, message
    assert UPSTREAM_SECRET not in response.text


@pytest.mark.parametrize(
    "change,field",
    [
        ({"upstream_endpoint": "http://rgw.example"}, "upstream_endpoint"),
        ({"index_url": "postgresql://u@db/s3"}, "index_url"),
    ],
)
def test_local_disks_take_no_upstream_and_no_shared_index(
    cp_owner, cp_version, change, field
):
    body = {"name": "local", "version": cp_version, **change}
    response = cp_owner.post(INSTANCES, body)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert f"Invalid value of field '{field}'" in message, message


def test_secrets_are_written_never_shown_and_kept_sealed(cp_owner, cp_version, cp_sql):
    body = _s3_body(
        cp_version,
        kind="cluster",
        nodes_number=3,
        index_url="postgresql://exordos@db.example:5432/s3index",
        index_password=INDEX_PASSWORD,
    )
    created = cp_owner.post(INSTANCES, body)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["blob_store"] == "s3"
    assert doc["upstream_endpoint"] == "http://rgw.example:7480"
    assert doc["upstream_access_key"] == "UPSTREAMKEY"
    assert doc["index_url"] == "postgresql://exordos@db.example:5432/s3index"
    assert doc.get("upstream_secret_key") is None
    assert doc.get("index_password") is None
    path = INSTANCES + doc["uuid"]
    texts = [created.text]
    for response in (cp_owner.get(path), cp_owner.get(INSTANCES)):
        assert response.status_code == 200
        texts.append(response.text)
        shown = response.json()
        for item in shown if isinstance(shown, list) else [shown]:
            assert "upstream_secret_key" not in item
            assert "index_password" not in item
    # Rotation: a new secret is taken and not shown either.
    rotated = "Rotated-" + secrets.token_hex(8)
    updated = cp_owner.put(path, {"upstream_secret_key": rotated})
    assert updated.status_code == 200, updated.text
    assert updated.json().get("upstream_secret_key") is None
    texts.append(updated.text)
    # The upstream bucket and the index are chosen once.
    for field, value in (
        ("upstream_bucket", "other-bucket"),
        ("index_url", "sqlite"),
        ("blob_store", "local"),
    ):
        refused = cp_owner.put(path, {field: value})
        assert refused.status_code in (400, 403), refused.text
        texts.append(refused.text)
    for text in texts:
        for secret in (UPSTREAM_SECRET, rotated, INDEX_PASSWORD):
            assert secret not in text
    ((stored_secret, stored_password),) = cp_sql(
        "SELECT upstream_secret_key, index_password FROM s3_instances WHERE uuid = %s",
        doc["uuid"],
    )
    assert secret_box.is_sealed(stored_secret)
    assert secret_box.is_sealed(stored_password)
    assert rotated not in stored_secret and INDEX_PASSWORD not in stored_password
    dumped = json.dumps(cp_sql("SELECT value FROM ua_target_resources"), default=str)
    for secret in (UPSTREAM_SECRET, rotated, INDEX_PASSWORD):
        assert secret not in dumped


def test_only_the_owner_configures_storage(cp_api_url, cp_version):
    project = sys_uuid.uuid4()
    owner = conftest.role_client(cp_api_url, iam.ROLE_OWNER, project)
    operator = conftest.role_client(cp_api_url, iam.ROLE_OPERATOR, project)
    path = INSTANCES + owner.ok("POST", INSTANCES, _s3_body(cp_version))["uuid"]
    response = operator.put(path, {"upstream_access_key": "OTHERKEY"})
    assert response.status_code == 403
    assert "exordos_s3.s3_instance.configure_storage" in response.json()["message"]
    assert owner.ok("PUT", path, {"upstream_access_key": "OTHERKEY"})[
        "upstream_access_key"
    ] == ("OTHERKEY")


def _node_conf(instance_uuid, raw_key):
    instance = infra_s3.InfraInstance.objects.get_one(
        filters={"uuid": dm_filters.EQ(instance_uuid)}
    )
    node = str(sys_uuid.uuid4())
    ua_models.NodeEncryptionKey(
        uuid=sys_uuid.UUID(node), private_key=base64.b64encode(raw_key).decode()
    ).insert()
    builder = infra_builder.S3InfraBuilder(project_id=sys_uuid.uuid4())
    empty = gcl_infra_builder.InfraCollection(infra_objects=())
    (config,), waiting = builder._node_configs(
        instance, empty, [(node, {"ipv4": "10.0.0.9"})]
    )
    assert waiting == []
    return instance, node, config.to_ua_resource().value["body"]["content"]


def _value(body, name):
    return body.split(f"\n{name} = ", 1)[1].split("\n", 1)[0]


def test_gateway_conf_carries_the_storage_sealed_to_the_node(cp_owner, cp_version):
    doc = cp_owner.ok(
        "POST",
        INSTANCES,
        _s3_body(
            cp_version,
            kind="cluster",
            nodes_number=2,
            index_url="postgresql://exordos@db.example:5432/s3index",
            index_password=INDEX_PASSWORD,
        ),
    )
    raw = os.urandom(32)
    _, node, body = _node_conf(doc["uuid"], raw)
    assert UPSTREAM_SECRET not in body and INDEX_PASSWORD not in body
    assert _value(body, "blob_store") == "s3"
    assert _value(body, "upstream_endpoint") == "http://rgw.example:7480"
    assert _value(body, "upstream_bucket") == "exordos-blobs"
    assert _value(body, "upstream_region") == "default"
    assert _value(body, "upstream_access_key") == "UPSTREAMKEY"
    sealed = _value(body, "upstream_secret_key_sealed")
    assert (
        node_seal.open_sealed(raw, node, node_seal.UPSTREAM_SECRET_CONTEXT, sealed)
        == UPSTREAM_SECRET
    )
    index = node_seal.open_sealed(
        raw, node, node_seal.INDEX_CONTEXT, _value(body, "index_sealed")
    )
    assert index == f"postgresql://exordos:{INDEX_PASSWORD}@db.example:5432/s3index"
    # Another node's key does not open it.
    with pytest.raises(node_seal.SealError):
        node_seal.open_sealed(
            os.urandom(32), node, node_seal.UPSTREAM_SECRET_CONTEXT, sealed
        )


def test_a_single_node_keeps_its_disk_unless_told(cp_owner, cp_version):
    doc = cp_owner.ok("POST", INSTANCES, {"name": "plain", "version": cp_version})
    assert doc["blob_store"] == "local" and doc["index_url"] == "sqlite"
    _, _, body = _node_conf(doc["uuid"], os.urandom(32))
    assert "blob_store" not in body and "index" not in body
    assert "upstream" not in body


def test_a_gateway_started_from_the_builders_conf_serves_from_rgw(
    cp_owner, cp_version, tmp_path
):
    upstream = rgw.new_bucket("cp")
    doc = cp_owner.ok(
        "POST",
        INSTANCES,
        {
            "name": "over-rgw",
            "version": cp_version,
            "blob_store": "s3",
            "upstream_endpoint": upstream.endpoint,
            "upstream_bucket": upstream.bucket,
            "upstream_region": upstream.region,
            "upstream_access_key": upstream.access_key,
            "upstream_secret_key": upstream.secret_key,
        },
    )
    raw = os.urandom(32)
    instance, node, body = _node_conf(doc["uuid"], raw)
    conf = tmp_path / "gateway.conf"
    conf.write_text(body)
    key_file = tmp_path / "node_key"
    key_file.write_text(base64.b64encode(raw).decode())
    port, admin_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EXORDOS_S3_", "AWS_", "CREDENTIALS_DIRECTORY"))
    }
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    log = tmp_path / "gateway.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exordos_paas_s3.cmd.gateway",
                "--config-file",
                str(conf),
                # What differs on this machine from a node: paths and ports.
                "--data-dir",
                str(tmp_path / "data"),
                "--listen",
                f"127.0.0.1:{port}",
                "--admin-listen",
                f"127.0.0.1:{admin_port}",
                "--node-key-file",
                str(key_file),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=instance.root_access_key,
            aws_secret_access_key=instance.open_secret("root_secret"),
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}),
        )
        s3.create_bucket(Bucket="through-cp")
        data = os.urandom(70_000)
        s3.put_object(Bucket="through-cp", Key="k", Body=data)
        assert s3.get_object(Bucket="through-cp", Key="k")["Body"].read() == data
        stored = rgw.keys(rgw.client(), upstream.bucket)
        assert len(stored) == 1
        got = rgw.client().get_object(Bucket=upstream.bucket, Key=stored[0])
        assert got["Body"].read() == data
        # SSE-S3 under the instance's shared key: no key file of its own.
        s3.put_object(
            Bucket="through-cp", Key="sealed", Body=data, ServerSideEncryption="AES256"
        )
        assert s3.get_object(Bucket="through-cp", Key="sealed")["Body"].read() == data
        assert not (tmp_path / "data" / "sse-master.key").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert upstream.secret_key not in log.read_text()


def test_every_node_gets_the_instances_sse_master_key_sealed_to_it(
    cp_owner, cp_version, cp_sql
):
    created = cp_owner.post(
        INSTANCES,
        _s3_body(
            cp_version,
            kind="cluster",
            nodes_number=2,
            index_url="postgresql://exordos@db.example:5432/s3index",
        ),
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    shown = [created.text, cp_owner.get(INSTANCES + doc["uuid"]).text]
    shown.append(cp_owner.get(INSTANCES).text)
    assert all("sse_master_key" not in text for text in shown)
    ((stored,),) = cp_sql(
        "SELECT sse_master_key FROM s3_instances WHERE uuid = %s", doc["uuid"]
    )
    assert secret_box.is_sealed(stored)
    keys = []
    for _ in range(2):
        raw = os.urandom(32)
        instance, node, body = _node_conf(doc["uuid"], raw)
        sealed = _value(body, "sse_master_key_sealed")
        keys.append(
            node_seal.open_sealed(raw, node, node_seal.SSE_MASTER_CONTEXT, sealed)
        )
        assert keys[-1] not in body
        with pytest.raises(node_seal.SealError):
            node_seal.open_sealed(
                os.urandom(32), node, node_seal.SSE_MASTER_CONTEXT, sealed
            )
    # One key for the instance, 32 bytes, in the plain text of no table.
    assert keys[0] == keys[1] == instance.open_secret("sse_master_key")
    assert len(base64.b64decode(keys[0])) == 32
    assert keys[0] not in stored
    dumped = json.dumps(cp_sql("SELECT value FROM ua_target_resources"), default=str)
    assert keys[0] not in dumped
