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
"""s3cmd (SigV4 mode, path-style) against the real gateway process."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.functional

S3CMD = shutil.which("s3cmd")


@pytest.fixture
def s3cmd(gateway, tmp_path):
    if S3CMD is None:
        pytest.skip("s3cmd is not installed")
    config = tmp_path / "s3cfg"
    host = f"127.0.0.1:{gateway.port}"
    config.write_text(
        "[default]\n"
        f"access_key = {gateway.access_key}\n"
        f"secret_key = {gateway.secret_key}\n"
        f"host_base = {host}\n"
        # No %(bucket)s in host_bucket: path-style requests.
        f"host_bucket = {host}\n"
        "use_https = False\n"
        # SigV4 (signature_v2 = False), as --signature-v2 would turn it off.
        "signature_v2 = False\n"
        f"bucket_location = {gateway.region}\n"
        "check_ssl_certificate = False\n"
    )

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [S3CMD, "-c", str(config), *args],
            capture_output=True,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"s3cmd {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout.decode(errors='replace')}\n"
                f"{proc.stderr.decode(errors='replace')}"
            )
        return proc

    return run


def test_s3cmd_round_trip(s3cmd, s3, bucket_name, tmp_path):
    url = f"s3://{bucket_name}"
    s3cmd("mb", url)
    assert url in s3cmd("ls").stdout.decode()
    small = tmp_path / "small.txt"
    small.write_bytes(b"s3cmd data " * 500)
    s3cmd("put", str(small), f"{url}/dir/small.txt")
    assert f"{url}/dir/small.txt" in s3cmd("ls", "-r", url).stdout.decode()
    back = tmp_path / "back.txt"
    s3cmd("get", f"{url}/dir/small.txt", str(back))
    assert back.read_bytes() == small.read_bytes()
    s3cmd("cp", f"{url}/dir/small.txt", f"{url}/copy.txt")
    # s3cmd has no ranged download: check the copy with a ranged boto3 GET.
    got = s3.get_object(Bucket=bucket_name, Key="copy.txt", Range="bytes=0-4")
    assert got["Body"].read() == b"s3cmd"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    s3cmd("put", "--multipart-chunk-size-mb=5", str(big), f"{url}/big.bin")
    head = s3.head_object(Bucket=bucket_name, Key="big.bin")
    assert head["ETag"].endswith('-3"')
    big_back = tmp_path / "big.back"
    s3cmd("get", f"{url}/big.bin", str(big_back))
    assert big_back.read_bytes() == big.read_bytes()
    s3cmd("info", f"{url}/big.bin")
    s3cmd("del", "--recursive", "--force", url)
    assert s3cmd("ls", "-r", url).stdout.decode().strip() == ""
    s3cmd("rb", url)
    assert url not in s3cmd("ls").stdout.decode()
