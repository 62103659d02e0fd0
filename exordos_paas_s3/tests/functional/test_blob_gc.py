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
"""The orphan-blob GC, read leases and the verify pass of a real gateway
(``--blob-store s3 --index sqlite``) over a real Ceph RGW (tests/rgw.py;
skipped without one), driven by boto3 and the admin API.

Orphans are made the way a crash leaves them: blobs under fresh blob ids
written straight into the upstream bucket (no row names them), an upstream
multipart upload left open, and a gateway killed with -9 under load. S3
cannot back-date an object, so the GC's grace is a second here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time

import boto3
import pytest
import requests
from botocore.config import Config

from exordos_paas_s3.tests import rgw
from exordos_paas_s3.tests.functional.conftest import REPO_ROOT, new_gateway

pytestmark = pytest.mark.functional

MIB = 1 << 20
BLOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _start(tmp_path, monkeypatch, upstream, *args):
    monkeypatch.setenv("EXORDOS_S3_UPSTREAM_ACCESS_KEY", upstream.access_key)
    monkeypatch.setenv("EXORDOS_S3_UPSTREAM_SECRET_KEY", upstream.secret_key)
    gw = new_gateway(
        str(tmp_path),
        "--blob-store",
        "s3",
        "--upstream-endpoint",
        upstream.endpoint,
        "--upstream-bucket",
        upstream.bucket,
        "--upstream-region",
        upstream.region,
        "--upstream-multipart-threshold-mib",
        "5",
        "--upstream-part-size-mib",
        "5",
        "--gc-interval",
        "0",
        *args,
    )
    gw.start()
    return gw


def _client(gw):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(retries={"max_attempts": 1}),
    )


def _admin(gw, path, body=None, status=200):
    resp = requests.post(
        gw.admin_endpoint + path,
        json=body or {},
        auth=(gw.access_key, gw.secret_key),
        timeout=120,
    )
    assert resp.status_code == status, resp.text
    return resp.json()


def _blob_ids(upstream) -> set[str]:
    return {k for k in rgw.keys(rgw.client(), upstream.bucket) if BLOB_ID.match(k)}


def _orphan(upstream, size: int = 1000) -> str:
    blob_id = secrets.token_hex(16)
    rgw.client().put_object(Bucket=upstream.bucket, Key=blob_id, Body=os.urandom(size))
    return blob_id


def _multipart(s3, bucket, key, data, part=5 * MIB):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for n, start in enumerate(range(0, len(data), part), 1):
        etag = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=up["UploadId"],
            PartNumber=n,
            Body=data[start : start + part],
        )["ETag"]
        parts.append({"PartNumber": n, "ETag": etag})
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": parts},
    )


@pytest.fixture
def upstream():
    return rgw.new_bucket("gc")


def test_gc_removes_orphans_and_keeps_every_live_blob(tmp_path, monkeypatch, upstream):
    gw = _start(tmp_path, monkeypatch, upstream, "--gc-grace", "1")
    try:
        s3 = _client(gw)
        s3.create_bucket(Bucket="data")
        s3.put_bucket_versioning(
            Bucket="data", VersioningConfiguration={"Status": "Enabled"}
        )
        small = {f"k{i}": os.urandom(2000 + i) for i in range(5)}
        for key, body in small.items():
            s3.put_object(Bucket="data", Key=key, Body=body)
        # An old version stays named by its row.
        old = s3.list_object_versions(Bucket="data", Prefix="k0")["Versions"][0]
        s3.put_object(Bucket="data", Key="k0", Body=b"new k0")
        big = os.urandom(11 * MIB)
        _multipart(s3, "data", "big", big)  # three part blobs in one row
        # An upload in progress: its part's blob is named by the parts table.
        open_up = s3.create_multipart_upload(Bucket="data", Key="pending")
        pending = os.urandom(5 * MIB)
        etag = s3.upload_part(
            Bucket="data",
            Key="pending",
            UploadId=open_up["UploadId"],
            PartNumber=1,
            Body=pending,
        )["ETag"]
        live = _blob_ids(upstream)
        assert len(live) == 5 + 1 + 3 + 1

        orphans = {_orphan(upstream) for _ in range(3)}
        direct = rgw.client()
        direct.put_object(Bucket=upstream.bucket, Key="README.operator", Body=b"x")
        unfinished = direct.create_multipart_upload(
            Bucket=upstream.bucket, Key=secrets.token_hex(16)
        )
        time.sleep(2.5)  # past the 1 s grace, by the upstream's clock

        report = _admin(gw, "/v1/gc")
        assert report["deleted"] == 3, report
        assert report["listed"] == len(live) + 3
        assert report["referenced"] == len(live)
        assert report["foreign"] == 1
        assert report["uploads_aborted"] == 1
        assert report["kept_young"] == 0 and report["failed"] == 0
        assert report["running"] is False
        assert _blob_ids(upstream) == live
        assert not orphans & _blob_ids(upstream)
        assert "README.operator" in rgw.keys(direct, upstream.bucket)
        uploads = direct.list_multipart_uploads(Bucket=upstream.bucket)
        assert unfinished["UploadId"] not in [
            u["UploadId"] for u in uploads.get("Uploads", [])
        ]

        # Everything live is still readable, whole.
        for key, body in list(small.items())[1:]:
            assert s3.get_object(Bucket="data", Key=key)["Body"].read() == body
        assert s3.get_object(Bucket="data", Key="k0")["Body"].read() == b"new k0"
        got = s3.get_object(Bucket="data", Key="k0", VersionId=old["VersionId"])
        assert got["Body"].read() == small["k0"]
        assert s3.get_object(Bucket="data", Key="big")["Body"].read() == big
        s3.complete_multipart_upload(
            Bucket="data",
            Key="pending",
            UploadId=open_up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        assert s3.get_object(Bucket="data", Key="pending")["Body"].read() == pending

        # A second pass finds nothing more to do.
        again = _admin(gw, "/v1/gc")
        assert again["deleted"] == 0 and again["listed"] == again["referenced"]
    finally:
        assert gw.stop() == 0, gw.log()
    assert upstream.secret_key not in gw.log()


def test_gc_keeps_a_young_unnamed_blob(tmp_path, monkeypatch, upstream):
    """An upload in flight has written its blob and not yet committed the
    row that names it: younger than the grace, it is kept."""
    gw = _start(tmp_path, monkeypatch, upstream, "--gc-grace", "3600")
    try:
        young = _orphan(upstream)
        report = _admin(gw, "/v1/gc")
        assert report["kept_young"] == 1 and report["deleted"] == 0, report
        assert young in _blob_ids(upstream)
        # The same pass from the command line.
        done = _cli(gw, "gc")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["kept_young"] == 1
    finally:
        gw.stop()


def test_gc_on_demand_is_refused_for_local_files(tmp_path):
    gw = new_gateway(str(tmp_path))
    gw.start()
    try:
        doc = _admin(gw, "/v1/gc", status=501)
        assert doc["error"]["code"] == "NotImplemented"
        _admin(gw, "/v1/verify", {"bucket": "x"}, status=501)
    finally:
        gw.stop()


def test_gc_runs_on_its_timer(tmp_path, monkeypatch, upstream):
    gw = _start(
        tmp_path, monkeypatch, upstream, "--gc-grace", "0", "--gc-interval", "0.5"
    )
    try:
        orphan = _orphan(upstream)
        deadline = time.monotonic() + 20
        while orphan in _blob_ids(upstream):
            assert time.monotonic() < deadline, gw.log()
            time.sleep(0.2)
        assert "GC pass:" in gw.log()
    finally:
        gw.stop()


def test_kill_9_under_load_then_gc_leaves_no_orphan_and_loses_nothing(
    tmp_path, monkeypatch, upstream
):
    args = ("--gc-grace", "1")
    gw = _start(tmp_path, monkeypatch, upstream, *args)
    s3 = _client(gw)
    s3.create_bucket(Bucket="load")
    acked: dict[str, bytes] = {}  # key -> md5 of the last acknowledged body
    in_flight: dict[str, bytes] = {}
    stop = threading.Event()

    def writer(n: int) -> None:
        client = _client(gw)
        i = 0
        while not stop.is_set() and i < 400:
            key = f"w{n}/k{i % 7}"
            size = 6 * MIB if i % 5 == 0 else 3000 + i  # some go multipart upstream
            body = os.urandom(size)
            in_flight[key] = hashlib.md5(body).digest()
            try:
                client.put_object(Bucket="load", Key=key, Body=body)
            except Exception:  # noqa: BLE001 - the gateway died mid-request
                return
            acked[key] = in_flight.pop(key)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(3.0)
    gw.kill()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert len(acked) >= 4, "too few writes before the kill"

    gw.start()
    try:
        time.sleep(2.5)  # every blob written before the kill is past the grace
        first = _admin(gw, "/v1/gc")
        second = _admin(gw, "/v1/gc")
        assert second["deleted"] == 0, second
        # 0 orphans: every blob id left upstream is named by the index.
        assert second["listed"] == second["referenced"], (first, second)
        assert len(_blob_ids(upstream)) == second["referenced"]
        assert (
            not rgw.client()
            .list_multipart_uploads(Bucket=upstream.bucket)
            .get("Uploads")
        )
        # 0 lost acknowledged writes: each key holds its last acknowledged
        # body, or the one in flight at the kill (which may have committed).
        s3 = _client(gw)
        for key, md5 in acked.items():
            body = s3.get_object(Bucket="load", Key=key)["Body"].read()
            assert hashlib.md5(body).digest() in (md5, in_flight.get(key)), key
    finally:
        assert gw.stop() == 0, gw.log()


def test_a_slow_read_keeps_its_blobs_past_the_grace(tmp_path, monkeypatch, upstream):
    """A GET that resolved a version streams that version to its last byte,
    though an overwrite made its blobs obsolete, their grace ended and a GC
    pass ran meanwhile."""
    gw = _start(
        tmp_path,
        monkeypatch,
        upstream,
        "--obsolete-blob-grace",
        "1",
        "--gc-grace",
        "0",
    )
    try:
        s3 = _client(gw)
        s3.create_bucket(Bucket="slow")
        old = os.urandom(40 * MIB)  # eight 5 MiB part blobs
        _multipart(s3, "slow", "big", old)
        url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": "slow", "Key": "big"}, ExpiresIn=300
        )
        resp = requests.get(url, stream=True, timeout=60)
        assert resp.status_code == 200
        chunks = resp.iter_content(64 * 1024)
        got = bytearray()
        while len(got) < MIB:
            got += next(chunks)

        s3.put_object(Bucket="slow", Key="big", Body=b"the new version")
        time.sleep(3.0)  # past the obsolete blobs' 1 s grace
        report = _admin(gw, "/v1/gc")
        assert report["deleted"] == 0, report
        assert report["kept_in_use"] == 8, report

        for chunk in chunks:
            got += chunk
        assert len(got) == len(old)
        assert hashlib.md5(got).digest() == hashlib.md5(old).digest()
        # The lease ended with the read: the old blobs go now.
        deadline = time.monotonic() + 10
        while len(_blob_ids(upstream)) != 1:
            assert time.monotonic() < deadline, _blob_ids(upstream)
            time.sleep(0.1)
        assert s3.get_object(Bucket="slow", Key="big")["Body"].read() == (
            b"the new version"
        )
    finally:
        assert gw.stop() == 0, gw.log()


def _verify_cli(gw, *args):
    return _cli(gw, "verify", *args)


def _cli(gw, command, *args):
    env = dict(os.environ)
    env["EXORDOS_S3_ROOT_ACCESS_KEY"] = gw.access_key
    env["EXORDOS_S3_ROOT_SECRET_KEY"] = gw.secret_key
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "exordos_paas_s3.cmd.cli",
            command,
            "--admin-url",
            gw.admin_endpoint,
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_verify_reports_a_corrupt_and_a_missing_blob(tmp_path, monkeypatch, upstream):
    gw = _start(tmp_path, monkeypatch, upstream)
    try:
        s3 = _client(gw)
        s3.create_bucket(Bucket="verify-me")
        for i in range(6):
            s3.put_object(
                Bucket="verify-me",
                Key=f"obj{i}",
                Body=os.urandom(4000 + i),
                ChecksumAlgorithm="CRC32",
            )
        _multipart(s3, "verify-me", "multi", os.urandom(11 * MIB))
        clean = _verify_cli(gw, "--bucket", "verify-me")
        assert clean.returncode == 0, clean.stderr
        summary = json.loads(clean.stdout.splitlines()[-1])["summary"]
        assert summary["checked"] == 7 and summary["ok"] == 7
        assert summary["bytes"] == sum(4000 + i for i in range(6)) + 11 * MIB

        before = _blob_ids(upstream)
        direct = rgw.client()
        # obj2's blob: the same length, other bytes. obj4's: gone.
        blob_of = {}
        for key in ("obj2", "obj4"):
            size = 4000 + int(key[-1])
            blob_of[key] = [
                b
                for b in before
                if direct.head_object(Bucket=upstream.bucket, Key=b)["ContentLength"]
                == size
            ][0]
        direct.put_object(
            Bucket=upstream.bucket, Key=blob_of["obj2"], Body=os.urandom(4002)
        )
        direct.delete_object(Bucket=upstream.bucket, Key=blob_of["obj4"])

        bad = _verify_cli(
            gw, "--bucket", "verify-me", "--batch", "2", "--rate", "50000000"
        )
        assert bad.returncode == 1, bad.stderr
        lines = [json.loads(line) for line in bad.stdout.splitlines()]
        problems = {(p["key"], p["problem"]) for p in lines[:-1]}
        assert ("obj4", "missing") in problems
        assert ("obj2", "md5") in problems
        assert ("obj2", "checksum") in problems
        assert {k for k, _ in problems} == {"obj2", "obj4"}
        total = lines[-1]["summary"]
        assert total["missing"] == 1 and total["mismatched"] == 1
        assert total["checked"] == 7 and total["ok"] == 5
        assert "cursor " in bad.stderr  # printed after each batch

        # Resumable: one call of two versions, then the rest from its cursor.
        first = _admin(gw, "/v1/verify", {"bucket": "verify-me", "limit": 2})
        assert first["summary"]["checked"] == 2 and not first["summary"]["done"]
        keys = []
        cursor = first["summary"]["cursor"]
        while cursor:
            page = _admin(
                gw, "/v1/verify", {"bucket": "verify-me", "limit": 3, "cursor": cursor}
            )
            keys += [p["key"] for p in page["problems"]]
            cursor = page["summary"]["cursor"]
        assert set(keys) == {"obj2", "obj4"}
        resumed = _verify_cli(
            gw, "--bucket", "verify-me", "--cursor", first["summary"]["cursor"]
        )
        assert json.loads(resumed.stdout.splitlines()[-1])["summary"]["checked"] == 5

        # A sample of nothing-but-some, and the bad inputs are 400s.
        sampled = _admin(gw, "/v1/verify", {"bucket": "verify-me", "sample": 0.01})
        assert sampled["summary"]["skipped"] + sampled["summary"]["checked"] == 7
        for body in (
            {"bucket": "verify-me", "sample": 0},
            {"bucket": "verify-me", "limit": 0},
            {"bucket": "verify-me", "rate": -1},
            {"bucket": "verify-me", "cursor": "not-a-cursor"},
            {"bucket": "verify-me", "colour": "red"},
            {},
        ):
            assert _admin(gw, "/v1/verify", body, status=400)["error"]
        assert _admin(gw, "/v1/verify", {"bucket": "nope-nope"}, status=404)
    finally:
        assert gw.stop() == 0, gw.log()
