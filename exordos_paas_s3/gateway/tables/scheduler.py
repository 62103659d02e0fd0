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
"""The background maintenance scheduler: an asyncio task of the gateway.

Every ``--tables-maintenance-interval`` seconds one tick walks the table
buckets: requeues jobs whose gateway stopped mid-job (their lease expired),
fails the pending jobs of dropped tables and forgets their configuration,
queues each ``background-enabled`` table's background operations when its
``schedule-interval-seconds`` has passed, and runs queued jobs of tables
whose worker is not paused — at most ``MAX_JOBS_PER_TICK`` per tick, each
under the table's lease (``maintenance.py``), so two gateways over the same
catalog never run one job twice. The tick awaits storage and runs the CPU
parts (manifest parsing, the Parquet rewrite) in worker threads: requests
are served meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson

from exordos_paas_s3.gateway.storage import base as storage_base

if TYPE_CHECKING:
    from exordos_paas_s3.gateway.tables import maintenance as mt

LOG = logging.getLogger(__name__)

MAX_JOBS_PER_TICK = 2
# catalog.DOC_CATALOG, not imported from there: the catalog (and PyIceberg,
# some 8 MB) is loaded on the first table bucket a tick finds, so a gateway
# serving none never loads it.
DOC_CATALOG = "iceberg-catalog"
# Buckets looked at between two yields to the event loop.
YIELD_EVERY = 100

# The running scheduler of this process, for GET .../maintenance/scheduler.
CURRENT: Scheduler | None = None


class Scheduler:
    def __init__(
        self,
        storage: storage_base.Storage,
        interval: float,
        max_jobs_per_tick: int = MAX_JOBS_PER_TICK,
    ) -> None:
        self._maintenance: mt.Maintenance | None = None
        self.storage = storage
        self.interval = interval
        self.max_jobs_per_tick = max_jobs_per_tick
        self.last_tick_ms: int | None = None
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def maintenance(self) -> mt.Maintenance:
        if self._maintenance is None:
            from exordos_paas_s3.gateway.tables import catalog as cat
            from exordos_paas_s3.gateway.tables import maintenance as mt

            self._maintenance = mt.shared(cat.shared(self.storage))
        return self._maintenance

    def start(self) -> None:
        global CURRENT
        self._task = asyncio.get_running_loop().create_task(self._loop())
        CURRENT = self

    async def stop(self) -> None:
        global CURRENT
        if CURRENT is self:
            CURRENT = None
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def view(self) -> dict[str, Any]:
        return {
            "interval-seconds": self.interval,
            "running": self._task is not None and not self._task.done(),
            "holder": self._maintenance.holder if self._maintenance else None,
            "ticks": self.ticks,
            "last-tick-at-ms": self.last_tick_ms,
            "max-jobs-per-tick": self.max_jobs_per_tick,
        }

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                LOG.exception("table maintenance tick failed")

    async def tick(self) -> int:
        """One pass; how many jobs ran."""
        ran = 0
        for i, info in enumerate(await self.storage.list_buckets()):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            raw = await self.storage.get_bucket_doc(info.name, DOC_CATALOG)
            if raw is not None:
                ran += await self._tick_bucket(info.name, raw, ran)
        self.ticks += 1
        self.last_tick_ms = int(time.time() * 1000)
        return ran

    async def _tick_bucket(self, bucket: str, raw: bytes, ran_before: int) -> int:
        from exordos_paas_s3.gateway.tables import catalog as cat
        from exordos_paas_s3.gateway.tables import maintenance as mt

        maintenance = self.maintenance
        budget = self.max_jobs_per_tick - ran_before
        ran = 0
        await maintenance.recover(bucket)
        await maintenance.forget_dropped(bucket)
        state = orjson.loads(raw)
        doc = await maintenance._doc(bucket)
        for key, tables in sorted(state.get("tables", {}).items()):
            for name, entry in sorted(tables.items()):
                table_uuid = entry.get("uuid")
                config = mt.full_config(doc["tables"].get(table_uuid, {}).get("config"))
                if not config["background-enabled"]:
                    continue
                levels = tuple(cat.ns_levels(key))
                try:
                    await maintenance.schedule(bucket, levels, name, force=False)
                    if config["worker-paused"] or budget - ran <= 0:
                        continue
                    done = await maintenance.run_queued(
                        bucket, table_uuid, budget - ran
                    )
                except cat.IcebergError as exc:
                    # A table dropped or renamed meanwhile: next tick.
                    LOG.info("maintenance of %s/%s skipped: %s", bucket, name, exc)
                    continue
                ran += len(done)
                await asyncio.sleep(0)
        return ran
