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
"""The maintenance and diagnostics routes (seed 000's extensions).

``rest.CatalogApi`` hands these paths here; they are not Iceberg spec routes,
so ``GET /config`` does not list them. Under
``/{prefix}/namespaces/{ns}/tables/{table}/maintenance``:

- ``GET|PUT /config``: the table's maintenance configuration
- ``POST /metadata``: plan (``dry-run``, the default) or run operations;
  ``queue: true`` only queues the job for a worker
- ``GET /jobs``, ``GET /jobs/{id}``: jobs with their reports and events
- ``GET /scheduler``: the table's schedule, queue, lease and this gateway's
  background scheduler; ``POST /scheduler/run`` queues the background
  operations now
- ``POST /worker/run``: run the table's due queued jobs (``max-jobs``)

and ``GET /{prefix}/catalog/diagnostics``: the catalog's consistency state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exordos_paas_s3.gateway import errors as s3_errors
from exordos_paas_s3.gateway.operations import Operation as Op
from exordos_paas_s3.gateway.tables import catalog as cat
from exordos_paas_s3.gateway.tables import maintenance as mt

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

    from exordos_paas_s3.gateway.request import Request, Response
    from exordos_paas_s3.gateway.tables.rest import CatalogApi

MAX_WORKER_JOBS = 10
# Tables a diagnostics call with orphans=true scans at most.
MAX_ORPHAN_SCANS = 100


def _optional_body(api: CatalogApi, body: bytes) -> dict[str, Any]:
    return api._json_body(body) if body.strip() else {}


async def table_route(
    api: CatalogApi,
    req: Request,
    bucket: str,
    levels: tuple[str, ...],
    name: str,
    tail: list[str],
    body: bytes,
) -> Response:
    from exordos_paas_s3.gateway.tables.rest import _json

    m = mt.shared(api.catalog)
    resource = cat.table_resource(levels, name)
    method = req.method
    if tail == ["config"]:
        if method == "GET":
            await api._authorize(
                req, Op.TablesGetTableMaintenanceConfiguration, bucket, resource
            )
            return _json(await m.get_config(bucket, levels, name))
        api._allow(method, "GET", "PUT")
        await api._authorize(
            req, Op.TablesPutTableMaintenanceConfiguration, bucket, resource
        )
        return _json(await m.put_config(bucket, levels, name, api._json_body(body)))
    if tail == ["metadata"]:
        api._allow(method, "POST")
        await api._authorize(req, Op.TablesRunTableMaintenance, bucket, resource)
        request = m.check_job_request(_optional_body(api, body))
        job = await m.submit(bucket, levels, name, request)
        return _json(job, 202 if job["status"] in ("queued", "running") else 200)
    if tail == ["jobs"]:
        api._allow(method, "GET")
        await api._authorize(
            req, Op.TablesGetTableMaintenanceJobStatus, bucket, resource
        )
        table_uuid = await m.table_uuid(bucket, levels, name)
        return _json({"jobs": await m.jobs_of(bucket, table_uuid)})
    if len(tail) == 2 and tail[0] == "jobs":
        api._allow(method, "GET")
        await api._authorize(
            req, Op.TablesGetTableMaintenanceJobStatus, bucket, resource
        )
        table_uuid = await m.table_uuid(bucket, levels, name)
        job = await m.job(bucket, tail[1])
        if job["table-uuid"] != table_uuid:
            raise cat.NotFound(f"Maintenance job does not exist: {tail[1]}")
        return _json(job)
    if tail == ["scheduler"]:
        from exordos_paas_s3.gateway.tables import scheduler

        api._allow(method, "GET")
        await api._authorize(
            req, Op.TablesGetTableMaintenanceConfiguration, bucket, resource
        )
        view = await m.scheduler_view(bucket, levels, name)
        current = scheduler.CURRENT
        view["gateway-scheduler"] = (
            current.view() if current is not None else {"running": False}
        )
        return _json(view)
    if tail == ["scheduler", "run"]:
        api._allow(method, "POST")
        await api._authorize(req, Op.TablesRunTableMaintenance, bucket, resource)
        _optional_body(api, body)
        scheduled = await m.schedule(bucket, levels, name, force=True)
        if scheduled is None:
            raise cat.BadRequest(
                "nothing to schedule: background-operations is empty, or holds"
                " only deleting operations and delete-enabled is false"
            )
        return _json(scheduled, 202 if scheduled["status"] == "queued" else 200)
    if tail == ["worker", "run"]:
        api._allow(method, "POST")
        await api._authorize(req, Op.TablesRunTableMaintenance, bucket, resource)
        obj = _optional_body(api, body)
        unknown = sorted(set(obj) - {"max-jobs"})
        if unknown:
            raise cat.BadRequest(f"unknown worker fields: {unknown}")
        max_jobs = obj.get("max-jobs", 1)
        if (
            not isinstance(max_jobs, int)
            or isinstance(max_jobs, bool)
            or not 1 <= max_jobs <= MAX_WORKER_JOBS
        ):
            raise cat.BadRequest(f"max-jobs must be an integer 1..{MAX_WORKER_JOBS}")
        config = await m.get_config(bucket, levels, name)
        if config["worker-paused"]:
            raise mt.Busy(
                "the maintenance worker of this table is paused (worker-paused)"
            )
        table_uuid = await m.table_uuid(bucket, levels, name)
        ran = await m.run_queued(bucket, table_uuid, max_jobs)
        left = [
            j
            for j in await m.jobs_of(bucket, table_uuid)
            if j["status"] in ("queued", "running")
        ]
        return _json({"ran": ran, "pending": len(left)})
    raise cat.NotFound(f"no catalog route {req.path}")


async def _exists(catalog: cat.Catalog, bucket: str, location: str) -> bool:
    try:
        await catalog._storage.head_object(bucket, cat._key_of(bucket, location))
    except s3_errors.S3Error as exc:
        if exc.code == "NoSuchKey":
            return False
        raise
    return True


async def diagnostics(api: CatalogApi, req: Request, bucket: str) -> Response:
    """Per table: is its metadata there and readable, do its refs name
    snapshots it has, its pending jobs, lease and last orphan count (now,
    with ``orphans=true``); per view: is its metadata there."""
    from exordos_paas_s3.gateway.tables import cleanup, scheduler
    from exordos_paas_s3.gateway.tables.rest import _bool, _json

    await api._authorize(req, Op.TablesGetCatalogDiagnostics, bucket)
    scan_orphans = _bool(req.query.get("orphans"))
    catalog = api.catalog
    m = mt.shared(catalog)
    state = await catalog._state(bucket)
    doc = await m._doc(bucket)
    now = mt.now_ms()
    tables = []
    known_uuids = set()
    scans = 0
    for key, entries in sorted(state["tables"].items()):
        for name, entry in sorted(entries.items()):
            location = entry["metadata-location"]
            table_uuid = entry.get("uuid")
            known_uuids.add(table_uuid)
            item: dict[str, Any] = {
                "namespace": cat.ns_levels(key),
                "name": name,
                "uuid": table_uuid,
                "metadata-location": location,
            }
            maint = doc["tables"].get(table_uuid, {})
            metadata: TableMetadata | None
            try:
                # The object itself, not the parsed-metadata cache: a file
                # deleted behind the catalog's back is what this looks for.
                if not await _exists(catalog, bucket, location):
                    raise cat.NoSuchTable(location)
                metadata = await catalog._read_metadata(bucket, location)
            except cat.NoSuchTable:
                item["status"] = "metadata-missing"
                metadata = None
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                item["status"] = "metadata-unreadable"
                item["error"] = str(exc)[:500]
                metadata = None
            if metadata is not None:
                dangling = sorted(
                    ref
                    for ref, value in metadata.refs.items()
                    if metadata.snapshot_by_id(value.snapshot_id) is None
                )
                item["status"] = "dangling-refs" if dangling else "ok"
                item["dangling-refs"] = dangling
                item["snapshots"] = len(metadata.snapshots)
                if scan_orphans and scans < MAX_ORPHAN_SCANS:
                    scans += 1
                    config = mt.full_config(maint.get("config"))
                    orphans, scanned = await cleanup.plan_orphans(
                        catalog, bucket, metadata, config["orphan-older-than-ms"]
                    )
                    item["orphan-files"] = {
                        "at-ms": now,
                        "orphan-files": len(orphans),
                        "objects-scanned": scanned,
                    }
            if "orphan-files" not in item:
                item["orphan-files"] = maint.get("last-orphan-report")
            jobs = [j for j in doc["jobs"].values() if j["table-uuid"] == table_uuid]
            item["pending-jobs"] = sum(
                1 for j in jobs if j["status"] in ("queued", "running")
            )
            item["failed-jobs"] = sum(1 for j in jobs if j["status"] == "failed")
            lease = maint.get("lease")
            if lease is not None:
                lease = {**lease, "expired": lease["expires-at-ms"] <= now}
            item["lease"] = lease
            tables.append(item)
    views = []
    for key, entries in sorted(state["views"].items()):
        for name, entry in sorted(entries.items()):
            present = await _exists(catalog, bucket, entry["metadata-location"])
            views.append(
                {
                    "namespace": cat.ns_levels(key),
                    "name": name,
                    "metadata-location": entry["metadata-location"],
                    "status": "ok" if present else "metadata-missing",
                }
            )
    stale = sorted(u for u in doc["tables"] if u not in known_uuids)
    current = scheduler.CURRENT
    summary = {
        "tables": len(tables),
        "views": len(views),
        "healthy": sum(1 for t in tables if t["status"] == "ok")
        + sum(1 for v in views if v["status"] == "ok"),
        "metadata-missing": sum(
            1 for t in tables + views if t["status"] == "metadata-missing"
        ),
        "metadata-unreadable": sum(
            1 for t in tables if t["status"] == "metadata-unreadable"
        ),
        "dangling-refs": sum(len(t.get("dangling-refs", [])) for t in tables),
        "pending-jobs": sum(t["pending-jobs"] for t in tables),
        "failed-jobs": sum(t["failed-jobs"] for t in tables),
        "active-leases": sum(
            1 for t in tables if t["lease"] and not t["lease"]["expired"]
        ),
        "orphan-files": sum(
            (t["orphan-files"] or {}).get("orphan-files", 0) for t in tables
        ),
        "stale-maintenance-entries": stale,
    }
    return _json(
        {
            "bucket": bucket,
            "summary": summary,
            "tables": tables,
            "views": views,
            "scheduler": current.view() if current is not None else {"running": False},
        }
    )
