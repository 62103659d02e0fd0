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
refuses the deletion) leaves an orphan blob, which the GC pass of issue 11
item 6 removes (blobs no row names).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
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
        self._writer = _Writer(
            self._db_path,
            self._objects,
            self._dir_fds,
            self._fsync,
            self._grace,
            self._after_commit,
            forget=self._forget_threadsafe,
        )
        await self._writer.start()
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
        for the GC pass, logged)."""
        for file in files:
            for blob_id in file.split(SEPARATOR):
                task = asyncio.ensure_future(self._delete_blob(blob_id))
                self._deleting.add(task)
                task.add_done_callback(self._deleting.discard)

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
        return await self._commit(
            lambda tx: self._commit_version(tx, req.bucket, req.key, new, precondition),
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
        row = self._object_row(bucket, key, version_id, True)
        if row[idx.ROW_FILE] is None:
            # Not written by this backend's PUT (every body is a blob).
            raise errors.InternalError("The object has no data in the index.")
        info = idx.row_to_info(bucket, row)
        start = max(0, min(start, info.size))
        available = info.size - start
        length = available if length is None else max(0, min(length, available))
        ids = row[idx.ROW_FILE].split(SEPARATOR)
        sizes = info.part_sizes if len(ids) > 1 else [info.size]
        # The reader keeps the blob ids it resolved: an overwrite meanwhile
        # does not change what it streams (the old blobs outlive it by the
        # grace period).
        return base.ObjectReader(
            info, start, length, lambda: self._blob_stream(ids, sizes, start, length)
        )

    async def _blob_stream(
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
