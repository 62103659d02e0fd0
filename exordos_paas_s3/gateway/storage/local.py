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
"""The local disk backend: object data in files, metadata in SQLite (WAL).

Layout of the data directory::

    meta.sqlite        the index (buckets, versions, uploads, parts, documents)
    objects/<xx>/<id>  object and part data, named by a random id, never by key
    tmp/               bodies being received; emptied at start

Crash safety: a body is written to tmp/ and fsynced; one index transaction
moves it into objects/ (rename, then fsync of the directory, then COMMIT), so
the index never names a file that is not durably there. Files an overwrite or
delete makes obsolete are unlinked after the commit; a crash in between
leaves orphans that ``start()`` removes (files the index does not name).

Objects up to ``inline_max`` bytes live in the index itself: one WAL fsync
per small PUT instead of three (file, directory, WAL). See
docs/decisions/0002-local-storage-layout.md.

All index writes go through one writer thread that commits whatever jobs
are queued in one transaction (group commit); each job runs in a savepoint,
so one rejected precondition does not undo its neighbours. Reads use
per-thread read-only connections: point lookups (a bucket, an object's row,
an inline body, a document) run on the event loop thread itself, because a
WAL reader never waits for the writer and an indexed lookup costs a few
microseconds, far less than a thread-pool round trip (60-100 us of CPU under
load); scans (listings) and file I/O go to the worker pool. Bucket rows are
also cached in memory: the writer thread invalidates an entry after each
commit that touched the bucket.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import concurrent.futures
import dataclasses
import hashlib
import logging
import os
import queue
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base, commit_stats, disk, local_ingest
from exordos_paas_s3.gateway.storage import local_index as idx

if TYPE_CHECKING:
    from exordos_paas_s3.gateway import sse

LOG = logging.getLogger(__name__)

T = TypeVar("T")

READ_CHUNK = 1 << 20
# A GET reads its first chunk at READ_CHUNK (early first byte), the rest in
# bigger reads: each read is a thread hop and a send, whose fixed cost
# dominates a large GET at 1 MiB (bench/run.py get_large).
STREAM_CHUNK = 4 << 20
MIN_PART_SIZE = 5 << 20
MAX_PART_NUMBER = 10000
MAX_BATCH = 256
# How often a node without its disk reserve looks for space again.
RESERVE_RETRY = 1.0
# Rows kept for repeated reads (see LocalStorage._rows): with the default
# inline_max of 16 KiB, at most 32 MiB of small bodies.
ROW_CACHE_ENTRIES = 2048
SHARDS = ["%02x" % i for i in range(256)]
_META_FIELDS = {
    "content_type",
    "storage_class",
    "system_meta",
    "user_meta",
    "checksums",
    "last_modified",
}
_BUCKET_FIELDS = {"versioning", "object_lock_enabled", "region", "owner_id"}
_DOC_NAME_CACHED = 40  # bucket documents with longer names are not cached
# A version row by (bucket, key, <condition>); the second form adds the
# inline body as column 13 (NULL for file-backed objects).
_ROW_WITH_DATA = (
    "SELECT v.id, v.key, v.version_id, v.is_latest, v.is_delete_marker, v.size, "
    "v.etag, v.last_modified, v.owner_id, v.content_type, v.storage_class, "
    "v.meta, v.file, b.data FROM versions AS v "
    "LEFT JOIN blobs AS b ON b.version_row = v.id "
    "WHERE v.bucket = ? AND v.key = ? AND v."
)


def _new_version_id() -> str:
    # Time first so ids of one key sort by age; never "null".
    return "%016x%s" % (time.time_ns(), secrets.token_hex(8))


def _new_upload_id() -> str:
    return "%016x%s" % (time.time_ns(), secrets.token_hex(12))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# The readiness probe's file, in the data directory.
READY_PROBE = ".ready-probe"


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _open_and_read(path: str, size: int, offset: int) -> tuple[int, bytes]:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return fd, os.pread(fd, size, offset)
    except BaseException:
        os.close(fd)
        raise


def _settle(fut: asyncio.Future, ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


class _FileData(base.StoredData):
    """A version's file, opened at the first read (within the unlink grace
    of the lookup) and read through that descriptor until closed: an
    overwrite or delete unlinks the name, never the open file."""

    def __init__(self, path: str, run: Callable[..., Awaitable[Any]]) -> None:
        self._path = path
        self._run = run
        self._fd: int | None = None

    async def read(self, offset: int, size: int) -> bytes:
        if self._fd is None:
            # The open and the first read share one thread hop.
            self._fd, chunk = await self._run(_open_and_read, self._path, size, offset)
            return chunk
        return await self._run(os.pread, self._fd, size, offset)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclasses.dataclass
class _NewVersion:
    """A version about to be written (everything but its key and id)."""

    size: int
    etag: str
    owner_id: str
    content_type: str = "binary/octet-stream"
    storage_class: str = "STANDARD"
    system_meta: dict[str, str] = dataclasses.field(default_factory=dict)
    user_meta: dict[str, str] = dataclasses.field(default_factory=dict)
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)
    part_sizes: list[int] = dataclasses.field(default_factory=list)
    is_delete_marker: bool = False
    tmp_path: str | None = None  # data received in tmp/ ...
    data: bytes | None = None  # ... or kept inline ...
    file: str | None = None  # ... or already stored under this name (a blob)


class _Tx:
    """One group-commit transaction as a job sees it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.moves: list[tuple[str, str]] = []  # (tmp path, file) to rename in
        self.placed: list[str] = []  # absolute paths renamed in so far
        self.sync_dirs: set[str] = set()
        self.retired: list[str] = []  # absolute paths to unlink after COMMIT
        self.buckets: set[str] = set()  # bucket rows written: drop from cache

    def place(self, tmp_path: str, file: str) -> None:
        self.moves.append((tmp_path, file))

    def retire(self, path: str) -> None:
        self.retired.append(path)


class _IndexWriter:
    """The one thread that writes the index, committing jobs in batches."""

    def __init__(
        self,
        db_path: str,
        objects_dir: str,
        dir_fds: dict[str, int],
        fsync: bool,
        unlink_grace: float,
        committed: Callable[[set[str]], None] = lambda names: None,
        reserve: disk.Reserve | None = None,
        stats: commit_stats.CommitStats | None = None,
    ) -> None:
        self._committed = committed
        # None: no reserve (the index is not on the data disk's writes path).
        self._reserve = reserve
        self._next_acquire = 0.0
        self._stats = stats or commit_stats.CommitStats()
        self._db_path = db_path
        self._objects = objects_dir
        self._dir_fds = dir_fds
        self._fsync = fsync
        self._grace = unlink_grace
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._doomed: collections.deque[tuple[float, str]] = collections.deque()
        self._ready: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, name="s3-index-writer", daemon=True
        )

    async def start(self) -> None:
        self._thread.start()
        await asyncio.wrap_future(self._ready)

    def submit(
        self, job: Callable[[_Tx], T], essential: bool = False
    ) -> asyncio.Future[T]:
        """Queue a job. ``essential`` jobs (deletes, aborts) free space: they
        run even on a full disk, on the reserve if need be."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._queue.put((job, loop, fut, essential))
        return fut

    @property
    def full(self) -> bool:
        """The reserve is spent: writes are refused until space is back."""
        return self._reserve is not None and not self._reserve.held

    def stop(self) -> None:
        """Blocking: finish queued jobs, unlink retired files, close."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = idx.connect(self._db_path, fsync=self._fsync)
            idx.create_schema(conn)
        except BaseException as exc:  # noqa: B036 - reported to start()
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            stop = False
            while not stop:
                timeout = None
                if self._doomed:
                    timeout = max(0.0, self._doomed[0][0] - time.monotonic())
                if self.full:
                    # Look for space again now and then (deletes, or the
                    # operator, free it).
                    timeout = (
                        RESERVE_RETRY
                        if timeout is None
                        else min(timeout, RESERVE_RETRY)
                    )
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    self._reap(everything=False)
                    self._try_reserve()
                    continue
                if item is None:
                    break
                batch = [item]
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                self._run_batch(conn, batch)
                self._reap(everything=False)
                self._try_reserve()
        finally:
            self._reap(everything=True)
            conn.close()

    def _try_reserve(self) -> None:
        if not self.full or time.monotonic() < self._next_acquire:
            return
        assert self._reserve is not None
        self._next_acquire = time.monotonic() + RESERVE_RETRY
        try:
            self._reserve.acquire()
        except OSError:
            LOG.exception("Cannot preallocate the disk reserve")

    def _run_batch(self, conn: sqlite3.Connection, batch: list) -> None:
        answers: list[tuple[tuple, bool, Any]] = []
        if self.full:
            # No reserve left: only what frees space runs.
            refused = [item for item in batch if not item[3]]
            answers += [(item, False, errors.InsufficientStorage()) for item in refused]
            batch = [item for item in batch if item[3]]
        results, full = self._attempt(conn, batch)
        if full:
            # Nothing of the batch committed. Spend the reserve on the jobs
            # that free space and run them alone; the others answer 507.
            again = []
            for item, (ok, value) in zip(batch, results, strict=True):
                if item[3] and (ok or disk.is_full(value)):
                    again.append(item)
                else:
                    answers.append((item, ok, value))
            batch = again
            if batch and self._reserve is not None:
                self._reserve.release()
            results, full = self._attempt(conn, batch)
        answers += [
            (item, ok, value) for item, (ok, value) in zip(batch, results, strict=True)
        ]
        for (_job, loop, fut, _essential), ok, value in answers:
            if not ok and disk.is_full(value):
                value = errors.InsufficientStorage()
            loop.call_soon_threadsafe(_settle, fut, ok, value)

    def _attempt(
        self, conn: sqlite3.Connection, batch: list
    ) -> tuple[list[tuple[bool, Any]], bool]:
        """Run the jobs in one transaction: (ok, value or exception) per job,
        and whether the disk was full (then nothing committed)."""
        if not batch:
            return [], False
        results: list[tuple[bool, Any]] = []
        tx = _Tx(conn)
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            LOG.exception("Index transaction cannot begin")
            return [(False, exc)] * len(batch), disk.is_full(exc)
        failed: BaseException | None = None
        for job, _loop, _fut, _essential in batch:
            marks = (len(tx.moves), len(tx.placed), len(tx.retired))
            dirs = set(tx.sync_dirs)
            conn.execute("SAVEPOINT job")
            try:
                value = job(tx)
                # The rename comes last: once a job's file is in place,
                # nothing in the job can fail any more.
                for tmp_path, file in tx.moves[marks[0] :]:
                    path = os.path.join(self._objects, file)
                    os.rename(tmp_path, path)
                    tx.placed.append(path)
                    tx.sync_dirs.add(file[:2])
                conn.execute("RELEASE job")
                results.append((True, value))
            except Exception as exc:
                if disk.is_full(exc) or not conn.in_transaction:
                    # A full disk fails the whole batch (SQLite may have
                    # rolled the transaction back already); so does a
                    # transaction SQLite ended itself.
                    failed = exc
                    results.append((False, exc))
                    break
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                for path in tx.placed[marks[1] :]:
                    _remove(path)
                del tx.moves[marks[0] :], tx.placed[marks[1] :]
                del tx.retired[marks[2] :]
                tx.sync_dirs = dirs
                results.append((False, exc))
        if failed is None:
            try:
                if self._fsync:
                    for shard in tx.sync_dirs:
                        os.fsync(self._dir_fds[shard])
                conn.execute("COMMIT")
            except Exception as exc:
                failed = exc
        if failed is not None:
            if not disk.is_full(failed):
                LOG.error("Index commit failed: %s", failed)
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            for path in tx.placed:
                _remove(path)
            # Every job not failed on its own fails with the batch.
            results += [(False, failed)] * (len(batch) - len(results))
            results = [(False, failed) if ok else (ok, v) for ok, v in results]
        else:
            self._stats.observe(len(batch), time.perf_counter() - started)
            deadline = time.monotonic() + self._grace
            self._doomed.extend((deadline, path) for path in tx.retired)
        # After the COMMIT (or its failure), before any job is answered.
        self._committed(tx.buckets)
        return results, failed is not None and disk.is_full(failed)

    def _reap(self, everything: bool) -> None:
        # Obsolete files live on for a grace period so that a reader that
        # looked a version up just before an overwrite can still open it.
        now = time.monotonic()
        while self._doomed and (everything or self._doomed[0][0] <= now):
            _remove(self._doomed.popleft()[1])


class LocalStorage(base.Storage):
    """Objects on local disk; see the module docstring for the layout."""

    def __init__(
        self,
        data_dir: str,
        *,
        fsync: bool = True,
        inline_max: int = 16 * 1024,
        unlink_grace: float = 2.0,
        workers: int = 16,
        reserve: int = disk.DEFAULT_RESERVE,
    ) -> None:
        self._root = os.path.abspath(data_dir)
        self._reserve = disk.Reserve(self._root, reserve)
        self._objects = os.path.join(self._root, "objects")
        self._tmp = os.path.join(self._root, "tmp")
        self._db_path = os.path.join(self._root, "meta.sqlite")
        self._fsync = fsync
        self._inline_max = inline_max
        self._grace = unlink_grace
        self._workers = workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._writer: _IndexWriter | None = None
        # Group-commit figures for /metrics (gateway/metrics.py).
        self.commit_stats = commit_stats.CommitStats()
        self._dir_fds: dict[str, int] = {}
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # name -> BucketInfo of existing buckets (never a miss). A load that
        # overlapped a bucket write is not stored: see _forget_buckets.
        self._buckets: dict[str, base.BucketInfo] = {}
        # bucket -> {document name -> value or None}: the quota, encryption
        # and lock settings are read on every write. Same invalidation.
        self._bucket_docs: dict[str, dict[str, bytes | None]] = {}
        self._buckets_lock = threading.Lock()
        self._buckets_gen = 0
        # (bucket, key, version id or None) -> the row a GET/HEAD read last
        # (with its inline body): a repeated small GET skips SQLite, whose
        # read transaction alone (two fcntl locks, the statement) is a fifth
        # of its CPU. Any commit empties it: writes are batched, so this is
        # one clear per group commit, and nothing stale can survive one.
        # Guarded, like the bucket caches, by _buckets_lock.
        self._rows: dict[tuple[str, str, str | None], tuple] = {}
        self._rows_gen = 0

    @property
    def data_dir(self) -> str:
        return self._root

    # --- plumbing ----------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._pool is not None, "LocalStorage.start() was not called"
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def _write(self, job: Callable[[_Tx], T], essential: bool = False) -> T:
        """Commit a job; ``essential`` for those that free space (they run
        on a full disk too, see storage/disk.py)."""
        assert self._writer is not None, "LocalStorage.start() was not called"
        return await self._writer.submit(job, essential)

    def _check_room(self) -> None:
        """Refuse a write before its body is read when the disk is full."""
        if self._writer is not None and self._writer.full:
            raise errors.InsufficientStorage()

    def disk_state(self) -> disk.DiskState:
        """Free space of the data disk and whether writes are refused
        (blocking: a statvfs; cheap enough for a readiness probe)."""
        return self._reserve.state()

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = idx.connect(self._db_path, fsync=self._fsync, readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _in_read_tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._reader()
        # One snapshot for all statements of the read.
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(self._in_read_tx, fn)

    def _after_commit(self, names: set[str]) -> None:
        # Runs in the writer thread after every COMMIT; ``names`` are the
        # buckets whose rows or documents it wrote.
        with self._buckets_lock:
            self._rows_gen += 1
            self._rows.clear()
            if names:
                self._buckets_gen += 1
                for name in names:
                    self._buckets.pop(name, None)
                    self._bucket_docs.pop(name, None)

    def _bucket(self, conn: sqlite3.Connection | None, name: str) -> base.BucketInfo:
        """The bucket, from the cache or a point lookup (NoSuchBucket)."""
        info = self._buckets.get(name)
        if info is not None:
            return info
        with self._buckets_lock:
            gen = self._buckets_gen
        if conn is None:
            row = self._in_read_tx(lambda c: idx.get_bucket_row(c, name))
        else:
            row = idx.get_bucket_row(conn, name)
        info = idx.row_to_bucket(row)
        with self._buckets_lock:
            if gen == self._buckets_gen:
                self._buckets[name] = info
        return info

    def _path(self, file: str) -> str:
        return os.path.join(self._objects, file)

    def _tmp_path(self) -> str:
        return os.path.join(self._tmp, secrets.token_hex(16))

    @staticmethod
    def _new_file() -> str:
        name = secrets.token_hex(16)
        return f"{name[:2]}/{name}"

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="s3-local"
        )
        await self._run(self._prepare_dirs)
        self._writer = _IndexWriter(
            self._db_path,
            self._objects,
            self._dir_fds,
            self._fsync,
            self._grace,
            self._after_commit,
            self._reserve,
            self.commit_stats,
        )
        await self._writer.start()
        removed = await self._run(self._remove_orphans)
        if removed:
            LOG.warning("Removed %d orphaned data files in %s", removed, self._root)
        if not await self._run(self._reserve.acquire):
            LOG.warning(
                "The data disk %s is full: writes are refused until space is "
                "freed (deletes and aborts work)",
                self._root,
            )

    async def readiness(self) -> dict[str, str]:
        """The data disk not full (disk_state); a file written, fsynced,
        read back and removed in the data directory; a read of the index; a
        commit through the index writer (it takes the write lock, so a
        wedged writer or a locked database shows)."""
        state = self.disk_state()
        if state is not None and state.full:
            raise OSError(
                f"the data disk is full ({state.free_bytes} bytes free): "
                "writes are refused until space is freed"
            )
        await self._run(self._probe_disk)
        await self._read(lambda conn: conn.execute("SELECT 1 FROM buckets LIMIT 1"))
        await self._write(lambda tx: None)
        return {"disk": "ok", "index_read": "ok", "index_write": "ok"}

    def _probe_disk(self) -> None:
        # One name: probes are serialised (gateway/readiness.py), and a
        # crash leaves one small file that the next probe replaces.
        path = os.path.join(self._root, READY_PROBE)
        data = os.urandom(64)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
                if os.pread(fd, len(data), 0) != data:
                    raise OSError("the probe file read back differently")
            finally:
                os.close(fd)
        finally:
            _remove(path)

    def _prepare_dirs(self) -> None:
        os.makedirs(self._objects, exist_ok=True)
        # Whatever is in tmp/ was never committed: a crash interrupted it.
        shutil.rmtree(self._tmp, ignore_errors=True)
        os.makedirs(self._tmp, exist_ok=True)
        self._reserve.adopt()
        if disk.free_bytes(self._root)[0] < self._reserve.size:
            # A full disk: opening the index (its -wal and -shm files) needs
            # room; the reserve gives it, and start() takes it back when
            # there is space again.
            self._reserve.release()
        for shard in SHARDS:
            path = os.path.join(self._objects, shard)
            os.makedirs(path, exist_ok=True)
            self._dir_fds[shard] = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        if self._fsync:
            for path in (self._objects, self._root):
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def _remove_orphans(self) -> int:
        conn = self._reader()
        removed = 0
        for shard in SHARDS:
            names = os.listdir(os.path.join(self._objects, shard))
            if not names:
                continue
            lo, hi = f"{shard}/", f"{shard}0"  # "0" follows "/" in ASCII
            known = {
                row[0]
                for row in conn.execute(
                    "SELECT file FROM versions WHERE file >= ? AND file < ? "
                    "UNION ALL SELECT file FROM parts WHERE file >= ? AND file < ?",
                    (lo, hi, lo, hi),
                )
            }
            for name in names:
                if f"{shard}/{name}" not in known:
                    _remove(os.path.join(self._objects, shard, name))
                    removed += 1
        return removed

    async def close(self) -> None:
        if self._writer is not None:
            await self._run(self._writer.stop)
            self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        for fd in self._dir_fds.values():
            os.close(fd)
        self._dir_fds.clear()

    # --- buckets -----------------------------------------------------------------

    async def create_bucket(
        self, name: str, owner_id: str, region: str, object_lock: bool = False
    ) -> base.BucketInfo:
        def job(tx: _Tx) -> base.BucketInfo:
            if tx.conn.execute(
                "SELECT 1 FROM buckets WHERE name = ?", (name,)
            ).fetchone():
                raise errors.BucketAlreadyExists(resource=name, BucketName=name)
            tx.buckets.add(name)
            info = base.BucketInfo(
                name=name,
                owner_id=owner_id,
                created=time.time(),
                region=region or "us-east-1",
                object_lock_enabled=object_lock,
                # Object lock needs versioning; S3 turns it on with the lock.
                versioning="Enabled" if object_lock else "",
            )
            tx.conn.execute(
                f"INSERT INTO buckets ({idx.BUCKET_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    info.name,
                    info.owner_id,
                    info.created,
                    info.region,
                    int(info.object_lock_enabled),
                    info.versioning,
                ),
            )
            return info

        return await self._write(job)

    async def get_bucket(self, name: str) -> base.BucketInfo:
        # Callers share the cached BucketInfo: treat it as read-only.
        return self._bucket(None, name)

    async def list_buckets(self) -> list[base.BucketInfo]:
        def query(conn: sqlite3.Connection) -> list[base.BucketInfo]:
            rows = conn.execute(f"SELECT {idx.BUCKET_COLS} FROM buckets ORDER BY name")
            return [idx.row_to_bucket(row) for row in rows]

        return await self._read(query)

    async def delete_bucket(self, name: str) -> None:
        def job(tx: _Tx) -> None:
            idx.get_bucket_row(tx.conn, name)
            for table in ("versions", "uploads"):
                if tx.conn.execute(
                    f"SELECT 1 FROM {table} WHERE bucket = ? LIMIT 1", (name,)
                ).fetchone():
                    raise errors.BucketNotEmpty(resource=name, BucketName=name)
            tx.buckets.add(name)
            tx.conn.execute("DELETE FROM buckets WHERE name = ?", (name,))

        await self._write(job, essential=True)

    async def update_bucket(self, name: str, **fields: object) -> base.BucketInfo:
        unknown = set(fields) - _BUCKET_FIELDS
        if unknown:
            raise TypeError(f"update_bucket: unknown fields {sorted(unknown)}")
        columns = {
            "versioning": "versioning",
            "object_lock_enabled": "object_lock",
            "region": "region",
            "owner_id": "owner_id",
        }

        def job(tx: _Tx) -> base.BucketInfo:
            idx.get_bucket_row(tx.conn, name)
            tx.buckets.add(name)
            for field, value in fields.items():
                if field == "object_lock_enabled":
                    value = int(bool(value))
                tx.conn.execute(
                    f"UPDATE buckets SET {columns[field]} = ? WHERE name = ?",
                    (value, name),
                )
            return idx.row_to_bucket(idx.get_bucket_row(tx.conn, name))

        return await self._write(job)

    async def bucket_usage(self, bucket: str) -> tuple[int, int]:
        return await self._read(lambda conn: idx.bucket_usage(conn, bucket))

    async def upload_usage(self, bucket: str) -> tuple[int, int]:
        return await self._read(lambda conn: idx.upload_usage(conn, bucket))

    # --- objects: the write side ---------------------------------------------

    def _drop_row(self, tx: _Tx, row: tuple) -> None:
        tx.conn.execute("DELETE FROM versions WHERE id = ?", (row[idx.ROW_ID],))
        if row[idx.ROW_FILE] is not None:
            tx.retire(self._path(row[idx.ROW_FILE]))

    @staticmethod
    def _promote(conn: sqlite3.Connection, bucket: str, key: str) -> None:
        """Make the newest remaining version latest (after the latest went)."""
        conn.execute(
            "UPDATE versions SET is_latest = 1 WHERE id = ("
            "SELECT id FROM versions WHERE bucket = ? AND key = ? "
            "ORDER BY id DESC LIMIT 1)",
            (bucket, key),
        )

    @staticmethod
    def _check_quota(
        conn: sqlite3.Connection, bucket: str, quota: base.QuotaRoom, growth: int
    ) -> None:
        """The quota again, inside the commit, against the usage as it is
        now: writers that all passed the check before their bodies arrived
        cannot overshoot together (the usage row stays locked to the end
        of the transaction on a shared index)."""
        used = idx.usage_for_update(conn, bucket)
        if used + growth > quota.limit:
            raise errors.QuotaExceeded(
                BucketName=bucket,
                QuotaBytes=str(quota.limit),
                UsedBytes=str(used),
                ProposedSize=str(max(growth, 0)),
            )

    def _commit_version(
        self,
        tx: _Tx,
        bucket: str,
        key: str,
        new: _NewVersion,
        precondition: base.Precondition | None,
        quota: base.QuotaRoom | None = None,
    ) -> base.ObjectInfo:
        conn = tx.conn
        # Both lookups are sent before either is read: on a pipelined index
        # (PostgreSQL) they share one round trip.
        bucket_cursor = conn.execute(
            f"SELECT {idx.BUCKET_COLS} FROM buckets WHERE name = ?", (bucket,)
        )
        current = idx.latest_row(conn, bucket, key)
        bucket_row = bucket_cursor.fetchone()
        if bucket_row is None:
            raise errors.NoSuchBucket(resource=bucket, BucketName=bucket)
        if precondition is not None:
            # A latest delete marker means "no object" to a condition.
            precondition.check(
                None
                if current is None or current[4]
                else idx.row_to_info(bucket, current),
                key,
            )
        if bucket_row[5] == "Enabled":
            version_id = _new_version_id()
            if quota is not None:
                self._check_quota(conn, bucket, quota, new.size)
        else:
            # Unversioned and suspended buckets keep one "null" version,
            # which each write replaces.
            version_id = "null"
            # Usually the latest row is the "null" one: no second lookup.
            old: tuple | None = current
            if old is None or old[idx.ROW_VID] != "null":
                old = idx.version_row(conn, bucket, key, "null")
            if quota is not None:
                freed = 0 if old is None or old[idx.ROW_DELETE] else old[idx.ROW_SIZE]
                self._check_quota(conn, bucket, quota, new.size - freed)
            if old is not None:
                self._drop_row(tx, old)
                if current is not None and current[idx.ROW_ID] == old[idx.ROW_ID]:
                    current = None
        if current is not None:
            conn.execute(
                "UPDATE versions SET is_latest = 0 WHERE id = ?", (current[idx.ROW_ID],)
            )
        file = self._new_file() if new.tmp_path is not None else new.file
        now = time.time()
        cursor = conn.execute(
            "INSERT INTO versions (bucket, key, version_id, is_latest, "
            "is_delete_marker, size, etag, last_modified, owner_id, content_type, "
            "storage_class, meta, file) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                bucket,
                key,
                version_id,
                int(new.is_delete_marker),
                new.size,
                new.etag,
                now,
                new.owner_id,
                new.content_type,
                new.storage_class,
                idx.dump_meta(
                    new.system_meta, new.user_meta, new.checksums, new.part_sizes
                ),
                file,
            ),
        )
        if new.data is not None:
            conn.execute(
                "INSERT INTO blobs (version_row, data) VALUES (?, ?)",
                (cursor.lastrowid, new.data),
            )
        if new.tmp_path is not None:
            assert file is not None
            tx.place(new.tmp_path, file)
        return base.ObjectInfo(
            bucket=bucket,
            key=key,
            size=new.size,
            etag=new.etag,
            last_modified=now,
            owner_id=new.owner_id,
            version_id=version_id,
            is_latest=True,
            is_delete_marker=new.is_delete_marker,
            content_type=new.content_type,
            system_meta=dict(new.system_meta),
            user_meta=dict(new.user_meta),
            checksums=dict(new.checksums),
            storage_class=new.storage_class,
            parts_count=len(new.part_sizes),
            part_sizes=list(new.part_sizes),
        )

    async def _receive(
        self,
        body: base.ByteStream,
        algorithms: Sequence[str],
        want_sha256: bool,
        inline_max: int,
        expected_size: int | None,
    ) -> local_ingest.Received:
        assert self._pool is not None, "LocalStorage.start() was not called"
        return await local_ingest.receive(
            body,
            tmp_path=self._tmp_path(),
            algorithms=algorithms,
            want_sha256=want_sha256,
            inline_max=inline_max,
            fsync=self._fsync,
            executor=self._pool,
            expected_size=expected_size,
        )

    async def put_object(
        self,
        req: base.PutRequest,
        body: base.ByteStream,
        expected: base.Expected | None = None,
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        if req.encryption is not None:
            base.refuse_encryption(req.encryption)
        self._check_room()
        got = await self._receive(
            body,
            req.checksum_algorithms,
            req.want_sha256,
            self._inline_max,
            req.expected_size,
        )
        try:
            if expected is not None:
                expected.check(got.digests)
            checksums = {alg: _b64(raw) for alg, raw in got.digests.checksums.items()}
            if checksums:
                checksums["type"] = "FULL_OBJECT"
            new = _NewVersion(
                size=got.digests.size,
                etag=got.digests.md5.hex(),
                owner_id=req.owner_id,
                content_type=req.content_type,
                storage_class=req.storage_class,
                system_meta=dict(req.system_meta),
                user_meta=dict(req.user_meta),
                checksums=checksums,
                tmp_path=got.tmp_path,
                data=got.data,
            )
            return await self._write(
                lambda tx: self._commit_version(
                    tx,
                    req.bucket,
                    req.key,
                    new,
                    precondition,
                    expected.quota if expected is not None else None,
                )
            )
        except BaseException:
            if got.tmp_path is not None:
                _remove(got.tmp_path)
            raise

    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> base.ObjectInfo | None:
        def job(tx: _Tx) -> base.ObjectInfo | None:
            conn = tx.conn
            bucket_row = idx.get_bucket_row(conn, bucket)
            if version_id is not None:
                row = idx.version_row(conn, bucket, key, version_id)
                if row is None:
                    return None
                self._drop_row(tx, row)
                if row[3]:
                    self._promote(conn, bucket, key)
                return idx.row_to_info(bucket, row)
            versioning = bucket_row[5]
            if versioning == "":
                row = idx.latest_row(conn, bucket, key)
                if row is None:
                    return None
                self._drop_row(tx, row)
                self._promote(conn, bucket, key)
                return idx.row_to_info(bucket, row)
            # Versioned: a delete marker becomes the latest version.
            marker = _NewVersion(size=0, etag="", owner_id="", is_delete_marker=True)
            return self._commit_version(tx, bucket, key, marker, None)

        return await self._write(job, essential=True)

    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **fields: object,
    ) -> base.ObjectInfo:
        unknown = set(fields) - _META_FIELDS
        if unknown:
            raise TypeError(f"update_object_meta: unknown fields {sorted(unknown)}")

        def job(tx: _Tx) -> base.ObjectInfo:
            row = idx.lookup(tx.conn, bucket, key, version_id)
            if row[4]:
                raise self._delete_marker_error(row)
            info = idx.row_to_info(bucket, row)
            for field, value in fields.items():
                setattr(info, field, value)
            tx.conn.execute(
                "UPDATE versions SET content_type = ?, storage_class = ?, "
                "last_modified = ?, meta = ? WHERE id = ?",
                (
                    info.content_type,
                    info.storage_class,
                    info.last_modified,
                    idx.dump_meta(
                        info.system_meta,
                        info.user_meta,
                        info.checksums,
                        info.part_sizes,
                    ),
                    row[idx.ROW_ID],
                ),
            )
            return info

        return await self._write(job)

    @staticmethod
    def _delete_marker_error(row: tuple) -> errors.S3Error:
        # GET/HEAD of a delete marker by version id: 405 in S3.
        return errors.MethodNotAllowed(
            resource=row[idx.ROW_KEY],
            headers={"x-amz-delete-marker": "true", "x-amz-version-id": row[2]},
            Method="GET",
            ResourceType="DeleteMarker",
        )

    # --- objects: the read side ----------------------------------------------

    def _object_row(
        self, bucket: str, key: str, version_id: str | None, with_data: bool
    ) -> tuple:
        """The row a read addresses, on the calling thread. Rows of the
        fast path always carry the inline body as column 13; the slow path
        adds it only ``with_data``, and only then answers a delete marker
        with S3's error itself (HEAD leaves that to its caller).

        A row read before is answered from ``_rows``. Otherwise the common
        case is one statement (its own snapshot): a live row proves the
        bucket exists, since a bucket with objects cannot be
        deleted. Anything else goes through ``idx.lookup`` for S3's precise
        answer (NoSuchBucket, NoSuchKey with the delete-marker headers ...).
        """
        cache_key = (bucket, key, version_id)
        row = self._rows.get(cache_key)
        if row is not None:
            return row
        gen = self._rows_gen
        conn = self._reader()
        # Always with the inline body: the cached row serves GET and HEAD.
        if version_id is None:
            row = conn.execute(
                _ROW_WITH_DATA + "is_latest = 1", (bucket, key)
            ).fetchone()
        else:
            row = conn.execute(
                _ROW_WITH_DATA + "version_id = ?", (bucket, key, version_id)
            ).fetchone()
        if (
            row is not None
            and not row[4]
            and (row[idx.ROW_FILE] is not None or row[13] is not None)
        ):
            with self._buckets_lock:
                # A commit since ``gen`` may have made this row stale.
                if gen == self._rows_gen:
                    if len(self._rows) >= ROW_CACHE_ENTRIES:
                        del self._rows[next(iter(self._rows))]
                    self._rows[cache_key] = row
            return row

        def slow(c: sqlite3.Connection) -> tuple:
            row = idx.lookup(c, bucket, key, version_id)
            if not with_data:
                return row
            if row[4]:
                raise self._delete_marker_error(row)
            data = None
            if row[idx.ROW_FILE] is None:
                data = c.execute(
                    "SELECT data FROM blobs WHERE version_row = ?", (row[idx.ROW_ID],)
                ).fetchone()[0]
            return (*row, data)

        return self._in_read_tx(slow)

    async def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> base.ObjectInfo:
        return idx.row_to_info(bucket, self._object_row(bucket, key, version_id, False))

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
        data = row[13]
        info = idx.row_to_info(bucket, row)
        start = max(0, min(start, info.size))
        available = info.size - start
        length = available if length is None else max(0, min(length, available))
        if data is not None:
            # The whole inline body (the usual GET) needs no copy.
            piece = (
                data
                if start == 0 and length == len(data) and type(data) is bytes
                else bytes(data[start : start + length])
            )

            async def inline_stream() -> base.ByteStream:
                if piece:
                    yield piece

            return base.ObjectReader(
                info,
                start,
                length,
                inline_stream,
                data=piece,
                stored=lambda: base.MemoryData(data),
            )
        path = self._path(row[idx.ROW_FILE])
        return base.ObjectReader(
            info,
            start,
            length,
            lambda: self._file_stream(path, start, length),
            path=path,
            offset=start,
            stored=lambda: _FileData(path, self._run),
        )

    async def _file_stream(self, path: str, start: int, length: int) -> base.ByteStream:
        # The open and the first read share one thread hop.
        first: bytes | None
        fd, first = await self._run(
            _open_and_read, path, min(READ_CHUNK, length), start
        )
        chunk = first
        try:
            pos, left = start, length
            while left > 0:
                if chunk is None:
                    chunk = await self._run(os.pread, fd, min(STREAM_CHUNK, left), pos)
                if not chunk:
                    raise errors.InternalError("Object data is shorter than its index")
                pos += len(chunk)
                left -= len(chunk)
                yield chunk
                chunk = None
        finally:
            os.close(fd)

    async def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> base.ListResult:
        def query(conn: sqlite3.Connection) -> base.ListResult:
            idx.get_bucket_row(conn, bucket)
            entries, truncated = idx.take(
                idx.scan_latest(
                    conn,
                    bucket,
                    prefix,
                    delimiter,
                    start_after,
                    idx.scan_batch(max_keys, delimiter),
                ),
                max_keys,
            )
            objects: list[base.ObjectInfo] = []
            prefixes: list[str] = []
            for kind, item in entries:
                if kind == "cp":
                    prefixes.append(item)  # type: ignore[arg-type]
                else:
                    objects.append(idx.row_to_info(bucket, item))  # type: ignore[arg-type]
            marker: str | None = None
            if truncated and entries:
                kind, item = entries[-1]
                marker = item if kind == "cp" else item[idx.ROW_KEY]  # type: ignore
            return base.ListResult(objects, prefixes, truncated, marker)

        return await self._read(query)

    async def list_object_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> base.VersionListResult:
        def query(conn: sqlite3.Connection) -> base.VersionListResult:
            idx.get_bucket_row(conn, bucket)
            second = None
            if key_marker and version_id_marker:
                row = idx.version_row(conn, bucket, key_marker, version_id_marker)
                if row is not None:
                    second = row[idx.ROW_ID]
            entries, truncated = idx.take(
                idx.scan_keyed(
                    conn,
                    select=f"SELECT {idx.VERSION_COLS} FROM versions",
                    bucket=bucket,
                    second="id",
                    descending=True,
                    prefix=prefix,
                    delimiter=delimiter,
                    key_marker=key_marker,
                    second_marker=second,
                    batch=idx.scan_batch(max_keys, delimiter),
                ),
                max_keys,
            )
            versions: list[base.ObjectInfo] = []
            prefixes: list[str] = []
            for kind, item in entries:
                if kind == "cp":
                    prefixes.append(item)  # type: ignore[arg-type]
                else:
                    versions.append(idx.row_to_info(bucket, item))  # type: ignore[arg-type]
            result = base.VersionListResult(versions, prefixes, truncated)
            if truncated and entries:
                kind, item = entries[-1]
                if kind == "cp":
                    result.next_key_marker = item  # type: ignore[assignment]
                else:
                    result.next_key_marker = item[idx.ROW_KEY]  # type: ignore[index]
                    result.next_version_id_marker = item[idx.ROW_VID]  # type: ignore
            return result

        return await self._read(query)

    # --- multipart ---------------------------------------------------------------

    async def create_multipart_upload(self, req: base.PutRequest) -> base.UploadInfo:
        if req.encryption is not None:
            base.refuse_encryption(req.encryption)
        local_ingest.new_hashers(req.checksum_algorithms, False)  # rejects unknown

        def job(tx: _Tx) -> base.UploadInfo:
            idx.get_bucket_row(tx.conn, req.bucket)
            info = base.UploadInfo(
                bucket=req.bucket,
                key=req.key,
                upload_id=_new_upload_id(),
                initiated=time.time(),
                owner_id=req.owner_id,
                request=req,
            )
            tx.conn.execute(
                f"INSERT INTO uploads ({idx.UPLOAD_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    info.upload_id,
                    info.key,
                    info.bucket,
                    info.initiated,
                    info.owner_id,
                    idx.request_to_json(req),
                ),
            )
            return info

        return await self._write(job)

    @staticmethod
    def _upload_row(
        conn: sqlite3.Connection, bucket: str, key: str, upload_id: str
    ) -> tuple:
        row = conn.execute(
            f"SELECT {idx.UPLOAD_COLS} FROM uploads WHERE upload_id = ?", (upload_id,)
        ).fetchone()
        if row is None or row[1] != key or row[2] != bucket:
            idx.get_bucket_row(conn, bucket)
            raise errors.NoSuchUpload(resource=key, UploadId=upload_id)
        return row

    async def get_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> base.UploadInfo:
        row = await self._read(lambda c: self._upload_row(c, bucket, key, upload_id))
        return idx.row_to_upload(row)

    async def _check_part_target(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        customer_key: sse.CustomerKey | None,
    ) -> None:
        """Refuse a part this backend cannot take, before its body is read:
        encryption it cannot do, a number out of range, an upload that is not
        there (better than receiving gigabytes for nothing)."""
        if customer_key is not None:
            base.refuse_encryption(customer_key=customer_key)
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise errors.InvalidArgument(
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=str(part_number),
            )
        await self._read(lambda c: self._upload_row(c, bucket, key, upload_id))

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
        self._check_room()
        got = await self._receive(body, checksum_algorithms, want_sha256, -1, None)
        assert got.tmp_path is not None
        try:
            if expected is not None:
                expected.check(got.digests)
            part = base.PartInfo(
                part_number=part_number,
                size=got.digests.size,
                etag=got.digests.md5.hex(),
                last_modified=time.time(),
                checksums={a: _b64(d) for a, d in got.digests.checksums.items()},
            )
            tmp_path = got.tmp_path

            def job(tx: _Tx) -> base.PartInfo:
                self._upload_row(tx.conn, bucket, key, upload_id)
                old = tx.conn.execute(
                    "SELECT file FROM parts WHERE upload_id = ? AND part_number = ?",
                    (upload_id, part_number),
                ).fetchone()
                if old is not None:
                    tx.retire(self._path(old[0]))
                file = self._new_file()
                tx.conn.execute(
                    f"INSERT OR REPLACE INTO parts ({idx.PART_COLS}, upload_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        part.part_number,
                        part.size,
                        part.etag,
                        part.last_modified,
                        orjson.dumps(part.checksums),
                        file,
                        upload_id,
                    ),
                )
                tx.place(tmp_path, file)
                return part

            return await self._write(job)
        except BaseException:
            _remove(got.tmp_path)
            raise

    async def list_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = 1000,
    ) -> tuple[list[base.PartInfo], bool]:
        def query(conn: sqlite3.Connection) -> tuple[list[base.PartInfo], bool]:
            self._upload_row(conn, bucket, key, upload_id)
            rows = conn.execute(
                f"SELECT {idx.PART_COLS} FROM parts WHERE upload_id = ? "
                "AND part_number > ? ORDER BY part_number LIMIT ?",
                (upload_id, part_number_marker, max(0, max_parts) + 1),
            ).fetchall()
            truncated = len(rows) > max_parts
            return [idx.row_to_part(r) for r in rows[: max(0, max_parts)]], truncated

        return await self._read(query)

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        self._check_room()
        new, chosen = await self._completed_version(bucket, key, upload_id, parts)
        tmp_path = new.tmp_path
        assert tmp_path is not None
        try:
            # A concatenation cut short (a full disk) leaves nothing behind.
            await self._run(self._concat, tmp_path, [self._path(r[5]) for r in chosen])
            return await self._write(
                self._complete_job(bucket, key, upload_id, new, chosen, precondition)
            )
        except BaseException:
            _remove(tmp_path)
            raise

    async def _completed_version(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
    ) -> tuple[_NewVersion, list[tuple]]:
        """The version a completion makes of the chosen parts, and those parts
        (part rows), read outside the writer."""

        def query(conn: sqlite3.Connection) -> tuple[tuple, list[tuple]]:
            upload = self._upload_row(conn, bucket, key, upload_id)
            rows = conn.execute(
                f"SELECT {idx.PART_COLS} FROM parts WHERE upload_id = ?", (upload_id,)
            ).fetchall()
            return upload, rows

        upload_row, part_rows = await self._read(query)
        upload = idx.row_to_upload(upload_row)
        chosen = self._choose_parts(key, parts, {row[0]: row for row in part_rows})
        etag = hashlib.md5(b"".join(bytes.fromhex(r[2]) for r in chosen)).hexdigest()
        req = upload.request
        new = _NewVersion(
            size=sum(r[1] for r in chosen),
            etag=f"{etag}-{len(chosen)}",
            owner_id=upload.owner_id,
            content_type=req.content_type,
            storage_class=req.storage_class,
            system_meta=dict(req.system_meta),
            user_meta=dict(req.user_meta),
            checksums=self._composite_checksums(
                req.checksum_algorithms, chosen, req.checksum_type
            ),
            part_sizes=[r[1] for r in chosen],
            **self._completed_body(chosen),
        )
        return new, chosen

    def _completed_body(self, chosen: list[tuple]) -> dict[str, Any]:
        """Where a completed object's bytes will be: a fresh file the parts
        are concatenated into."""
        return {"tmp_path": self._tmp_path()}

    def _retire_completed_parts(
        self, tx: _Tx, files: Iterable[str], kept: set[str]
    ) -> None:
        # The parts were copied into the object's own file: all of them go.
        for file in files:
            tx.retire(self._path(file))

    def _complete_job(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        new: _NewVersion,
        chosen: list[tuple],
        precondition: base.Precondition | None,
    ) -> Callable[[_Tx], base.ObjectInfo]:
        expected = {r[0]: r[5] for r in chosen}

        def job(tx: _Tx) -> base.ObjectInfo:
            self._upload_row(tx.conn, bucket, key, upload_id)
            now = dict(
                tx.conn.execute(
                    "SELECT part_number, file FROM parts WHERE upload_id = ?",
                    (upload_id,),
                ).fetchall()
            )
            if any(now.get(number) != file for number, file in expected.items()):
                # A part was re-uploaded while we assembled: S3 would race too.
                raise errors.InvalidPart(resource=key)
            info = self._commit_version(tx, bucket, key, new, precondition)
            self._retire_completed_parts(tx, now.values(), set(expected.values()))
            tx.conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
            return info

        return job

    @staticmethod
    def _choose_parts(
        key: str, parts: Sequence[tuple[int, str]], stored: dict[int, tuple]
    ) -> list[tuple]:
        if not parts:
            raise errors.MalformedXML()
        chosen = []
        previous = 0
        for number, etag in parts:
            if number <= previous:
                raise errors.InvalidPartOrder(resource=key)
            previous = number
            row = stored.get(number)
            if row is None or etag.strip().strip('"').lower() != row[2]:
                raise errors.InvalidPart(
                    resource=key, PartNumber=str(number), ETag=etag.strip('"')
                )
            chosen.append(row)
        for row in chosen[:-1]:
            if row[1] < MIN_PART_SIZE:
                raise errors.EntityTooSmall(
                    resource=key,
                    ProposedSize=str(row[1]),
                    MinSizeAllowed=str(MIN_PART_SIZE),
                    PartNumber=str(row[0]),
                    ETag=row[2],
                )
        return chosen

    @staticmethod
    def _composite_checksums(
        algorithms: Sequence[str], chosen: list[tuple], checksum_type: str = ""
    ) -> dict[str, str]:
        return local_ingest.composite_checksums(
            algorithms, [(orjson.loads(r[4]), r[1]) for r in chosen], checksum_type
        )

    def _concat(self, dst: str, sources: list[str]) -> None:
        if len(sources) == 1:
            # The part file already is the object: a second name costs nothing.
            os.link(sources[0], dst)
            return
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            for src in sources:
                with open(src, "rb") as part:
                    size = os.fstat(part.fileno()).st_size
                    done = 0
                    try:
                        while done < size:
                            # In-kernel copy; a reflink on XFS/btrfs.
                            n = os.copy_file_range(part.fileno(), fd, size - done, done)
                            if n == 0:
                                break
                            done += n
                    except OSError:
                        # No in-kernel copy on this file system.
                        part.seek(done)
                        with os.fdopen(os.dup(fd), "wb") as out:
                            shutil.copyfileobj(part, out, READ_CHUNK)
                        done = size
                    if done != size:
                        raise errors.InternalError(
                            "A part file is shorter than its index"
                        )
            if self._fsync:
                os.fdatasync(fd)
        finally:
            os.close(fd)

    async def abort_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> None:
        def job(tx: _Tx) -> None:
            self._upload_row(tx.conn, bucket, key, upload_id)
            for (file,) in tx.conn.execute(
                "SELECT file FROM parts WHERE upload_id = ?", (upload_id,)
            ).fetchall():
                tx.retire(self._path(file))
            tx.conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))

        await self._write(job, essential=True)

    async def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> base.UploadListResult:
        def query(conn: sqlite3.Connection) -> base.UploadListResult:
            idx.get_bucket_row(conn, bucket)
            entries, truncated = idx.take(
                idx.scan_keyed(
                    conn,
                    select=f"SELECT {idx.UPLOAD_COLS} FROM uploads",
                    bucket=bucket,
                    second="upload_id",
                    descending=False,
                    prefix=prefix,
                    delimiter=delimiter,
                    key_marker=key_marker,
                    second_marker=(upload_id_marker or None) if key_marker else None,
                    batch=idx.scan_batch(max_uploads, delimiter),
                ),
                max_uploads,
            )
            uploads: list[base.UploadInfo] = []
            prefixes: list[str] = []
            for kind, item in entries:
                if kind == "cp":
                    prefixes.append(item)  # type: ignore[arg-type]
                else:
                    uploads.append(idx.row_to_upload(item))  # type: ignore[arg-type]
            result = base.UploadListResult(uploads, prefixes, truncated)
            if truncated and entries:
                kind, item = entries[-1]
                if kind == "cp":
                    result.next_key_marker = item  # type: ignore[assignment]
                else:
                    result.next_key_marker = item[1]  # type: ignore[index]
                    result.next_upload_id_marker = item[0]  # type: ignore[index]
            return result

        return await self._read(query)

    # --- documents ---------------------------------------------------------------

    async def get_bucket_doc(self, bucket: str, name: str) -> bytes | None:
        docs = self._bucket_docs.get(bucket)
        if docs is not None and name in docs:
            return docs[name]
        with self._buckets_lock:
            gen = self._buckets_gen

        def query(conn: sqlite3.Connection) -> bytes | None:
            idx.get_bucket_row(conn, bucket)
            row = conn.execute(
                "SELECT value FROM bucket_docs WHERE bucket = ? AND name = ?",
                (bucket, name),
            ).fetchone()
            return None if row is None else bytes(row[0])

        # A point lookup: on the loop thread (see the module docstring).
        value = self._in_read_tx(query)
        if len(name) <= _DOC_NAME_CACHED and (value is None or len(value) <= 65536):
            # Short names are the settings documents; per-upload documents
            # (long names) are read once and not worth keeping.
            with self._buckets_lock:
                if gen == self._buckets_gen:
                    self._bucket_docs.setdefault(bucket, {})[name] = value
        return value

    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None:
        def job(tx: _Tx) -> None:
            idx.get_bucket_row(tx.conn, bucket)
            tx.buckets.add(bucket)
            tx.conn.execute(
                "INSERT OR REPLACE INTO bucket_docs (bucket, name, value) "
                "VALUES (?, ?, ?)",
                (bucket, name, bytes(value)),
            )

        await self._write(job)

    async def delete_bucket_doc(self, bucket: str, name: str) -> None:
        def job(tx: _Tx) -> None:
            idx.get_bucket_row(tx.conn, bucket)
            tx.buckets.add(bucket)
            tx.conn.execute(
                "DELETE FROM bucket_docs WHERE bucket = ? AND name = ?", (bucket, name)
            )

        await self._write(job, essential=True)

    async def get_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> bytes | None:
        def query(conn: sqlite3.Connection) -> bytes | None:
            row = idx.lookup(conn, bucket, key, version_id)
            doc = conn.execute(
                "SELECT value FROM object_docs WHERE version_row = ? AND name = ?",
                (row[idx.ROW_ID], name),
            ).fetchone()
            return None if doc is None else bytes(doc[0])

        return self._in_read_tx(query)

    async def put_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str, value: bytes
    ) -> None:
        def job(tx: _Tx) -> None:
            row = idx.lookup(tx.conn, bucket, key, version_id)
            tx.conn.execute(
                "INSERT OR REPLACE INTO object_docs (version_row, name, value) "
                "VALUES (?, ?, ?)",
                (row[idx.ROW_ID], name, bytes(value)),
            )

        await self._write(job)

    async def delete_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> None:
        def job(tx: _Tx) -> None:
            row = idx.lookup(tx.conn, bucket, key, version_id)
            tx.conn.execute(
                "DELETE FROM object_docs WHERE version_row = ? AND name = ?",
                (row[idx.ROW_ID], name),
            )

        await self._write(job, essential=True)
