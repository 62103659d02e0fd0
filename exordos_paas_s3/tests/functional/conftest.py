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
"""Fixtures that run the REAL gateway process (``exordos-s3-gateway``).

The process is started as ``python -m exordos_paas_s3.cmd.gateway`` on a temp
data directory and free loopback ports, with root credentials passed through
the environment, and stopped (SIGTERM, then SIGKILL) afterwards.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings

import pytest
import requests

# Host "bucket.s3.test" names the bucket (virtual-hosted-style requests).
VIRTUAL_HOST_DOMAIN = "s3.test"

REPO_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Gateway:
    """A gateway process on ``data_dir``; restartable on the same directory."""

    data_dir: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    port: int = 0
    admin_port: int = 0
    extra_args: tuple[str, ...] = ()
    proc: subprocess.Popen | None = None
    log_path: str = ""
    # (certificate, key): the S3 listener speaks TLS (--tls-cert/--tls-key).
    tls: tuple[str, str] | None = None
    # The S3 listener's address (a non-loopback one for remote-client tests).
    host: str = "127.0.0.1"

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def admin_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, timeout: float = 30.0) -> None:
        self.port = free_port()
        self.admin_port = free_port()
        env = dict(os.environ)
        env["EXORDOS_S3_ROOT_ACCESS_KEY"] = self.access_key
        env["EXORDOS_S3_ROOT_SECRET_KEY"] = self.secret_key
        env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        self.log_path = os.path.join(self.data_dir, "..", "gateway.log")
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exordos_paas_s3.cmd.gateway",
                "--data-dir",
                self.data_dir,
                "--listen",
                f"{self.host}:{self.port}",
                "--admin-listen",
                f"127.0.0.1:{self.admin_port}",
                "--region",
                self.region,
                *(
                    ("--tls-cert", self.tls[0], "--tls-key", self.tls[1])
                    if self.tls
                    else ()
                ),
                *self.extra_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.log()}")
            try:
                # Started is answering, not trusted: certificates are the
                # TLS tests' subject, not this loop's.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    requests.get(self.endpoint + "/", timeout=1, verify=False)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gateway did not start:\n{self.log()}")

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-8000:]
        except OSError:
            return ""

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self) -> None:
        """kill -9: the crash test's hammer."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def env(self) -> dict[str, str]:
        """Environment for CLI clients (aws-cli, ...)."""
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
            AWS_EC2_METADATA_DISABLED="true",
        )
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        return env


def new_gateway(tmp_dir: str, *extra_args: str) -> Gateway:
    data_dir = os.path.join(tmp_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    return Gateway(
        data_dir=data_dir,
        access_key="AKROOT" + secrets.token_hex(6).upper(),
        secret_key=secrets.token_urlsafe(30),
        extra_args=tuple(extra_args),
    )


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    """One real gateway process for the session's client tests."""
    gw = new_gateway(
        str(tmp_path_factory.mktemp("gateway")),
        "--virtual-host-domain",
        VIRTUAL_HOST_DOMAIN,
    )
    gw.start()
    yield gw
    code = gw.stop()
    # A graceful SIGTERM stop exits cleanly.
    assert code == 0, gw.log()


@pytest.fixture
def bucket_name() -> str:
    return "test-" + uuid.uuid4().hex[:20]


@pytest.fixture
def s3(gateway):
    """A boto3 client with the default (current) checksum behaviour."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


@pytest.fixture
def bucket(s3, bucket_name):
    """A fresh bucket, emptied and removed afterwards."""
    s3.create_bucket(Bucket=bucket_name)
    yield bucket_name
    empty_and_delete(s3, bucket_name)


def empty_and_delete(s3, name: str) -> None:
    try:
        for up in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
            s3.abort_multipart_upload(
                Bucket=name, Key=up["Key"], UploadId=up["UploadId"]
            )
        while True:
            page = s3.list_object_versions(Bucket=name)
            items = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if not items:
                break
            s3.delete_objects(Bucket=name, Delete={"Objects": items, "Quiet": True})
        s3.delete_bucket(Bucket=name)
    except s3.exceptions.NoSuchBucket:
        pass
