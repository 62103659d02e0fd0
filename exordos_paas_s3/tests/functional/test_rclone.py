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
"""rclone (s3 backend, provider Other) against the real gateway process."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.functional

RCLONE = shutil.which("rclone")


@pytest.fixture
def rclone(gateway, tmp_path):
    if RCLONE is None:
        pytest.skip("rclone is not installed")
    # The AWS SDK inside rclone reads AWS_* variables (AWS_CA_BUNDLE breaks
    # its plain-HTTP transport): keep them out.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # The remote "gw" is defined entirely through the environment.
    env.update(
        RCLONE_CONFIG=str(tmp_path / "rclone.conf"),
        RCLONE_CONFIG_GW_TYPE="s3",
        RCLONE_CONFIG_GW_PROVIDER="Other",
        RCLONE_CONFIG_GW_ACCESS_KEY_ID=gateway.access_key,
        RCLONE_CONFIG_GW_SECRET_ACCESS_KEY=gateway.secret_key,
        RCLONE_CONFIG_GW_ENDPOINT=gateway.endpoint,
        RCLONE_CONFIG_GW_REGION=gateway.region,
        RCLONE_CONFIG_GW_FORCE_PATH_STYLE="true",
        # rclone's own defaults otherwise: it sends "x-amz-acl: private",
        # which buckets accept (ACLs are enabled by default, decision 0004).
    )
    (tmp_path / "rclone.conf").write_text("")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [RCLONE, "--retries", "1", "--low-level-retries", "1", *args],
            env=env,
            capture_output=True,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"rclone {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout.decode(errors='replace')}\n"
                f"{proc.stderr.decode(errors='replace')}"
            )
        return proc

    return run


def test_rclone_round_trip(rclone, bucket_name, tmp_path):
    remote = f"gw:{bucket_name}"
    rclone("mkdir", remote)
    assert bucket_name in rclone("lsd", "gw:").stdout.decode()
    small = tmp_path / "small.txt"
    small.write_bytes(b"0123456789" * 1000)
    rclone("copyto", str(small), f"{remote}/dir/small.txt")
    assert sorted(rclone("lsf", "-R", remote).stdout.decode().split()) == [
        "dir/",
        "dir/small.txt",
    ]
    assert rclone("cat", f"{remote}/dir/small.txt").stdout == small.read_bytes()
    assert (
        rclone(
            "cat", "--offset", "5", "--count", "10", f"{remote}/dir/small.txt"
        ).stdout
        == small.read_bytes()[5:15]
    )
    # Server-side copy (CopyObject).
    rclone("copyto", f"{remote}/dir/small.txt", f"{remote}/copy.txt")
    assert rclone("cat", f"{remote}/copy.txt").stdout == small.read_bytes()
    # Above the upload cutoff rclone uploads in parts.
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    rclone(
        "copyto",
        "--s3-upload-cutoff",
        "5M",
        "--s3-chunk-size",
        "5M",
        str(big),
        f"{remote}/big.bin",
    )
    back = tmp_path / "back.bin"
    rclone("copyto", f"{remote}/big.bin", str(back))
    assert back.read_bytes() == big.read_bytes()
    # rclone reads the MD5 of a single-part object from its ETag.
    md5 = rclone("hashsum", "md5", f"{remote}/copy.txt").stdout.decode().split()[0]
    assert md5 == hashlib.md5(small.read_bytes()).hexdigest()
    rclone("delete", remote)
    assert rclone("lsf", "-R", remote).stdout.decode().split() == []
    rclone("rmdir", remote)
    assert bucket_name not in rclone("lsd", "gw:").stdout.decode()
