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
"""A ``cluster`` instance of the stand with 3 nodes over a real Ceph RGW and
a PostgreSQL index (issue 11, "done when"): the API call, the builders
(gateway.conf with the upstream's secret, the index URL with its password
and the instance's SSE master key, each sealed to its node), three gateway
processes, and boto3 against each node: one namespace, SSE included."""

from __future__ import annotations

import glob
import os
import secrets
import uuid

import psycopg
import pytest

from exordos_paas_s3.tests import pg, rgw
from exordos_paas_s3.tests.functional.stand.test_stand_e2e import (
    READ_WRITE,
    s3_client,
)

pytestmark = pytest.mark.functional


@pytest.fixture
def index_db():
    """A fresh database for the instance's index on the local PostgreSQL."""
    pg.require()
    name = "s3idx_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg.server(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(pg.server(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_cluster_over_rgw_and_postgresql_serves_one_namespace(stand, api, index_db):
    upstream = rgw.new_bucket("stand-cluster")
    # The local server trusts loopback: the password is carried (sealed to
    # each node, in the URL the gateway opens) and ignored by the server.
    password = "pw-" + secrets.token_hex(8)
    version = api.call("POST", "/v1/types/s3/versions/", {"name": "cl", "image": "x"})
    instance = api.call(
        "POST",
        "/v1/types/s3/instances/",
        {
            "name": "cluster-over-rgw",
            "version": f"/v1/types/s3/versions/{version['uuid']}",
            "kind": "cluster",
            "nodes_number": 3,
            "blob_store": "s3",
            "upstream_endpoint": upstream.endpoint,
            "upstream_bucket": upstream.bucket,
            "upstream_region": upstream.region,
            "upstream_access_key": upstream.access_key,
            "upstream_secret_key": upstream.secret_key,
            "index_url": index_db,
            "index_password": password,
        },
    )
    shown = {k for k, v in instance.items() if v is not None}
    assert not shown & {"upstream_secret_key", "index_password", "sse_master_key"}
    inst = f"/v1/types/s3/instances/{instance['uuid']}"
    endpoints = api.wait_active(inst, timeout=180)["endpoints"]
    assert len(endpoints) == 3
    bucket = api.call("POST", f"{inst}/buckets/", {"name": "shared"})
    user = api.call("POST", f"{inst}/users/", {"name": "writer"})
    key = api.call("POST", f"{inst}/users/{user['uuid']}/keys/", {})
    policy = api.call(
        "POST", f"{inst}/policies/", {"name": "rw", "content": READ_WRITE}
    )
    att = api.call(
        "POST",
        f"{inst}/users/{user['uuid']}/policies/",
        {"policy": f"{inst}/policies/{policy['uuid']}"},
    )
    for path in (
        f"{inst}/buckets/{bucket['uuid']}",
        f"{inst}/users/{user['uuid']}/keys/{key['uuid']}",
        f"{inst}/users/{user['uuid']}/policies/{att['uuid']}",
    ):
        api.wait_active(path, timeout=120)
    nodes = [s3_client(endpoint, key) for endpoint in endpoints]
    data = os.urandom(100_000)
    nodes[0].put_object(Bucket="shared", Key="dir/photo.jpg", Body=data)
    sealed = b"secret bytes"
    nodes[0].put_object(
        Bucket="shared", Key="sealed", Body=sealed, ServerSideEncryption="AES256"
    )
    for s3 in nodes[1:]:
        got = s3.get_object(Bucket="shared", Key="dir/photo.jpg")["Body"].read()
        assert got == data
    listed = nodes[2].list_objects_v2(Bucket="shared")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/photo.jpg", "sealed"]
    # The SSE-S3 object opens on every node: one key for the instance.
    for s3 in nodes:
        got = s3.get_object(Bucket="shared", Key="sealed")
        assert got["Body"].read() == sealed
        assert got["ServerSideEncryption"] == "AES256"
    # Overwrite through node 1, read through node 0.
    nodes[1].put_object(Bucket="shared", Key="dir/photo.jpg", Body=b"v2")
    got = nodes[0].get_object(Bucket="shared", Key="dir/photo.jpg")["Body"].read()
    assert got == b"v2"
    # The bytes are in the RGW bucket, the index in the database.
    assert rgw.keys(rgw.client(), upstream.bucket)
    with psycopg.connect(index_db, autocommit=True) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM versions WHERE bucket = 'shared'"
        ).fetchone()
    assert count >= 2
    logs = [stand.log()]
    for path in glob.glob(os.path.join(stand.state_dir, "nodes", "*", "*.log")):
        with open(path, encoding="utf-8", errors="replace") as f:
            logs.append(f.read())
    assert len(logs) >= 4  # the stand's and each node's gateway's
    for log in logs:
        for secret in (upstream.secret_key, password):
            assert secret not in log
    api.call("DELETE", f"{inst}/buckets/{bucket['uuid']}", status=None)
