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
"""A blob store + the SQLite index (``--blob-store s3 --index sqlite``).

The index is the local backend's (``local_index``: same schema, same writer
thread with group commit, same read caches), in a file of its own,
``upstream-index.sqlite``, so that a data directory once served by the local
backend is never read as naming blobs, nor the reverse. The ``file`` column
names blobs instead of files: one blob id for a simple object or a part, the
part blob ids joined by "," for a completed multipart object (the parts are
the object; no server-side concatenation, ``part_sizes`` in the row maps a
range onto them). Every body goes to the blob store, however small: the
bytes live upstream only. The index records which blob store it belongs to
(``blob_store`` table) and refuses to start over another one.

A write streams the body to a new blob while hashing it, checks
``Expected``, then commits the row with the ``Precondition`` in the index
writer's transaction; anything failing before the commit deletes the blob.
Blobs an overwrite, a delete, a part re-upload, an abort or a completion
makes obsolete are deleted after the commit, after a grace period that lets
a read which resolved the old version just before finish. Deletion is
idempotent; a crash between the commit and the deletion (or an upstream that
refuses the deletion) leaves an orphan blob, which the GC pass
(``blob_gc``) removes: blobs no row names, older than its grace.

A read holds a lease on the blobs it resolved until its last byte (or until
it is dropped): an obsolete blob whose grace ended while leased is deleted
when the last lease on it ends, and the GC pass skips leased blobs too
(docs/decisions/0012-blob-gc.md states the whole rule).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base, blobs, local, local_ingest
from exordos_paas_s3.gateway.storage import local_index as idx

if TYPE_CHECKING:
    from exordos_paas_s3.gateway import sse

LOG = logging.getLogger(__name__)

T = TypeVar("T")

INDEX_FILE = "upstream-index.sqlite"
# Hashing is handed to a worker thread in blocks of this size (hashlib and
# zlib release the GIL on big buffers): the loop never hashes a large body.
HASH_BLOCK = 1 << 20
SEPARATOR = ","


def _update(hashers: dict[str, Any], block: list[bytes]) -> None:
    for hasher in hashers.values():
        update = hasher.update
        for chunk in block:
            update(chunk)


class _Writer(local._IndexWriter):
    """The local index writer, but obsolete "files" are blob ids, handed
    to the storage for deletion when their grace period ends."""

    def __init__(self, *args: Any, forget: Callable[[list[str]], None]) -> None:
        super().__init__(*args)
        self._forget = forget

    def _reap(self, everything: bool) -> None:
        now = time.monotonic()
        due: list[str] = []
        while self._doomed and (everything or self._doomed[0][0] <= now):
            due.append(self._doomed.popleft()[1])
        if due:
            self._forget(due)


class _Lease:
    """A read's hold on the blobs it resolved; released once, when the
    stream ends or when the reader is dropped unread (``__del__``)."""

    __slots__ = ("_storage", "_ids")

    def __init__(self, storage: UpstreamStorage, ids: list[str]) -> None:
        self._storage = storage
        self._ids: list[str] | None = ids
        storage._hold(ids)

    def release(self) -> None:
        ids, self._ids = self._ids, None
        if ids is not None:
            self._storage._unhold(ids)

    def __del__(self) -> None:
        self.release()


class _BlobData(base.StoredData):
    """The blobs of one resolved version (ObjectReader.stored), read by
    ranged opens of those very ids under the reader's lease (released by
    ``close``)."""

    def __init__(
        self,
        storage: UpstreamStorage,
        ids: list[str],
        sizes: list[int],
        lease: _Lease,
    ) -> None:
        self._storage = storage
        self._ids = ids
        self._sizes = sizes
        self._total = sum(sizes)
        self._lease = lease

    async def read(self, offset: int, size: int) -> bytes:
        size = max(0, min(size, self._total - offset))
        chunks = self._storage._blob_chunks(self._ids, self._sizes, offset, size)
        return b"".join([chunk async for chunk in chunks])

    def close(self) -> None:
        self._lease.release()


class UpstreamStorage(local.LocalStorage):
    """Object bytes in a BlobStore, the index in SQLite; see the module
    docstring."""

    def __init__(
        self,
        data_dir: str,
        blob_store: blobs.BlobStore,
        *,
        name: str,
        fsync: bool = True,
        unlink_grace: float = 60.0,
        workers: int = 16,
    ) -> None:
        """``name``: what identifies the blob store (e.g. the upstream
        bucket); the index refuses to start over a store of another name."""
        super().__init__(
            data_dir,
            fsync=fsync,
            inline_max=-1,
            unlink_grace=unlink_grace,
            workers=workers,
        )
        self._blobs = blob_store
        self._name = name
        self._db_path = os.path.join(self._root, INDEX_FILE)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deleting: set[asyncio.Task] = set()
        # blob id -> reads streaming it now; obsolete blobs whose grace
        # ended while leased wait in _deferred for the last lease to end.
        self._leases: dict[str, int] = {}
        self._deferred: set[str] = set()
        # One GC pass at a time: this gateway owns its SQLite index, so an
        # in-process lock is the whole guard (a shared index takes a lock
        # in the index itself; see gc_turn).
        self._gc_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<UpstreamStorage {self._blobs!r} index={self._db_path}>"

    def _path(self, file: str) -> str:
        # What the writer retires after a commit: the blob ids themselves.
        return file

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._blobs.start()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="s3-upstream"
        )
        await self._run(lambda: os.makedirs(self._root, exist_ok=True))
        # The bytes are upstream, but the SQLite index is on the data disk:
        # the same reserve keeps deletes committing when that disk fills.
        await self._run(self._reserve.adopt)
        self._writer = _Writer(
            self._db_path,
            self._objects,
            self._dir_fds,
            self._fsync,
            self._grace,
            self._after_commit,
            self._reserve,
            self.commit_stats,
            forget=self._forget_threadsafe,
        )
        await self._writer.start()
        if not await self._run(self._reserve.acquire):
            LOG.warning(
                "The data disk %s is full: writes are refused until space is "
                "freed (deletes and aborts work)",
                self._root,
            )
        await self._write(self._bind)

    def _bind(self, tx: local._Tx) -> None:
        tx.conn.execute("CREATE TABLE IF NOT EXISTS blob_store (name TEXT NOT NULL)")
        row = tx.conn.execute("SELECT name FROM blob_store").fetchone()
        if row is None:
            tx.conn.execute("INSERT INTO blob_store (name) VALUES (?)", (self._name,))
        elif row[0] != self._name:
            raise RuntimeError(
                f"The index {self._db_path} names blobs of {row[0]!r}, not of "
                f"{self._name!r}: refusing to serve it over another blob store"
            )

    async def readiness(self) -> dict[str, str]:
        checks = await super().readiness()
        await self._blobs.readiness()
        return {**checks, "blob_store": "ok"}

    async def close(self) -> None:
        # Stopping the writer retires every doomed blob at once (its
        # deletions are queued on this loop before the stop returns).
        await super().close()
        if self._deleting:
            await asyncio.gather(*self._deleting, return_exceptions=True)
        await self._blobs.close()

    # --- blobs -------------------------------------------------------------------

    def _forget_threadsafe(self, files: list[str]) -> None:
        # Called by the writer thread (and by close, on the loop's behalf).
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._forget, files)

    def _forget(self, files: list[str]) -> None:
        """Delete these blobs in the background (a failure leaves an orphan
        for the GC pass, logged); a leased one when its last read ends."""
        for file in files:
            for blob_id in file.split(SEPARATOR):
                if blob_id in self._leases:
                    self._deferred.add(blob_id)
                else:
                    self._delete_soon(blob_id)

    def _delete_soon(self, blob_id: str) -> None:
        task = asyncio.ensure_future(self._delete_blob(blob_id))
        self._deleting.add(task)
        task.add_done_callback(self._deleting.discard)

    # --- read leases (on the loop's thread; __del__ may run elsewhere) ------

    def _hold(self, ids: list[str]) -> None:
        leases = self._leases
        for blob_id in ids:
            leases[blob_id] = leases.get(blob_id, 0) + 1

    def _unhold(self, ids: list[str]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._unhold_now(ids)
        else:
            loop.call_soon_threadsafe(self._unhold_now, ids)

    def _unhold_now(self, ids: list[str]) -> None:
        leases = self._leases
        for blob_id in ids:
            count = leases.get(blob_id, 0) - 1
            if count > 0:
                leases[blob_id] = count
                continue
            leases.pop(blob_id, None)
            if blob_id in self._deferred:
                self._deferred.discard(blob_id)
                self._delete_soon(blob_id)

    def leased(self, blob_id: str) -> bool:
        """Whether a read on this gateway streams the blob now."""
        return blob_id in self._leases

    # --- what the GC pass asks of the index (plain SQL: ports to any index) --

    @property
    def blob_store(self) -> blobs.BlobStore:
        return self._blobs

    @contextlib.asynccontextmanager
    async def gc_turn(self) -> AsyncIterator[bool]:
        """Whether this gateway may run a GC pass now (one at a time across
        every gateway of the index). A shared index implements it with a
        lock held in the index (PostgreSQL: ``pg_try_advisory_lock``)."""
        if self._gc_lock.locked():
            yield False
            return
        async with self._gc_lock:
            yield True

    async def referenced_blobs(self) -> set[str]:
        """Every blob id a row names (versions, parts of open uploads,
        each part of a completed multipart object), read in one snapshot:
        a completion moving parts into a version is seen whole or not at
        all."""

        def query(conn: Any) -> set[str]:
            found: set[str] = set()
            for (file,) in conn.execute(
                "SELECT file FROM versions WHERE file IS NOT NULL "
                "UNION ALL SELECT file FROM parts"
            ):
                found.update(file.split(SEPARATOR))
            return found

        return await self._read(query)

    async def retiring_blobs(self) -> set[str]:
        """Blobs this gateway made obsolete and will delete itself: in
        their grace period (the writer's queue) or held by a lease."""
        assert self._writer is not None
        writer = self._writer
        # Read on the writer's thread, which alone touches its queue.
        doomed = await self._write(
            lambda tx: {
                blob_id
                for _deadline, file in writer._doomed
                for blob_id in file.split(SEPARATOR)
            }
        )
        return doomed | self._deferred | set(self._leases)

    async def versions_to_verify(
        self, bucket: str, after: tuple[str, int] | None, limit: int
    ) -> list[tuple[str, str, int, int, str, dict[str, Any], list[str]]]:
        """Object versions of ``bucket`` holding data, in (key, row id)
        order after the cursor ``after``: (key, version id, row id, size,
        etag, meta document (checksums "c", part sizes "p"), blob ids)."""
        self._bucket(None, bucket)  # NoSuchBucket

        def query(conn: Any) -> list:
            sql = (
                "SELECT key, version_id, id, size, etag, meta, file FROM versions "
                "WHERE bucket = ? AND file IS NOT NULL "
            )
            args: tuple = (bucket,)
            if after is not None:
                sql += "AND (key > ? OR (key = ? AND id > ?)) "
                args += (after[0], after[0], after[1])
            rows = conn.execute(sql + "ORDER BY key, id LIMIT ?", (*args, limit))
            return [
                (
                    key,
                    vid,
                    row_id,
                    size,
                    etag,
                    orjson.loads(meta),
                    file.split(SEPARATOR),
                )
                for key, vid, row_id, size, etag, meta, file in rows
            ]

        return await self._read(query)

    async def _delete_blob(self, blob_id: str) -> None:
        try:
            await self._blobs.delete(blob_id)
        except Exception as exc:  # noqa: BLE001 - an orphan for the GC pass
            LOG.warning("blob %s left as an orphan: %s", blob_id, exc)

    async def _commit(self, job: Callable[[local._Tx], T], blob_id: str) -> T:
        """Run a job that makes the index name ``blob_id``; the blob is
        deleted unless the job commits. A caller cancelled meanwhile (a
        client gone) must not delete it: the job runs on in the writer and
        may still commit, so the blob's fate follows the job's outcome."""
        assert self._writer is not None, "UpstreamStorage.start() was not called"
        fut = self._writer.submit(job)

        def settled(done: asyncio.Future) -> None:
            if done.cancelled() or done.exception() is not None:
                self._forget([blob_id])

        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            fut.add_done_callback(settled)
            raise
        except BaseException:
            self._forget([blob_id])
            raise

    async def _ingest(
        self,
        body: base.ByteStream,
        algorithms: Sequence[str],
        want_sha256: bool,
        expected_size: int | None,
    ) -> tuple[str, base.Digests]:
        """Stream ``body`` into a new blob while hashing it; the blob id and
        the digests. On any failure the blob is deleted."""
        algorithms = tuple(algorithms)
        hashers = local_ingest.new_hashers(algorithms, want_sha256)
        loop = asyncio.get_running_loop()
        size = 0

        async def hashed() -> base.ByteStream:
            nonlocal size
            block: list[bytes] = []
            held = 0
            async for chunk in body:
                if not chunk:
                    continue
                size += len(chunk)
                block.append(chunk)
                held += len(chunk)
                if held >= HASH_BLOCK:
                    await loop.run_in_executor(self._pool, _update, hashers, block)
                    for piece in block:
                        yield piece
                    block, held = [], 0
            if block:
                # A small body is hashed on the loop: cheaper than a hop.
                if held >= 64 * 1024:
                    await loop.run_in_executor(self._pool, _update, hashers, block)
                else:
                    _update(hashers, block)
                for piece in block:
                    yield piece
            if expected_size is not None and size != expected_size:
                raise errors.IncompleteBody()

        blob_id = blobs.new_blob_id()
        try:
            await self._blobs.put(blob_id, hashed(), expected_size)
        except BaseException:
            self._forget([blob_id])
            raise
        digests = local_ingest.make_digests(hashers, size, algorithms, want_sha256)
        return blob_id, digests

    # --- objects -----------------------------------------------------------------

    async def put_object(
        self,
        req: base.PutRequest,
        body: base.ByteStream,
        expected: base.Expected | None = None,
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        if req.encryption is not None:
            base.refuse_encryption(req.encryption)
        blob_id, digests = await self._ingest(
            body, req.checksum_algorithms, req.want_sha256, req.expected_size
        )
        try:
            if expected is not None:
                expected.check(digests)
            checksums = {alg: local._b64(raw) for alg, raw in digests.checksums.items()}
            if checksums:
                checksums["type"] = "FULL_OBJECT"
            new = local._NewVersion(
                size=digests.size,
                etag=digests.md5.hex(),
                owner_id=req.owner_id,
                content_type=req.content_type,
                storage_class=req.storage_class,
                system_meta=dict(req.system_meta),
                user_meta=dict(req.user_meta),
                checksums=checksums,
                file=blob_id,
            )
        except BaseException:
            self._forget([blob_id])
            raise
        quota = expected.quota if expected is not None else None
        return await self._commit(
            lambda tx: self._commit_version(
                tx, req.bucket, req.key, new, precondition, quota
            ),
            blob_id,
        )

    async def open_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        start: int = 0,
        length: int | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> base.ObjectReader:
        if customer_key is not None:
            base.refuse_encryption(customer_key=customer_key)
        row = await self._row_for_read(bucket, key, version_id)
        if row[idx.ROW_FILE] is None:
            # Not written by this backend's PUT (every body is a blob).
            raise errors.InternalError("The object has no data in the index.")
        info = idx.row_to_info(bucket, row)
        start = max(0, min(start, info.size))
        available = info.size - start
        length = available if length is None else max(0, min(length, available))
        ids = row[idx.ROW_FILE].split(SEPARATOR)
        sizes = info.part_sizes if len(ids) > 1 else [info.size]
        # The reader keeps the blob ids it resolved and leases them until
        # its last byte: an overwrite meanwhile does not change what it
        # streams, however long it takes. The lease is taken now, within
        # the grace period of a commit that may have retired them since.
        lease = _Lease(self, ids)
        return base.ObjectReader(
            info,
            start,
            length,
            lambda: self._blob_stream(ids, sizes, start, length, lease),
            stored=lambda: _BlobData(self, ids, sizes, lease),
        )

    async def _row_for_read(
        self, bucket: str, key: str, version_id: str | None
    ) -> tuple:
        # A point lookup: on the loop thread, as the local backend does.
        return self._object_row(bucket, key, version_id, True)

    async def _blob_stream(
        self,
        ids: list[str],
        sizes: list[int],
        start: int,
        length: int,
        lease: _Lease,
    ) -> base.ByteStream:
        try:
            async for chunk in self._blob_chunks(ids, sizes, start, length):
                yield chunk
        finally:
            lease.release()

    async def _blob_chunks(
        self, ids: list[str], sizes: list[int], start: int, length: int
    ) -> base.ByteStream:
        offset = 0
        left = length
        for blob_id, size in zip(ids, sizes, strict=True):
            if left <= 0:
                break
            if start >= offset + size:
                offset += size
                continue
            skip = max(0, start - offset)
            take = min(size - skip, left)
            stream = await self._blobs.open(blob_id, skip, take)
            got = 0
            try:
                async for chunk in stream:
                    got += len(chunk)
                    yield chunk
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
            if got != take:
                raise errors.InternalError("A blob is shorter than its index says")
            left -= take
            offset += size

    # --- multipart ---------------------------------------------------------------

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: base.ByteStream,
        checksum_algorithms: Sequence[str] = (),
        want_sha256: bool = False,
        expected: base.Expected | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> base.PartInfo:
        await self._check_part_target(bucket, key, upload_id, part_number, customer_key)
        blob_id, digests = await self._ingest(
            body, checksum_algorithms, want_sha256, None
        )
        try:
            if expected is not None:
                expected.check(digests)
            part = base.PartInfo(
                part_number=part_number,
                size=digests.size,
                etag=digests.md5.hex(),
                last_modified=time.time(),
                checksums={a: local._b64(d) for a, d in digests.checksums.items()},
            )

            def job(tx: local._Tx) -> base.PartInfo:
                self._upload_row(tx.conn, bucket, key, upload_id)
                old = tx.conn.execute(
                    "SELECT file FROM parts WHERE upload_id = ? AND part_number = ?",
                    (upload_id, part_number),
                ).fetchone()
                if old is not None:
                    tx.retire(old[0])
                tx.conn.execute(
                    f"INSERT OR REPLACE INTO parts ({idx.PART_COLS}, upload_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        part.part_number,
                        part.size,
                        part.etag,
                        part.last_modified,
                        orjson.dumps(part.checksums),
                        blob_id,
                        upload_id,
                    ),
                )
                return part

        except BaseException:
            self._forget([blob_id])
            raise
        return await self._commit(job, blob_id)

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        new, chosen = await self._completed_version(bucket, key, upload_id, parts)
        return await self._write(
            self._complete_job(bucket, key, upload_id, new, chosen, precondition)
        )

    def _completed_body(self, chosen: list[tuple]) -> dict[str, Any]:
        # The parts' blobs become the object's, in order: nothing is copied.
        return {"file": SEPARATOR.join(r[5] for r in chosen)}

    def _retire_completed_parts(
        self, tx: local._Tx, files: Iterable[str], kept: set[str]
    ) -> None:
        for file in files:
            if file not in kept:
                tx.retire(file)  # uploaded parts the object leaves out
