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
"""Aborting multipart uploads nobody finishes (--abort-incomplete-uploads-days).

Uploads cut off by a crashed client stay on disk until someone aborts them.
With the option set, a background pass aborts every upload initiated longer
ago than that, in every bucket, whatever its lifecycle configuration says
(the node-wide default of AWS's AbortIncompleteMultipartUpload rule). It
uses the storage contract only (list buckets, list uploads, abort), so
every backend and wrapper (encrypted uploads drop their part documents)
follows; each pass aborts at most BATCH uploads before it yields, then
continues, so a large backlog never holds the index writer for long.
"""

from __future__ import annotations

import asyncio
import logging
import time

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base

LOG = logging.getLogger(__name__)

DAY = 86400.0
BATCH = 100
# Passes run every quarter of the age, within these bounds.
MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0


def interval_for(max_age: float) -> float:
    return min(MAX_INTERVAL, max(MIN_INTERVAL, max_age / 4))


async def stale_uploads(
    storage: base.Storage, initiated_before: float, limit: int
) -> list[base.UploadInfo]:
    """Up to ``limit`` uploads initiated before the given time."""
    out: list[base.UploadInfo] = []
    for bucket in await storage.list_buckets():
        key_marker = upload_marker = ""
        while len(out) < limit:
            try:
                page = await storage.list_multipart_uploads(
                    bucket.name, key_marker=key_marker, upload_id_marker=upload_marker
                )
            except errors.NoSuchBucket:
                break  # deleted meanwhile
            out += [u for u in page.uploads if u.initiated < initiated_before]
            if not page.is_truncated:
                break
            key_marker = page.next_key_marker or ""
            upload_marker = page.next_upload_id_marker or ""
        if len(out) >= limit:
            break
    return out[:limit]


async def abort_stale(storage: base.Storage, max_age: float) -> int:
    """One pass: abort every upload older than ``max_age`` seconds, BATCH at
    a time; the number aborted."""
    aborted = 0
    while True:
        batch = await stale_uploads(storage, time.time() - max_age, BATCH)
        for upload in batch:
            try:
                await storage.abort_multipart_upload(
                    upload.bucket, upload.key, upload.upload_id
                )
                aborted += 1
            except (errors.NoSuchUpload, errors.NoSuchBucket):
                pass  # completed or aborted meanwhile
        if len(batch) < BATCH:
            return aborted
        await asyncio.sleep(0)


async def run(storage: base.Storage, max_age: float) -> None:
    """Forever: a pass every ``interval_for(max_age)`` seconds."""
    interval = interval_for(max_age)
    LOG.info(
        "aborting multipart uploads older than %.0f s (a pass every %.0f s)",
        max_age,
        interval,
    )
    while True:
        await asyncio.sleep(interval)
        try:
            aborted = await abort_stale(storage, max_age)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next pass tries again
            LOG.exception("aborting stale multipart uploads failed")
            continue
        if aborted:
            LOG.info("aborted %d multipart uploads older than %.0f s", aborted, max_age)
