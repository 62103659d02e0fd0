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
"""End to end through the stand: the API call, the builders, the local infra,
the agent driver, the gateway, and a real S3 client at the end of the line."""

from __future__ import annotations

import os
import time
import urllib.parse

import boto3
import psycopg
import pytest
from botocore import exceptions as boto_exc
from botocore.config import Config

from exordos_paas_s3.controlplane.paas import models as paas_models
from exordos_paas_s3.stand import runner

pytestmark = pytest.mark.functional

READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket", "s3:ListAllMyBuckets"],
            "Resource": "*",
        }
    ],
}
READ_WRITE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


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


def error_code(call, *args, **kwargs) -> str:
    try:
        call(*args, **kwargs)
    except boto_exc.ClientError as exc:
        return exc.response["Error"]["Code"]
    return ""


def eventually(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    assert predicate()


def pending_bucket_deletions(stand) -> int:
    url = runner.database_url(stand.pg_url, stand.database())
    with psycopg.connect(url) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM ua_target_resources WHERE kind = %s",
            (paas_models.BUCKET_DELETION_KIND,),
        ).fetchone()
    return count


def test_start_prints_no_traceback_only_one_openapi_line(stand):
    # restalchemy's OpenAPI warm-up fails outside a request (gcl_iam needs
    # one) and used to print two long tracebacks before api:/token:.
    log = stand.log()
    assert "Could not prepare the OpenAPI" not in log
    assert "Traceback" not in log
    assert log.count("OpenAPI documents are built on their first request") == 1


def test_from_the_api_to_an_s3_client_and_back(stand, api):
    version = api.call("POST", "/v1/types/s3/versions/", {"name": "e2e", "image": "x"})
    instance = api.call(
        "POST",
        "/v1/types/s3/instances/",
        {"name": "e2e", "version": f"/v1/types/s3/versions/{version['uuid']}"},
    )
    inst = f"/v1/types/s3/instances/{instance['uuid']}"
    shown = api.wait_active(inst)
    (endpoint,) = shown["endpoints"]
    assert endpoint.startswith("http://127.0.0.1:")
    assert shown["ipsv4"] == ["127.0.0.1"]

    bucket = api.call("POST", f"{inst}/buckets/", {"name": "e2e-data"})
    reader = api.call("POST", f"{inst}/users/", {"name": "reader"})
    writer = api.call("POST", f"{inst}/users/", {"name": "writer"})
    ro_key = api.call("POST", f"{inst}/users/{reader['uuid']}/keys/", {})
    rw_key = api.call("POST", f"{inst}/users/{writer['uuid']}/keys/", {})
    ro = api.call("POST", f"{inst}/policies/", {"name": "ro", "content": READ_ONLY})
    rw = api.call("POST", f"{inst}/policies/", {"name": "rw", "content": READ_WRITE})
    ro_att = api.call(
        "POST",
        f"{inst}/users/{reader['uuid']}/policies/",
        {"policy": f"{inst}/policies/{ro['uuid']}"},
    )
    api.call(
        "POST",
        f"{inst}/users/{writer['uuid']}/policies/",
        {"policy": f"{inst}/policies/{rw['uuid']}"},
    )
    for path in (
        f"{inst}/buckets/{bucket['uuid']}",
        f"{inst}/users/{reader['uuid']}",
        f"{inst}/users/{reader['uuid']}/keys/{ro_key['uuid']}",
        f"{inst}/policies/{ro['uuid']}",
        f"{inst}/users/{reader['uuid']}/policies/{ro_att['uuid']}",
        f"{inst}/users/{writer['uuid']}/keys/{rw_key['uuid']}",
    ):
        api.wait_active(path)

    writer_s3 = s3_client(endpoint, rw_key)
    reader_s3 = s3_client(endpoint, ro_key)
    writer_s3.put_object(Bucket="e2e-data", Key="hello.txt", Body=b"hello")
    listed = reader_s3.list_objects_v2(Bucket="e2e-data")
    assert [o["Key"] for o in listed["Contents"]] == ["hello.txt"]
    body = reader_s3.get_object(Bucket="e2e-data", Key="hello.txt")["Body"].read()
    assert body == b"hello"
    assert (
        error_code(reader_s3.put_object, Bucket="e2e-data", Key="x", Body=b"x")
        == "AccessDenied"
    )

    # Disabling a key: the next request is refused as an unknown key.
    ro_path = f"{inst}/users/{reader['uuid']}/keys/{ro_key['uuid']}"
    api.call("PUT", ro_path, {"enabled": False})
    eventually(
        lambda: (
            error_code(reader_s3.list_objects_v2, Bucket="e2e-data")
            == "InvalidAccessKeyId"
        )
    )
    api.wait_active(ro_path)
    # Deleting a key: the same.
    rw_path = f"{inst}/users/{writer['uuid']}/keys/{rw_key['uuid']}"
    writer_s3.delete_object(Bucket="e2e-data", Key="hello.txt")
    api.call("DELETE", rw_path)
    eventually(
        lambda: (
            error_code(writer_s3.list_objects_v2, Bucket="e2e-data")
            == "InvalidAccessKeyId"
        )
    )

    # Deleting the bucket through the API removes it from the gateway.
    new_key = api.call("POST", f"{inst}/users/{writer['uuid']}/keys/", {})
    api.wait_active(f"{inst}/users/{writer['uuid']}/keys/{new_key['uuid']}")
    writer_s3 = s3_client(endpoint, new_key)
    writer_s3.head_bucket(Bucket="e2e-data")
    api.call("DELETE", f"{inst}/buckets/{bucket['uuid']}")
    eventually(
        lambda: (
            error_code(writer_s3.head_bucket, Bucket="e2e-data")
            in ("404", "NoSuchBucket")
        )
    )
    # ... and its delete item is forgotten once the node has it gone.
    eventually(lambda: pending_bucket_deletions(stand) == 0)

    # Deleting the instance stops its gateway and removes its data.
    nodes_dir = os.path.join(stand.state_dir, "nodes")
    (node,) = os.listdir(nodes_dir)
    port = urllib.parse.urlsplit(endpoint).port
    api.call("DELETE", inst)
    eventually(lambda: not os.path.exists(os.path.join(nodes_dir, node)))
    with pytest.raises(Exception):  # noqa: B017 - nothing listens any more
        import socket

        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_every_node_of_an_instance_gets_its_own_gateway_and_the_same_state(api):
    version = api.call("POST", "/v1/types/s3/versions/", {"name": "two", "image": "x"})
    inst = (
        "/v1/types/s3/instances/"
        + api.call(
            "POST",
            "/v1/types/s3/instances/",
            {
                "name": "two-nodes",
                "version": f"/v1/types/s3/versions/{version['uuid']}",
                "kind": "cluster",
                "nodes_number": 2,
            },
        )["uuid"]
    )
    endpoints = api.wait_active(inst)["endpoints"]
    assert len(endpoints) == 2 and len(set(endpoints)) == 2
    bucket = api.call("POST", f"{inst}/buckets/", {"name": "on-every-node"})
    user = api.call("POST", f"{inst}/users/", {"name": "everywhere"})
    key = api.call("POST", f"{inst}/users/{user['uuid']}/keys/", {})
    rw = api.call("POST", f"{inst}/policies/", {"name": "rw", "content": READ_WRITE})
    attachment = api.call(
        "POST",
        f"{inst}/users/{user['uuid']}/policies/",
        {"policy": f"{inst}/policies/{rw['uuid']}"},
    )
    # ACTIVE means applied on every node, so each gateway must have it all.
    api.wait_active(f"{inst}/users/{user['uuid']}/policies/{attachment['uuid']}")
    api.wait_active(f"{inst}/buckets/{bucket['uuid']}")
    for endpoint in endpoints:
        s3 = s3_client(endpoint, key)
        s3.put_object(Bucket="on-every-node", Key="k", Body=endpoint.encode())
        got = s3.get_object(Bucket="on-every-node", Key="k")["Body"].read()
        assert got == endpoint.encode()
        s3.delete_object(Bucket="on-every-node", Key="k")
    api.call("DELETE", inst)
