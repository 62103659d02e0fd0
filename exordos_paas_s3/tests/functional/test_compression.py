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
"""Transparent compression against a real gateway process.

One gateway with ``--default-compression zstd``; boto3, aws-cli and rclone
(``--checksum``) must see exactly the bytes, sizes, ETags and checksums they
sent, while the admin API's bucket report shows the data stored smaller.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from exordos_paas_s3.tests.functional.conftest import empty_and_delete, new_gateway

MIB = 1 << 20


def text(size: int) -> bytes:
    """JSON log lines: compressible like real logs, not trivially."""
    out = bytearray()
    i = 0
    while len(out) < size:
        line = {
            "ts": 1700000000 + i,
            "level": ("INFO", "WARN", "ERROR")[i % 3],
            "msg": f"request {i * 7919 % 100003} served in {i % 997} ms",
            "path": f"/api/v1/items/{i % 5000}",
        }
        out += json.dumps(line).encode() + b"\n"
        i += 1
    return bytes(out[:size])


@pytest.fixture(scope="module")
def zgw(tmp_path_factory):
    gw = new_gateway(
        str(tmp_path_factory.mktemp("compression")), "--default-compression", "zstd"
    )
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


@pytest.fixture
def s3(zgw):
    return boto3.client(
        "s3",
        endpoint_url=zgw.endpoint,
        aws_access_key_id=zgw.access_key,
        aws_secret_access_key=zgw.secret_key,
        region_name=zgw.region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture
def bucket(s3):
    name = "z-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete(s3, name)


def admin(gw, method, path, body=None):
    return requests.request(
        method,
        gw.admin_endpoint + path,
        auth=(gw.access_key, gw.secret_key),
        json=body,
        timeout=30,
    )


def stored(gw, bucket):
    r = admin(gw, "GET", f"/v1/buckets/{bucket}")
    assert r.status_code == 200, r.text
    return r.json()["storage"]


def test_text_round_trips_and_is_stored_smaller(s3, bucket, zgw):
    data = text(3 * MIB + 12345)
    put = s3.put_object(
        Bucket=bucket, Key="log.json", Body=data, ChecksumAlgorithm="CRC32"
    )
    md5 = hashlib.md5(data).hexdigest()
    assert put["ETag"] == f'"{md5}"'
    got = s3.get_object(Bucket=bucket, Key="log.json", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data) and got["ETag"] == f'"{md5}"'
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]
    head = s3.head_object(Bucket=bucket, Key="log.json")
    assert head["ContentLength"] == len(data) and head["ETag"] == f'"{md5}"'
    (listed,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert listed["Size"] == len(data) and listed["ETag"] == f'"{md5}"'
    assert "x-exordos-compression" not in got["ResponseMetadata"]["HTTPHeaders"]
    usage = stored(zgw, bucket)
    assert usage["compressed_objects"] == 1
    assert usage["logical_bytes"] == len(data)
    assert usage["ratio"] >= 3, usage


@pytest.mark.parametrize(
    "spec",
    [
        "bytes=0-0",
        "bytes=1048000-1049000",
        "bytes=1500000-2600000",
        "bytes=-777",
        "bytes=3000000-",
    ],
)
def test_ranges_of_a_compressed_object(s3, bucket, spec):
    data = text(3 * MIB + 12345)
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    got = s3.get_object(Bucket=bucket, Key="r", Range=spec)
    first, _, last = spec[6:].partition("-")
    if not first:
        want = data[-int(last) :]
    else:
        want = data[int(first) : int(last) + 1 if last else None]
    body = got["Body"].read()
    assert body == want
    assert got["ContentRange"].endswith(f"/{len(data)}")


def test_incompressible_and_typed_data_are_stored_as_is(s3, bucket, zgw):
    noise = os.urandom(2 * MIB)
    s3.put_object(Bucket=bucket, Key="noise", Body=noise)
    s3.put_object(
        Bucket=bucket, Key="pic.jpg", Body=text(MIB), ContentType="image/jpeg"
    )
    s3.put_object(Bucket=bucket, Key="small.json", Body=text(1000))
    assert s3.get_object(Bucket=bucket, Key="noise")["Body"].read() == noise
    usage = stored(zgw, bucket)
    assert usage["compressed_objects"] == 0
    assert usage["stored_bytes"] == usage["logical_bytes"]


def test_sse_copy_versions_and_metadata(s3, bucket, zgw):
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    one, two = text(MIB + 5), text(2 * MIB)[::-1]
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=one, ServerSideEncryption="AES256")[
        "VersionId"
    ]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=two)["VersionId"]
    got = s3.get_object(Bucket=bucket, Key="k", VersionId=v1)
    assert got["Body"].read() == one and got["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v2)["Body"].read() == two
    s3.copy_object(
        Bucket=bucket,
        Key="copy",
        CopySource={"Bucket": bucket, "Key": "k", "VersionId": v1},
    )
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == one
    # Metadata replaced in place keeps the object readable.
    s3.copy_object(
        Bucket=bucket,
        Key="copy",
        CopySource={"Bucket": bucket, "Key": "copy"},
        MetadataDirective="REPLACE",
        Metadata={"a": "b"},
        ContentType="text/plain",
    )
    got = s3.get_object(Bucket=bucket, Key="copy")
    assert got["Body"].read() == one and got["Metadata"] == {"a": "b"}
    assert stored(zgw, bucket)["compressed_objects"] == 4


def test_conditional_requests_use_the_original_etag(s3, bucket):
    data = text(MIB)
    etag = s3.put_object(Bucket=bucket, Key="c", Body=data)["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    s3.put_object(Bucket=bucket, Key="c", Body=data[::-1], IfMatch=etag)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="c", Body=data, IfMatch=etag)
    assert exc.value.response["Error"]["Code"] == "PreconditionFailed"


def test_multipart_is_stored_as_is_and_round_trips(s3, bucket):
    data = text(12 * MIB)
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    parts = []
    for n, off in enumerate(range(0, len(data), 5 * MIB), 1):
        r = s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=up,
            PartNumber=n,
            Body=data[off : off + 5 * MIB],
        )
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == data


def test_bucket_setting_overrides_the_default(zgw, s3):
    name = "z-off-" + uuid.uuid4().hex[:12]
    r = admin(zgw, "PUT", f"/v1/buckets/{name}", {"compression": "none"})
    assert r.status_code == 201 and r.json()["compression"] == "none"
    try:
        s3.put_object(Bucket=name, Key="t", Body=text(MIB))
        assert stored(zgw, name)["compressed_objects"] == 0
        r = admin(zgw, "PUT", f"/v1/buckets/{name}", {"compression": "zstd"})
        assert r.status_code == 201 and r.json()["compression"] == "zstd"
        s3.put_object(Bucket=name, Key="t", Body=text(MIB))
        assert stored(zgw, name)["compressed_objects"] == 1
        bad = admin(zgw, "PUT", f"/v1/buckets/{name}", {"compression": "gzip"})
        assert bad.status_code == 400
    finally:
        empty_and_delete(s3, name)


AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
RCLONE = shutil.which("rclone")


def test_awscli_multipart_and_rclone_checksum(zgw, s3, bucket, tmp_path):
    if AWS is None or RCLONE is None:
        pytest.skip("aws-cli or rclone is not installed")
    src = tmp_path / "big.log"
    data = text(20 * MIB)
    src.write_bytes(data)
    config = tmp_path / "aws-config"
    config.write_text(
        f"[default]\nregion = {zgw.region}\ns3 =\n    addressing_style = path\n"
        "    multipart_threshold = 8MB\n    multipart_chunksize = 8MB\n"
    )
    env = zgw.env()
    env["AWS_CONFIG_FILE"] = str(config)
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    aws = [AWS, "--endpoint-url", zgw.endpoint]
    subprocess.run(
        [*aws, "s3", "cp", str(src), f"s3://{bucket}/big.log"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    # A single PUT of the same bytes (compressed), through the API.
    subprocess.run(
        [
            *aws,
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "single.log",
            "--body",
            str(src),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    out = tmp_path / "back.log"
    subprocess.run(
        [*aws, "s3", "cp", f"s3://{bucket}/single.log", str(out)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert out.read_bytes() == data
    subprocess.run(
        [*aws, "s3", "cp", f"s3://{bucket}/big.log", str(out)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert out.read_bytes() == data
    # rclone: upload as single PUTs, then verify by checksum and download.
    renv = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    renv.update(
        RCLONE_CONFIG=str(tmp_path / "rclone.conf"),
        RCLONE_CONFIG_GW_TYPE="s3",
        RCLONE_CONFIG_GW_PROVIDER="Other",
        RCLONE_CONFIG_GW_ACCESS_KEY_ID=zgw.access_key,
        RCLONE_CONFIG_GW_SECRET_ACCESS_KEY=zgw.secret_key,
        RCLONE_CONFIG_GW_ENDPOINT=zgw.endpoint,
        RCLONE_CONFIG_GW_REGION=zgw.region,
        RCLONE_CONFIG_GW_FORCE_PATH_STYLE="true",
    )
    (tmp_path / "rclone.conf").write_text("")
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(3):
        (tree / f"f{i}.json").write_bytes(text((i + 1) * 300_000))
    rc = [
        RCLONE,
        "--retries",
        "1",
        "--low-level-retries",
        "1",
        "--s3-upload-cutoff",
        "100M",
    ]
    subprocess.run(
        [*rc, "copy", "--checksum", str(tree), f"gw:{bucket}/tree"],
        env=renv,
        check=True,
        capture_output=True,
        timeout=300,
    )
    check = subprocess.run(
        [*rc, "check", "--checksum", str(tree), f"gw:{bucket}/tree"],
        env=renv,
        capture_output=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stderr
    down = tmp_path / "down"
    subprocess.run(
        [*rc, "copy", f"gw:{bucket}/tree", str(down)],
        env=renv,
        check=True,
        capture_output=True,
        timeout=300,
    )
    for i in range(3):
        assert (down / f"f{i}.json").read_bytes() == (tree / f"f{i}.json").read_bytes()
    assert stored(zgw, bucket)["compressed_objects"] >= 4
