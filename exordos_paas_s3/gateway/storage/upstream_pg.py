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
"""A blob store + the PostgreSQL index (``--blob-store s3 --index
postgresql://…``): the cluster, where any number of gateways share one
namespace.

The blob side is ``UpstreamStorage``'s unchanged; so are the index jobs,
which run on PostgreSQL through ``pg_index.Conn``. What differs is how they
run:

- Each write job is its own READ COMMITTED transaction on a pooled
  connection, in a worker thread (no single writer: the writers are on
  several machines). Writers of one key take turns on a transaction-level
  advisory lock (``Conn.lock_key``); a bucket delete and a write into it
  meet on the versions table's reference to the bucket; the usage counter
  row is updated in the writing transaction. A job that loses a race to a
  constraint (two creators of one key, a bucket deleted under a write) or a
  deadlock runs again from the start and then sees the winner's row.
- Reads are pooled too, off the event loop: a GET's row is one statement
  (one round trip); anything longer is a REPEATABLE READ snapshot.
- No row cache: the next GET on any gateway sees a committed PUT. Bucket
  rows and documents are cached, and every commit that changes them sends a
  NOTIFY (in its transaction) that each gateway's listener applies; while
  the listener is not connected nothing is cached. See
  docs/decisions/0017-postgresql-index.md for the measured bound.
- PostgreSQL unreachable: 503 ServiceUnavailable with Retry-After, never a
  500 or a hang (connect and statement timeouts). A commit whose outcome
  is unknown (the connection died during COMMIT) keeps its blob: it may be
  named by the index, and the orphan pass removes it if it is not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg import pq

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base, blobs, local, pg_index, upstream
from exordos_paas_s3.gateway.storage import local_index as idx

LOG = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT = 5  # seconds, per connection attempt
POOL_TIMEOUT = 10.0  # seconds a request waits for a pooled connection
DOWN_TIMEOUT = 1.0  # the same while the index looks down (see _connection)
# The longest wait for another gateway's lock of a bucket document (ms).
DOC_LOCK_WAIT_MS = 30000
# The settings row of the SSE master key's fingerprint (decision 0020).
SSE_FINGERPRINT = "sse_master_fingerprint"
STATEMENT_TIMEOUT_MS = 30000  # a lock wait or a statement, at most
MAX_ATTEMPTS = 12  # of a write job that loses races
RETRY_AFTER = "1"
# A job that lost a race to a constraint or a deadlock runs again.
_RACES = (
    pg_errors.UniqueViolation,
    pg_errors.ForeignKeyViolation,
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
)
_ROW = f"SELECT {idx.VERSION_COLS} FROM versions WHERE bucket = %s AND key = %s AND "
_ROW_LATEST = _ROW + "is_latest = 1"
_ROW_VERSION = _ROW + "version_id = %s"


def _blob_ids(files: list[str]) -> list[str]:
    return [b for file in files for b in file.split(upstream.SEPARATOR)]


class OutcomeUnknown(errors.ServiceUnavailable):  # type: ignore[misc, valid-type]
    """The connection died during COMMIT: the write may have happened."""


def unavailable(exc: BaseException | None = None) -> errors.S3Error:
    if exc is not None:
        LOG.warning("index unavailable: %s", _reason(exc))
    return errors.ServiceUnavailable(
        "The index (PostgreSQL) is unavailable; please retry.",
        headers={"retry-after": RETRY_AFTER},
    )


def _reason(exc: BaseException) -> str:
    # libpq's messages name host and port, never the password.
    return str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__


class PgUpstreamStorage(upstream.UpstreamStorage):
    """Object bytes in a BlobStore, the index in PostgreSQL; see the module
    docstring."""

    def __init__(
        self,
        data_dir: str,
        blob_store: blobs.BlobStore,
        *,
        url: str,
        name: str,
        unlink_grace: float = 60.0,
        workers: int = 16,
        pool_size: int = 16,
    ) -> None:
        super().__init__(
            data_dir, blob_store, name=name, unlink_grace=unlink_grace, workers=workers
        )
        self._url = url
        self._pool_size = pool_size
        self._pg: psycopg_pool.ConnectionPool | None = None
        self._timers: dict[asyncio.TimerHandle, list[str]] = {}
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self._stopping = threading.Event()
        self._watchers: list[Callable[[str | None], None]] = []
        # This process among the index's gateways (its retiring blobs).
        self._gateway_id = secrets.token_hex(8)
        # Background leases held (name -> (holder, advisory lock)).
        self._leases_held: dict[str, tuple[str, Lease]] = {}

    def __repr__(self) -> str:
        return f"<PgUpstreamStorage {self._blobs!r} index=postgresql>"

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._blobs.start()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="s3-upstream-pg"
        )
        self._pg = psycopg_pool.ConnectionPool(
            self._url,
            kwargs=self._connect_args(),
            min_size=1,
            max_size=self._pool_size,
            open=False,
            timeout=POOL_TIMEOUT,
            configure=self._configure,
            reconnect_timeout=5.0,
            name="s3-index",
        )
        # The index is remote, but the data dir still holds the gateway's
        # other state (IAM, keyring): the same layout as every backend.
        await self._run(lambda: os.makedirs(self._root, exist_ok=True))
        await self._run(self._open_index)
        await self._write(self._bind)
        self._listener = threading.Thread(
            target=self._listen, name="s3-index-listener", daemon=True
        )
        self._listener.start()
        # Serving before the listener listens is safe (nothing is cached
        # until it does), but a start that waits a moment caches sooner.
        await self._run(self._listening.wait, 5.0)

    @staticmethod
    def _connect_args() -> dict[str, Any]:
        return {
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "exordos-s3-gateway",
            # No server-side prepared statements: a write job that loses a
            # race fails inside a pipeline, and a statement psycopg prepared
            # in that pipeline can be left unprepared on the server while
            # its cache says otherwise ("prepared statement _pg3_N does not
            # exist" on the next job, seen once under load). Round trips are
            # the same either way; the server parses each statement anew.
            "prepare_threshold": None,
            # A dead peer is noticed in seconds, not at the TCP default.
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
            "tcp_user_timeout": 10000,
        }

    @staticmethod
    def _configure(conn: psycopg.Connection) -> None:
        conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")

    def _open_index(self) -> None:
        assert self._pg is not None
        try:
            self._pg.open(wait=True, timeout=CONNECT_TIMEOUT + 1)
        except psycopg_pool.PoolTimeout:
            # The pool hides the connection's own error: ask once directly.
            with psycopg.connect(self._url, **self._connect_args()):
                pass
            raise
        with self._pg.connection() as conn:
            pg_index.migrate(conn)
            self._heartbeat(conn)

    def _leave(self) -> None:
        with self._connection() as conn:
            conn.execute(
                "DELETE FROM retiring_blobs WHERE gateway = %s", (self._gateway_id,)
            )
            conn.execute("DELETE FROM gateways WHERE id = %s", (self._gateway_id,))

    def _heartbeat(self, conn: psycopg.Connection) -> None:
        conn.execute(
            "INSERT INTO gateways (id) VALUES (%s) "
            "ON CONFLICT (id) DO UPDATE SET seen = now()",
            (self._gateway_id,),
        )

    def _bind(self, tx: local._Tx) -> None:
        row = tx.conn.execute("SELECT name FROM blob_store").fetchone()
        if row is None:
            tx.conn.execute("INSERT INTO blob_store (name) VALUES (?)", (self._name,))
        elif row[0] != self._name:
            raise RuntimeError(
                f"The index names blobs of {row[0]!r}, not of {self._name!r}: "
                "refusing to serve it over another blob store"
            )

    async def close(self) -> None:
        self._stopping.set()
        for handle, files in list(self._timers.items()):
            handle.cancel()
            self._forget(files)
        self._timers.clear()
        if self._deleting:  # they clear their retiring rows: pool still open
            await asyncio.gather(*self._deleting, return_exceptions=True)
        if self._listener is not None:
            await self._run(self._listener.join)
            self._listener = None
        for name in list(self._leases_held):
            await self.release_lease(name, self._leases_held[name][0])
        if self._pg is not None:
            try:
                # What this gateway could not delete is an orphan now.
                await self._run(self._with_retry, self._leave)
            except errors.S3Error:
                pass
            await self._run(self._pg.close)
            self._pg = None
        await local.LocalStorage.close(self)
        await self._blobs.close()

    def disk_state(self) -> None:  # type: ignore[override]
        """No index or blob on the data disk: no disk reserve to report
        (the local backend's full-disk state does not apply)."""
        return None

    async def check_index(self) -> None:
        """Raises ServiceUnavailable unless the index answers (readiness)."""

        def ping() -> None:
            with self._connection() as conn:
                conn.execute("SELECT 1")

        await self._run(self._with_retry, ping)

    # --- connections -------------------------------------------------------------

    def _connection(self) -> Any:
        assert self._pg is not None, "PgUpstreamStorage.start() was not called"
        # The listener reconnects every half second: while it cannot, the
        # index is most likely down, and a request waits a second, not ten,
        # for a connection before its 503.
        timeout = POOL_TIMEOUT if self._listening.is_set() else DOWN_TIMEOUT
        return self._pg.connection(timeout=timeout)

    def _with_retry(self, fn: Callable[[], T]) -> T:
        """Run a read; a broken pooled connection (PostgreSQL restarted) is
        retried once on a checked one, an unreachable index is a 503."""
        for attempt in (0, 1):
            try:
                return fn()
            except _RACES:
                raise
            except psycopg_pool.PoolTimeout as exc:
                raise unavailable(exc) from None
            except psycopg.OperationalError as exc:
                if attempt or self._pg is None:
                    raise unavailable(exc) from None
                self._pg.check()
            except psycopg.DataError as exc:
                raise errors.InvalidArgument(_reason(exc)) from None
        raise AssertionError("unreachable")

    # --- the write side ----------------------------------------------------------

    async def _write(self, job: Callable[[local._Tx], T], essential: bool = False) -> T:
        # ``essential`` (a job that frees local disk) means nothing here.
        value, tx = await self._run(self._run_job, job)
        if tx.retired:
            self._retire(tx.retired)
        return value

    def _run_job(self, job: Callable[[local._Tx], T]) -> tuple[T, local._Tx]:
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._with_retry(lambda: self._job_once(job))
            except _RACES as exc:
                LOG.debug("index job retried after %s", type(exc).__name__)
                time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
        raise errors.SlowDown(headers={"retry-after": RETRY_AFTER})

    def _job_once(self, job: Callable[[local._Tx], T]) -> tuple[T, local._Tx]:
        """One attempt of a write job in its own transaction. Pipeline mode:
        a statement whose result the job does not read (BEGIN, the key lock,
        the writes, NOTIFY, COMMIT) travels with the next one that it does,
        so a PUT costs three round trips (the bucket row, the key's latest
        row, the commit), not one per statement."""
        with self._connection() as raw:
            tx = local._Tx(pg_index.Conn(raw, write=True))  # type: ignore[arg-type]
            committing = False
            try:
                with raw.pipeline():
                    raw.execute("BEGIN")
                    value = job(tx)
                    if tx.moves:
                        raise AssertionError("an upstream job placed a local file")
                    if tx.retired:
                        raw.execute(
                            "INSERT INTO retiring_blobs (blob_id, gateway) "
                            "SELECT unnest(%s::text[]), %s ON CONFLICT DO NOTHING",
                            (_blob_ids(tx.retired), self._gateway_id),
                        )
                    for bucket in sorted(tx.buckets):
                        raw.execute(
                            "SELECT pg_notify(%s, %s)", (pg_index.CHANNEL, bucket)
                        )
                    committing = True
                    raw.execute("COMMIT")
            except psycopg.OperationalError as exc:
                if not committing or isinstance(exc, _RACES):
                    raise
                LOG.error("index commit outcome unknown: %s", _reason(exc))
                raise OutcomeUnknown(
                    "The index connection was lost during the commit; the write "
                    "may or may not have happened.",
                    headers={"retry-after": RETRY_AFTER},
                ) from None
            finally:
                if raw.info.transaction_status in (
                    pq.TransactionStatus.INTRANS,
                    pq.TransactionStatus.INERROR,
                ):
                    raw.execute("ROLLBACK")
        # This gateway's caches now; the others' when the NOTIFY arrives.
        self._after_commit(tx.buckets)
        return value, tx

    def _retire(self, files: list[str]) -> None:
        """Delete these blobs after the grace period (a reader on any
        gateway that resolved them just before may finish)."""
        assert self._loop is not None

        def due() -> None:
            self._timers.pop(handle, None)
            self._forget(files)

        handle = self._loop.call_later(self._grace, due)
        self._timers[handle] = list(files)

    async def _commit(self, job: Callable[[local._Tx], T], blob_id: str) -> T:
        """Run a job that makes the index name ``blob_id``; the blob is
        deleted unless the job commits (or may have committed)."""
        task = asyncio.ensure_future(self._write(job))

        def settled(done: asyncio.Future) -> None:
            if done.cancelled():
                self._forget([blob_id])
            elif (exc := done.exception()) is not None and not isinstance(
                exc, OutcomeUnknown
            ):
                self._forget([blob_id])

        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(settled)
            raise
        except OutcomeUnknown:
            raise
        except BaseException:
            self._forget([blob_id])
            raise

    # --- what the orphan GC asks of the index (blob_gc) ---------------------------

    async def _delete_blob(self, blob_id: str) -> None:
        try:
            await self._blobs.delete(blob_id)
        except Exception as exc:  # noqa: BLE001 - an orphan for the GC pass
            LOG.warning("blob %s left as an orphan: %s", blob_id, exc)
            return

        def settled() -> None:
            with self._connection() as conn:
                conn.execute(
                    "DELETE FROM retiring_blobs WHERE blob_id = %s", (blob_id,)
                )

        try:
            await self._run(self._with_retry, settled)
        except Exception as exc:  # noqa: BLE001 - the row expires by itself
            LOG.info("retiring row of blob %s left to expire: %s", blob_id, exc)

    @contextlib.asynccontextmanager
    async def gc_turn(self) -> AsyncIterator[bool]:
        """One GC pass at a time across every gateway of the index: a
        session advisory lock, released when the pass ends or the gateway
        dies. The holder also drops retiring rows past the horizon."""
        lease = await self._run(self.try_lock, "exordos-s3-blob-gc")
        if lease is None:
            yield False
            return
        try:
            await self._run(lease.expire_retiring)
            yield True
        finally:
            await self._run(lease.release)

    async def referenced_blobs(self) -> set[str]:
        """Every blob id a row names, and those another gateway retired and
        has not deleted yet (a read there may still stream them), in one
        snapshot."""

        def query(conn: Any) -> set[str]:
            found: set[str] = set()
            for (file,) in conn.execute(
                "SELECT file FROM versions WHERE file IS NOT NULL "
                "UNION ALL SELECT file FROM parts "
                f"UNION ALL {pg_index.LIVE_RETIRING}"
            ):
                found.update(file.split(upstream.SEPARATOR))
            return found

        return await self._read(query)

    async def retiring_blobs(self) -> set[str]:
        """Blobs this gateway made obsolete and will delete itself."""
        mine = {b for files in self._timers.values() for b in _blob_ids(files)}
        return mine | self._deferred | set(self._leases)

    # --- the read side -----------------------------------------------------------

    def _in_read_tx(self, fn: Callable[[Any], T]) -> T:
        def once() -> T:
            with self._connection() as raw:
                try:
                    # BEGIN and COMMIT travel with the statements around them.
                    with raw.pipeline():
                        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        value = fn(pg_index.Conn(raw, write=False))
                        raw.execute("COMMIT")
                    return value
                finally:
                    if raw.info.transaction_status in (
                        pq.TransactionStatus.INTRANS,
                        pq.TransactionStatus.INERROR,
                    ):
                        raw.execute("ROLLBACK")

        return self._with_retry(once)

    def _reader(self) -> Any:
        raise AssertionError("the PostgreSQL index has no per-thread readers")

    def _object_row(
        self, bucket: str, key: str, version_id: str | None, with_data: bool
    ) -> tuple:
        """The row a read addresses, in a worker thread: one statement in
        the common case (a live row proves the bucket exists), S3's precise
        answer through ``idx.lookup`` otherwise. No inline bodies here:
        column 13 is always None."""

        def fast() -> tuple | None:
            with self._connection() as raw:
                if version_id is None:
                    return raw.execute(_ROW_LATEST, (bucket, key)).fetchone()
                return raw.execute(_ROW_VERSION, (bucket, key, version_id)).fetchone()

        row = self._with_retry(fast)
        if row is not None and not row[4]:
            return (*row, None)

        def slow(c: Any) -> tuple:
            row = idx.lookup(c, bucket, key, version_id)
            if with_data and row[4]:
                raise self._delete_marker_error(row)
            return (*row, None)

        return self._in_read_tx(slow)

    async def _row_for_read(
        self, bucket: str, key: str, version_id: str | None
    ) -> tuple:
        return await self._run(self._object_row, bucket, key, version_id, True)

    async def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> base.ObjectInfo:
        row = await self._run(self._object_row, bucket, key, version_id, False)
        return idx.row_to_info(bucket, row)

    def _bucket(self, conn: Any, name: str) -> base.BucketInfo:
        if not self._listening.is_set():
            # Nobody would tell this gateway of a change: read, do not keep.
            if conn is None:
                row = self._in_read_tx(lambda c: idx.get_bucket_row(c, name))
            else:
                row = idx.get_bucket_row(conn, name)
            return idx.row_to_bucket(row)
        return super()._bucket(conn, name)

    async def get_bucket(self, name: str) -> base.BucketInfo:
        info = self._buckets.get(name)
        if info is not None:
            return info
        return await self._run(self._bucket, None, name)

    async def get_bucket_doc(self, bucket: str, name: str) -> bytes | None:
        docs = self._bucket_docs.get(bucket)
        if docs is not None and name in docs:
            return docs[name]
        with self._buckets_lock:
            gen = self._buckets_gen

        def query(conn: Any) -> bytes | None:
            idx.get_bucket_row(conn, bucket)
            row = conn.execute(
                "SELECT value FROM bucket_docs WHERE bucket = ? AND name = ?",
                (bucket, name),
            ).fetchone()
            return None if row is None else bytes(row[0])

        value = await self._read(query)
        if (
            self._listening.is_set()
            and len(name) <= local._DOC_NAME_CACHED
            and (value is None or len(value) <= 65536)
        ):
            with self._buckets_lock:
                if gen == self._buckets_gen:
                    self._bucket_docs.setdefault(bucket, {})[name] = value
        return value

    async def get_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> bytes | None:
        def query(conn: Any) -> bytes | None:
            row = idx.lookup(conn, bucket, key, version_id)
            doc = conn.execute(
                "SELECT value FROM object_docs WHERE version_row = ? AND name = ?",
                (row[idx.ROW_ID], name),
            ).fetchone()
            return None if doc is None else bytes(doc[0])

        return await self._read(query)

    # --- one namespace: cache invalidation ---------------------------------------

    def watch_buckets(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(bucket)`` on the event loop whenever another
        gateway changes a bucket's row or documents, ``callback(None)`` when
        changes may have been missed (the listener reconnected): for caches
        kept above the storage (the gateway's compiled access documents)."""
        self._watchers.append(callback)

    def _tell_watchers(self, bucket: str | None) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        for callback in self._watchers:
            try:
                self._loop.call_soon_threadsafe(callback, bucket)
            except RuntimeError:  # the loop closed meanwhile
                return

    def _changed(self, bucket: str) -> None:
        self._after_commit({bucket})
        self._tell_watchers(bucket)

    def _forget_all(self) -> None:
        with self._buckets_lock:
            self._buckets_gen += 1
            self._rows_gen += 1
            self._buckets.clear()
            self._bucket_docs.clear()
            self._rows.clear()
        self._tell_watchers(None)

    def _listen(self) -> None:
        """Apply every other gateway's bucket changes to the caches; while
        not listening, cache nothing (``_listening`` is clear)."""
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, **self._connect_args()) as conn:
                    conn.execute(f"LISTEN {pg_index.CHANNEL}")
                    # Whatever changed while nobody listened.
                    self._forget_all()
                    self._listening.set()
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._changed(note.payload)
                        # A silent peer is found here, not at the next
                        # NOTIFY; the beat also says this gateway lives.
                        self._heartbeat(conn)
            except Exception as exc:  # noqa: BLE001 - reconnect below
                if self._listening.is_set():
                    LOG.warning("index listener lost: %s", _reason(exc))
            self._listening.clear()
            self._forget_all()
            self._stopping.wait(0.5)

    # --- what the gateways of the index share ------------------------------------

    async def check_sse_fingerprint(self, fingerprint: str) -> None:
        """Record the SSE master key's fingerprint if none is, else raise
        ValueError unless it is the recorded one: a gateway with another key
        would write objects the others cannot open (decision 0020)."""

        def check() -> str:
            with self._connection() as conn:
                conn.execute(
                    "INSERT INTO settings (name, value) VALUES (%s, %s) "
                    "ON CONFLICT (name) DO NOTHING",
                    (SSE_FINGERPRINT, fingerprint),
                )
                row = conn.execute(
                    "SELECT value FROM settings WHERE name = %s", (SSE_FINGERPRINT,)
                ).fetchone()
                return str(row[0])

        recorded = await self._run(self._with_retry, check)
        if recorded != fingerprint:
            raise ValueError(
                "the SSE master key differs from the one the other gateways of "
                f"this index use (fingerprint {fingerprint[:8]}…, recorded "
                f"{recorded[:8]}…): give every gateway the same key "
                "(--sse-master-key-file, or the control plane's)"
            )

    @contextlib.asynccontextmanager
    async def bucket_doc_lock(self, bucket: str, name: str) -> AsyncIterator[None]:
        """The in-process lock, then a session advisory lock on a connection
        of its own, held across the caller's read-modify-write: the other
        gateways' writers of the document wait (a dead holder's lock goes
        with its connection). The document is re-read from the index inside
        (the cache may not have heard of the last writer's NOTIFY yet)."""
        async with super().bucket_doc_lock(bucket, name):
            conn = await self._run(self._doc_lock, bucket, name)
            try:
                with self._buckets_lock:
                    self._buckets_gen += 1
                    self._bucket_docs.pop(bucket, None)
                yield
            finally:
                await self._run(conn.close)

    def _doc_lock(self, bucket: str, name: str) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self._url, **self._connect_args())
        except psycopg.OperationalError as exc:
            raise unavailable(exc) from None
        try:
            # A holder that hangs is a 503 here, not a request that waits.
            conn.execute(f"SET statement_timeout = {DOC_LOCK_WAIT_MS}")
            conn.execute(
                "SELECT pg_advisory_lock(hashtextextended(%s, 2))",
                (f"{bucket}/{name}",),
            )
        except psycopg.Error as exc:
            conn.close()
            raise unavailable(exc) from None
        return conn

    # --- advisory locks for background workers -----------------------------------

    async def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """The lease ``name`` across every gateway of the index: a session
        advisory lock (``try_lock``). It needs no expiry: it lasts while
        this gateway's connection does, so a gateway that dies frees it at
        once and ``ttl`` is not used; renewing checks it is still held."""
        held = self._leases_held.get(name)
        if held is not None:
            if held[0] != holder:
                return False
            if await self._run(held[1].held):
                return True
            self._leases_held.pop(name, None)
            await self._run(held[1].release)
        lease = await self._run(self.try_lock, name)
        if lease is None:
            return False
        self._leases_held[name] = (holder, lease)
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        held = self._leases_held.get(name)
        if held is not None and held[0] == holder:
            del self._leases_held[name]
            await self._run(held[1].release)

    def try_lock(self, name: str) -> Lease | None:
        """A session-level advisory lock named ``name`` held on a connection
        of its own until ``Lease.release()`` (or the gateway's death), or
        None when another gateway holds it: one background worker per
        namespace (lifecycle, orphan GC). Blocking: call from a thread."""
        conn = psycopg.connect(self._url, **self._connect_args())
        try:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 1))", (name,)
            ).fetchone()
        except BaseException:
            conn.close()
            raise
        if not row or not row[0]:
            conn.close()
            return None
        return Lease(conn)


class Lease:
    """A held ``try_lock``: the lock lives as long as its connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def held(self) -> bool:
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def expire_retiring(self) -> None:
        """Forget what dead gateways retired (their blobs are orphans now)
        and gateways dead for a day."""
        self._conn.execute(
            "DELETE FROM retiring_blobs WHERE blob_id NOT IN "
            f"({pg_index.LIVE_RETIRING})"
        )
        self._conn.execute("DELETE FROM gateways WHERE seen < now() - interval '1 day'")

    def release(self) -> None:
        self._conn.close()
