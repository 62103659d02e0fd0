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
"""Three real gateway processes over one Ceph RGW bucket and one PostgreSQL
database (``--blob-store s3 --index postgresql://…``), driven by boto3:
one namespace, whichever gateway a request reaches; one of them killed
with SIGKILL mid-upload while the others keep serving. Skipped without an
RGW or a PostgreSQL (tests/rgw.py, tests/pg.py).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import secrets
import threading
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from exordos_paas_s3.tests import pg, rgw
from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional

MIB = 1 << 20


def _client(gw):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )


def _args(upstream, url: str) -> tuple[str, ...]:
    return (
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
        "--index",
        url,
    )


@pytest.fixture
def upstream(tmp_path, monkeypatch, request):
    found = rgw.new_bucket("cluster")
    request.addfinalizer(pg.database_for(str(tmp_path)))
    monkeypatch.setenv("EXORDOS_S3_UPSTREAM_ACCESS_KEY", found.access_key)
    monkeypatch.setenv("EXORDOS_S3_UPSTREAM_SECRET_KEY", found.secret_key)
    return found


def _key_file(path) -> str:
    """A shared SSE master key, as an operator gives it to every gateway."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(secrets.token_bytes(32)))
    return str(path)


@pytest.fixture
def cluster(tmp_path, upstream):
    args = (
        *_args(upstream, pg.url_for(str(tmp_path))),
        "--sse-master-key-file",
        _key_file(tmp_path / "sse.key"),
        "--kms-keys",
        "app-key",
    )
    gws = []
    for name in "abc":
        gw = new_gateway(str(tmp_path / name), *args)
        if gws:  # one root identity for the whole cluster, as the driver gives
            gw.access_key, gw.secret_key = gws[0].access_key, gws[0].secret_key
        gw.start()
        gws.append(gw)
    yield gws
    for gw in gws:
        if gw.proc is not None:
            assert gw.stop() == 0, gw.log()
        assert upstream.secret_key not in gw.log()


def test_one_namespace_across_three_gateways(cluster):
    a, b, c = cluster
    sa, sb, sc = (_client(gw) for gw in cluster)
    sa.create_bucket(Bucket="shared")
    # PUT through A, GET through B (no wait: read-after-write across nodes).
    sa.put_object(Bucket="shared", Key="dir/k", Body=b"from a")
    assert sb.get_object(Bucket="shared", Key="dir/k")["Body"].read() == b"from a"
    # Overwrite through C: A and B serve the new bytes on their next request.
    sc.put_object(Bucket="shared", Key="dir/k", Body=b"from c")
    for s3 in (sa, sb):
        assert s3.get_object(Bucket="shared", Key="dir/k")["Body"].read() == b"from c"
    # List through A sees what B and C wrote, in S3's order.
    sb.put_object(Bucket="shared", Key="dir/j", Body=b"b")
    sc.put_object(Bucket="shared", Key="top", Body=b"c")
    listed = sa.list_objects_v2(Bucket="shared", Delimiter="/")
    assert [o["Key"] for o in listed.get("Contents", [])] == ["top"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["dir/"]
    listed = sa.list_objects_v2(Bucket="shared", Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/j", "dir/k"]
    # A delete through B is a 404 at C.
    sb.delete_object(Bucket="shared", Key="top")
    with pytest.raises(ClientError) as exc:
        sc.head_object(Bucket="shared", Key="top")
    assert exc.value.response["Error"]["Code"] == "404"


def test_bucket_policy_set_through_a_applies_at_b_within_the_bound(cluster):
    a, b, _c = cluster
    sa = _client(a)
    sa.create_bucket(Bucket="pub")
    sa.put_object(Bucket="pub", Key="doc", Body=b"public soon")
    anonymous = f"{b.endpoint}/pub/doc"
    assert requests.get(anonymous, timeout=5).status_code == 403  # B caches this
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::pub/*",
            }
        ],
    }
    sa.put_bucket_policy(Bucket="pub", Policy=json.dumps(policy))
    done = time.monotonic()
    while requests.get(anonymous, timeout=5).status_code != 200:
        # The stated bound is NOTIFY delivery (milliseconds); 1 s is slack.
        assert time.monotonic() - done < 1.0, "B served a stale policy"
        time.sleep(0.005)
    sa.delete_bucket_policy(Bucket="pub")
    done = time.monotonic()
    while requests.get(anonymous, timeout=5).status_code != 403:
        assert time.monotonic() - done < 1.0, "B served a stale policy"
        time.sleep(0.005)


def test_conditional_creates_race_across_gateways_exactly_one_wins(cluster):
    clients = [_client(gw) for gw in cluster]
    clients[0].create_bucket(Bucket="race")

    def create(i: int) -> str:
        try:
            clients[i % 3].put_object(
                Bucket="race", Key="once", Body=b"w%d" % i, IfNoneMatch="*"
            )
            return "won"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        results = list(pool.map(create, range(12)))
    assert results.count("won") == 1, results
    assert set(results) <= {"won", "PreconditionFailed", "ConditionalRequestConflict"}
    winner = clients[1].get_object(Bucket="race", Key="once")["Body"].read()
    for s3 in clients:
        assert s3.get_object(Bucket="race", Key="once")["Body"].read() == winner


def test_kill_9_of_a_gateway_mid_upload_the_others_keep_serving(cluster):
    a, b, c = cluster
    sa, sb, sc = (_client(gw) for gw in cluster)
    sa.create_bucket(Bucket="crash")
    sa.put_object(Bucket="crash", Key="big", Body=b"old version")
    # A multipart upload begun through C, one part in.
    part1 = os.urandom(5 * MIB)
    up = sc.create_multipart_upload(Bucket="crash", Key="multi")
    etag1 = sc.upload_part(
        Bucket="crash", Key="multi", UploadId=up["UploadId"], PartNumber=1, Body=part1
    )["ETag"]
    acknowledged: dict[str, bytes] = {}
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_writing(s3, prefix: str) -> None:
        n = 0
        try:
            while not stop.is_set():
                key, body = f"{prefix}-{n}", os.urandom(1024)
                s3.put_object(Bucket="crash", Key=key, Body=body)
                acknowledged[key] = body
                n += 1
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failures.append(exc)

    writers = [
        threading.Thread(target=keep_writing, args=(s3, p))
        for s3, p in ((sa, "a"), (sb, "b"))
    ]
    for t in writers:
        t.start()
    try:
        # A 64 MiB PUT through C (presigned: the body streams as it is
        # made), C killed with SIGKILL after 8 MiB of it.
        url = sc.generate_presigned_url(
            "put_object", Params={"Bucket": "crash", "Key": "big"}, ExpiresIn=300
        )

        class Body:
            """64 MiB read in 1 MiB pieces; C dies when the 9th is asked for."""

            sent = 0

            def __len__(self) -> int:
                return 64 * MIB

            def read(self, size: int = -1) -> bytes:
                if self.sent >= 8 * MIB and c.proc is not None:
                    c.kill()
                if self.sent >= 64 * MIB:
                    return b""
                self.sent += MIB
                return os.urandom(MIB)

        with pytest.raises(requests.RequestException):
            requests.put(url, data=Body(), timeout=30)
        assert c.proc is None  # killed mid-body
        time.sleep(0.5)  # the others keep serving meanwhile
    finally:
        stop.set()
        for t in writers:
            t.join()
    assert not failures, failures
    assert len(acknowledged) > 10
    # The killed PUT never became the object; every acknowledged write is
    # there, on both survivors.
    assert sb.get_object(Bucket="crash", Key="big")["Body"].read() == b"old version"
    for key, value in acknowledged.items():
        assert sa.get_object(Bucket="crash", Key=key)["Body"].read() == value
    listed = sb.list_objects_v2(Bucket="crash", MaxKeys=1000)["Contents"]
    assert len(listed) == len(acknowledged) + 1
    # The upload C began goes on through A and completes through B.
    part2 = b"tail"
    etag2 = sa.upload_part(
        Bucket="crash", Key="multi", UploadId=up["UploadId"], PartNumber=2, Body=part2
    )["ETag"]
    sb.complete_multipart_upload(
        Bucket="crash",
        Key="multi",
        UploadId=up["UploadId"],
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": etag1},
                {"PartNumber": 2, "ETag": etag2},
            ]
        },
    )
    assert sa.get_object(Bucket="crash", Key="multi")["Body"].read() == part1 + part2
    # C comes back on the same index and serves the same namespace.
    c.start()
    assert _client(c).get_object(Bucket="crash", Key="big")["Body"].read() == (
        b"old version"
    )


def test_index_unreachable_is_503_with_retry_after_and_not_ready(tmp_path, upstream):
    relay = pg.relay()
    gw = new_gateway(
        str(tmp_path / "gw"),
        *_args(upstream, pg.through(relay, pg.url_for(str(tmp_path)))),
    )
    gw.start()
    try:
        s3 = _client(gw)
        s3.create_bucket(Bucket="outage")
        s3.put_object(Bucket="outage", Key="k", Body=b"v")
        ready = requests.get(f"{gw.endpoint}/health?ready", timeout=5)
        assert ready.status_code == 200, ready.text
        relay.cut()
        started = time.monotonic()
        for call in (
            lambda: s3.get_object(Bucket="outage", Key="k"),
            lambda: s3.put_object(Bucket="outage", Key="k2", Body=b"v2"),
            lambda: s3.list_objects_v2(Bucket="outage"),
        ):
            with pytest.raises(ClientError) as exc:
                call()
            error = exc.value.response
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert error["Error"]["Code"] == "ServiceUnavailable"
            assert error["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
        assert time.monotonic() - started < 30  # answers, never a hang
        # Alive, but not ready: a balancer sends the traffic elsewhere.
        assert requests.get(f"{gw.endpoint}/health", timeout=15).status_code == 200
        ready = requests.get(f"{gw.endpoint}/health?ready", timeout=15)
        assert ready.status_code == 503
        assert "index (PostgreSQL) is unavailable" in ready.json()["reason"]
        relay.start()
        deadline = time.monotonic() + 15
        while (
            requests.get(f"{gw.endpoint}/health?ready", timeout=15).status_code != 200
        ):
            assert time.monotonic() < deadline, gw.log()
            time.sleep(0.2)
        assert s3.get_object(Bucket="outage", Key="k")["Body"].read() == b"v"
        assert "Traceback" not in gw.log()
    finally:
        assert gw.stop() == 0, gw.log()
        relay.cut()


# --- what the gateways share: SSE keys, the Iceberg catalog -----------------


def test_sse_objects_written_through_a_open_through_b_and_c(cluster):
    a, b, c = cluster
    sa, sb, sc = (_client(gw) for gw in cluster)
    sa.create_bucket(Bucket="sealed")
    sa.put_object(
        Bucket="sealed", Key="s3", Body=b"sse-s3 body", ServerSideEncryption="AES256"
    )
    sa.put_object(
        Bucket="sealed",
        Key="kms",
        Body=b"sse-kms body",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId="app-key",
    )
    # A multipart object sealed through B, its parts through A and C.
    up = sb.create_multipart_upload(
        Bucket="sealed", Key="mp", ServerSideEncryption="AES256"
    )
    parts = []
    for n, s3 in ((1, sa), (2, sc)):
        body = bytes([n]) * (5 * MIB if n == 1 else 1000)
        got = s3.upload_part(
            Bucket="sealed", Key="mp", UploadId=up["UploadId"], PartNumber=n, Body=body
        )
        parts.append({"PartNumber": n, "ETag": got["ETag"]})
    sb.complete_multipart_upload(
        Bucket="sealed",
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": parts},
    )
    for s3 in (sa, sb, sc):
        got = s3.get_object(Bucket="sealed", Key="s3")
        assert got["Body"].read() == b"sse-s3 body"
        assert got["ServerSideEncryption"] == "AES256"
        got = s3.get_object(Bucket="sealed", Key="kms")
        assert got["Body"].read() == b"sse-kms body"
        assert got["SSEKMSKeyId"] == "app-key"
        body = s3.get_object(Bucket="sealed", Key="mp")["Body"].read()
        assert body == b"\x01" * 5 * MIB + b"\x02" * 1000
    # Not readable without the key: the blobs upstream are ciphertext.
    raw = boto3.client(
        "s3",
        endpoint_url=a.extra_args[a.extra_args.index("--upstream-endpoint") + 1],
        aws_access_key_id=os.environ["EXORDOS_S3_UPSTREAM_ACCESS_KEY"],
        aws_secret_access_key=os.environ["EXORDOS_S3_UPSTREAM_SECRET_KEY"],
        region_name="us-east-1",
    )
    bucket = a.extra_args[a.extra_args.index("--upstream-bucket") + 1]
    for obj in raw.list_objects_v2(Bucket=bucket).get("Contents", []):
        blob = raw.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        assert b"sse-s3 body" not in blob and b"sse-kms body" not in blob


def test_a_gateway_with_another_sse_key_is_refused(tmp_path, cluster):
    a = cluster[0]
    args = list(a.extra_args)
    args[args.index("--sse-master-key-file") + 1] = _key_file(tmp_path / "other.key")
    other = new_gateway(str(tmp_path / "other"), *args)
    with pytest.raises(RuntimeError) as exc:
        other.start()
    assert "SSE master key differs" in str(exc.value)
    # Neither is the data directory's own key accepted in a shared index.
    args = [x for x in a.extra_args]
    i = args.index("--sse-master-key-file")
    del args[i : i + 2]
    own = new_gateway(str(tmp_path / "own"), *args)
    with pytest.raises(RuntimeError) as exc:
        own.start()
    assert "SSE master key differs" in str(exc.value)


def test_concurrent_iceberg_appends_through_two_gateways_lose_no_snapshot(cluster):
    import pyarrow as pa
    from pyiceberg.exceptions import CommitFailedException

    from exordos_paas_s3.tests.functional.test_iceberg_catalog import (
        SCHEMA,
        _catalog,
        _signed,
    )

    a, b, _c = cluster
    _client(a).create_bucket(Bucket="tables")
    r = _signed(a, "PUT", "/iceberg/v1/buckets/tables")
    assert r.status_code == 200, r.text
    setup = _catalog(a, "tables")
    setup.create_namespace("conc")
    setup.create_table("conc.t", schema=SCHEMA)
    writers, rounds = 4, 2
    acknowledged: list[int] = []

    def writer(w: int) -> None:
        # Half the writers through A, half through B, each its own catalog.
        gw = (a, b)[w % 2]
        table = _catalog(gw, "tables").load_table("conc.t")
        for r in range(rounds):
            row = {"id": [w * 100 + r], "name": [f"w{w}r{r}"]}
            try:
                table.append(pa.table(row, schema=SCHEMA))
            except CommitFailedException:
                # PyIceberg's own retries ran out under this contention: a
                # refusal the client sees, nothing lost.
                table = _catalog(gw, "tables").load_table("conc.t")
                continue
            acknowledged.append(w * 100 + r)

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        for future in [pool.submit(writer, w) for w in range(writers)]:
            future.result()
    assert len(acknowledged) >= writers, acknowledged
    for gw in (a, b):
        table = _catalog(gw, "tables").load_table("conc.t")
        assert len(table.metadata.snapshots) == len(acknowledged)
        ids = sorted(table.scan().to_arrow().column("id").to_pylist())
        assert ids == sorted(acknowledged)
        parents = [s.parent_snapshot_id for s in table.metadata.snapshots]
        assert parents[0] is None and len(set(parents)) == len(parents)


def test_concurrent_catalog_writes_through_two_gateways_lose_nothing(cluster):
    """Raw REST calls, fast enough to overlap: namespaces created and table
    properties committed at once through A and B all land (each is a
    read-modify-write of the bucket's catalog document)."""
    from exordos_paas_s3.tests.functional.test_iceberg_catalog import (
        SCHEMA,
        _catalog,
        _signed,
    )

    a, b, _c = cluster
    _client(a).create_bucket(Bucket="race")
    assert _signed(a, "PUT", "/iceberg/v1/buckets/race").status_code == 200
    _catalog(a, "race").create_namespace("base")
    _catalog(a, "race").create_table("base.t", schema=SCHEMA)
    n = 32

    def create(i: int) -> int:
        gw = (a, b)[i % 2]
        body = {"namespace": [f"ns{i}"]}
        return _signed(gw, "POST", "/iceberg/v1/race/namespaces", body).status_code

    def commit(i: int) -> int:
        gw = (a, b)[i % 2]
        body = {
            "requirements": [],
            "updates": [{"action": "set-properties", "updates": {f"k{i}": "v"}}],
        }
        path = "/iceberg/v1/race/namespaces/base/tables/t"
        return _signed(gw, "POST", path, body).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        created = list(pool.map(create, range(n)))
        committed = list(pool.map(commit, range(n)))
    assert created == [200] * n
    # A commit that lost too many races in a row is a 409 the client
    # retries; every 200 must have landed.
    assert set(committed) <= {200, 409}, committed
    listed = _catalog(b, "race").list_namespaces()
    assert {f"ns{i}" for i in range(n)} <= {ns[0] for ns in listed}
    props = _catalog(b, "race").load_table("base.t").properties
    assert {f"k{i}" for i, code in enumerate(committed) if code == 200} <= set(props)
    assert committed.count(200) >= n // 2, committed


def test_concurrent_puts_through_two_gateways_never_exceed_the_quota(cluster):
    """Each PUT passes the quota check before its body arrives; the check
    made again in the commit, with the bucket's usage row locked, keeps
    the writers of two gateways together within the limit."""
    a, b, _c = cluster
    r = requests.put(
        f"{a.admin_endpoint}/v1/buckets/capped",
        json={"quota_bytes": MIB},
        auth=(a.access_key, a.secret_key),
        timeout=10,
    )
    assert r.status_code == 201, r.text
    clients = (_client(a), _client(b))
    size, writers = 200 * 1024, 24

    def put(i: int) -> str:
        try:
            clients[i % 2].put_object(
                Bucket="capped", Key=f"k{i}", Body=os.urandom(size)
            )
        except ClientError as exc:
            return exc.response["Error"]["Code"]
        return "ok"

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        answers = list(pool.map(put, range(writers)))
    assert set(answers) <= {"ok", "QuotaExceeded"}, answers
    listed = clients[1].list_objects_v2(Bucket="capped").get("Contents", [])
    assert len(listed) == answers.count("ok")
    assert sum(o["Size"] for o in listed) <= MIB
    assert answers.count("ok") == MIB // size  # as many as fit, no more
