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
"""What each role (controlplane.iam.ROLES) may read and write."""

import pytest

from exordos_paas_s3.controlplane import iam
from exordos_paas_s3.tests.functional.cp import conftest

pytestmark = pytest.mark.functional

INSTANCES = "/v1/types/s3/instances/"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


@pytest.fixture
def project(cp_api_url, cp_version):
    """An owner-built instance with one of everything, and clients of each
    role in the same project."""
    owner = conftest.role_client(cp_api_url, iam.ROLE_OWNER)
    project_id = owner.project_id
    instance = (
        INSTANCES
        + owner.ok("POST", INSTANCES, {"name": "shared", "version": cp_version})["uuid"]
    )
    bucket = (
        instance
        + "/buckets/"
        + owner.ok("POST", instance + "/buckets/", {"name": "bucket-one"})["uuid"]
    )
    policy = (
        instance
        + "/policies/"
        + owner.ok("POST", instance + "/policies/", {"name": "p", "content": POLICY})[
            "uuid"
        ]
    )
    user = (
        instance
        + "/users/"
        + owner.ok("POST", instance + "/users/", {"name": "u"})["uuid"]
    )
    key = user + "/keys/" + owner.ok("POST", user + "/keys/", {})["uuid"]
    attachment = (
        user
        + "/policies/"
        + owner.ok("POST", user + "/policies/", {"policy": policy})["uuid"]
    )
    clients = {
        role: conftest.role_client(cp_api_url, role, project_id)
        for role in (iam.ROLE_OPERATOR, iam.ROLE_VIEWER)
    }
    clients[iam.ROLE_OWNER] = owner
    return {
        "clients": clients,
        "instance": instance,
        "bucket": bucket,
        "policy": policy,
        "user": user,
        "key": key,
        "attachment": attachment,
        "version": cp_version,
    }


@pytest.mark.parametrize("role", [iam.ROLE_OWNER, iam.ROLE_OPERATOR, iam.ROLE_VIEWER])
def test_every_role_reads_everything_but_secrets(project, role):
    client = project["clients"][role]
    for name in ("instance", "bucket", "policy", "user", "key", "attachment"):
        body = client.ok("GET", project[name])
        assert body["uuid"] == project[name].rsplit("/", 1)[1]
        assert "root_secret" not in body and "secret_key" not in body
    client.ok("GET", project["version"])
    assert len(client.ok("GET", INSTANCES)) == 1


def test_viewer_writes_nothing(project):
    viewer = project["clients"][iam.ROLE_VIEWER]
    instance = project["instance"]
    attempts = [
        viewer.post(INSTANCES, {"name": "v", "version": project["version"]}),
        viewer.put(instance, {"description": "x"}),
        viewer.delete(instance),
        viewer.post(instance + "/buckets/", {"name": "viewer-bucket"}),
        viewer.put(project["bucket"], {"quota_bytes": 5}),
        viewer.delete(project["bucket"]),
        viewer.post(instance + "/users/", {"name": "v"}),
        viewer.delete(project["user"]),
        viewer.post(instance + "/policies/", {"name": "v", "content": POLICY}),
        viewer.put(project["policy"], {"description": "x"}),
        viewer.post(project["user"] + "/keys/", {}),
        viewer.put(project["key"], {"enabled": False}),
        viewer.delete(project["key"]),
        viewer.post(project["user"] + "/policies/", {"policy": project["policy"]}),
        viewer.delete(project["attachment"]),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    owner = project["clients"][iam.ROLE_OWNER]
    assert owner.ok("GET", project["key"])["enabled"] is True
    assert owner.ok("GET", project["bucket"])["quota_bytes"] == 0


def test_operator_manages_content_but_not_instances(project):
    operator = project["clients"][iam.ROLE_OPERATOR]
    instance = project["instance"]
    created = operator.post(INSTANCES, {"name": "op", "version": project["version"]})
    assert created.status_code == 403
    assert operator.delete(instance).status_code == 403
    assert operator.ok("PUT", instance, {"description": "ops"})["description"] == "ops"
    bucket = operator.ok("POST", instance + "/buckets/", {"name": "op-bucket"})
    operator.ok("PUT", instance + "/buckets/" + bucket["uuid"], {"quota_bytes": 9})
    user = (
        instance
        + "/users/"
        + operator.ok("POST", instance + "/users/", {"name": "op-user"})["uuid"]
    )
    key = operator.ok("POST", user + "/keys/", {})
    assert key["secret_key"]
    operator.ok("POST", user + "/policies/", {"policy": project["policy"]})
    operator.ok("DELETE", user + "/keys/" + key["uuid"])
    operator.ok("DELETE", instance + "/buckets/" + bucket["uuid"])


@pytest.mark.parametrize(
    "field,value", [("cpu", 4), ("ram", 4096), ("disk_size", 100), ("nodes_number", 1)]
)
def test_only_owner_resizes_an_instance(project, field, value):
    operator = project["clients"][iam.ROLE_OPERATOR]
    response = operator.put(project["instance"], {field: value})
    assert response.status_code == 403
    assert f"'{field}'" in response.json()["message"]
    assert "exordos_s3.s3_instance.resize" in response.json()["message"]
    owner = project["clients"][iam.ROLE_OWNER]
    assert owner.ok("PUT", project["instance"], {field: value})[field] == value


def test_only_owner_makes_a_bucket_public(project):
    operator = project["clients"][iam.ROLE_OPERATOR]
    instance = project["instance"]
    response = operator.post(instance + "/buckets/", {"name": "pub", "public": True})
    assert response.status_code == 403 and "'public'" in response.json()["message"]
    assert operator.put(project["bucket"], {"public": True}).status_code == 403
    owner = project["clients"][iam.ROLE_OWNER]
    assert owner.ok("GET", project["bucket"])["public"] is False
    assert owner.ok("PUT", project["bucket"], {"public": True})["public"] is True


def test_only_owner_makes_a_table_bucket(project):
    operator = project["clients"][iam.ROLE_OPERATOR]
    instance = project["instance"]
    response = operator.post(
        instance + "/buckets/", {"name": "lake", "table_bucket": True}
    )
    assert response.status_code == 403
    assert "'table_bucket'" in response.json()["message"]
    assert "exordos_s3.bucket.enable_tables" in response.json()["message"]
    assert operator.put(project["bucket"], {"table_bucket": True}).status_code == 403
    owner = project["clients"][iam.ROLE_OWNER]
    assert owner.ok("GET", project["bucket"])["table_bucket"] is False
    assert owner.ok("PUT", project["bucket"], {"table_bucket": True})["table_bucket"]


def test_tenants_do_not_publish_versions(project):
    for role in (iam.ROLE_OWNER, iam.ROLE_OPERATOR, iam.ROLE_VIEWER):
        client = project["clients"][role]
        response = client.post("/v1/types/s3/versions/", {"name": f"{role}-v"})
        assert response.status_code == 403
        assert client.put(project["version"], {"image": "evil"}).status_code == 403
        assert client.delete(project["version"]).status_code == 403


def test_token_without_s3_permissions_is_forbidden(cp_api_url, project):
    outsider = conftest.Client(
        cp_api_url,
        conftest.token(
            ["other_service.thing.read"], project["clients"]["owner"].project_id
        ),
    )
    assert outsider.get(INSTANCES).status_code == 403
    assert outsider.get(project["instance"]).status_code == 403
