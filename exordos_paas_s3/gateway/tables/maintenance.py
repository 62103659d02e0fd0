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
"""Table maintenance: its configuration, jobs, leases and operations.

No HTTP here (``maintenance_rest.py``) and no timer (``scheduler.py``).

State (docs/decisions/0013-table-maintenance.md): one more bucket document
beside the catalog, ``iceberg-maintenance``, holding per table (by uuid, so
a rename keeps it) the configuration, the lease and when the scheduler last
queued work, and the jobs with their reports and audit events. Every change
is a read-modify-write under the catalog's per-bucket lock, the one commits
swap their pointer under: a lease taken there cannot be taken twice.

The operations, each planned (dry run) or committed: ``expire-snapshots``,
``clean-metadata`` and ``remove-orphan-files`` (``cleanup.py``) and
``rewrite-data-files``, the binpack (``compaction.py``), run in that order.

Deleting operations are committed only when the table's ``delete-enabled``
is true.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from typing import Any

import orjson

from exordos_paas_s3.gateway.tables import catalog as cat

LOG = logging.getLogger(__name__)
# Audit events also go to this logger, one line each.
AUDIT = logging.getLogger("exordos_paas_s3.audit.tables")

DOC_MAINTENANCE = "iceberg-maintenance"

EXPIRE = "expire-snapshots"
CLEAN_METADATA = "clean-metadata"
ORPHANS = "remove-orphan-files"
REWRITE = "rewrite-data-files"
OPERATIONS = (EXPIRE, CLEAN_METADATA, ORPHANS, REWRITE)
DELETING = (CLEAN_METADATA, ORPHANS)

DAY_MS = 86_400_000
# Field -> (default, type, minimum, maximum). Iceberg's own defaults where it
# has one (history.expire.*, remove-orphan-files' three days).
CONFIG_FIELDS: dict[str, tuple[Any, type, int | None, int | None]] = {
    "retain-recent-metadata-files": (10, int, 1, 100_000),
    "delete-enabled": (False, bool, None, None),
    "background-enabled": (False, bool, None, None),
    "worker-paused": (False, bool, None, None),
    "min-snapshots-to-keep": (1, int, 1, 1_000_000),
    "max-snapshot-age-ms": (5 * DAY_MS, int, 0, None),
    "orphan-older-than-ms": (3 * DAY_MS, int, 0, None),
    "target-file-size-bytes": (128 << 20, int, 1 << 10, 1 << 34),
    "min-input-files": (5, int, 2, 100_000),
    "max-rewrite-bytes": (256 << 20, int, 1 << 10, 1 << 32),
    "schedule-interval-seconds": (3600, int, 1, None),
    "background-operations": (list(OPERATIONS), list, None, None),
    "lease-ttl-seconds": (300, int, 5, 86_400),
    "max-attempts": (3, int, 1, 100),
    "retry-backoff-seconds": (60, int, 0, 86_400),
}
# Job options a maintenance request may override for one job.
JOB_OPTIONS = (
    "retain-recent-metadata-files",
    "min-snapshots-to-keep",
    "max-snapshot-age-ms",
    "orphan-older-than-ms",
    "target-file-size-bytes",
    "min-input-files",
    "max-rewrite-bytes",
)
# Finished jobs kept per table (the document stays small); queued and
# running ones are always kept.
KEEP_FINISHED = 20
# Paths listed per event at most (the counts are always exact).
EVENT_SAMPLE = 50


class Busy(cat.IcebergError):
    """Another worker holds the table's lease, or the worker is paused."""

    status, type = 409, "ConflictException"


def now_ms() -> int:
    return int(time.time() * 1000)


def holder_id() -> str:
    """Who holds a lease: this gateway process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def check_value(field: str, value: Any) -> Any:
    if field not in CONFIG_FIELDS:
        raise cat.BadRequest(f"unknown maintenance field {field!r}")
    _, kind, low, high = CONFIG_FIELDS[field]
    if kind is bool:
        if not isinstance(value, bool):
            raise cat.BadRequest(f"{field} must be a boolean")
        return value
    if kind is list:
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) for v in value)
            or set(value) - set(OPERATIONS)
        ):
            raise cat.BadRequest(f"{field} must be a list of {list(OPERATIONS)}")
        return list(dict.fromkeys(value))
    if not isinstance(value, int) or isinstance(value, bool):
        raise cat.BadRequest(f"{field} must be an integer")
    if low is not None and value < low:
        raise cat.BadRequest(f"{field} must be at least {low}")
    if high is not None and value > high:
        raise cat.BadRequest(f"{field} must be at most {high}")
    return value


def full_config(stored: dict[str, Any] | None) -> dict[str, Any]:
    out = {k: v[0] for k, v in CONFIG_FIELDS.items()}
    out.update(stored or {})
    return out


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"at-ms": now_ms(), "event": kind, **fields}


def _sample(paths: list[str]) -> list[str]:
    return sorted(paths)[:EVENT_SAMPLE]


_SHARED: dict[int, Maintenance] = {}


def shared(catalog: cat.Catalog) -> Maintenance:
    """The one maintenance of a catalog (one lease holder id per gateway)."""
    found = _SHARED.get(id(catalog))
    if found is None or found.catalog is not catalog:
        found = _SHARED[id(catalog)] = Maintenance(catalog)
    return found


class Maintenance:
    """Maintenance over one :class:`catalog.Catalog` (one per gateway)."""

    def __init__(self, catalog: cat.Catalog) -> None:
        self.catalog = catalog
        self.holder = holder_id()

    # --- the maintenance document --------------------------------------------

    async def _doc(self, bucket: str) -> dict[str, Any]:
        raw = await self.catalog._storage.get_bucket_doc(bucket, DOC_MAINTENANCE)
        doc = orjson.loads(raw) if raw else {}
        doc.setdefault("tables", {})
        doc.setdefault("jobs", {})
        return doc

    async def _save(self, bucket: str, doc: dict[str, Any]) -> None:
        await self.catalog._storage.put_bucket_doc(
            bucket, DOC_MAINTENANCE, orjson.dumps(doc)
        )

    async def table_uuid(self, bucket: str, levels: tuple[str, ...], name: str) -> str:
        state = await self.catalog._state(bucket)
        self.catalog._pointer(state, levels, name)
        return str(state["tables"][cat.ns_key(levels)][name]["uuid"])

    @staticmethod
    def find_table(
        state: dict[str, Any], table_uuid: str
    ) -> tuple[tuple[str, ...], str] | None:
        for key, tables in state["tables"].items():
            for name, entry in tables.items():
                if entry.get("uuid") == table_uuid:
                    return tuple(cat.ns_levels(key)), name
        return None

    # --- configuration ---------------------------------------------------------

    async def get_config(
        self, bucket: str, levels: tuple[str, ...], name: str
    ) -> dict[str, Any]:
        table_uuid = await self.table_uuid(bucket, levels, name)
        doc = await self._doc(bucket)
        return full_config(doc["tables"].get(table_uuid, {}).get("config"))

    async def put_config(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        body: dict[str, Any],
    ) -> dict[str, Any]:
        """Set the fields the body names; the others keep their values."""
        checked = {k: check_value(k, v) for k, v in body.items()}
        async with self.catalog._lock(bucket):
            table_uuid = await self.table_uuid(bucket, levels, name)
            doc = await self._doc(bucket)
            entry = doc["tables"].setdefault(table_uuid, {})
            stored = entry.setdefault("config", {})
            stored.update(checked)
            await self._save(bucket, doc)
        self._audit(bucket, table_uuid, "config-updated", fields=sorted(checked))
        return full_config(stored)

    # --- jobs ------------------------------------------------------------------

    @staticmethod
    def check_job_request(body: dict[str, Any]) -> dict[str, Any]:
        """The job a POST .../maintenance/metadata body asks for."""
        known = {"operations", "dry-run", "queue", *JOB_OPTIONS}
        unknown = sorted(set(body) - known)
        if unknown:
            raise cat.BadRequest(f"unknown maintenance request fields: {unknown}")
        ops = body.get("operations", list(OPERATIONS))
        if (
            not isinstance(ops, list)
            or not ops
            or not all(isinstance(o, str) for o in ops)
        ):
            raise cat.BadRequest("operations must be a non-empty list of strings")
        bad = sorted(set(ops) - set(OPERATIONS))
        if bad:
            raise cat.BadRequest(f"unknown operations {bad}; known: {list(OPERATIONS)}")
        dry_run = body.get("dry-run", True)
        queue = body.get("queue", False)
        if not isinstance(dry_run, bool) or not isinstance(queue, bool):
            raise cat.BadRequest("dry-run and queue must be booleans")
        options = {k: check_value(k, body[k]) for k in JOB_OPTIONS if k in body}
        return {
            "operations": list(dict.fromkeys(ops)),
            "dry-run": dry_run,
            "queue": queue,
            "options": options,
        }

    async def submit(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        request: dict[str, Any],
        source: str = "api",
    ) -> dict[str, Any]:
        """Queue a job; unless ``queue``, run it now (taking the lease)."""
        config = await self.get_config(bucket, levels, name)
        if (
            not request["dry-run"]
            and not config["delete-enabled"]
            and set(request["operations"]) & set(DELETING)
        ):
            raise cat.BadRequest(
                f"{' and '.join(o for o in DELETING if o in request['operations'])}"
                " would delete files and delete-enabled is false for this table;"
                " set it with PUT .../maintenance/config, or ask for a dry run"
            )
        job = await self._enqueue(bucket, levels, name, request, source)
        if request["queue"]:
            return job
        try:
            return await self.run_job(bucket, job["job-id"])
        except Busy as exc:
            current = await self.job(bucket, job["job-id"])
            if current["status"] != "queued":
                return current  # a background worker took it first
            raise Busy(f"{exc.message}; job {job['job-id']} stays queued") from None

    async def _enqueue(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        request: dict[str, Any],
        source: str,
    ) -> dict[str, Any]:
        job_id = uuid.uuid4().hex
        async with self.catalog._lock(bucket):
            table_uuid = await self.table_uuid(bucket, levels, name)
            doc = await self._doc(bucket)
            job = {
                "job-id": job_id,
                "table-uuid": table_uuid,
                "table": {"namespace": list(levels), "name": name},
                "operations": request["operations"],
                "dry-run": request["dry-run"],
                "options": request["options"],
                "source": source,
                "status": "queued",
                "attempts": 0,
                "created-at-ms": now_ms(),
                "not-before-ms": 0,
                "events": [_event("queued", source=source)],
            }
            doc["jobs"][job_id] = job
            _trim(doc, table_uuid)
            await self._save(bucket, doc)
        self._audit(bucket, table_uuid, "job-queued", job=job_id, source=source)
        return job

    async def job(self, bucket: str, job_id: str) -> dict[str, Any]:
        doc = await self._doc(bucket)
        job = doc["jobs"].get(job_id)
        if job is None:
            raise cat.NotFound(f"Maintenance job does not exist: {job_id}")
        return job

    async def jobs_of(self, bucket: str, table_uuid: str) -> list[dict[str, Any]]:
        doc = await self._doc(bucket)
        jobs = [j for j in doc["jobs"].values() if j["table-uuid"] == table_uuid]
        return sorted(jobs, key=lambda j: j["created-at-ms"])

    # --- leases ------------------------------------------------------------------

    async def _claim(
        self, bucket: str, job_id: str, *, require_queued: bool
    ) -> dict[str, Any] | None:
        """Take the table's lease and mark the job running, atomically; None
        if the job is not runnable (done, not yet due, lease held)."""
        async with self.catalog._lock(bucket):
            doc = await self._doc(bucket)
            job = doc["jobs"].get(job_id)
            if job is None:
                raise cat.NotFound(f"Maintenance job does not exist: {job_id}")
            now = now_ms()
            if job["status"] != "queued" or job.get("not-before-ms", 0) > now:
                if require_queued:
                    return None
                raise Busy(f"job {job_id} is {job['status']}, not queued")
            entry = doc["tables"].setdefault(job["table-uuid"], {})
            config = full_config(entry.get("config"))
            lease = entry.get("lease")
            if (
                lease
                and lease["holder"] != self.holder
                and lease["expires-at-ms"] > now
            ):
                if require_queued:
                    return None
                raise Busy(
                    "maintenance of this table is running elsewhere (lease held"
                    f" by {lease['holder']} until {lease['expires-at-ms']})"
                )
            entry["lease"] = {
                "holder": self.holder,
                "job-id": job_id,
                "acquired-at-ms": now,
                "expires-at-ms": now + config["lease-ttl-seconds"] * 1000,
            }
            job["status"] = "running"
            job["attempts"] += 1
            job["started-at-ms"] = now
            job["holder"] = self.holder
            job["events"].append(
                _event("started", holder=self.holder, attempt=job["attempts"])
            )
            await self._save(bucket, doc)
            return dict(job)

    async def _finish(
        self,
        bucket: str,
        job_id: str,
        report: dict[str, Any] | None,
        events: list[dict[str, Any]],
        error: str | None,
    ) -> dict[str, Any]:
        async with self.catalog._lock(bucket):
            doc = await self._doc(bucket)
            job = doc["jobs"][job_id]
            entry = doc["tables"].setdefault(job["table-uuid"], {})
            config = full_config(entry.get("config"))
            lease = entry.get("lease")
            if lease and lease["holder"] == self.holder:
                entry.pop("lease", None)
            job["events"].extend(events)
            job.pop("holder", None)
            if error is None:
                job["status"] = "succeeded"
                job["report"] = report
                job["events"].append(_event("succeeded"))
            elif job["attempts"] < config["max-attempts"]:
                job["status"] = "queued"
                job["error"] = error
                job["not-before-ms"] = now_ms() + config["retry-backoff-seconds"] * 1000
                job["events"].append(_event("retry-scheduled", error=error))
            else:
                job["status"] = "failed"
                job["error"] = error
                job["events"].append(_event("failed", error=error))
            if job["status"] != "queued":
                job["finished-at-ms"] = now_ms()
            if report is not None and ORPHANS in report:
                entry["last-orphan-report"] = {
                    "at-ms": now_ms(),
                    "job-id": job_id,
                    "orphan-files": report[ORPHANS].get("orphan-files", 0),
                    "deleted": report[ORPHANS].get("deleted", 0),
                }
            _trim(doc, job["table-uuid"])
            await self._save(bucket, doc)
        self._audit(
            bucket, job["table-uuid"], "job-" + job["status"], job=job_id, error=error
        )
        return job

    async def recover(self, bucket: str) -> int:
        """Requeue jobs left running under a lease that has expired (their
        gateway stopped mid-job); the attempt counts. How many."""
        count = 0
        async with self.catalog._lock(bucket):
            doc = await self._doc(bucket)
            now = now_ms()
            for job in doc["jobs"].values():
                if job["status"] != "running":
                    continue
                entry = doc["tables"].get(job["table-uuid"], {})
                lease = entry.get("lease")
                if lease and lease["job-id"] == job["job-id"]:
                    if lease["expires-at-ms"] > now:
                        continue
                    entry.pop("lease", None)
                job["status"] = "queued"
                job.pop("holder", None)
                job["events"].append(_event("requeued", reason="lease expired"))
                count += 1
            if count:
                await self._save(bucket, doc)
        return count

    async def forget_dropped(self, bucket: str) -> int:
        """A dropped table's maintenance goes with it: its pending jobs fail
        ("no longer exists"), its configuration and lease are forgotten
        (finished jobs stay until trimmed). How many tables were forgotten."""
        async with self.catalog._lock(bucket):
            state = await self.catalog._state(bucket)
            known = {
                entry.get("uuid")
                for tables in state["tables"].values()
                for entry in tables.values()
            }
            doc = await self._doc(bucket)
            gone = [u for u in doc["tables"] if u not in known]
            gone_jobs = [
                j
                for j in doc["jobs"].values()
                if j["table-uuid"] not in known and j["status"] in ("queued", "running")
            ]
            if not gone and not gone_jobs:
                return 0
            for job in gone_jobs:
                job["status"] = "failed"
                job["error"] = "the table no longer exists"
                job["finished-at-ms"] = now_ms()
                job["events"].append(_event("failed", error=job["error"]))
            for table_uuid in gone:
                del doc["tables"][table_uuid]
            await self._save(bucket, doc)
        for table_uuid in gone:
            self._audit(bucket, table_uuid, "table-forgotten")
        return len(gone)

    # --- running -----------------------------------------------------------------

    async def run_job(self, bucket: str, job_id: str) -> dict[str, Any]:
        """Run one queued job now; Busy if its table's lease is held."""
        job = await self._claim(bucket, job_id, require_queued=False)
        assert job is not None
        return await self._run_claimed(bucket, job)

    async def run_queued(
        self, bucket: str, table_uuid: str, max_jobs: int
    ) -> list[dict[str, Any]]:
        """Run up to ``max_jobs`` due queued jobs of one table, oldest first."""
        ran: list[dict[str, Any]] = []
        for job in await self.jobs_of(bucket, table_uuid):
            if len(ran) >= max_jobs:
                break
            if job["status"] != "queued" or job.get("not-before-ms", 0) > now_ms():
                continue
            claimed = await self._claim(bucket, job["job-id"], require_queued=True)
            if claimed is None:
                continue
            ran.append(await self._run_claimed(bucket, claimed))
        return ran

    async def _run_claimed(self, bucket: str, job: dict[str, Any]) -> dict[str, Any]:
        events: list[dict[str, Any]] = []
        heartbeat = asyncio.get_running_loop().create_task(
            self._heartbeat(bucket, job["job-id"], job["table-uuid"])
        )
        try:
            report = await self._run(bucket, job, events)
        except cat.IcebergError as exc:
            return await self._finish(bucket, job["job-id"], None, events, exc.message)
        except Exception as exc:  # noqa: BLE001 - a job's failure is reported
            LOG.exception("maintenance job %s failed", job["job-id"])
            return await self._finish(
                bucket, job["job-id"], None, events, f"{type(exc).__name__}: {exc}"
            )
        finally:
            heartbeat.cancel()
        return await self._finish(bucket, job["job-id"], report, events, None)

    async def _heartbeat(self, bucket: str, job_id: str, table_uuid: str) -> None:
        """Extend the lease every third of its time while the job runs: a
        long rewrite keeps it, a stopped gateway stops extending it."""
        while True:
            doc = await self._doc(bucket)
            ttl = full_config(doc["tables"].get(table_uuid, {}).get("config"))[
                "lease-ttl-seconds"
            ]
            await asyncio.sleep(ttl / 3)
            async with self.catalog._lock(bucket):
                doc = await self._doc(bucket)
                lease = doc["tables"].get(table_uuid, {}).get("lease")
                if (
                    not lease
                    or lease["holder"] != self.holder
                    or lease["job-id"] != job_id
                ):
                    return
                lease["expires-at-ms"] = now_ms() + ttl * 1000
                lease["renewed-at-ms"] = now_ms()
                await self._save(bucket, doc)

    async def _run(
        self, bucket: str, job: dict[str, Any], events: list[dict[str, Any]]
    ) -> dict[str, Any]:
        state = await self.catalog._state(bucket)
        found = self.find_table(state, job["table-uuid"])
        if found is None:
            raise cat.NoSuchTable(f"the table {job['table-uuid']} no longer exists")
        levels, name = found
        doc = await self._doc(bucket)
        config = full_config(doc["tables"].get(job["table-uuid"], {}).get("config"))
        config.update(job.get("options") or {})
        dry = job["dry-run"]
        report: dict[str, Any] = {}
        from exordos_paas_s3.gateway.tables import cleanup

        for op in OPERATIONS:  # a fixed order: expire first frees the most
            if op not in job["operations"]:
                continue
            if op in DELETING and not dry and not config["delete-enabled"]:
                report[op] = {"skipped": "delete-enabled is false"}
                continue
            if op == EXPIRE:
                report[op] = await cleanup.expire_snapshots(
                    self.catalog, bucket, levels, name, config, dry, events
                )
            elif op == CLEAN_METADATA:
                report[op] = await cleanup.clean_metadata(
                    self.catalog, bucket, levels, name, config, dry, events
                )
            elif op == ORPHANS:
                report[op] = await cleanup.remove_orphans(
                    self.catalog, bucket, levels, name, config, dry, events
                )
            else:
                from exordos_paas_s3.gateway.tables import compaction

                report[op] = await compaction.rewrite(
                    self.catalog, bucket, levels, name, config, dry, events
                )
        return report

    # --- scheduling --------------------------------------------------------------

    async def schedule(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        *,
        force: bool,
    ) -> dict[str, Any] | None:
        """Queue the table's background operations if due (or ``force``) and
        none is queued yet; the queued (or already queued) job, or None."""
        table_uuid = await self.table_uuid(bucket, levels, name)
        doc = await self._doc(bucket)
        entry = doc["tables"].get(table_uuid, {})
        config = full_config(entry.get("config"))
        for job in doc["jobs"].values():
            if (
                job["table-uuid"] == table_uuid
                and job["status"]
                in (
                    "queued",
                    "running",
                )
                and job["source"] == "scheduler"
            ):
                return job
        last = entry.get("last-scheduled-at-ms", 0)
        if not force and last + config["schedule-interval-seconds"] * 1000 > now_ms():
            return None
        ops = [
            op
            for op in config["background-operations"]
            if op not in DELETING or config["delete-enabled"]
        ]
        if not ops:
            return None
        job = await self._enqueue(
            bucket,
            levels,
            name,
            {"operations": ops, "dry-run": False, "options": {}},
            "scheduler",
        )
        async with self.catalog._lock(bucket):
            doc = await self._doc(bucket)
            doc["tables"].setdefault(table_uuid, {})["last-scheduled-at-ms"] = now_ms()
            await self._save(bucket, doc)
        return job

    async def scheduler_view(
        self, bucket: str, levels: tuple[str, ...], name: str
    ) -> dict[str, Any]:
        table_uuid = await self.table_uuid(bucket, levels, name)
        doc = await self._doc(bucket)
        entry = doc["tables"].get(table_uuid, {})
        config = full_config(entry.get("config"))
        jobs = [j for j in doc["jobs"].values() if j["table-uuid"] == table_uuid]
        last = entry.get("last-scheduled-at-ms")
        lease = entry.get("lease")
        if lease and lease["expires-at-ms"] <= now_ms():
            lease = {**lease, "expired": True}
        return {
            "background-enabled": config["background-enabled"],
            "worker-paused": config["worker-paused"],
            "schedule-interval-seconds": config["schedule-interval-seconds"],
            "background-operations": config["background-operations"],
            "last-scheduled-at-ms": last,
            "next-due-at-ms": (last or 0) + config["schedule-interval-seconds"] * 1000
            if config["background-enabled"]
            else None,
            "queued": sum(1 for j in jobs if j["status"] == "queued"),
            "running": sum(1 for j in jobs if j["status"] == "running"),
            "lease": lease,
        }

    def _audit(self, bucket: str, table_uuid: str, event: str, **fields: Any) -> None:
        AUDIT.info(
            "%s",
            orjson.dumps(
                {"bucket": bucket, "table-uuid": table_uuid, "event": event, **fields}
            ).decode(),
        )


def _trim(doc: dict[str, Any], table_uuid: str) -> None:
    """Keep the newest finished jobs of a table; never a pending one."""
    finished = sorted(
        (
            j
            for j in doc["jobs"].values()
            if j["table-uuid"] == table_uuid and j["status"] in ("succeeded", "failed")
        ),
        key=lambda j: j.get("finished-at-ms", 0),
    )
    for job in finished[: max(len(finished) - KEEP_FINISHED, 0)]:
        del doc["jobs"][job["job-id"]]
