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
"""Maintenance leases: two workers over one catalog never run one job twice,
and a job whose worker stopped mid-run is resumed once its lease expires.

Two :class:`Maintenance` objects are two lease holders (as two gateways
are), over one real LocalStorage and its catalog.
"""

from __future__ import annotations

import asyncio

import pytest

from exordos_paas_s3.gateway.storage import local
from exordos_paas_s3.gateway.tables import catalog as cat
from exordos_paas_s3.gateway.tables import maintenance as mt

SCHEMA = {
    "type": "struct",
    "schema-id": 0,
    "fields": [{"id": 1, "name": "id", "type": "long", "required": False}],
}


def _run(tmp_path, fn) -> None:
    async def main() -> None:
        storage = local.LocalStorage(str(tmp_path / "data"))
        await storage.start()
        try:
            await storage.create_bucket("tb", "owner", "us-east-1")
            catalog = cat.Catalog(storage)
            await catalog.enable_bucket("tb")
            await catalog.create_namespace("tb", ("ns",), {})
            await catalog.create_table("tb", ("ns",), {"name": "t", "schema": SCHEMA})
            await fn(catalog)
        finally:
            await storage.close()

    asyncio.run(main())


REQUEST = {
    "operations": ["expire-snapshots"],
    "dry-run": True,
    "queue": True,
    "options": {},
}


def test_a_held_lease_keeps_the_other_worker_out(tmp_path) -> None:
    async def fn(catalog: cat.Catalog) -> None:
        a, b = mt.Maintenance(catalog), mt.Maintenance(catalog)
        assert a.holder != b.holder
        job = await a.submit("tb", ("ns",), "t", REQUEST)
        claimed = await a._claim("tb", job["job-id"], require_queued=True)
        assert claimed is not None and claimed["holder"] == a.holder
        table_uuid = job["table-uuid"]
        # B finds nothing runnable and may not force it.
        assert await b.run_queued("tb", table_uuid, 5) == []
        with pytest.raises(mt.Busy):
            await b.run_job("tb", job["job-id"])
        second = await b.submit("tb", ("ns",), "t", REQUEST)
        with pytest.raises(mt.Busy, match="lease held by"):
            await b.run_job("tb", second["job-id"])
        # A finishes: the lease goes, B runs the other job.
        done = await a._run_claimed("tb", claimed)
        assert done["status"] == "succeeded" and done["attempts"] == 1
        ran = await b.run_queued("tb", table_uuid, 5)
        assert [j["job-id"] for j in ran] == [second["job-id"]]
        assert ran[0]["status"] == "succeeded"

    _run(tmp_path, fn)


def test_an_expired_lease_is_recovered_and_the_job_resumed(tmp_path) -> None:
    async def fn(catalog: cat.Catalog) -> None:
        a, b = mt.Maintenance(catalog), mt.Maintenance(catalog)
        await a.put_config("tb", ("ns",), "t", {"lease-ttl-seconds": 5})
        job = await a.submit("tb", ("ns",), "t", REQUEST)
        # A claims and "stops" (never finishes): its lease runs out.
        assert await a._claim("tb", job["job-id"], require_queued=True)
        assert await b.recover("tb") == 0  # not yet expired
        view = await b.scheduler_view("tb", ("ns",), "t")
        assert view["running"] == 1 and view["lease"]["holder"] == a.holder
        await asyncio.sleep(5.2)
        assert await b.recover("tb") == 1
        resumed = await b.job("tb", job["job-id"])
        assert resumed["status"] == "queued"
        assert resumed["events"][-1]["event"] == "requeued"
        ran = await b.run_queued("tb", job["table-uuid"], 1)
        assert ran[0]["status"] == "succeeded" and ran[0]["attempts"] == 2

    _run(tmp_path, fn)


def test_a_dropped_tables_maintenance_is_forgotten(tmp_path) -> None:
    async def fn(catalog: cat.Catalog) -> None:
        m = mt.Maintenance(catalog)
        await m.put_config("tb", ("ns",), "t", {"background-enabled": True})
        job = await m.submit("tb", ("ns",), "t", REQUEST)
        assert await m.forget_dropped("tb") == 0
        await catalog.drop_table("tb", ("ns",), "t", purge=False)
        assert await m.forget_dropped("tb") == 1
        failed = await m.job("tb", job["job-id"])
        assert failed["status"] == "failed"
        assert failed["error"] == "the table no longer exists"
        assert job["table-uuid"] not in (await m._doc("tb"))["tables"]
        assert await m.forget_dropped("tb") == 0

    _run(tmp_path, fn)


def test_the_heartbeat_keeps_a_long_jobs_lease(tmp_path) -> None:
    async def fn(catalog: cat.Catalog) -> None:
        a, b = mt.Maintenance(catalog), mt.Maintenance(catalog)
        await a.put_config("tb", ("ns",), "t", {"lease-ttl-seconds": 5})
        job = await a.submit("tb", ("ns",), "t", REQUEST)
        assert await a._claim("tb", job["job-id"], require_queued=True)
        beat = asyncio.get_running_loop().create_task(
            a._heartbeat("tb", job["job-id"], job["table-uuid"])
        )
        try:
            await asyncio.sleep(6)  # past the first expiry
            assert await b.recover("tb") == 0
            lease = (await a._doc("tb"))["tables"][job["table-uuid"]]["lease"]
            assert lease["holder"] == a.holder and "renewed-at-ms" in lease
            assert lease["expires-at-ms"] > mt.now_ms()
        finally:
            beat.cancel()

    _run(tmp_path, fn)


def test_the_scheduler_names_the_catalog_document_as_the_catalog_does() -> None:
    # Duplicated so that a gateway without table buckets never loads the
    # catalog; they must not drift apart.
    from exordos_paas_s3.gateway.tables import scheduler

    assert scheduler.DOC_CATALOG == cat.DOC_CATALOG
