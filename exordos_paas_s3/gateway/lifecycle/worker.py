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
"""The lifecycle executor: a background worker that applies every bucket's
lifecycle rules through the storage contract (so it runs on every backend).

One pass walks the buckets that have a lifecycle configuration. Per bucket it
reads the version listing in batches of ``batch`` entries, decides per key
(all versions of a key together, newest first) and acts with ordinary
storage calls, each atomic on its own:

- ``Expiration`` (Days/Date) of a current version: ``delete_object`` without
  a version id, which on a versioned bucket writes a delete marker (as AWS);
- ``NoncurrentVersionExpiration``: removes noncurrent versions a
  ``NoncurrentDays`` after they became noncurrent (the newer version's
  time), keeping the ``NewerNoncurrentVersions`` newest ones;
- an expired object delete marker (a marker that is the only version left)
  goes with ``ExpiredObjectDeleteMarker`` at once, with ``Days``/``Date``
  when that time has come;
- ``AbortIncompleteMultipartUpload`` aborts uploads started long enough ago.

Object lock wins: a version under legal hold or active retention is never
removed (the check the DELETE path makes, without a governance bypass).

Resumable: after each batch the bucket's position (the last key fully
handled) is kept as the bucket document ``lifecycle-cursor``; a restarted
gateway continues there, and the document goes when the bucket's pass ends.
Every action is re-derived from the listing, so a pass cut by kill -9
repeats nothing harmful: an action either happened or it did not.

One worker at a time per namespace: the pass runs under the storage's
lease ``lifecycle`` (``Storage.acquire_lease``); a gateway that does not get
it sleeps until its next wake-up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.handlers import object_lock, tagging
from exordos_paas_s3.gateway.lifecycle import rules as lc
from exordos_paas_s3.gateway.storage.base import ObjectInfo, Storage

LOG = logging.getLogger(__name__)

DOC_CURSOR = "lifecycle-cursor"
LEASE = "lifecycle"


@dataclasses.dataclass
class Counters:
    buckets: int = 0
    scanned: int = 0
    expired: int = 0  # current versions expired (removed or delete-marked)
    noncurrent_expired: int = 0
    delete_markers_removed: int = 0
    uploads_aborted: int = 0
    locked_skipped: int = 0
    errors: int = 0
    resumed: int = 0  # buckets continued from a saved cursor

    def add(self, other: Counters) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class Worker:
    """Wakes every ``interval`` seconds and runs one pass (see module doc)."""

    def __init__(
        self,
        storage: Storage,
        *,
        interval: float,
        day_seconds: int = lc.DAY,
        batch: int = 1000,
        lease_ttl: float | None = None,
    ) -> None:
        self.storage = storage
        self.interval = interval
        self.day_seconds = day_seconds
        self.batch = batch
        # A holder that dies keeps the lease at most this long.
        self.lease_ttl = lease_ttl or max(60.0, 4 * interval)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.passes = 0
        self.totals = Counters()
        self.last: dict[str, object] | None = None
        self.current: dict[str, object] | None = None
        self.lease_held = False
        self._task: asyncio.Task | None = None
        # Buckets whose cursor document this pass wrote.
        self._cursors: set[str] = set()

    # --- running ---------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="lifecycle")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self.lease_held:
            await self.storage.release_lease(LEASE, self.holder)
            self.lease_held = False

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pass()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the worker must outlive a bad pass
                LOG.exception("lifecycle pass failed")
            await asyncio.sleep(self.interval)

    async def run_pass(self, now: float | None = None) -> Counters | None:
        """One pass over every bucket; None when another gateway holds the
        lease."""
        self.lease_held = await self.storage.acquire_lease(
            LEASE, self.holder, self.lease_ttl
        )
        if not self.lease_held:
            return None
        started = time.time()
        counters = Counters()
        self.current = {"started_at": started, "bucket": None}
        try:
            for info in await self.storage.list_buckets():
                config = lc.parse(await self._doc(info.name, lc.DOC))
                if config is None or not config.active:
                    continue
                self.current["bucket"] = info.name
                counters.buckets += 1
                try:
                    await self._bucket(
                        info.name, info.versioning, config, counters, now
                    )
                except errors.NoSuchBucket:
                    continue
                except errors.S3Error as exc:
                    counters.errors += 1
                    LOG.warning("lifecycle: bucket %s: %s", info.name, exc)
                # Keep the lease while a long pass goes on.
                await self.storage.acquire_lease(LEASE, self.holder, self.lease_ttl)
        finally:
            self.current = None
        self.passes += 1
        self.totals.add(counters)
        self.last = {
            "started_at": started,
            "finished_at": time.time(),
            **dataclasses.asdict(counters),
        }
        if counters.expired or counters.noncurrent_expired or counters.uploads_aborted:
            LOG.info("lifecycle pass: %s", self.last)
        return counters

    def status(self) -> dict[str, object]:
        return {
            "interval": self.interval,
            "day_seconds": self.day_seconds,
            "batch": self.batch,
            "holder": self.holder,
            "lease_held": self.lease_held,
            "passes": self.passes,
            "running": self.current,
            "last_pass": self.last,
            "totals": dataclasses.asdict(self.totals),
        }

    # --- one bucket ------------------------------------------------------

    async def _doc(self, bucket: str, name: str) -> bytes | None:
        try:
            return await self.storage.get_bucket_doc(bucket, name)
        except errors.NoSuchBucket:
            return None

    async def _bucket(
        self,
        bucket: str,
        versioning: str,
        config: lc.Config,
        counters: Counters,
        now: float | None,
    ) -> None:
        raw = await self._doc(bucket, DOC_CURSOR)
        cursor = json.loads(raw) if raw else {}
        if cursor:
            counters.resumed += 1
            LOG.info("lifecycle: bucket %s: resuming at %s", bucket, cursor)
        key_marker = cursor.get("key_marker", "")
        if cursor.get("phase", "versions") == "versions":
            needs_versions = any(
                r.expires_current
                or r.noncurrent_days is not None
                or r.expired_object_delete_marker
                for r in config.active
            )
            if needs_versions:
                async for versions, resume in self._keys(bucket, key_marker):
                    counters.scanned += len(versions)
                    await self._key(bucket, versioning, config, versions, counters, now)
                    if resume is not None:
                        # A batch ended: remember where, let requests run.
                        await self._save(
                            bucket, {"phase": "versions", "key_marker": resume}
                        )
                        await asyncio.sleep(0)
            key_marker = ""
        if any(r.abort_days is not None for r in config.active):
            await self._uploads(bucket, config, counters, now, key_marker)
        if raw or bucket in self._cursors:
            self._cursors.discard(bucket)
            await self.storage.delete_bucket_doc(bucket, DOC_CURSOR)

    async def _save(self, bucket: str, cursor: dict) -> None:
        self._cursors.add(bucket)
        await self.storage.put_bucket_doc(
            bucket, DOC_CURSOR, json.dumps(cursor).encode()
        )

    async def _keys(
        self, bucket: str, key_marker: str
    ) -> AsyncIterator[tuple[list[ObjectInfo], str | None]]:
        """(a key's versions newest first, resume marker) per key; the resume
        marker is set on the last complete key of each listed batch."""
        version_marker = ""
        pending: list[ObjectInfo] = []
        while True:
            page = await self.storage.list_object_versions(
                bucket,
                key_marker=key_marker,
                version_id_marker=version_marker,
                max_keys=self.batch,
            )
            groups: list[list[ObjectInfo]] = []
            for info in page.versions:
                if pending and pending[-1].key != info.key:
                    groups.append(pending)
                    pending = []
                pending.append(info)
            if not page.is_truncated and pending:
                groups.append(pending)
                pending = []
            for i, group in enumerate(groups):
                last = page.is_truncated and i == len(groups) - 1
                yield group, group[0].key if last else None
            if not page.is_truncated:
                return
            key_marker = page.next_key_marker or ""
            version_marker = page.next_version_id_marker or ""

    async def _tags(self, info: ObjectInfo) -> dict[str, str]:
        if not info.system_meta.get(tagging.COUNT_HEADER):
            return {}
        raw = await self.storage.get_object_doc(
            info.bucket, info.key, info.version_id, tagging.DOC
        )
        return dict(tagging.parse_stored(raw))

    async def _matches(self, rule: lc.Rule, info: ObjectInfo) -> bool:
        if info.is_delete_marker:
            return not rule.tags and info.key.startswith(rule.prefix)
        if not rule.matches_untagged(info.key, info.size):
            return False
        # Tags are read only when the rest of the filter matched.
        return not rule.tags or rule.matches_tags(await self._tags(info))

    async def _remove(
        self, info: ObjectInfo, versioning: str, counters: Counters
    ) -> bool:
        """Permanently remove one version unless a lock protects it."""
        if versioning:
            reason = await object_lock.delete_refusal(
                self.storage, info.bucket, info.key, info.version_id
            )
            if reason is not None:
                counters.locked_skipped += 1
                return False
        await self.storage.delete_object(info.bucket, info.key, info.version_id)
        return True

    async def _key(
        self,
        bucket: str,
        versioning: str,
        config: lc.Config,
        versions: list[ObjectInfo],
        counters: Counters,
        now: float | None,
    ) -> None:
        now = time.time() if now is None else now
        day = self.day_seconds
        key = versions[0].key
        rules = [r for r in config.active if r.matches_key(key)]
        if not rules:
            return
        alive = list(versions)
        # Noncurrent versions: each became noncurrent when its newer
        # neighbour was written.
        for rule in rules:
            if rule.noncurrent_days is None:
                continue
            kept = 0
            for i in range(1, len(alive)):
                info = alive[i]
                if info is None:
                    continue
                if not await self._matches(rule, info):
                    continue
                if kept < rule.newer_noncurrent:
                    kept += 1
                    continue
                since = versions[i - 1].last_modified
                if now < lc.after_days(since, rule.noncurrent_days, day):
                    continue
                if await self._remove(info, versioning, counters):
                    counters.noncurrent_expired += 1
                    alive[i] = None  # type: ignore[call-overload]
        remaining = [v for v in alive if v is not None]
        current = remaining[0] if remaining and remaining[0].is_latest else None
        if current is None:
            return
        if not current.is_delete_marker:
            due: float | None = None
            for rule in rules:
                if rule.expires_current and await self._matches(rule, current):
                    when = lc.current_expiry(rule, current.last_modified, day)
                    if when is not None and (due is None or when < due):
                        due = when
            if due is not None and now >= due:
                await self._expire_current(current, counters)
            return
        if len(remaining) != 1:
            return
        # An expired object delete marker: the only version left.
        for rule in rules:
            if rule.tags:
                continue
            due = None
            if rule.expired_object_delete_marker:
                due = current.last_modified
            elif rule.expires_current:
                due = lc.current_expiry(rule, current.last_modified, day)
            if due is not None and now >= due:
                await self.storage.delete_object(bucket, key, current.version_id)
                counters.delete_markers_removed += 1
                return

    async def _expire_current(self, listed: ObjectInfo, counters: Counters) -> None:
        # Check again just before acting: a version written since the listing
        # is not the one the rule expired.
        try:
            info = await self.storage.head_object(listed.bucket, listed.key)
        except errors.NoSuchKey:
            return
        if (
            info.version_id != listed.version_id
            or info.etag != listed.etag
            or info.last_modified != listed.last_modified
        ):
            return
        # Versioned: a delete marker on top (a lock allows that); else gone.
        await self.storage.delete_object(listed.bucket, listed.key)
        counters.expired += 1

    async def _uploads(
        self,
        bucket: str,
        config: lc.Config,
        counters: Counters,
        now: float | None,
        key_marker: str,
    ) -> None:
        now = time.time() if now is None else now
        rules = [r for r in config.active if r.abort_days is not None and not r.tags]
        upload_marker = ""
        while True:
            page = await self.storage.list_multipart_uploads(
                bucket,
                key_marker=key_marker,
                upload_id_marker=upload_marker,
                max_uploads=self.batch,
            )
            for upload in page.uploads:
                for rule in rules:
                    assert rule.abort_days is not None
                    if not rule.matches_key(upload.key):
                        continue
                    if now < lc.after_days(
                        upload.initiated, rule.abort_days, self.day_seconds
                    ):
                        continue
                    try:
                        await self.storage.abort_multipart_upload(
                            bucket, upload.key, upload.upload_id
                        )
                        counters.uploads_aborted += 1
                    except errors.NoSuchUpload:
                        pass
                    break
            if not page.is_truncated:
                return
            await self._save(
                bucket, {"phase": "uploads", "key_marker": page.next_key_marker or ""}
            )
            await asyncio.sleep(0)
            key_marker = page.next_key_marker or ""
            upload_marker = page.next_upload_id_marker or ""
