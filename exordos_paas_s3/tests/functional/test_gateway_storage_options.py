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
"""The real gateway process and its storage options (--blob-store, --index,
--upstream-*, EXORDOS_S3_UPSTREAM_*): the default pair serves; a pair not
built yet, or a wrong option, stops the process at startup with one clear
line, before any listener opens, and without credentials in it."""

import os
import subprocess
import sys

import boto3
import pytest
from botocore.config import Config

from exordos_paas_s3.tests.functional.conftest import REPO_ROOT, new_gateway

pytestmark = pytest.mark.functional

UPSTREAM_SECRET = "upstream-secret-do-not-print"


def _run(tmp_path, *args: str, env_extra: dict | None = None):
    env = dict(os.environ)
    env["EXORDOS_S3_ROOT_ACCESS_KEY"] = "AKROOTSTORAGEOPTS"
    env["EXORDOS_S3_ROOT_SECRET_KEY"] = "root-secret-storage-opts"
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    data_dir = tmp_path / "data"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "exordos_paas_s3.cmd.gateway",
            "--data-dir",
            str(data_dir),
            "--listen",
            "127.0.0.1:1",  # never reached: startup stops first
            "--admin-listen",
            "127.0.0.1:2",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )


UPSTREAM_ENV = {
    "EXORDOS_S3_UPSTREAM_ACCESS_KEY": "AKUPSTREAM",
    "EXORDOS_S3_UPSTREAM_SECRET_KEY": UPSTREAM_SECRET,
}
S3_ARGS = (
    "--blob-store",
    "s3",
    "--upstream-endpoint",
    "http://127.0.0.1:7480",
    "--upstream-bucket",
    "exordos-blobs",
    "--upstream-region",
    "default",
)


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (S3_ARGS, UPSTREAM_ENV, "s3 blob store (http://127.0.0.1:7480, bucket "),
        (
            ("--index", "postgresql://gw:db-password@127.0.0.1:5432/s3"),
            {},
            "--blob-store local keeps object bytes on this node's disk",
        ),
        (
            # Nothing listens on port 9: the index cannot start.
            (*S3_ARGS, "--index", "postgresql://gw:db-password@127.0.0.1:9/s3"),
            UPSTREAM_ENV,
            "cannot start",
        ),
        (S3_ARGS, {}, "EXORDOS_S3_UPSTREAM_ACCESS_KEY"),
        (("--blob-store", "s3"), UPSTREAM_ENV, "--upstream-endpoint"),
        (("--index", "mysql://u:db-password@h/x"), {}, "--index must be 'sqlite'"),
    ],
)
def test_pairs_not_built_and_wrong_options_stop_at_startup(tmp_path, args, env, says):
    done = _run(tmp_path, *args, env_extra=env)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "exordos-s3-gateway: storage: " in out and says in out, out
    assert UPSTREAM_SECRET not in out and "db-password" not in out
    assert "Traceback" not in out
    # Nothing was created for a gateway that cannot run: no generated root
    # pair, no index.
    data_dir = tmp_path / "data"
    assert not (data_dir / "root-credentials.json").exists()
    assert not (data_dir / "meta.sqlite").exists()


def test_explicit_default_pair_serves(tmp_path):
    gw = new_gateway(str(tmp_path), "--blob-store", "local", "--index", "sqlite")
    gw.start()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=gw.endpoint,
            aws_access_key_id=gw.access_key,
            aws_secret_access_key=gw.secret_key,
            region_name=gw.region,
            config=Config(s3={"addressing_style": "path"}),
        )
        client.create_bucket(Bucket="opts")
        client.put_object(Bucket="opts", Key="k", Body=b"v")
        assert client.get_object(Bucket="opts", Key="k")["Body"].read() == b"v"
        assert "storage: local blob store + sqlite index" in gw.log()
    finally:
        assert gw.stop() == 0, gw.log()
