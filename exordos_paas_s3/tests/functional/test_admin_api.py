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
"""The admin API served by uvicorn on a free loopback port, over real HTTP."""

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from exordos_paas_s3.gateway import admin, errors
from exordos_paas_s3.gateway.auth import identities

pytestmark = pytest.mark.functional

ROOT_KEY = "ADMINROOTKEY00000000"
ROOT_SECRET = "admin-root-secret-1234"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("admin")
    store = identities.IdentityStore.in_data_dir(
        str(data_dir), root_access_key=ROOT_KEY, root_secret_key=ROOT_SECRET
    )
    app = admin.make_admin_app(
        store, root_access_key=ROOT_KEY, root_secret_key=ROOT_SECRET
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "admin server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", store
    srv.should_exit = True
    thread.join(10)
    store.close()
    sock.close()


@pytest.fixture()
def client(server):
    url, _ = server
    with httpx.Client(base_url=url, auth=(ROOT_KEY, ROOT_SECRET), timeout=10) as c:
        yield c


def test_health_needs_no_credentials(server):
    url, _ = server
    assert httpx.get(f"{url}/v1/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "auth", [None, (ROOT_KEY, "wrong-secret"), ("OTHER", ROOT_SECRET)]
)
def test_requests_without_root_credentials_are_401(server, auth):
    url, _ = server
    response = httpx.get(f"{url}/v1/users", auth=auth)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.json()["error"]["code"] == "Unauthorized"
    assert ROOT_SECRET not in response.text


def test_user_and_key_lifecycle(client, server):
    _, store = server
    r = client.put("/v1/users/alice", json={"display_name": "Alice"})
    assert r.status_code == 201
    alice = r.json()
    assert alice["name"] == "alice" and len(alice["canonical_id"]) == 64
    # PUT again: same user, 200.
    r = client.put("/v1/users/alice", json={"display_name": "Alice"})
    assert r.status_code == 200 and r.json() == alice

    r = client.post("/v1/users/alice/keys", json={})
    assert r.status_code == 201
    key = r.json()
    assert key["access_key"].startswith("AK") and len(key["secret_key"]) == 40
    secret, principal = store.lookup(key["access_key"])
    assert secret == key["secret_key"] and principal.user_id == alice["user_id"]

    listed = client.get("/v1/users/alice/keys").json()["access_keys"]
    assert [k["access_key"] for k in listed] == [key["access_key"]]
    assert all("secret_key" not in k for k in listed)
    got = client.get(f"/v1/users/alice/keys/{key['access_key']}").json()
    assert "secret_key" not in got and got["enabled"] is True
    user_doc = client.get("/v1/users/alice").json()
    assert key["secret_key"] not in str(user_doc)
    assert user_doc["access_keys"][0]["access_key"] == key["access_key"]

    r = client.patch(
        f"/v1/users/alice/keys/{key['access_key']}", json={"enabled": False}
    )
    assert r.status_code == 200 and r.json()["enabled"] is False
    with pytest.raises(errors.InvalidAccessKeyId):
        store.lookup(key["access_key"])
    client.patch(f"/v1/users/alice/keys/{key['access_key']}", json={"enabled": True})
    assert store.lookup(key["access_key"])[0] == key["secret_key"]

    assert client.delete(f"/v1/users/alice/keys/{key['access_key']}").status_code == 204
    assert client.delete(f"/v1/users/alice/keys/{key['access_key']}").status_code == 404
    with pytest.raises(errors.InvalidAccessKeyId):
        store.lookup(key["access_key"])
    assert client.delete("/v1/users/alice").status_code == 204
    assert client.get("/v1/users/alice").status_code == 404


def test_driver_supplied_key_is_declarative(client, server):
    _, store = server
    client.put("/v1/users/bob", json={"user_id": "cp-user-bob"})
    body = {"secret_key": "bob-secret-from-cp", "enabled": True}
    r = client.put("/v1/users/bob/keys/BOBKEY0001", json=body)
    assert r.status_code == 201 and "secret_key" not in r.json()
    r = client.put("/v1/users/bob/keys/BOBKEY0001", json=body)
    assert r.status_code == 200
    r = client.put("/v1/users/bob/keys/BOBKEY0001", json=dict(body, enabled=False))
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = client.put(
        "/v1/users/bob/keys/BOBKEY0001", json={"secret_key": "a-different-secret"}
    )
    assert r.status_code == 409
    assert "a-different-secret" not in r.text
    users = client.get("/v1/users").json()["users"]
    assert "bob" in [u["name"] for u in users]
    assert [u for u in users if u["name"] == "bob"][0]["user_id"] == "cp-user-bob"


def test_post_user_conflicts_when_the_name_exists(client):
    assert client.post("/v1/users", json={"name": "carol"}).status_code == 201
    r = client.post("/v1/users", json={"name": "carol"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "Conflict"
    r = client.put("/v1/users/carol", json={"user_id": "not-the-same"})
    assert r.status_code == 409


@pytest.mark.parametrize(
    "method,path,content,status",
    [
        ("PUT", "/v1/users/dave", b"{not json", 400),
        ("PUT", "/v1/users/dave", b"[1, 2]", 400),
        ("PUT", "/v1/users/dave", b'{"colour": "red"}', 400),
        ("PUT", "/v1/users/dave", b'{"display_name": 5}', 400),
        ("PUT", "/v1/users/dave", b'{"kind": "admin"}', 400),
        ("PUT", "/v1/users/dave", b'{"kind": 1}', 400),
        ("POST", "/v1/users", b'{"name": "dave", "kind": "IAM"}', 400),
        ("POST", "/v1/users", b"{}", 400),
        ("PUT", "/v1/users/bad%20name", b"{}", 400),
        ("PUT", "/v1/users/root", b"{}", 400),
        ("POST", "/v1/users/nobody/keys", b"{}", 404),
        ("GET", "/v1/users/nobody", b"", 404),
        ("DELETE", "/v1/users/nobody", b"", 404),
        ("GET", "/v1/nothing-here", b"", 404),
        ("POST", "/v1/users/dave", b"{}", 405),
        ("PUT", "/v1/users/dave", b"{" + b" " * 70000 + b"}", 413),
    ],
)
def test_bad_input_gets_a_json_4xx(client, method, path, content, status):
    r = client.request(method, path, content=content)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]


def test_user_kind_is_set_read_and_changed(client):
    r = client.post("/v1/users", json={"name": "kay"})
    assert r.status_code == 201 and r.json()["kind"] == "account"
    r = client.put("/v1/users/ivy", json={"kind": "iam"})
    assert r.status_code == 201 and r.json()["kind"] == "iam"
    assert client.get("/v1/users/ivy").json()["kind"] == "iam"
    # Changing the kind of an existing user is allowed and idempotent.
    for _ in range(2):
        r = client.put("/v1/users/kay", json={"kind": "iam"})
        assert r.status_code == 200 and r.json()["kind"] == "iam"
    assert client.put("/v1/users/kay", json={}).json()["kind"] == "iam"
    kinds = {u["name"]: u["kind"] for u in client.get("/v1/users").json()["users"]}
    assert kinds["kay"] == kinds["ivy"] == "iam"
    state = {u["name"]: u for u in client.get("/v1/state").json()["users"]}
    assert state["ivy"]["kind"] == "iam"
    r = client.put("/v1/users/kay", json={"kind": "account"})
    assert r.status_code == 200 and r.json()["kind"] == "account"


def test_enabled_must_be_a_boolean(client):
    client.put("/v1/users/erin")
    key = client.post("/v1/users/erin/keys").json()
    r = client.patch(f"/v1/users/erin/keys/{key['access_key']}", json={"enabled": "no"})
    assert r.status_code == 400
