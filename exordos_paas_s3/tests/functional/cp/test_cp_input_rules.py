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
"""The input rules (docs/controlplane.md, "Input rules") against the real API
on PostgreSQL: strict JSON types, text without control characters, references
of the right type, bounded bodies and nesting, short error messages, 404 for
unknown paths, 409 for a version in use. Each was a coercion or a 500 once."""

import io
import json
import logging
import socket
import urllib.parse

import pytest
import webob

from exordos_paas_s3.controlplane import iam, input_rules, local_api, local_iam
from exordos_paas_s3.tests.functional.cp import conftest

pytestmark = pytest.mark.functional

INSTANCES = "/v1/types/s3/instances/"
VERSIONS = "/v1/types/s3/versions/"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
# An error answer is small whatever the request held (previews of values).
SMALL_ANSWER = 1024


def _refused(response, field, status=400):
    assert response.status_code == status, response.text[:2000]
    body = response.json()
    assert set(body) >= {"type", "code", "message"}, body
    if field:
        assert f"'{field}'" in body["message"], body
    assert len(response.content) < SMALL_ANSWER, len(response.content)
    return body["message"]


@pytest.fixture
def cp_user(cp_owner, cp_instance):
    user = cp_owner.ok("POST", cp_instance + "/users/", {"name": "u"})
    return f"{cp_instance}/users/{user['uuid']}"


@pytest.fixture
def server_errors(caplog):
    """What the error middleware logged as a server error (with a traceback)."""
    caplog.set_level(logging.ERROR, logger="restalchemy.api.middlewares.errors")

    def collect():
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "restalchemy.api.middlewares.errors"
        ]

    return collect


# --- booleans --------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("public", "no"),
        ("public", "yes"),
        ("public", 1),
        ("versioning_enabled", "false"),
        ("versioning_enabled", 0),
        ("force_delete", "true"),
        ("object_lock_enabled", "false"),
    ],
)
def test_bucket_booleans_take_json_booleans_only(cp_owner, cp_instance, field, value):
    buckets = cp_instance + "/buckets/"
    _refused(cp_owner.post(buckets, {"name": "strict", field: value}), field)
    assert cp_owner.ok("GET", buckets) == []
    if field != "object_lock_enabled":  # create-only
        bucket = cp_owner.ok("POST", buckets, {"name": "strict"})
        path = buckets + bucket["uuid"]
        _refused(cp_owner.put(path, {field: value}), field)
        assert cp_owner.ok("GET", path)[field] is False


def test_public_no_leaves_the_bucket_private(cp_owner, cp_instance):
    """The finding: "public": "no" made a bucket anonymously readable."""
    buckets = cp_instance + "/buckets/"
    cp_owner.post(buckets, {"name": "private-one", "public": "no"})
    assert cp_owner.ok("GET", buckets + "?public=true") == []


def test_json_booleans_are_accepted(cp_owner, cp_instance, cp_user):
    bucket = cp_owner.ok(
        "POST",
        cp_instance + "/buckets/",
        {"name": "flags", "public": True, "versioning_enabled": True},
    )
    assert bucket["public"] is True and bucket["versioning_enabled"] is True
    path = cp_instance + "/buckets/" + bucket["uuid"]
    assert cp_owner.ok("PUT", path, {"public": False})["public"] is False
    key = cp_owner.ok("POST", cp_user + "/keys/", {"enabled": False})
    assert key["enabled"] is False


@pytest.mark.parametrize("value", ["yes", "false", 1, None])
def test_access_key_enabled_takes_json_booleans_only(cp_owner, cp_user, value):
    keys = cp_user + "/keys/"
    _refused(cp_owner.post(keys, {"enabled": value}), "enabled")
    assert cp_owner.ok("GET", keys) == []
    key = cp_owner.ok("POST", keys, {})
    _refused(cp_owner.put(keys + key["uuid"], {"enabled": value}), "enabled")
    assert cp_owner.ok("GET", keys + key["uuid"])["enabled"] is True


@pytest.mark.parametrize("value", ["maybe", "yes", "no", "", "2", "truee"])
def test_force_flag_takes_a_fixed_set(cp_owner, cp_instance, cp_sql, value):
    bucket = cp_owner.ok("POST", cp_instance + "/buckets/", {"name": "keep-me"})
    path = cp_instance + "/buckets/" + bucket["uuid"]
    _refused(cp_owner.delete(path + "?force=" + urllib.parse.quote(value)), "force")
    assert cp_owner.get(path).status_code == 200


def test_force_flag_given_twice_is_refused(cp_owner, cp_instance):
    bucket = cp_owner.ok("POST", cp_instance + "/buckets/", {"name": "twice"})
    path = cp_instance + "/buckets/" + bucket["uuid"]
    _refused(cp_owner.delete(path + "?force=true&force=false"), "force")
    assert cp_owner.get(path).status_code == 200


@pytest.mark.parametrize(
    "value,deletes", [("true", True), ("TRUE", True), ("1", True), ("0", False)]
)
def test_force_flag_values(cp_owner, cp_instance, cp_sql, value, deletes):
    bucket = cp_owner.ok("POST", cp_instance + "/buckets/", {"name": "full-one"})
    path = cp_instance + "/buckets/" + bucket["uuid"]
    cp_sql("UPDATE s3_buckets SET is_empty=false WHERE uuid=%s", bucket["uuid"])
    response = cp_owner.delete(path + "?force=" + value)
    assert response.status_code == (204 if deletes else 409), response.text
    for false in ("false", "False", "0"):
        assert cp_owner.delete(path + "?force=" + false).status_code in (404, 409)


@pytest.mark.parametrize("value", ["maybe", "no", "yes", ""])
def test_boolean_filters_take_the_flag_set(cp_owner, cp_instance, value):
    _refused(cp_owner.get(cp_instance + "/buckets/?public=" + value), "public")
    assert cp_owner.ok("GET", cp_instance + "/buckets/?public=false") == []
    assert cp_owner.ok("GET", cp_instance + "/buckets/?public=1") == []


@pytest.mark.parametrize(
    "query,field",
    [
        ("?name=a%00b", "name"),
        ("?description=%00", "description"),
        ("?status=%00", "status"),
        ('?q=name%3D"a%00"', "name"),
    ],
)
def test_query_values_refuse_nul(cp_owner, cp_instance, server_errors, query, field):
    """PostgreSQL refuses NUL in a query parameter too: it was a 500."""
    _refused(cp_owner.get(cp_instance + "/buckets/" + query), field)
    _refused(cp_owner.get(INSTANCES + query), field)
    assert server_errors() == []


def test_page_limit_is_bounded(cp_owner, cp_instance, server_errors):
    """A limit past PostgreSQL's bigint was a 500."""
    for limit in ("99999999999999999999", str(input_rules.MAX_PAGE_LIMIT + 1)):
        _refused(cp_owner.get(INSTANCES + "?page_limit=" + limit), "page_limit")
    limit = input_rules.MAX_PAGE_LIMIT
    assert cp_owner.get(INSTANCES + f"?page_limit={limit}").status_code == 200
    assert server_errors() == []


# --- integers --------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [("quota_bytes", True), ("quota_bytes", False), ("quota_bytes", 1.5)],
)
def test_bucket_integers_refuse_booleans_and_floats(
    cp_owner, cp_instance, server_errors, field, value
):
    buckets = cp_instance + "/buckets/"
    _refused(cp_owner.post(buckets, {"name": "ints", field: value}), field)
    bucket = cp_owner.ok("POST", buckets, {"name": "ints"})
    _refused(cp_owner.put(buckets + bucket["uuid"], {field: value}), field)
    assert cp_owner.ok("GET", buckets + bucket["uuid"])[field] == 0
    assert server_errors() == []


@pytest.mark.parametrize(
    "field,value", [("cpu", True), ("ram", False), ("disk_size", True)]
)
def test_instance_integers_refuse_booleans(cp_owner, cp_version, field, value):
    body = {"name": "ints", "version": cp_version, field: value}
    _refused(cp_owner.post(INSTANCES, body), field)


def test_retention_days_refuse_booleans(cp_owner, cp_instance):
    body = {
        "name": "lock-days",
        "object_lock_enabled": True,
        "default_retention_mode": "GOVERNANCE",
        "default_retention_days": True,
    }
    _refused(cp_owner.post(cp_instance + "/buckets/", body), "default_retention_days")


def test_integer_out_of_range_gives_the_range(cp_owner, cp_version):
    message = _refused(
        cp_owner.post(INSTANCES, {"name": "r", "version": cp_version, "ram": 10}),
        "ram",
    )
    assert "512" in message and "1048576" in message


def test_huge_integer_is_a_400(cp_owner, cp_instance):
    body = {"name": "huge", "quota_bytes": 10**30}
    _refused(cp_owner.post(cp_instance + "/buckets/", body), "quota_bytes")


# --- text ------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_text_refuses_control_characters(
    cp_owner, cp_admin, cp_version, cp_instance, server_errors, char
):
    cases = [
        (cp_owner, INSTANCES, {"name": f"i{char}", "version": cp_version}, "name"),
        (cp_owner, cp_instance + "/buckets/", {"name": "b-c", "description": char}),
        (cp_owner, cp_instance + "/users/", {"name": "u", "description": char}),
        (cp_admin, VERSIONS, {"name": "v-ctl", "image": f"a{char}b"}, "image"),
    ]
    for client, path, body, *field in cases:
        expected = field[0] if field else "description"
        _refused(client.post(path, body), expected)
    _refused(cp_owner.put(cp_instance, {"description": f"x{char}"}), "description")
    assert server_errors() == []


def test_nul_inside_a_policy_document_is_refused(cp_owner, cp_instance, server_errors):
    content = json.loads(json.dumps(POLICY))
    content["Statement"][0]["Resource"] = "arn:aws:s3:::b\x00/*"
    body = {"name": "p", "content": content}
    _refused(cp_owner.post(cp_instance + "/policies/", body), "content")
    content = {"Version": "2012-10-17", "Statement": [{"Sid\x00": 1}]}
    body = {"name": "p", "content": content}
    _refused(cp_owner.post(cp_instance + "/policies/", body), "content")
    assert server_errors() == []


def test_description_may_hold_tabs_and_line_breaks(cp_owner, cp_instance):
    text = "line one\n\tline two\r\nline three"
    bucket = cp_owner.ok(
        "POST", cp_instance + "/buckets/", {"name": "multi", "description": text}
    )
    assert bucket["description"] == text
    _refused(cp_owner.put(cp_instance, {"name": "a\nb"}), "name")


# --- references ------------------------------------------------------------


def test_reference_of_the_wrong_type_is_a_400(
    cp_owner, cp_version, cp_instance, server_errors
):
    """The finding: an instance whose version is an instance URI was a 500
    (whose body rendered the whole instance)."""
    message = _refused(
        cp_owner.post(INSTANCES, {"name": "x", "version": cp_instance}), "version"
    )
    assert "Version" in message
    user = cp_owner.ok("POST", cp_instance + "/users/", {"name": "u"})
    attachments = f"{cp_instance}/users/{user['uuid']}/policies/"
    user_uri = f"{cp_instance}/users/{user['uuid']}"
    _refused(cp_owner.post(attachments, {"policy": user_uri}), "policy")
    _refused(cp_owner.post(attachments, {"policy": cp_version}), "policy")
    _refused(cp_owner.post(attachments, {"policy": 7}), "policy")
    assert cp_owner.ok("GET", attachments) == []
    assert server_errors() == []


# --- a version in use ------------------------------------------------------


def test_deleting_a_version_in_use_is_409(cp_admin, cp_owner, server_errors):
    version = cp_admin.ok("POST", VERSIONS, {"name": "in-use"})
    version_path = VERSIONS + version["uuid"]
    instance = cp_owner.ok(
        "POST", INSTANCES, {"name": "user-of-it", "version": version_path}
    )
    message = _refused(cp_admin.delete(version_path), None, status=409)
    assert instance["uuid"] in message and "in-use" in message
    assert cp_admin.ok("GET", version_path)["name"] == "in-use"
    cp_owner.ok("DELETE", INSTANCES + instance["uuid"])
    cp_admin.ok("DELETE", version_path)
    assert server_errors() == []


# --- body size and depth ---------------------------------------------------


def test_json_nested_100000_levels_is_a_400(cp_owner, cp_instance, server_errors):
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"name": "deep", "description": ' + deep + b"}"
    for path in (INSTANCES, cp_instance + "/buckets/"):
        response = cp_owner.request(
            "POST", path, data=body, headers={"Content-Type": "application/json"}
        )
        message = _refused(response, None)
        assert str(input_rules.MAX_JSON_DEPTH) in message
    assert server_errors() == []


def test_nesting_past_the_limit_is_a_400(cp_owner, cp_instance):
    content = {"Version": "2012-10-17", "Statement": POLICY["Statement"]}
    value: object = "x"
    for _ in range(input_rules.MAX_JSON_DEPTH):
        value = [value]
    content["Id"] = value
    body = {"name": "p", "content": content}
    message = _refused(cp_owner.post(cp_instance + "/policies/", body), None)
    assert "nests deeper" in message


def test_body_over_the_limit_is_a_413_with_a_small_answer(cp_owner, cp_instance):
    """The finding: a 200 MB request got a 200 MB answer."""
    big = {"name": "big", "description": "x" * (input_rules.MAX_BODY_BYTES + 1)}
    for path in (INSTANCES, cp_instance + "/buckets/", cp_instance):
        method = "PUT" if path == cp_instance else "POST"
        response = cp_owner.request(method, path, json=big)
        _refused(response, None, status=413)
    assert cp_owner.ok("GET", cp_instance + "/buckets/") == []


def test_declared_length_is_judged_before_the_body_is_read(
    cp_api_url, cp_owner, cp_instance
):
    """A Content-Length of 200 MB is answered with 413 while the client has
    sent one byte of it: the server never waits for (or reads) the rest."""
    owner = conftest.token(iam.ROLES[iam.ROLE_OWNER], cp_owner.project_id)
    host, port = urllib.parse.urlsplit(cp_api_url).netloc.split(":")
    request = (
        f"POST {cp_instance}/buckets/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {owner}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n{{"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"413", answer[:200]


class _EndlessBody(io.RawIOBase):
    """A request body without a length that never ends: what a chunked
    upload looks like to the application on a server that decodes it."""

    def __init__(self):
        self.given = 0
        self._head = b'{"name": "endless", "description": "'

    def readable(self):
        return True

    def readinto(self, buffer):
        size = len(buffer)
        data = (self._head + b"x" * size)[:size]
        self._head = self._head[len(data) :]
        buffer[:size] = data
        self.given += size
        return size


def test_body_without_a_length_is_read_up_to_the_limit(
    cp_api_url, cp_owner, cp_instance
):
    application = local_api.build_application(
        local_iam.LocalTokenDriver(conftest.TOKEN_SECRET)
    )
    owner = conftest.token(iam.ROLES[iam.ROLE_OWNER], cp_owner.project_id)
    body = _EndlessBody()
    request = webob.Request.blank(
        cp_instance + "/buckets/",
        method="POST",
        headers={
            "Authorization": f"Bearer {owner}",
            "Content-Type": "application/json",
        },
    )
    request.environ.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input"] = body
    request.environ["wsgi.input_terminated"] = True
    response = request.get_response(application)
    assert response.status_code == 413, response.text[:500]
    assert body.given <= input_rules.MAX_BODY_BYTES + 64 * 1024


# --- short messages ----------------------------------------------------------


@pytest.mark.parametrize(
    "method,suffix,body",
    [
        ("POST", "/buckets/", {"name": "b", "bogus": "v" * 200_000}),
        ("POST", "/buckets/", {"name": "b", "k" * 200_000: 1}),
        ("POST", "/buckets/", {"name": "b", "quota_bytes": "9" * 200_000}),
        ("POST", "/buckets/", {"name": "n" * 200_000}),
        ("POST", "/buckets/", {"name": "b", "uuid": "u" * 200_000}),
        ("POST", "/users/", {"name": "u", "instance": "/v1/" + "x" * 200_000}),
        ("PUT", "", {"cpu": "c" * 200_000}),
        ("PUT", "", {"kind": "k" * 200_000}),
        ("GET", "/buckets/?quota_bytes=" + "q" * 20_000, None),
        ("GET", "/buckets/?name=" + "q" * 20_000 + "&public=" + "p" * 20_000, None),
        ("GET", "/users/" + "u" * 20_000, None),
    ],
)
def test_errors_echo_a_short_prefix_only(cp_owner, cp_instance, method, suffix, body):
    response = cp_owner.request(
        method, cp_instance + suffix, **({} if body is None else {"json": body})
    )
    assert 400 <= response.status_code < 500, response.text[:1000]
    assert response.json()["message"]
    assert len(response.content) < SMALL_ANSWER, response.text[:2000]


def test_unknown_field_is_named(cp_owner, cp_instance):
    _refused(cp_owner.post(cp_instance + "/buckets/", {"name": "b", "x": 1}), "x")


# --- unknown paths -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/types/s3/unknown",
        "/v1/types/s3/unknown/",
        "/v1/types/s3/unknown/x/y",
        "/v1/types/s3/" + "z" * 5000,
        "{instance}/nothing/",
        "{instance}/nothing",
        "{instance}/users/00000000-0000-0000-0000-000000000000/nothing/",
        "{instance}/" + "n" * 20_000 + "/",
        "{instance}/" + "n" * 20_000,
    ],
)
def test_unknown_paths_are_404_json(cp_owner, cp_instance, server_errors, path):
    response = cp_owner.get(path.format(instance=cp_instance))
    assert response.status_code == 404, response.text[:500]
    assert response.json()["message"]
    assert len(response.content) < SMALL_ANSWER
    assert server_errors() == []


def test_other_methods_on_unknown_paths_are_4xx(cp_owner, server_errors):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = cp_owner.request(method, "/v1/types/s3/unknown", json={})
        assert 400 <= response.status_code < 500, (method, response.text)
        assert response.json()["message"]
    assert server_errors() == []
