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
"""Every validation rule of the API answers 4xx JSON naming the field."""

import pytest

from exordos_paas_s3.tests.functional.cp import conftest

pytestmark = pytest.mark.functional

INSTANCES = "/v1/types/s3/instances/"
GOOD_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def _error(response, status, field):
    assert response.status_code == status, response.text
    body = response.json()
    assert f"'{field}'" in body["message"], body
    return body


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-Case",
        "under_score",
        "-leading-hyphen",
        "trailing-hyphen-",
        "two..dots",
        "dot.-hyphen",
        "192.168.1.1",
        "xn--punycode",
        "sthree-reserved",
        "bucket-s3alias",
        "bucket--ol-s3",
    ],
)
def test_bucket_name_rules(cp_owner, cp_instance, name):
    response = cp_owner.post(cp_instance + "/buckets/", {"name": name})
    assert 400 <= response.status_code < 500, response.text
    assert response.status_code != 404
    assert "name" in response.json()["message"]


def test_valid_bucket_names_accepted(cp_owner, cp_instance):
    for name in ("abc", "my.bucket.name", "a" * 63, "0-9-digits"):
        cp_owner.ok("POST", cp_instance + "/buckets/", {"name": name})


def test_instance_bucket_name_is_checked(cp_owner, cp_version):
    body = {"name": "x", "version": cp_version, "bucket_name": "Bad_Bucket"}
    _error(cp_owner.post(INSTANCES, body), 400, "bucket_name")
    assert cp_owner.ok("GET", INSTANCES) == []


@pytest.mark.parametrize(
    "collection,body",
    [
        ("buckets", {"name": "dup-bucket"}),
        ("users", {"name": "dup-user"}),
        ("policies", {"name": "dup-policy", "content": GOOD_POLICY}),
    ],
)
def test_duplicate_names_within_an_instance(cp_owner, cp_instance, collection, body):
    path = f"{cp_instance}/{collection}/"
    cp_owner.ok("POST", path, body)
    _error(cp_owner.post(path, body), 409, "name")
    assert len(cp_owner.ok("GET", path)) == 1


def test_same_names_allowed_in_another_instance(cp_owner, cp_version, cp_instance):
    other = cp_owner.ok("POST", INSTANCES, {"name": "other", "version": cp_version})
    for instance in (cp_instance, INSTANCES + other["uuid"]):
        cp_owner.ok("POST", instance + "/buckets/", {"name": "shared-name"})


def test_duplicate_instance_name_in_a_project(cp_owner, cp_version):
    cp_owner.ok("POST", INSTANCES, {"name": "twin", "version": cp_version})
    response = cp_owner.post(INSTANCES, {"name": "twin", "version": cp_version})
    assert response.status_code == 409


def test_attachment_of_another_instances_policy(cp_owner, cp_version, cp_instance):
    other = (
        INSTANCES
        + cp_owner.ok("POST", INSTANCES, {"name": "other", "version": cp_version})[
            "uuid"
        ]
    )
    foreign = cp_owner.ok(
        "POST", other + "/policies/", {"name": "p", "content": GOOD_POLICY}
    )
    user = cp_owner.ok("POST", cp_instance + "/users/", {"name": "u"})
    attachments = f"{cp_instance}/users/{user['uuid']}/policies/"
    # Referred to by its own URI or forged under this instance's path: the
    # policy is another instance's either way.
    for uri in (
        f"{other}/policies/{foreign['uuid']}",
        f"{cp_instance}/policies/{foreign['uuid']}",
    ):
        response = cp_owner.post(attachments, {"policy": uri})
        assert 400 <= response.status_code < 500, response.text
        if response.status_code == 400:
            assert "'policy'" in response.json()["message"]
    assert cp_owner.ok("GET", attachments) == []


def test_attachment_of_another_projects_policy(cp_api_url, cp_owner, cp_instance):
    stranger = conftest.role_client(cp_api_url, "owner")
    version = conftest.Client(cp_api_url, conftest.token(["*.*.*"])).ok(
        "POST", "/v1/types/s3/versions/", {"name": "v-stranger"}
    )
    theirs = (
        INSTANCES
        + stranger.ok(
            "POST",
            INSTANCES,
            {"name": "theirs", "version": f"/v1/types/s3/versions/{version['uuid']}"},
        )["uuid"]
    )
    policy = stranger.ok(
        "POST", theirs + "/policies/", {"name": "p", "content": GOOD_POLICY}
    )
    user = cp_owner.ok("POST", cp_instance + "/users/", {"name": "u"})
    attachments = f"{cp_instance}/users/{user['uuid']}/policies/"
    response = cp_owner.post(
        attachments, {"policy": f"{theirs}/policies/{policy['uuid']}"}
    )
    assert 400 <= response.status_code < 500
    assert cp_owner.ok("GET", attachments) == []


def test_duplicate_attachment(cp_owner, cp_instance):
    policy = cp_owner.ok(
        "POST", cp_instance + "/policies/", {"name": "p", "content": GOOD_POLICY}
    )
    user = cp_owner.ok("POST", cp_instance + "/users/", {"name": "u"})
    attachments = f"{cp_instance}/users/{user['uuid']}/policies/"
    body = {"policy": f"{cp_instance}/policies/{policy['uuid']}"}
    cp_owner.ok("POST", attachments, body)
    _error(cp_owner.post(attachments, body), 409, "policy")


def test_disk_shrink_refused(cp_owner, cp_instance):
    cp_owner.ok("PUT", cp_instance, {"disk_size": 50})
    _error(cp_owner.put(cp_instance, {"disk_size": 49}), 400, "disk_size")
    assert cp_owner.ok("GET", cp_instance)["disk_size"] == 50


def test_single_node_needs_exactly_one_node(cp_owner, cp_version, cp_instance):
    body = {"name": "multi", "version": cp_version, "nodes_number": 3}
    _error(cp_owner.post(INSTANCES, body), 400, "nodes_number")
    _error(cp_owner.put(cp_instance, {"nodes_number": 2}), 400, "nodes_number")
    body["kind"] = "cluster"
    assert cp_owner.ok("POST", INSTANCES, body)["nodes_number"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"cpu": 0},
        {"cpu": "many"},
        {"ram": 10},
        {"nodes_number": 17},
        {"kind": "galaxy"},
        {"name": ""},
    ],
)
def test_instance_field_types_and_ranges(cp_owner, cp_version, body):
    response = cp_owner.post(INSTANCES, {"name": "x", "version": cp_version, **body})
    assert response.status_code == 400, response.text
    (field,) = body
    assert field in response.json()["message"]


def test_instance_needs_an_existing_version(cp_owner):
    response = cp_owner.post(INSTANCES, {"name": "x"})
    assert response.status_code == 400
    assert "version" in response.json()["message"]
    missing = "/v1/types/s3/versions/00000000-0000-0000-0000-000000000000"
    assert (
        cp_owner.post(INSTANCES, {"name": "x", "version": missing}).status_code == 404
    )


@pytest.mark.parametrize(
    "content,reason",
    [
        ("not an object", ""),
        # no Version reads as 2008-10-17 (IAM, and the gateway's grammar)
        ({}, "Statement"),
        ({"Version": "2020-01-01", "Statement": []}, "Version"),
        ({"Version": "2012-10-17"}, "Statement"),
        ({"Version": "2012-10-17", "Statement": []}, "Statement"),
        ({"Version": "2012-10-17", "Statement": ["x"]}, "Statement[0]"),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Action": "s3:*", "Resource": "*"}],
            },
            "Effect",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}],
            },
            "Effect",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Resource": "*"}],
            },
            "Action",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*"}],
            },
            "Resource",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}
                ],
            },
            "Action",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}],
            },
            "Action",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}
                ],
            },
            "Resource",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Principal": "*",
                    }
                ],
            },
            "Principal",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Bogus": 1}
                ],
            },
            "Bogus",
        ),
    ],
)
def test_policy_document_must_be_iam_json(cp_owner, cp_instance, content, reason):
    policies = cp_instance + "/policies/"
    response = cp_owner.post(policies, {"name": "p", "content": content})
    assert response.status_code == 400, response.text
    assert "content" in response.json()["message"]
    assert reason in response.json()["message"]
    good = cp_owner.ok("POST", policies, {"name": "good", "content": GOOD_POLICY})
    response = cp_owner.put(policies + good["uuid"], {"content": content})
    assert response.status_code == 400
    assert cp_owner.ok("GET", policies + good["uuid"])["content"] == GOOD_POLICY


def test_invalid_user_name(cp_owner, cp_instance):
    _error(cp_owner.post(cp_instance + "/users/", {"name": "bad name!"}), 400, "name")


@pytest.mark.parametrize(
    "body,field",
    [
        (
            {"default_retention_mode": "GOVERNANCE", "default_retention_days": 1},
            "default_retention_mode",
        ),
        (
            {"object_lock_enabled": True, "default_retention_mode": "GOVERNANCE"},
            "default_retention_days",
        ),
        (
            {"object_lock_enabled": True, "default_retention_days": 3},
            "default_retention_mode",
        ),
    ],
)
def test_bucket_retention_rules(cp_owner, cp_instance, body, field):
    _error(
        cp_owner.post(cp_instance + "/buckets/", {"name": "ret", **body}), 400, field
    )


def test_object_lock_bucket_keeps_versioning(cp_owner, cp_instance):
    bucket = cp_owner.ok(
        "POST", cp_instance + "/buckets/", {"name": "lock", "object_lock_enabled": True}
    )
    path = cp_instance + "/buckets/" + bucket["uuid"]
    _error(cp_owner.put(path, {"versioning_enabled": False}), 400, "versioning_enabled")


def test_non_empty_bucket_delete_refused_unless_forced(cp_owner, cp_instance, cp_sql):
    bucket = cp_owner.ok("POST", cp_instance + "/buckets/", {"name": "full"})
    path = cp_instance + "/buckets/" + bucket["uuid"]
    # What the data plane reports after looking at the bucket.
    cp_sql("UPDATE s3_buckets SET is_empty=false WHERE uuid=%s", bucket["uuid"])
    response = cp_owner.delete(path)
    assert response.status_code == 409
    assert "force_delete" in response.json()["message"]
    assert cp_owner.ok("GET", path)["is_empty"] is False
    cp_owner.ok("PUT", path, {"force_delete": True})
    cp_owner.ok("DELETE", path)
    assert cp_owner.get(path).status_code == 404


def test_empty_bucket_deletes(cp_owner, cp_instance, cp_sql):
    bucket = cp_owner.ok("POST", cp_instance + "/buckets/", {"name": "empty"})
    cp_sql("UPDATE s3_buckets SET is_empty=true WHERE uuid=%s", bucket["uuid"])
    cp_owner.ok("DELETE", cp_instance + "/buckets/" + bucket["uuid"])


def test_malformed_json_body(cp_owner):
    response = cp_owner.request(
        "POST",
        INSTANCES,
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500


def test_malformed_uuid_in_path(cp_owner):
    assert 400 <= cp_owner.get(INSTANCES + "not-a-uuid").status_code < 500


@pytest.mark.parametrize("body", [{"cpu": None}, {"name": None}, {"kind": None}])
def test_null_for_a_non_nullable_field_on_update(cp_owner, cp_instance, body):
    response = cp_owner.put(cp_instance, body)
    assert 400 <= response.status_code < 500, response.text
    (field,) = body
    assert field in response.json()["message"]


def test_null_for_a_non_nullable_field_on_create(cp_owner, cp_instance):
    body = {"name": "nulls", "quota_bytes": None}
    _error(cp_owner.post(cp_instance + "/buckets/", body), 400, "quota_bytes")


@pytest.mark.parametrize("body", [[], "text", 5])
def test_body_must_be_an_object(cp_owner, body):
    response = cp_owner.request("POST", INSTANCES, json=body)
    assert response.status_code == 400, response.text


def test_body_without_content_type_is_415(cp_owner):
    response = cp_owner.request("POST", INSTANCES, data=b"name=x")
    assert response.status_code == 415, response.text


def test_reference_must_be_a_uri(cp_owner):
    response = cp_owner.post(INSTANCES, {"name": "x", "version": {}})
    assert response.status_code == 400
    assert "'version'" in response.json()["message"]
