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
"""The stand as a user runs it: ``exordos-paas-s3 stand`` in a subprocess.

PostgreSQL comes from the control-plane tests' fixture (the server at
127.0.0.1:5432, or an embedded one); the stand makes its own database on it,
which is dropped afterwards. The API URL and token are read from the lines
the command prints (``api: URL``, ``token: TOKEN``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import psycopg
import pytest
import requests

from exordos_paas_s3.tests.functional.cp.conftest import (  # noqa: F401 - fixture
    cp_pg_server_url,
)

REPO_ROOT = os.path.dirname(
    os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    )
)


class StandProcess:
    def __init__(self, state_dir: str, pg_url: str) -> None:
        self.state_dir = state_dir
        self.pg_url = pg_url
        self.proc: subprocess.Popen | None = None
        self.api = ""
        self.token = ""
        base = os.path.dirname(os.path.abspath(state_dir))
        self.log_path = os.path.join(base, "stand.log")
        self.out_path = os.path.join(base, "stand.out")

    def start(self, timeout: float = 120.0) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        out_path = self.out_path
        out = open(out_path, "wb")  # noqa: SIM115 - owned by the process
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exordos_paas_s3.cmd.cli",
                "stand",
                "--state-dir",
                self.state_dir,
                "--pg-url",
                self.pg_url,
            ],
            stdout=out,
            stderr=log,
            env=env,
            cwd=REPO_ROOT,
        )
        out.close()
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stand exited early:\n{self.log()}")
            with open(out_path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            api = [ln[len("api: ") :] for ln in lines if ln.startswith("api: ")]
            token = [ln[len("token: ") :] for ln in lines if ln.startswith("token: ")]
            if api and token:
                self.api, self.token = api[0], token[0]
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"stand did not print api/token:\n{self.log()}")

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-12000:]
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> int | None:
        """Ctrl-C, as a user stops it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def database(self) -> str:
        with open(os.path.join(self.state_dir, "stand.json"), encoding="utf-8") as f:
            return json.load(f)["database"]


class Api:
    """The MetaPaaS user API as the stand's admin token sees it."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body=None, status=None):
        response = self.session.request(method, self.url + path, json=body, timeout=30)
        expected = status or {"POST": 201, "DELETE": 204}.get(method, 200)
        assert response.status_code == expected, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def wait(self, path: str, predicate, timeout: float = 90.0):
        deadline = time.monotonic() + timeout
        doc = None
        while time.monotonic() < deadline:
            response = self.session.get(self.url + path, timeout=30)
            doc = response.json() if response.status_code == 200 else response
            if predicate(doc):
                return doc
            time.sleep(0.5)
        raise AssertionError(f"{path} never got there; last: {doc}")

    def wait_active(self, path: str, timeout: float = 90.0):
        def active(doc):
            if isinstance(doc, dict) and doc.get("status") == "ERROR":
                raise AssertionError(f"{path} is ERROR: {doc.get('reason')}")
            return isinstance(doc, dict) and doc.get("status") == "ACTIVE"

        return self.wait(path, active, timeout)


@pytest.fixture(scope="module")
def stand(tmp_path_factory, cp_pg_server_url):  # noqa: F811 - fixture
    root = tmp_path_factory.mktemp("stand")
    process = StandProcess(str(root / "state"), cp_pg_server_url)
    process.start()
    yield process
    code = process.stop()
    try:
        assert code == 0, process.log()
    finally:
        with psycopg.connect(cp_pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{process.database()}" WITH (FORCE)')


@pytest.fixture(scope="module")
def api(stand):
    return Api(stand.api, stand.token)


# --- the target of the ported product suites --------------------------------

LIVE_URL_ENV = "EXORDOS_S3_CP_URL"
LIVE_TOKEN_ENV = "EXORDOS_S3_TOKEN"
LIVE_VERSION_ENV = "EXORDOS_S3_VERSION"


class Target:
    """One ACTIVE instance of the service, wherever it runs, with helpers to
    give it buckets, users, keys and policies through the API."""

    def __init__(self, api: Api, version_path: str, timeout: float) -> None:
        self.api = api
        self.timeout = timeout
        name = "suite-" + secrets.token_hex(3)
        created = api.call(
            "POST",
            "/v1/types/s3/instances/",
            {"name": name, "version": version_path},
        )
        self.path = f"/v1/types/s3/instances/{created['uuid']}"
        shown = api.wait_active(self.path, timeout=timeout)
        self.endpoint = shown["endpoints"][0]

    def bucket(self, name: str, **settings) -> dict:
        doc = self.api.call("POST", f"{self.path}/buckets/", {"name": name, **settings})
        self.api.wait_active(f"{self.path}/buckets/{doc['uuid']}", self.timeout)
        return doc

    def delete_bucket(self, doc: dict) -> None:
        """Delete once the nodes have reported it empty (the API refuses a
        bucket its data plane says holds data)."""
        path = f"{self.path}/buckets/{doc['uuid']}"
        self.api.wait(
            path, lambda d: isinstance(d, dict) and d.get("is_empty") is not False
        )
        self.api.call("DELETE", path)

    def user_with_key(self, policy: dict | None = None) -> tuple[dict, dict]:
        """A new user with one access key (and the policy attached); waits
        until the gateway has all of it. Returns (user, key with secret)."""
        name = "u-" + secrets.token_hex(4)
        user = self.api.call("POST", f"{self.path}/users/", {"name": name})
        user_path = f"{self.path}/users/{user['uuid']}"
        key = self.api.call("POST", f"{user_path}/keys/", {})
        self.api.wait_active(f"{user_path}/keys/{key['uuid']}", self.timeout)
        if policy is not None:
            doc = self.api.call(
                "POST", f"{self.path}/policies/", {"name": name, "content": policy}
            )
            attachment = self.api.call(
                "POST",
                f"{user_path}/policies/",
                {"policy": f"{self.path}/policies/{doc['uuid']}"},
            )
            self.api.wait_active(
                f"{user_path}/policies/{attachment['uuid']}", self.timeout
            )
        key["path"] = f"{user_path}/keys/{key['uuid']}"
        key["user_path"] = user_path
        return user, key

    def s3(self, key: dict):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=key["access_key"],
            aws_secret_access_key=key["secret_key"],
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def close(self) -> None:
        self.api.call("DELETE", self.path)


@pytest.fixture(scope="session")
def target(request, tmp_path_factory):
    """A live Exordos when EXORDOS_S3_CP_URL and EXORDOS_S3_TOKEN are set
    (see prepare_env.py), otherwise a stand of our own."""
    url, token = os.environ.get(LIVE_URL_ENV), os.environ.get(LIVE_TOKEN_ENV)
    process = None
    if url and token:
        api = Api(url.rstrip("/"), token)
        version = os.environ.get(LIVE_VERSION_ENV)
        if not version:
            raise RuntimeError(f"set {LIVE_VERSION_ENV} to a version path or uuid")
        if not version.startswith("/"):
            version = f"/v1/types/s3/versions/{version}"
        timeout = 900.0
    else:
        # PostgreSQL only when the stand is ours to run.
        pg_url = request.getfixturevalue("cp_pg_server_url")
        root = tmp_path_factory.mktemp("suite-stand")
        process = StandProcess(str(root / "state"), pg_url)
        process.start()
        api = Api(process.api, process.token)
        doc = api.call(
            "POST", "/v1/types/s3/versions/", {"name": "suite", "image": "x"}
        )
        version = f"/v1/types/s3/versions/{doc['uuid']}"
        timeout = 90.0
    tgt = Target(api, version, timeout)
    yield tgt
    try:
        tgt.close()
    finally:
        if process is not None:
            code = process.stop()
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(
                    f'DROP DATABASE IF EXISTS "{process.database()}" WITH (FORCE)'
                )
            assert code == 0, process.log()
