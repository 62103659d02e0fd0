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
from typing import Any

import orjson

from exordos_paas_s3.gateway.storage import base as storage_base
from exordos_paas_s3.gateway.tables import catalog as cat
from exordos_paas_s3.gateway.tables import maintenance as mt

LOG = logging.getLogger(__name__)

MAX_JOBS_PER_TICK = 2

# The running scheduler of this process, for GET .../maintenance/scheduler.
CURRENT: Scheduler | None = None


class Scheduler:
    def __init__(
        self,
        storage: storage_base.Storage,
        interval: float,
        max_jobs_per_tick: int = MAX_JOBS_PER_TICK,
    ) -> None:
        self.maintenance = mt.shared(cat.shared(storage))
        self.storage = storage
        self.interval = interval
        self.max_jobs_per_tick = max_jobs_per_tick
        self.last_tick_ms: int | None = None
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

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
            "holder": self.maintenance.holder,
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
        budget = self.max_jobs_per_tick
        ran = 0
        for info in await self.storage.list_buckets():
            raw = await self.storage.get_bucket_doc(info.name, cat.DOC_CATALOG)
            if raw is None:
                continue
            bucket = info.name
            await self.maintenance.recover(bucket)
            await self.maintenance.forget_dropped(bucket)
            state = orjson.loads(raw)
            doc = await self.maintenance._doc(bucket)
            for key, tables in sorted(state.get("tables", {}).items()):
                for name, entry in sorted(tables.items()):
                    table_uuid = entry.get("uuid")
                    config = mt.full_config(
                        doc["tables"].get(table_uuid, {}).get("config")
                    )
                    if not config["background-enabled"]:
                        continue
                    levels = tuple(cat.ns_levels(key))
                    try:
                        await self.maintenance.schedule(
                            bucket, levels, name, force=False
                        )
                        if config["worker-paused"] or budget - ran <= 0:
                            continue
                        done = await self.maintenance.run_queued(
                            bucket, table_uuid, budget - ran
                        )
                    except cat.IcebergError as exc:
                        # A table dropped or renamed meanwhile: next tick.
                        LOG.info("maintenance of %s/%s skipped: %s", bucket, name, exc)
                        continue
                    ran += len(done)
                    await asyncio.sleep(0)
        self.ticks += 1
        self.last_tick_ms = mt.now_ms()
        return ran
