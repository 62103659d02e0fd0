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
"""aws-cli v2 (``s3`` and ``s3api`` commands) against the real gateway process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.functional

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")


@pytest.fixture
def aws(gateway, tmp_path):
    if AWS is None:
        pytest.skip("aws-cli is not installed")
    config = tmp_path / "aws-config"
    config.write_text(
        "[default]\n"
        f"region = {gateway.region}\n"
        "s3 =\n"
        "    addressing_style = path\n"
        "    multipart_threshold = 8MB\n"
        "    multipart_chunksize = 8MB\n"
    )
    env = gateway.env()
    env["AWS_CONFIG_FILE"] = str(config)
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "no-credentials")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [AWS, "--endpoint-url", gateway.endpoint, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"aws {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc

    return run


def _md5(path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_awscli_s3_and_s3api_round_trip(aws, bucket_name, tmp_path):
    src = tmp_path / "small.txt"
    src.write_bytes(b"hello from aws-cli\n" * 100)
    aws("s3", "mb", f"s3://{bucket_name}")
    assert bucket_name in aws("s3", "ls").stdout
    aws("s3", "cp", str(src), f"s3://{bucket_name}/dir/small.txt")
    listing = aws("s3", "ls", f"s3://{bucket_name}/dir/").stdout
    assert "small.txt" in listing
    out = tmp_path / "back.txt"
    aws("s3", "cp", f"s3://{bucket_name}/dir/small.txt", str(out))
    assert out.read_bytes() == src.read_bytes()
    ranged = tmp_path / "ranged"
    aws(
        "s3api",
        "get-object",
        "--bucket",
        bucket_name,
        "--key",
        "dir/small.txt",
        "--range",
        "bytes=6-9",
        str(ranged),
    )
    assert ranged.read_bytes() == b"from"
    aws(
        "s3api",
        "copy-object",
        "--bucket",
        bucket_name,
        "--key",
        "copy.txt",
        "--copy-source",
        f"{bucket_name}/dir/small.txt",
    )
    head = json.loads(
        aws("s3api", "head-object", "--bucket", bucket_name, "--key", "copy.txt").stdout
    )
    assert head["ContentLength"] == src.stat().st_size
    listed = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket_name).stdout)
    assert sorted(o["Key"] for o in listed["Contents"]) == ["copy.txt", "dir/small.txt"]
    aws("s3", "rm", f"s3://{bucket_name}/copy.txt")
    aws("s3", "rm", "--recursive", f"s3://{bucket_name}/")
    aws("s3", "rb", f"s3://{bucket_name}")
    assert bucket_name not in aws("s3", "ls").stdout


def test_awscli_multipart_cp_of_a_101_mib_file(aws, bucket_name, tmp_path):
    big = tmp_path / "big.bin"
    block = os.urandom(1024 * 1024)
    with open(big, "wb") as f:
        for i in range(101):
            f.write(block[i:] + block[:i])
    aws("s3", "mb", f"s3://{bucket_name}")
    aws("s3", "cp", str(big), f"s3://{bucket_name}/big.bin")
    head = json.loads(
        aws("s3api", "head-object", "--bucket", bucket_name, "--key", "big.bin").stdout
    )
    assert head["ContentLength"] == 101 * 1024 * 1024
    # 8 MiB chunks: a composite ETag with 13 parts.
    assert head["ETag"].endswith('-13"')
    back = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{bucket_name}/big.bin", str(back))
    assert _md5(back) == _md5(big)
    aws("s3", "rb", "--force", f"s3://{bucket_name}")


def test_awscli_reports_s3_errors(aws, bucket_name):
    proc = aws("s3api", "head-bucket", "--bucket", bucket_name, check=False)
    assert proc.returncode != 0 and "404" in proc.stderr
    proc = aws("s3api", "create-bucket", "--bucket", "Bad_Name", check=False)
    assert proc.returncode != 0 and "InvalidBucketName" in proc.stderr
