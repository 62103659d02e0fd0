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
"""The orphan-blob GC pass of a blob store behind an index (issue 11, item 6).

A blob no index row names is garbage: a crash between its upload and the
commit that would have named it, between a commit that made it obsolete and
its deletion, or an upstream that refused a deletion. One pass:

1. lists the blob store (``Listed``: id, size, age by the store's clock);
2. reads every blob id the index names, in one snapshot, *after* the
   listing;
3. deletes the listed blobs that no row names, that are older than the
   grace, that this gateway is not about to delete itself (an obsolete
   blob in its own grace period) and that no read on this gateway leases;
4. aborts the store's unfinished multipart uploads older than the grace.

Why the grace is measured on the blob's age: an upload in flight has
written its blob but not yet committed its row. Its blob is younger than
the grace as long as the commit takes less than the grace after the upload
(a commit follows the upload within a request, far below the default hour),
and the index is read after the listing, so a blob old enough to be deleted
was committed, if ever, before the index was read. A row naming it is then
seen, and the blob kept.

One pass at a time across all gateways of an index (``gc_turn``); a pass
that finds another running reports ``running`` and does nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

from exordos_paas_s3.gateway.storage import blobs

LOG = logging.getLogger(__name__)

DELETE_CONCURRENCY = 8


@dataclasses.dataclass
class Report:
    """What a pass saw and did (the admin API's answer, the log line)."""

    listed: int = 0  # blob ids in the store
    referenced: int = 0  # of those, named by the index
    deleted: int = 0  # orphans removed
    kept_young: int = 0  # orphans younger than the grace (maybe in flight)
    kept_in_use: int = 0  # obsolete, but this gateway's own or leased by a read
    failed: int = 0  # deletions the store refused (retried next pass)
    foreign: int = 0  # names that are not blob ids: never touched
    uploads_aborted: int = 0  # unfinished upstream multipart uploads
    deleted_bytes: int = 0
    seconds: float = 0.0
    running: bool = False  # another pass held the turn: nothing done

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


async def collect(storage: Any, grace: float) -> Report:
    """One pass over ``storage`` (an index with a blob store: see
    ``upstream.UpstreamStorage``): its blob store, ``referenced_blobs``,
    ``retiring_blobs``, ``leased`` and ``gc_turn``."""
    report = Report()
    async with storage.gc_turn() as mine:
        if not mine:
            report.running = True
            return report
        started = time.monotonic()
        store: blobs.BlobStore = storage.blob_store
        candidates: list[blobs.Listed] = []
        listed: set[str] = set()
        async for page in store.list_blobs():
            for item in page:
                if not blobs.BLOB_ID.match(item.blob_id):
                    report.foreign += 1
                    continue
                listed.add(item.blob_id)
                candidates.append(item)
        report.listed = len(listed)
        # After the listing (see the module docstring for why the order).
        referenced = await storage.referenced_blobs()
        retiring = await storage.retiring_blobs()
        doomed: list[blobs.Listed] = []
        for item in candidates:
            if item.blob_id in referenced:
                report.referenced += 1
            elif item.blob_id in retiring:
                report.kept_in_use += 1
            elif item.age < grace:
                report.kept_young += 1
            else:
                doomed.append(item)
        slots = asyncio.Semaphore(DELETE_CONCURRENCY)

        async def delete(item: blobs.Listed) -> None:
            async with slots:
                # Leases are checked at the last moment: a read may have
                # resolved an old version since the index was read.
                if storage.leased(item.blob_id):
                    report.kept_in_use += 1
                    return
                try:
                    await store.delete(item.blob_id)
                except Exception as exc:  # noqa: BLE001 - next pass retries
                    report.failed += 1
                    LOG.warning("GC: blob %s not deleted: %s", item.blob_id, exc)
                    return
                report.deleted += 1
                report.deleted_bytes += item.size

        await asyncio.gather(*(delete(item) for item in doomed))
        for upload in await store.list_unfinished():
            if upload.age < grace:
                continue
            try:
                await store.abort_unfinished(upload)
            except Exception as exc:  # noqa: BLE001 - next pass retries
                LOG.warning("GC: upload of %s not aborted: %s", upload.blob_id, exc)
                continue
            report.uploads_aborted += 1
        report.seconds = round(time.monotonic() - started, 3)
    LOG.info(
        "GC pass: %d listed, %d referenced, %d deleted (%d bytes), %d kept "
        "young, %d kept in use, %d failed, %d foreign, %d uploads aborted "
        "in %.3f s",
        report.listed,
        report.referenced,
        report.deleted,
        report.deleted_bytes,
        report.kept_young,
        report.kept_in_use,
        report.failed,
        report.foreign,
        report.uploads_aborted,
        report.seconds,
    )
    return report


class Collector:
    """Runs ``collect`` every ``interval`` seconds in the background (0:
    never; on demand only) and on demand (``run``)."""

    def __init__(self, storage: Any, *, grace: float, interval: float) -> None:
        self.storage = storage
        self.grace = grace
        self.interval = interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.ensure_future(self._timer())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def run(self) -> Report:
        return await collect(self.storage, self.grace)

    async def _timer(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next tick tries again
                LOG.exception("GC pass failed")
