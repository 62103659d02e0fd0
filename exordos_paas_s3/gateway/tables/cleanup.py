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
"""The cleanup operations of table maintenance, each planned or committed.

- ``expire-snapshots``: drops snapshots no ref needs (Iceberg's rule: a
  branch keeps its head, its ``min-snapshots-to-keep`` newest ancestors and
  every ancestor younger than ``max-snapshot-age-ms``; a tag keeps its
  snapshot; a snapshot on no branch lives until it is older than the age).
  Committed as one ``remove-snapshots`` commit guarded by every ref's
  ``assert-ref-snapshot-id``: a ref moved meanwhile replans.
- ``clean-metadata``: deletes metadata JSON files older than the current one
  beyond the ``retain-recent-metadata-files`` newest.
- ``remove-orphan-files``: deletes objects under the table location that no
  snapshot of the current metadata names (manifest lists, manifests, data
  and delete files, statistics) and no metadata file is, last written before
  the safety window (``orphan-older-than-ms``): a writer's files not yet
  committed are younger than that.

Jobs, leases and the order of operations are ``maintenance.py``'s; the
binpack rewrite is ``compaction.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from exordos_paas_s3.gateway import errors as s3_errors
from exordos_paas_s3.gateway.tables import catalog as cat
from exordos_paas_s3.gateway.tables import manifests
from exordos_paas_s3.gateway.tables.maintenance import (
    CLEAN_METADATA,
    EXPIRE,
    ORPHANS,
    _event,
    _sample,
    now_ms,
)

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

LOG = logging.getLogger(__name__)

# Objects one orphan scan lists at most under a table location.
MAX_SCAN_OBJECTS = 1_000_000
# Plans of a commit that lost a race with another commit, at most.
REPLANS = 3


def plan_expiry(
    metadata: TableMetadata, config: dict[str, Any], now: int
) -> tuple[list[int], dict[int, str]]:
    """(snapshot ids to expire, why each kept one is kept)."""
    from pyiceberg.table.refs import SnapshotRefType
    from pyiceberg.table.snapshots import ancestors_of

    kept: dict[int, str] = {}
    on_branch: set[int] = set()
    for ref_name, ref in sorted(metadata.refs.items()):
        kept.setdefault(ref.snapshot_id, f"head of {ref_name}")
        if ref.snapshot_ref_type != SnapshotRefType.BRANCH:
            continue
        keep_n = ref.min_snapshots_to_keep or config["min-snapshots-to-keep"]
        max_age = ref.max_snapshot_age_ms
        if max_age is None:
            max_age = config["max-snapshot-age-ms"]
        head = metadata.snapshot_by_id(ref.snapshot_id)
        for i, snapshot in enumerate(ancestors_of(head, metadata)):
            on_branch.add(snapshot.snapshot_id)
            if i < keep_n:
                kept.setdefault(snapshot.snapshot_id, f"recent on {ref_name}")
            elif snapshot.timestamp_ms >= now - max_age:
                kept.setdefault(snapshot.snapshot_id, f"young on {ref_name}")
    for snapshot in metadata.snapshots:
        sid = snapshot.snapshot_id
        if sid in kept or sid in on_branch:
            continue
        if snapshot.timestamp_ms >= now - config["max-snapshot-age-ms"]:
            kept[sid] = "young, on no branch"
    expire = [s.snapshot_id for s in metadata.snapshots if s.snapshot_id not in kept]
    return expire, kept


async def expire_snapshots(
    catalog: cat.Catalog,
    bucket: str,
    levels: tuple[str, ...],
    name: str,
    config: dict[str, Any],
    dry: bool,
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    for _ in range(REPLANS):
        _, metadata = await catalog.load_table(bucket, levels, name)
        expire, kept = plan_expiry(metadata, config, now_ms())
        field = "would-expire-snapshot-ids" if dry else "expired-snapshot-ids"
        result: dict[str, Any] = {
            field: expire,
            "retained-snapshot-ids": sorted(kept),
        }
        if dry or not expire:
            events.append(_event(EXPIRE + "-planned", snapshots=len(expire)))
            return result
        body = {
            "requirements": [
                {
                    "type": "assert-ref-snapshot-id",
                    "ref": ref_name,
                    "snapshot-id": ref.snapshot_id,
                }
                for ref_name, ref in sorted(metadata.refs.items())
            ]
            + [{"type": "assert-table-uuid", "uuid": str(metadata.table_uuid)}],
            "updates": [{"action": "remove-snapshots", "snapshot-ids": expire}],
        }
        try:
            location, _ = await catalog.commit_table(bucket, levels, name, body)
        except cat.CommitFailed:
            continue  # a ref moved meanwhile: plan again
        result["metadata-location"] = location
        events.append(
            _event(EXPIRE + "-committed", snapshot_ids=expire, metadata=location)
        )
        return result
    raise cat.CommitFailed(
        f"{EXPIRE}: the table kept changing for {REPLANS} plans; retry"
    )


# --- clean-metadata --------------------------------------------------------


async def _list(
    catalog: cat.Catalog, bucket: str, prefix: str, limit: int = MAX_SCAN_OBJECTS
) -> list[Any]:
    out: list[Any] = []
    marker = ""
    while len(out) < limit:
        page = await catalog._storage.list_objects(
            bucket, prefix=prefix, start_after=marker
        )
        out.extend(page.objects)
        if not page.is_truncated or not page.objects:
            break
        marker = page.objects[-1].key
    return out


async def _delete(catalog: cat.Catalog, bucket: str, keys: list[str]) -> int:
    deleted = 0
    for key in keys:
        catalog._metadata.pop(f"s3://{bucket}/{key}", None)
        try:
            await catalog._storage.delete_object(bucket, key)
            deleted += 1
        except s3_errors.S3Error as exc:
            LOG.warning("maintenance could not delete %s/%s: %s", bucket, key, exc)
    return deleted


async def clean_metadata(
    catalog: cat.Catalog,
    bucket: str,
    levels: tuple[str, ...],
    name: str,
    config: dict[str, Any],
    dry: bool,
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    location, metadata = await catalog.load_table(bucket, levels, name)
    current = cat._metadata_version(location)
    prefix = cat._key_of(bucket, metadata.location).rstrip("/") + "/metadata/"
    older = []
    for info in await _list(catalog, bucket, prefix):
        version = cat._metadata_version(info.key)
        # Newer than current: a commit in flight (or one that lost its
        # race and is being removed); never touched here.
        if version < 0 or version >= current:
            continue
        if f"s3://{bucket}/{info.key}" == location:
            continue
        older.append((version, info.key))
    older.sort(reverse=True)
    retain = config["retain-recent-metadata-files"]
    # The current file counts as one of the retained.
    doomed = [key for _, key in older[max(retain - 1, 0) :]]
    result: dict[str, Any] = {
        "metadata-files": len(older) + 1,
        "retained": len(older) + 1 - len(doomed),
    }
    if dry:
        result["would-delete"] = len(doomed)
        result["sample"] = _sample(doomed)
        events.append(_event(CLEAN_METADATA + "-planned", files=len(doomed)))
        return result
    result["deleted"] = await _delete(catalog, bucket, doomed)
    events.append(
        _event(
            CLEAN_METADATA + "-deleted",
            files=result["deleted"],
            sample=_sample(doomed),
        )
    )
    return result


# --- remove-orphan-files -----------------------------------------------------


async def referenced_files(
    catalog: cat.Catalog, bucket: str, metadata: TableMetadata
) -> set[str]:
    """Every file the metadata's snapshots and statistics name."""
    refs: set[str] = set()
    seen_manifests: set[str] = set()
    for snapshot in metadata.snapshots:
        refs.add(snapshot.manifest_list)
        for manifest in await catalog._manifest_files(bucket, snapshot.manifest_list):
            path = manifest.manifest_path
            refs.add(path)
            if path in seen_manifests:
                continue
            seen_manifests.add(path)
            data = await catalog._read_file(bucket, path)
            if data is None:
                continue
            refs.update(await asyncio.to_thread(manifests.entry_paths, manifest, data))
    for stats in list(metadata.statistics) + list(metadata.partition_statistics):
        refs.add(stats.statistics_path)
    return refs


async def plan_orphans(
    catalog: cat.Catalog, bucket: str, metadata: TableMetadata, older_than_ms: int
) -> tuple[list[str], int]:
    """(orphan keys older than the window, objects scanned)."""
    referenced = await referenced_files(catalog, bucket, metadata)
    root = cat._key_of(bucket, metadata.location).rstrip("/") + "/"
    meta_prefix = root + "metadata/"
    cutoff = time.time() - older_than_ms / 1000
    orphans = []
    scanned = await _list(catalog, bucket, root)
    for info in scanned:
        if f"s3://{bucket}/{info.key}" in referenced:
            continue
        if info.key.startswith(meta_prefix) and (cat._metadata_version(info.key) >= 0):
            continue  # metadata JSON: clean-metadata's business
        if info.last_modified > cutoff:
            continue
        orphans.append(info.key)
    return orphans, len(scanned)


async def remove_orphans(
    catalog: cat.Catalog,
    bucket: str,
    levels: tuple[str, ...],
    name: str,
    config: dict[str, Any],
    dry: bool,
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    _, metadata = await catalog.load_table(bucket, levels, name)
    orphans, scanned = await plan_orphans(
        catalog, bucket, metadata, config["orphan-older-than-ms"]
    )
    result: dict[str, Any] = {
        "objects-scanned": scanned,
        "orphan-files": len(orphans),
        "older-than-ms": config["orphan-older-than-ms"],
    }
    if dry:
        result["sample"] = _sample(orphans)
        events.append(_event(ORPHANS + "-planned", files=len(orphans)))
        return result
    # Files a commit landed meanwhile must survive: re-read the current
    # metadata and spare whatever it names now.
    _, latest = await catalog.load_table(bucket, levels, name)
    if latest is not metadata:
        now_referenced = await referenced_files(catalog, bucket, latest)
        orphans = [k for k in orphans if f"s3://{bucket}/{k}" not in now_referenced]
    result["deleted"] = await _delete(catalog, bucket, orphans)
    events.append(
        _event(ORPHANS + "-deleted", files=result["deleted"], sample=_sample(orphans))
    )
    return result
