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
"""The verify pass (issue 11, item 7; seed 001's "verification pass").

Re-reads the blobs of a bucket's object versions from the blob store and
recomputes what the index recorded when they were written: each blob's
length, the MD5 (the ETag of a single upload; for a multipart object the
MD5 of the parts' MD5s, "-N"), and the stored full-object checksums
(CRC32, CRC32C, SHA1, SHA256, CRC64NVME). Composite multipart checksums
are not recomputed (the ETag already covers every part's MD5).

A call checks at most ``limit`` versions from a cursor and answers the next
cursor: a rerun from it continues where the previous call stopped, so a
large bucket is verified in bounded calls and an interrupted run resumes.
``sample`` checks each version with that probability; ``rate`` caps the
bytes read per second (the pass shares the upstream with clients).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import logging
import random
import time
from typing import Any

import orjson

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import blobs, local_ingest

LOG = logging.getLogger(__name__)

HASH_BLOCK = 1 << 20


class BadCursor(ValueError):
    """A cursor this pass did not make."""


def encode_cursor(key: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([key, row_id])).decode()


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        key, row_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadCursor("cursor is not one a verify call answered") from None
    if not isinstance(key, str) or type(row_id) is not int:
        raise BadCursor("cursor is not one a verify call answered")
    return key, row_id


@dataclasses.dataclass
class Summary:
    bucket: str
    checked: int = 0  # versions whose blobs were read
    skipped: int = 0  # versions left out of the sample
    ok: int = 0
    missing: int = 0  # versions with a blob the store does not have
    mismatched: int = 0  # versions whose bytes differ from the index
    bytes: int = 0
    seconds: float = 0.0
    cursor: str | None = None  # where the next call continues; None: done
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _Pace:
    """At most ``rate`` bytes a second, on average since the start."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.read = 0

    async def took(self, n: int) -> None:
        self.read += n
        if self.rate > 0:
            ahead = self.read / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                await asyncio.sleep(ahead)


def _update(hashers: list[Any], block: list[bytes]) -> None:
    for hasher in hashers:
        for chunk in block:
            hasher.update(chunk)


async def _read_blob(
    store: blobs.BlobStore, blob_id: str, hashers: list[Any], pace: _Pace
) -> int | None:
    """Feed the blob to the hashers; its length, or None when it is missing."""
    loop = asyncio.get_running_loop()
    try:
        stream = await store.open(blob_id)
    except blobs.BlobMissing:
        return None
    size = 0
    block: list[bytes] = []
    held = 0
    async for chunk in stream:
        size += len(chunk)
        block.append(chunk)
        held += len(chunk)
        if held >= HASH_BLOCK:
            # Hashing off the loop: the gateway keeps serving meanwhile.
            await loop.run_in_executor(None, _update, hashers, block)
            await pace.took(held)
            block, held = [], 0
    if block:
        await loop.run_in_executor(None, _update, hashers, block)
        await pace.took(held)
    return size


async def _check_version(
    store: blobs.BlobStore,
    bucket: str,
    row: tuple,
    pace: _Pace,
) -> list[dict[str, Any]]:
    key, version_id, _row_id, size, etag, meta, ids = row
    where = {"bucket": bucket, "key": key, "version_id": version_id}
    checksums = meta.get("c") or {}
    full = {
        alg: value
        for alg, value in checksums.items()
        if alg != "type" and checksums.get("type", "FULL_OBJECT") == "FULL_OBJECT"
    }
    try:
        whole = local_ingest.new_hashers(full, False)
    except errors.S3Error:
        whole = local_ingest.new_hashers((), False)  # an algorithm unknown here
        full = {}
    whole.pop("MD5")
    sizes = (meta.get("p") or [size]) if len(ids) > 1 else [size]
    problems: list[dict[str, Any]] = []
    part_md5s: list[bytes] = []
    for blob_id, want in zip(ids, sizes, strict=False):
        md5 = hashlib.md5()
        got = await _read_blob(store, blob_id, [md5, *whole.values()], pace)
        if got is None:
            problems.append({**where, "blob_id": blob_id, "problem": "missing"})
            continue
        if got != want:
            problems.append(
                {
                    **where,
                    "blob_id": blob_id,
                    "problem": "size",
                    "expected": want,
                    "got": got,
                }
            )
        part_md5s.append(md5.digest())
    if problems:
        return problems
    if len(ids) == 1:
        got_etag = part_md5s[0].hex()
    else:
        combined = hashlib.md5(b"".join(part_md5s)).hexdigest()
        got_etag = f"{combined}-{len(ids)}"
    if got_etag != etag:
        problems.append(
            {
                **where,
                "blob_ids": ids,
                "problem": "md5",
                "expected": etag,
                "got": got_etag,
            }
        )
    for alg, want_b64 in full.items():
        got_b64 = base64.b64encode(whole[alg.upper()].digest()).decode()
        if got_b64 != want_b64:
            problems.append(
                {
                    **where,
                    "blob_ids": ids,
                    "problem": "checksum",
                    "algorithm": alg,
                    "expected": want_b64,
                    "got": got_b64,
                }
            )
    return problems


async def verify(
    storage: Any,
    bucket: str,
    *,
    cursor: str | None = None,
    limit: int = 1000,
    sample: float = 1.0,
    rate: float = 0.0,
) -> tuple[list[dict[str, Any]], Summary]:
    """Check up to ``limit`` versions of ``bucket`` after ``cursor``; the
    problems found (one dict each) and the summary with the next cursor.
    ``storage``: an index with a blob store (``versions_to_verify``)."""
    started = time.monotonic()
    after = decode_cursor(cursor) if cursor else None
    summary = Summary(bucket=bucket)
    problems: list[dict[str, Any]] = []
    pace = _Pace(rate)
    rows = await storage.versions_to_verify(bucket, after, limit)
    for row in rows:
        if sample < 1.0 and random.random() >= sample:  # noqa: S311 - a sample
            summary.skipped += 1
            continue
        found = await _check_version(storage.blob_store, bucket, row, pace)
        summary.checked += 1
        if not found:
            summary.ok += 1
        elif any(p["problem"] == "missing" for p in found):
            summary.missing += 1
        else:
            summary.mismatched += 1
        problems.extend(found)
    summary.bytes = pace.read
    summary.done = len(rows) < limit
    if rows and not summary.done:
        summary.cursor = encode_cursor(rows[-1][0], rows[-1][2])
    summary.seconds = round(time.monotonic() - started, 3)
    for problem in problems:
        LOG.warning("verify: %s", orjson.dumps(problem).decode())
    return problems, summary
