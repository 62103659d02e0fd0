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
"""Table maintenance, the scheduler and diagnostics against the real gateway.

Stock PyIceberg 0.12 writes and reads the tables; the maintenance routes
(seed 000's extensions) are driven with botocore-signed HTTP; boto3 plants
stray objects and checks what is left in the bucket.
"""

from __future__ import annotations

import threading
import time
import uuid

import pyarrow as pa
import pytest

from exordos_paas_s3.tests.functional.conftest import empty_and_delete, new_gateway
from exordos_paas_s3.tests.functional.test_authorization import Admin
from exordos_paas_s3.tests.functional.test_iceberg_catalog import (
    SCHEMA,
    _catalog,
    _error,
    _signed,
)


@pytest.fixture
def table_bucket(gateway, bucket):
    r = _signed(gateway, "PUT", f"/iceberg/v1/buckets/{bucket}")
    assert r.status_code == 200, r.text
    return bucket


@pytest.fixture
def catalog(gateway, table_bucket):
    return _catalog(gateway, table_bucket)


def _rows(n0: int, n: int) -> pa.Table:
    ids = list(range(n0, n0 + n))
    return pa.table({"id": ids, "name": [f"n{i}" for i in ids]}, schema=SCHEMA)


def _table_with_appends(catalog, ident: str, appends: int):
    ns = ident.split(".")[0]
    if (ns,) not in catalog.list_namespaces():
        catalog.create_namespace(ns)
    table = catalog.create_table(ident, schema=SCHEMA)
    for i in range(appends):
        table.append(_rows(i * 10, 10))
    return catalog.load_table(ident)


def _base(bucket: str, ns: str, table: str) -> str:
    return f"/iceberg/v1/{bucket}/namespaces/{ns}/tables/{table}/maintenance"


def _ids(table_or_scan) -> list[int]:
    scan = getattr(table_or_scan, "scan", None)
    scan = scan() if scan is not None else table_or_scan
    return sorted(scan.to_arrow().column("id").to_pylist())


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix
    ):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


# --- configuration --------------------------------------------------------------------


def test_config_defaults_update_and_bad_input(gateway, catalog, table_bucket):
    _table_with_appends(catalog, "cfg.t", 0)
    base = _base(table_bucket, "cfg", "t")
    r = _signed(gateway, "GET", base + "/config")
    assert r.status_code == 200, r.text
    config = r.json()
    assert config["retain-recent-metadata-files"] == 10
    assert config["delete-enabled"] is False
    assert config["background-enabled"] is False
    assert config["worker-paused"] is False
    assert config["min-snapshots-to-keep"] == 1
    assert config["max-snapshot-age-ms"] == 5 * 86_400_000
    assert config["lease-ttl-seconds"] == 300 and config["max-attempts"] == 3
    r = _signed(
        gateway,
        "PUT",
        base + "/config",
        {"delete-enabled": True, "retain-recent-metadata-files": 2},
    )
    assert r.status_code == 200, r.text
    assert r.json()["delete-enabled"] is True
    again = _signed(gateway, "GET", base + "/config").json()
    assert again["retain-recent-metadata-files"] == 2
    assert again["worker-paused"] is False  # untouched fields keep their value
    for body in (
        b"{nope",
        b"[]",
        {"colour": "red"},
        {"delete-enabled": "yes"},
        {"retain-recent-metadata-files": 0},
        {"retain-recent-metadata-files": 1.5},
        {"max-snapshot-age-ms": -1},
        {"lease-ttl-seconds": True},
        {"background-operations": ["defragment"]},
    ):
        r = _signed(gateway, "PUT", base + "/config", body)
        assert r.status_code == 400, (body, r.text)
        _error(r)
    assert _signed(gateway, "GET", base + "/config").json() == again
    r = _signed(gateway, "DELETE", base + "/config")
    assert r.status_code == 405
    _error(r)
    r = _signed(gateway, "GET", _base(table_bucket, "cfg", "ghost") + "/config")
    assert r.status_code == 404 and _error(r)["type"] == "NoSuchTableException"
    r = _signed(gateway, "GET", base + "/nonsense")
    assert r.status_code == 404
    _error(r)


def test_maintenance_request_bad_input(gateway, catalog, table_bucket):
    _table_with_appends(catalog, "badm.t", 1)
    base = _base(table_bucket, "badm", "t")
    for body in (
        b"{",
        {"operations": []},
        {"operations": "expire-snapshots"},
        {"operations": ["defragment"]},
        {"dry-run": "no"},
        {"min-snapshots-to-keep": 0},
        {"surprise": 1},
    ):
        r = _signed(gateway, "POST", base + "/metadata", body)
        assert r.status_code == 400, (body, r.text)
        _error(r)
    # Deleting operations are committed only with delete-enabled.
    r = _signed(
        gateway,
        "POST",
        base + "/metadata",
        {"operations": ["remove-orphan-files"], "dry-run": False},
    )
    assert r.status_code == 400 and "delete-enabled" in _error(r)["message"]
    r = _signed(gateway, "GET", base + "/metadata")
    assert r.status_code == 405
    r = _signed(gateway, "POST", base + "/worker/run", {"max-jobs": 0})
    assert r.status_code == 400
    r = _signed(gateway, "POST", base + "/worker/run", {"speed": "max"})
    assert r.status_code == 400
    r = _signed(gateway, "GET", base + "/jobs/" + uuid.uuid4().hex)
    assert r.status_code == 404
    _error(r)


# --- snapshot expiration --------------------------------------------------------------


def test_expire_snapshots_keeps_refs_and_rows(gateway, catalog, table_bucket):
    table = _table_with_appends(catalog, "exp.t", 4)
    snapshots = [s.snapshot_id for s in table.metadata.snapshots]
    assert len(snapshots) == 4
    # A tag on the first snapshot: it must survive expiration.
    table.manage_snapshots().create_tag(snapshots[0], "v1").commit()
    before = _ids(catalog.load_table("exp.t"))
    base = _base(table_bucket, "exp", "t")
    plan = {
        "operations": ["expire-snapshots"],
        "max-snapshot-age-ms": 0,
        "min-snapshots-to-keep": 2,
    }
    r = _signed(gateway, "POST", base + "/metadata", plan)
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["status"] == "succeeded" and job["dry-run"] is True
    report = job["report"]["expire-snapshots"]
    assert report["would-expire-snapshot-ids"] == [snapshots[1]]
    assert sorted(report["retained-snapshot-ids"]) == sorted(
        [snapshots[0], snapshots[2], snapshots[3]]
    )
    assert [e["event"] for e in job["events"]] == [
        "queued",
        "started",
        "expire-snapshots-planned",
        "succeeded",
    ]
    # The dry run changed nothing.
    assert len(catalog.load_table("exp.t").metadata.snapshots) == 4

    r = _signed(gateway, "POST", base + "/metadata", {**plan, "dry-run": False})
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["report"]["expire-snapshots"]["expired-snapshot-ids"] == [snapshots[1]]
    reloaded = catalog.load_table("exp.t")
    assert [s.snapshot_id for s in reloaded.metadata.snapshots] == [
        snapshots[0],
        snapshots[2],
        snapshots[3],
    ]
    assert _ids(reloaded) == before
    # Time travel: retained snapshots still read; the expired one is gone.
    first = reloaded.scan(snapshot_id=snapshots[0]).to_arrow()
    assert sorted(first.column("id").to_pylist()) == list(range(10))
    third = reloaded.scan(snapshot_id=snapshots[2]).to_arrow()
    assert sorted(third.column("id").to_pylist()) == list(range(30))
    with pytest.raises(ValueError):
        reloaded.scan(snapshot_id=snapshots[1]).to_arrow()
    # The job is kept and listed.
    r = _signed(gateway, "GET", base + "/jobs/" + job["job-id"])
    assert r.status_code == 200 and r.json()["status"] == "succeeded"
    listed = _signed(gateway, "GET", base + "/jobs").json()["jobs"]
    assert [j["job-id"] for j in listed][-1] == job["job-id"]


# --- old metadata and orphan files ----------------------------------------------------


def test_clean_metadata_keeps_the_recent_files(gateway, s3, catalog, table_bucket):
    table = _table_with_appends(catalog, "meta.t", 4)
    prefix = table.metadata.location.split("/", 3)[3] + "/metadata/"
    files = [k for k in _keys(s3, table_bucket, prefix) if k.endswith(".metadata.json")]
    assert len(files) == 5
    base = _base(table_bucket, "meta", "t")
    _signed(gateway, "PUT", base + "/config", {"retain-recent-metadata-files": 2})
    r = _signed(gateway, "POST", base + "/metadata", {"operations": ["clean-metadata"]})
    assert r.status_code == 200, r.text
    report = r.json()["report"]["clean-metadata"]
    assert report["would-delete"] == 3 and len(report["sample"]) == 3
    assert len(_keys(s3, table_bucket, prefix)) > 5
    body = {"operations": ["clean-metadata"], "dry-run": False}
    r = _signed(gateway, "POST", base + "/metadata", body)
    assert r.status_code == 400  # delete-enabled is false
    _signed(gateway, "PUT", base + "/config", {"delete-enabled": True})
    r = _signed(gateway, "POST", base + "/metadata", body)
    assert r.status_code == 200, r.text
    assert r.json()["report"]["clean-metadata"]["deleted"] == 3
    left = sorted(
        k for k in _keys(s3, table_bucket, prefix) if k.endswith(".metadata.json")
    )
    assert left == sorted(files)[-2:]
    reloaded = catalog.load_table("meta.t")
    assert reloaded.metadata_location.endswith(left[-1].rsplit("/", 1)[-1])
    assert _ids(reloaded) == list(range(40))


def test_orphan_files_only_unreferenced_and_old(gateway, s3, catalog, table_bucket):
    table = _table_with_appends(catalog, "orph.t", 2)
    root = table.metadata.location.split("/", 3)[3]
    stray = f"{root}/data/stray-{uuid.uuid4().hex}.parquet"
    s3.put_object(Bucket=table_bucket, Key=stray, Body=b"not referenced")
    outside = f"elsewhere/{uuid.uuid4().hex}"
    s3.put_object(Bucket=table_bucket, Key=outside, Body=b"not the table's")
    before = set(_keys(s3, table_bucket, root + "/"))
    base = _base(table_bucket, "orph", "t")
    # The default window (3 days) protects the fresh stray object.
    r = _signed(
        gateway, "POST", base + "/metadata", {"operations": ["remove-orphan-files"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["report"]["remove-orphan-files"]["orphan-files"] == 0
    # With a window of 0 the dry run reports it, and keeps it.
    plan = {"operations": ["remove-orphan-files"], "orphan-older-than-ms": 0}
    r = _signed(gateway, "POST", base + "/metadata", plan)
    report = r.json()["report"]["remove-orphan-files"]
    assert report["orphan-files"] == 1 and report["sample"] == [stray]
    assert report["objects-scanned"] == len(before)
    assert stray in _keys(s3, table_bucket, root + "/")
    # Committed: the stray object goes; every referenced file stays.
    _signed(gateway, "PUT", base + "/config", {"delete-enabled": True})
    r = _signed(gateway, "POST", base + "/metadata", {**plan, "dry-run": False})
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["report"]["remove-orphan-files"]["deleted"] == 1
    deleted = [e for e in job["events"] if e["event"] == "remove-orphan-files-deleted"]
    assert deleted[0]["sample"] == [stray]
    assert set(_keys(s3, table_bucket, root + "/")) == before - {stray}
    assert _keys(s3, table_bucket, outside) == [outside]
    assert _ids(catalog.load_table("orph.t")) == list(range(20))


def test_expire_then_orphans_removes_the_expired_files(
    gateway, s3, catalog, table_bucket
):
    table = _table_with_appends(catalog, "gc.t", 3)
    # An overwrite replaces the data: the old files become reachable only
    # through old snapshots.
    table.overwrite(_rows(100, 5))
    root = catalog.load_table("gc.t").metadata.location.split("/", 3)[3]
    data_before = [k for k in _keys(s3, table_bucket, root + "/data/")]
    assert len(data_before) == 4
    base = _base(table_bucket, "gc", "t")
    _signed(gateway, "PUT", base + "/config", {"delete-enabled": True})
    body = {
        "operations": ["expire-snapshots", "remove-orphan-files"],
        "dry-run": False,
        "max-snapshot-age-ms": 0,
        "orphan-older-than-ms": 0,
    }
    r = _signed(gateway, "POST", base + "/metadata", body)
    assert r.status_code == 200, r.text
    report = r.json()["report"]
    assert len(report["expire-snapshots"]["expired-snapshot-ids"]) >= 3
    assert report["remove-orphan-files"]["deleted"] >= 3
    data_after = _keys(s3, table_bucket, root + "/data/")
    assert len(data_after) == 1
    assert _ids(catalog.load_table("gc.t")) == list(range(100, 105))


# --- compaction -----------------------------------------------------------------------


def _compact(gateway, bucket, ns, name, **extra):
    body = {
        "operations": ["rewrite-data-files"],
        "dry-run": False,
        "min-input-files": 2,
        **extra,
    }
    return _signed(gateway, "POST", _base(bucket, ns, name) + "/metadata", body)


def test_binpack_compaction_rewrites_small_files(gateway, s3, catalog, table_bucket):
    _table_with_appends(catalog, "cmp.t", 5)
    before = catalog.load_table("cmp.t")
    assert len(list(before.scan().plan_files())) == 5
    r = _signed(
        gateway,
        "POST",
        _base(table_bucket, "cmp", "t") + "/metadata",
        {"operations": ["rewrite-data-files"], "min-input-files": 2},
    )
    assert r.status_code == 200, r.text
    assert r.json()["report"]["rewrite-data-files"]["would-rewrite"] == 5
    assert len(catalog.load_table("cmp.t").metadata.snapshots) == 5
    r = _compact(gateway, table_bucket, "cmp", "t")
    assert r.status_code == 200, r.text
    report = r.json()["report"]["rewrite-data-files"]
    assert report["input-files"] == 5 and report["output-files"] == 1
    after = catalog.load_table("cmp.t")
    assert after.metadata.current_snapshot_id == report["snapshot-id"]
    assert after.current_snapshot().summary.operation.value == "replace"
    tasks = list(after.scan().plan_files())
    assert len(tasks) == 1
    assert tasks[0].file.file_path.startswith(after.metadata.location + "/data/")
    assert _ids(after) == list(range(50))
    # The previous snapshot still reads its five files (time travel).
    parent = after.current_snapshot().parent_snapshot_id
    assert _ids(after.scan(snapshot_id=parent)) == list(range(50))
    # And stock PyIceberg appends on top of the compacted table.
    after.append(_rows(50, 10))
    assert _ids(catalog.load_table("cmp.t")) == list(range(60))
    # Nothing small enough left: skipped with the reason.
    r = _compact(gateway, table_bucket, "cmp", "t", **{"min-input-files": 5})
    assert (
        "fewer than min-input-files"
        in r.json()["report"]["rewrite-data-files"]["skipped"]
    )


def test_compaction_after_schema_evolution(gateway, catalog, table_bucket):
    from pyiceberg.types import StringType

    table = _table_with_appends(catalog, "evo.t", 2)
    with table.update_schema() as update:
        update.add_column("note", StringType())
    table = catalog.load_table("evo.t")
    table.append(
        pa.table(
            {"id": [99], "name": ["z"], "note": ["new"]},
            schema=table.schema().as_arrow(),
        )
    )
    r = _compact(gateway, table_bucket, "evo", "t")
    assert r.status_code == 200, r.text
    assert r.json()["report"]["rewrite-data-files"]["output-files"] == 1
    rows = catalog.load_table("evo.t").scan().to_arrow().sort_by("id")
    assert rows.column("id").to_pylist() == [*range(20), 99]
    assert rows.column("note").to_pylist() == [None] * 20 + ["new"]


def test_concurrent_appends_during_compaction_lose_nothing(
    gateway, catalog, table_bucket
):
    _table_with_appends(catalog, "race.t", 6)
    errors: list[BaseException] = []
    stop = threading.Event()
    appended: list[int] = []

    def writer() -> None:
        writer_catalog = _catalog(gateway, table_bucket)
        n = 1000
        try:
            while not stop.is_set() and n < 1000 + 10 * 8:
                writer_catalog.load_table("race.t").append(_rows(n, 10))
                appended.extend(range(n, n + 10))
                n += 10
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    results = []
    try:
        for _ in range(3):
            r = _compact(gateway, table_bucket, "race", "t")
            results.append(r)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    for r in results:
        # Committed, or every replan lost to the writer: then the job is
        # queued for a retry (202), its error says why; never a lost row.
        assert r.status_code in (200, 202), r.text
    # Once the writer is done a compaction commits.
    for n in (2000, 2010):
        catalog.load_table("race.t").append(_rows(n, 10))
        appended.extend(range(n, n + 10))
    r = _compact(gateway, table_bucket, "race", "t")
    assert r.status_code == 200, r.text
    assert r.json()["report"]["rewrite-data-files"]["output-files"] >= 1
    final = catalog.load_table("race.t")
    assert _ids(final) == sorted([*range(60), *appended])


# --- jobs, the worker and the scheduler -----------------------------------------------


def test_queued_job_runs_through_the_worker(gateway, catalog, table_bucket):
    _table_with_appends(catalog, "wq.t", 3)
    base = _base(table_bucket, "wq", "t")
    body = {
        "operations": ["expire-snapshots"],
        "dry-run": False,
        "queue": True,
        "max-snapshot-age-ms": 0,
    }
    r = _signed(gateway, "POST", base + "/metadata", body)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued"
    view = _signed(gateway, "GET", base + "/scheduler").json()
    assert view["queued"] == 1 and view["lease"] is None
    assert view["gateway-scheduler"]["running"] is True
    # A paused worker runs nothing.
    _signed(gateway, "PUT", base + "/config", {"worker-paused": True})
    r = _signed(gateway, "POST", base + "/worker/run")
    assert r.status_code == 409 and "paused" in _error(r)["message"]
    _signed(gateway, "PUT", base + "/config", {"worker-paused": False})
    r = _signed(gateway, "POST", base + "/worker/run", {"max-jobs": 5})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [j["job-id"] for j in out["ran"]] == [job["job-id"]]
    assert out["ran"][0]["status"] == "succeeded" and out["pending"] == 0
    assert len(catalog.load_table("wq.t").metadata.snapshots) == 1
    r = _signed(gateway, "POST", base + "/worker/run")
    assert r.json() == {"ran": [], "pending": 0}


def test_scheduler_run_queues_the_background_operations(gateway, catalog, table_bucket):
    _table_with_appends(catalog, "sr.t", 2)
    base = _base(table_bucket, "sr", "t")
    _signed(
        gateway,
        "PUT",
        base + "/config",
        {"background-operations": ["expire-snapshots", "remove-orphan-files"]},
    )
    r = _signed(gateway, "POST", base + "/scheduler/run")
    assert r.status_code == 202, r.text
    job = r.json()
    # remove-orphan-files deletes, and delete-enabled is false: left out.
    assert job["operations"] == ["expire-snapshots"] and job["dry-run"] is False
    assert job["source"] == "scheduler"
    # Asking again while it is queued answers the same job.
    assert (
        _signed(gateway, "POST", base + "/scheduler/run").json()["job-id"]
        == (job["job-id"])
    )
    view = _signed(gateway, "GET", base + "/scheduler").json()
    assert view["last-scheduled-at-ms"] and view["queued"] == 1
    _signed(gateway, "PUT", base + "/config", {"background-operations": []})
    r = _signed(gateway, "POST", base + "/worker/run")
    assert r.json()["ran"][0]["status"] == "succeeded"
    r = _signed(gateway, "POST", base + "/scheduler/run")
    assert r.status_code == 400
    _error(r)


def test_catalog_diagnostics(gateway, s3, catalog, table_bucket):
    _table_with_appends(catalog, "diag.ok", 1)
    broken = _table_with_appends(catalog, "diag.broken", 1)
    # Delete the broken table's current metadata file behind the catalog.
    key = broken.metadata_location.split("/", 3)[3]
    s3.delete_object(Bucket=table_bucket, Key=key)
    root = catalog.load_table("diag.ok").metadata.location.split("/", 3)[3]
    s3.put_object(Bucket=table_bucket, Key=f"{root}/data/stray.parquet", Body=b"x")
    r = _signed(gateway, "GET", f"/iceberg/v1/{table_bucket}/catalog/diagnostics")
    assert r.status_code == 200, r.text
    diag = r.json()
    by_name = {t["name"]: t for t in diag["tables"]}
    assert by_name["ok"]["status"] == "ok" and by_name["ok"]["dangling-refs"] == []
    assert by_name["broken"]["status"] == "metadata-missing"
    assert diag["summary"]["metadata-missing"] == 1
    assert diag["summary"]["tables"] == 2
    assert diag["scheduler"]["running"] is True
    assert by_name["ok"]["orphan-files"] is None  # never scanned yet
    # orphans=true scans now, with the table's window (0 here).
    base = _base(table_bucket, "diag", "ok")
    _signed(gateway, "PUT", base + "/config", {"orphan-older-than-ms": 0})
    r = _signed(
        gateway, "GET", f"/iceberg/v1/{table_bucket}/catalog/diagnostics?orphans=true"
    )
    by_name = {t["name"]: t for t in r.json()["tables"]}
    assert by_name["ok"]["orphan-files"]["orphan-files"] == 1
    assert r.json()["summary"]["orphan-files"] == 1
    r = _signed(
        gateway, "GET", f"/iceberg/v1/{table_bucket}/catalog/diagnostics?orphans=maybe"
    )
    assert r.status_code == 400
    r = _signed(gateway, "POST", f"/iceberg/v1/{table_bucket}/catalog/diagnostics")
    assert r.status_code == 405
    _error(r)


# --- the background scheduler in its own gateway --------------------------------------


@pytest.fixture
def ticking_gateway(tmp_path):
    gw = new_gateway(str(tmp_path), "--tables-maintenance-interval", "0.3")
    gw.start()
    yield gw
    gw.stop()


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_background_scheduler_runs_due_maintenance_and_survives_restart(
    ticking_gateway,
):
    import boto3

    gw = ticking_gateway
    s3 = boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
    )
    bucket = "bg-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    try:
        assert _signed(gw, "PUT", f"/iceberg/v1/buckets/{bucket}").status_code == 200
        catalog = _catalog(gw, bucket)
        _table_with_appends(catalog, "bg.t", 6)
        base = _base(bucket, "bg", "t")
        # A queued job survives a crash and restart of the gateway.
        body = {"operations": ["rewrite-data-files"], "dry-run": False}
        r = _signed(
            gw,
            "POST",
            base + "/metadata",
            {**body, "queue": True, "min-input-files": 2},
        )
        assert r.status_code == 202, r.text
        queued = r.json()["job-id"]
        gw.kill()
        gw.start()  # on new ports: new clients
        catalog = _catalog(gw, bucket)
        s3 = boto3.client(
            "s3",
            endpoint_url=gw.endpoint,
            aws_access_key_id=gw.access_key,
            aws_secret_access_key=gw.secret_key,
            region_name=gw.region,
        )
        r = _signed(gw, "GET", base + "/jobs/" + queued)
        assert r.status_code == 200 and r.json()["status"] == "queued"
        view = _signed(gw, "GET", base + "/scheduler").json()
        assert view["gateway-scheduler"]["interval-seconds"] == 0.3
        # background-enabled: the scheduler queues expire-snapshots and its
        # worker runs both jobs, with nothing from the API.
        r = _signed(
            gw,
            "PUT",
            base + "/config",
            {
                "background-enabled": True,
                "background-operations": ["expire-snapshots"],
                "max-snapshot-age-ms": 0,
                "min-snapshots-to-keep": 1,
            },
        )
        assert r.status_code == 200, r.text

        def done():
            jobs = _signed(gw, "GET", base + "/jobs").json()["jobs"]
            finished = [j for j in jobs if j["status"] == "succeeded"]
            return jobs if len(finished) >= 2 else None

        jobs = _wait(done)
        by_id = {j["job-id"]: j for j in jobs}
        assert by_id[queued]["report"]["rewrite-data-files"]["output-files"] == 1
        scheduled = [j for j in jobs if j["source"] == "scheduler"]
        assert scheduled and scheduled[0]["status"] == "succeeded"
        table = catalog.load_table("bg.t")
        assert len(table.metadata.snapshots) == 1
        assert _ids(table) == list(range(60))
        view = _signed(gw, "GET", base + "/scheduler").json()
        assert view["gateway-scheduler"]["ticks"] > 0
        assert view["next-due-at-ms"] > view["last-scheduled-at-ms"]
    finally:
        empty_and_delete(s3, bucket)


# --- view replace ------------------------------------------------------------------


def _view_version(sql: str, schema_id: int = -1) -> dict:
    return {
        "version-id": 99,
        "schema-id": schema_id,
        "timestamp-ms": int(time.time() * 1000),
        "summary": {"engine-name": "tests"},
        "representations": [{"type": "sql", "sql": sql, "dialect": "spark"}],
        "default-namespace": ["vr"],
    }


def test_view_replace(gateway, catalog, table_bucket):
    from pyiceberg.view.metadata import SQLViewRepresentation, ViewVersion

    catalog.create_namespace("vr")
    version = ViewVersion(
        version_id=1,
        schema_id=0,
        representations=[
            SQLViewRepresentation(type="sql", sql="SELECT 1 AS id", dialect="spark")
        ],
        default_namespace=["vr"],
    )
    view = catalog.create_view("vr.v", pa.schema([("id", pa.int64())]), version)
    path = f"/iceberg/v1/{table_bucket}/namespaces/vr/views/v"
    schema = {
        "type": "struct",
        "schema-id": 1,
        "fields": [
            {"id": 1, "name": "id", "type": "long", "required": False},
            {"id": 2, "name": "name", "type": "string", "required": False},
        ],
    }
    body = {
        "identifier": {"namespace": ["vr"], "name": "v"},
        "requirements": [{"type": "assert-view-uuid", "uuid": view.metadata.view_uuid}],
        "updates": [
            {"action": "add-schema", "schema": schema},
            {
                "action": "add-view-version",
                "view-version": _view_version("SELECT id, name FROM vr.t"),
            },
            {"action": "set-current-view-version", "view-version-id": -1},
            {"action": "set-properties", "updates": {"comment": "two columns"}},
        ],
    }
    r = _signed(gateway, "POST", path, body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["metadata"]["current-version-id"] == 2
    loaded = catalog.load_view("vr.v").metadata
    assert loaded.current_version_id == 2
    current = [v for v in loaded.versions if v.version_id == 2][0]
    assert current.schema_id == 1
    assert current.representations[0].root.sql == "SELECT id, name FROM vr.t"
    assert [e.version_id for e in loaded.version_log] == [1, 2]
    assert loaded.properties["comment"] == "two columns"
    assert out["metadata-location"].endswith(".metadata.json")
    assert "/00001-" in out["metadata-location"]
    # Back to version 1 by id; the same version added again is not a copy.
    r = _signed(
        gateway,
        "POST",
        path,
        {"updates": [{"action": "set-current-view-version", "view-version-id": 1}]},
    )
    assert r.status_code == 200 and r.json()["metadata"]["current-version-id"] == 1
    r = _signed(
        gateway,
        "POST",
        path,
        {
            "updates": [
                {
                    "action": "add-view-version",
                    "view-version": _view_version("SELECT id, name FROM vr.t", 1),
                },
                {"action": "set-current-view-version", "view-version-id": -1},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["current-version-id"] == 2
    assert len(r.json()["metadata"]["versions"]) == 2

    # A stale uuid is a 409; bad updates are 400s; nothing lands.
    before = catalog.load_view("vr.v").metadata
    r = _signed(
        gateway,
        "POST",
        path,
        {
            "requirements": [{"type": "assert-view-uuid", "uuid": str(uuid.uuid4())}],
            "updates": [{"action": "set-properties", "updates": {"x": "y"}}],
        },
    )
    assert r.status_code == 409 and _error(r)["type"] == "CommitFailedException"
    for bad in (
        b"{",
        {"updates": "all"},
        {"updates": [{"action": "no-such-thing"}]},
        {"updates": [{"action": "set-current-view-version", "view-version-id": 42}]},
        {"updates": [{"action": "set-current-view-version", "view-version-id": -1}]},
        {"updates": [{"action": "add-view-version", "view-version": {"x": 1}}]},
        {
            "updates": [
                {"action": "add-view-version", "view-version": _view_version("S", 7)}
            ]
        },
        {"updates": [{"action": "set-location", "location": "s3://elsewhere/v"}]},
        {"updates": [{"action": "assign-uuid", "uuid": str(uuid.uuid4())}]},
        {"updates": [{"action": "upgrade-format-version", "format-version": 2}]},
        {"updates": [{"action": "set-properties", "updates": {"n": 1}}]},
        {"requirements": [{"type": "assert-table-uuid", "uuid": "x"}]},
        {"identifier": {"namespace": ["vr"], "name": "other"}, "updates": []},
    ):
        r = _signed(gateway, "POST", path, bad)
        assert r.status_code == 400, (bad, r.text)
        _error(r)
    assert catalog.load_view("vr.v").metadata == before
    r = _signed(
        gateway,
        "POST",
        f"/iceberg/v1/{table_bucket}/namespaces/vr/views/ghost",
        {"updates": body["updates"]},
    )
    assert r.status_code == 404 and _error(r)["type"] == "NoSuchViewException"


# --- refs and the pointer: the bad input the catalog tests leave out ----------------


def test_refs_and_pointer_bad_input(gateway, catalog, table_bucket):
    _table_with_appends(catalog, "rb.t", 1)
    base = f"/iceberg/v1/{table_bucket}/namespaces/rb/tables"
    r = _signed(gateway, "GET", base + "/ghost/metadata-location")
    assert r.status_code == 404 and _error(r)["type"] == "NoSuchTableException"
    r = _signed(gateway, "GET", base + "/ghost/refs")
    assert r.status_code == 404
    r = _signed(gateway, "POST", base + "/t/metadata-location")
    assert r.status_code == 405
    r = _signed(gateway, "POST", base + "/t/refs")
    assert r.status_code == 405
    r = _signed(gateway, "PUT", base + "/t/refs/x", b"{broken")
    assert r.status_code == 400
    r = _signed(gateway, "PUT", base + "/t/refs/x")
    assert r.status_code == 400
    r = _signed(gateway, "DELETE", base + "/t/refs/x", b"[true]")
    assert r.status_code == 400
    r = _signed(gateway, "DELETE", base + "/t/refs/ghost", {"force": True})
    assert r.status_code == 404
    _error(r)
    pointer = _signed(gateway, "GET", base + "/t/metadata-location").json()
    assert set(pointer) == {"metadata-location", "version-token"}


# --- IAM ---------------------------------------------------------------------------


def test_iam_policy_gates_maintenance_actions(gateway, catalog, table_bucket):
    _table_with_appends(catalog, "mi.t", 2)
    admin = Admin(gateway)
    name = "maint" + uuid.uuid4().hex[:8]
    admin.call("PUT", f"/v1/users/{name}", {"kind": "iam"})
    key = admin.call("POST", f"/v1/users/{name}/keys", {}).json()
    creds = (key["access_key"], key["secret_key"])
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3tables:GetTableMaintenanceConfiguration",
                    "s3tables:GetTableMaintenanceJobStatus",
                ],
                "Resource": "*",
            }
        ],
    }
    admin.call("PUT", f"/v1/policies/{name}-policy", {"document": doc})
    admin.call("PUT", f"/v1/users/{name}/policies/{name}-policy", {})
    base = _base(table_bucket, "mi", "t")
    assert _signed(gateway, "GET", base + "/config", key=creds).status_code == 200
    assert _signed(gateway, "GET", base + "/scheduler", key=creds).status_code == 200
    assert _signed(gateway, "GET", base + "/jobs", key=creds).status_code == 200
    for method, path, body in (
        ("PUT", "/config", {"delete-enabled": True}),
        ("POST", "/metadata", {}),
        ("POST", "/scheduler/run", None),
        ("POST", "/worker/run", None),
    ):
        r = _signed(gateway, method, base + path, body, key=creds)
        assert r.status_code == 403, (path, r.text)
        assert _error(r)["type"] == "ForbiddenException"
    r = _signed(
        gateway,
        "GET",
        f"/iceberg/v1/{table_bucket}/catalog/diagnostics",
        key=creds,
    )
    assert r.status_code == 403
    # The refused PUT changed nothing.
    assert _signed(gateway, "GET", base + "/config").json()["delete-enabled"] is False
    # s3tables:RunTableMaintenance on this table only: runs it.
    doc["Statement"].append(
        {
            "Effect": "Allow",
            "Action": ["s3tables:RunTableMaintenance"],
            "Resource": f"arn:aws:s3tables:{gateway.region}:*:bucket/{table_bucket}"
            "/table/mi/t",
        }
    )
    admin.call("PUT", f"/v1/policies/{name}-policy", {"document": doc})
    r = _signed(gateway, "POST", base + "/metadata", {}, key=creds)
    assert r.status_code == 200, r.text
