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
"""The SQLite index of the local backend: schema, row mapping and key scans.

Keys are TEXT with the BINARY collation in a UTF-8 database, so SQLite
compares them with memcmp over UTF-8, which is the S3 listing order (and the
same as Python's code point order of ``str``). Listings are index range
scans; a delimiter listing seeks past a whole common prefix instead of
reading the keys under it.

Scans run in a worker thread; point lookups (a bucket, a version row, a
document) may run on the event-loop thread: they are indexed and short.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator

import orjson

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base

LOG = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    created REAL NOT NULL,
    region TEXT NOT NULL,
    object_lock INTEGER NOT NULL DEFAULT 0,
    versioning TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS bucket_docs (
    bucket TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (bucket, name)
) WITHOUT ROWID;
-- One row per object version or delete marker. ``id`` grows with every
-- write, so "newest first" within a key is ``id DESC``.
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    is_latest INTEGER NOT NULL,
    is_delete_marker INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    owner_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    meta BLOB NOT NULL,
    -- "<shard>/<id>" under objects/, NULL for delete markers and for
    -- small objects kept inline in ``blobs``.
    file TEXT
);
CREATE INDEX IF NOT EXISTS versions_by_key ON versions (bucket, key, id DESC);
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_vid
    ON versions (bucket, key, version_id);
CREATE UNIQUE INDEX IF NOT EXISTS versions_latest
    ON versions (bucket, key) WHERE is_latest = 1;
CREATE INDEX IF NOT EXISTS versions_live
    ON versions (bucket, key) WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX IF NOT EXISTS versions_file ON versions (file) WHERE file IS NOT NULL;
CREATE TABLE IF NOT EXISTS blobs (
    version_row INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS object_docs (
    version_row INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (version_row, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    initiated REAL NOT NULL,
    owner_id TEXT NOT NULL,
    request BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    checksums BLOB NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parts_file ON parts (file);
"""

VERSION_COLS = (
    "id, key, version_id, is_latest, is_delete_marker, size, etag, "
    "last_modified, owner_id, content_type, storage_class, meta, file"
)
# Positions in a VERSION_COLS row.
ROW_ID, ROW_KEY, ROW_VID, ROW_FILE = 0, 1, 2, 12
ROW_DELETE, ROW_SIZE = 4, 5


def connect(path: str, *, fsync: bool, readonly: bool = False) -> sqlite3.Connection:
    # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=60
    )
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL fsyncs the WAL at every commit: an acknowledged write survives a
    # power loss. NORMAL still survives kill -9 (the WAL is in the page cache).
    conn.execute("PRAGMA synchronous=%s" % ("FULL" if fsync else "NORMAL"))
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-32768")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


# Per-bucket usage (object versions and their bytes, delete markers excluded),
# kept by triggers in the same transaction as the versions rows, so a quota
# check or a state report reads one row instead of summing the bucket.
USAGE_SCHEMA = """
BEGIN;
CREATE TABLE IF NOT EXISTS bucket_usage (
    bucket TEXT PRIMARY KEY,
    objects INTEGER NOT NULL,
    bytes INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS bucket_usage_insert AFTER INSERT ON versions
WHEN NEW.is_delete_marker = 0 BEGIN
    INSERT INTO bucket_usage (bucket, objects, bytes) VALUES (NEW.bucket, 1, NEW.size)
    ON CONFLICT (bucket) DO UPDATE
    SET objects = objects + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER IF NOT EXISTS bucket_usage_delete AFTER DELETE ON versions
WHEN OLD.is_delete_marker = 0 BEGIN
    UPDATE bucket_usage SET objects = objects - 1, bytes = bytes - OLD.size
    WHERE bucket = OLD.bucket;
END;
CREATE TRIGGER IF NOT EXISTS bucket_usage_resize AFTER UPDATE OF size ON versions
WHEN OLD.is_delete_marker = 0 AND NEW.is_delete_marker = 0 BEGIN
    UPDATE bucket_usage SET bytes = bytes - OLD.size + NEW.size
    WHERE bucket = NEW.bucket;
END;
CREATE TRIGGER IF NOT EXISTS bucket_usage_drop AFTER DELETE ON buckets BEGIN
    DELETE FROM bucket_usage WHERE bucket = OLD.name;
END;
-- An index created before the counter existed: count what is there once.
INSERT OR IGNORE INTO bucket_usage (bucket, objects, bytes)
    SELECT bucket, COUNT(*), SUM(size) FROM versions
    WHERE is_delete_marker = 0 GROUP BY bucket;
COMMIT;
"""


_SCHEMA_NAMES = frozenset(
    re.findall(
        r"CREATE (?:UNIQUE )?(?:TABLE|INDEX|TRIGGER) IF NOT EXISTS (\w+)",
        SCHEMA + USAGE_SCHEMA,
    )
)


def create_schema(conn: sqlite3.Connection) -> None:
    # Nothing is written when the schema is complete: a start on a full
    # disk must not need a page (the user_version write would).
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION and _SCHEMA_NAMES <= names:
        return
    conn.executescript(SCHEMA)
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bucket_usage'"
    ).fetchone():
        conn.executescript(USAGE_SCHEMA)
    conn.execute("PRAGMA user_version=%d" % SCHEMA_VERSION)


def bucket_usage(conn: sqlite3.Connection, bucket: str) -> tuple[int, int]:
    """(object versions, bytes) of a bucket, from the trigger-kept counter."""
    get_bucket_row(conn, bucket)
    row = conn.execute(
        "SELECT objects, bytes FROM bucket_usage WHERE bucket = ?", (bucket,)
    ).fetchone()
    return (row[0], row[1]) if row is not None else (0, 0)


def upload_usage(conn: sqlite3.Connection, bucket: str) -> tuple[int, int]:
    """(unfinished multipart uploads, bytes of their parts) of a bucket."""
    get_bucket_row(conn, bucket)
    row = conn.execute(
        "SELECT COUNT(DISTINCT u.upload_id), COALESCE(SUM(p.size), 0) "
        "FROM uploads AS u LEFT JOIN parts AS p ON p.upload_id = u.upload_id "
        "WHERE u.bucket = ?",
        (bucket,),
    ).fetchone()
    # int(): PostgreSQL's SUM of a BIGINT is a NUMERIC (a Decimal here).
    return int(row[0]), int(row[1])


def successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``
    (None: no such bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1])
        if code < 0x10FFFF:
            code += 1
            if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be UTF-8 encoded
                code = 0xE000
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def dump_meta(
    system_meta: dict[str, str],
    user_meta: dict[str, str],
    checksums: dict[str, str],
    part_sizes: list[int],
) -> bytes:
    return orjson.dumps(
        {"s": system_meta, "u": user_meta, "c": checksums, "p": part_sizes}
    )


# --- rows -> dataclasses -------------------------------------------------------


def row_to_info(bucket: str, row: tuple) -> base.ObjectInfo:
    # A GET's row carries the inline body as a 14th column.
    _id, key, vid, latest, marker, size, etag, modified, owner, ctype, sclass, m, _ = (
        row[:13]
    )
    meta = orjson.loads(m)
    part_sizes = meta.get("p") or []
    # Positional, in ObjectInfo's field order: a listing builds 1,000 of
    # these and keywords cost a third more (test_storage_local_index checks
    # the order).
    return base.ObjectInfo(
        bucket,
        key,
        size,
        etag,
        modified,
        owner,
        vid,
        bool(latest),
        bool(marker),
        ctype,
        meta.get("s") or {},
        meta.get("u") or {},
        meta.get("c") or {},
        sclass,
        len(part_sizes),
        part_sizes,
    )


BUCKET_COLS = "name, owner_id, created, region, object_lock, versioning"


def row_to_bucket(row: tuple) -> base.BucketInfo:
    return base.BucketInfo(
        name=row[0],
        owner_id=row[1],
        created=row[2],
        region=row[3],
        object_lock_enabled=bool(row[4]),
        versioning=row[5],
    )


def request_to_json(req: base.PutRequest) -> bytes:
    return orjson.dumps(
        {
            "bucket": req.bucket,
            "key": req.key,
            "owner_id": req.owner_id,
            "content_type": req.content_type,
            "system_meta": req.system_meta,
            "user_meta": req.user_meta,
            "checksum_algorithms": list(req.checksum_algorithms),
            "want_sha256": req.want_sha256,
            "storage_class": req.storage_class,
            "expected_size": req.expected_size,
            "checksum_type": req.checksum_type,
        }
    )


# upload_id and key first: the shape scan_keyed expects.
UPLOAD_COLS = "upload_id, key, bucket, initiated, owner_id, request"


def row_to_upload(row: tuple) -> base.UploadInfo:
    req = orjson.loads(row[5])
    req["checksum_algorithms"] = tuple(req.get("checksum_algorithms") or ())
    return base.UploadInfo(
        bucket=row[2],
        key=row[1],
        upload_id=row[0],
        initiated=row[3],
        owner_id=row[4],
        request=base.PutRequest(**req),
    )


PART_COLS = "part_number, size, etag, last_modified, checksums, file"


def row_to_part(row: tuple) -> base.PartInfo:
    return base.PartInfo(
        part_number=row[0],
        size=row[1],
        etag=row[2],
        last_modified=row[3],
        checksums=orjson.loads(row[4]),
    )


# --- point lookups ----------------------------------------------------------------


def get_bucket_row(conn: sqlite3.Connection, name: str) -> tuple:
    row = conn.execute(
        f"SELECT {BUCKET_COLS} FROM buckets WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise errors.NoSuchBucket(resource=name, BucketName=name)
    return row


def _lock_key(conn: sqlite3.Connection, bucket: str, key: str) -> None:
    # A shared index (PostgreSQL) locks the key for a write job before it
    # reads the key's versions; SQLite's single writer needs no lock.
    lock = getattr(conn, "lock_key", None)
    if lock is not None:
        lock(bucket, key)


def usage_for_update(conn: sqlite3.Connection, bucket: str) -> int:
    """The bucket's stored bytes, for a write job about to add to them: a
    shared index (PostgreSQL) locks the counter row until the job's
    transaction ends; SQLite's single writer needs no lock."""
    lock = getattr(conn, "usage_for_update", None)
    if lock is not None:
        return int(lock(bucket))
    row = conn.execute(
        "SELECT bytes FROM bucket_usage WHERE bucket = ?", (bucket,)
    ).fetchone()
    return int(row[0]) if row is not None else 0


def latest_row(conn: sqlite3.Connection, bucket: str, key: str) -> tuple | None:
    _lock_key(conn, bucket, key)
    return conn.execute(
        f"SELECT {VERSION_COLS} FROM versions "
        "WHERE bucket = ? AND key = ? AND is_latest = 1",
        (bucket, key),
    ).fetchone()


def version_row(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str
) -> tuple | None:
    _lock_key(conn, bucket, key)
    return conn.execute(
        f"SELECT {VERSION_COLS} FROM versions "
        "WHERE bucket = ? AND key = ? AND version_id = ?",
        (bucket, key, version_id),
    ).fetchone()


def lookup(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None
) -> tuple:
    """The row a read addresses, with S3's answers for what is missing."""
    get_bucket_row(conn, bucket)
    if version_id is None:
        row = latest_row(conn, bucket, key)
        if row is None:
            raise errors.NoSuchKey(resource=key, Key=key)
        if row[4]:
            # A latest delete marker hides the key; S3 says so in headers.
            raise errors.NoSuchKey(
                resource=key,
                headers={"x-amz-delete-marker": "true", "x-amz-version-id": row[2]},
                Key=key,
            )
        return row
    row = version_row(conn, bucket, key, version_id)
    if row is None:
        raise errors.NoSuchVersion(resource=key, Key=key, VersionId=version_id)
    return row


# --- scans --------------------------------------------------------------------------

# A scan yields ("cp", prefix) for a common prefix or ("row", row).
Entry = tuple[str, object]


def _group(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    i = key.find(delimiter, len(prefix))
    if i < 0:
        return None
    return key[: i + len(delimiter)]


def _start(prefix: str, delimiter: str, marker: str) -> tuple[str, bool] | None:
    """Where a scan begins: (bound, inclusive), or None when nothing is left."""
    if marker < prefix:
        return prefix, True
    group = _group(marker, prefix, delimiter) if marker.startswith(prefix) else None
    if group is not None:
        # The marker lies in a common prefix already returned: skip all of it.
        nxt = successor(group)
        return None if nxt is None else (nxt, True)
    return marker, False


def scan_latest(
    conn: sqlite3.Connection,
    bucket: str,
    prefix: str,
    delimiter: str,
    start_after: str,
    batch: int,
) -> Iterator[Entry]:
    """Latest live versions of keys > start_after under prefix."""
    return scan_keyed(
        conn,
        select=f"SELECT {VERSION_COLS} FROM versions",
        where="is_latest = 1 AND is_delete_marker = 0",
        bucket=bucket,
        prefix=prefix,
        delimiter=delimiter,
        key_marker=start_after,
        batch=batch,
    )


def scan_keyed(
    conn: sqlite3.Connection,
    *,
    select: str,
    bucket: str,
    prefix: str,
    delimiter: str,
    key_marker: str,
    batch: int,
    where: str = "",
    second: str | None = None,
    descending: bool = False,
    second_marker: object | None = None,
) -> Iterator[Entry]:
    """Rows of keys under ``prefix`` after ``key_marker`` from ``select`` (a
    SELECT ... FROM t with the key in column 1), filtered by ``where``.

    Without ``second`` a key has at most one row (latest versions). With it
    (in column 0) rows are ordered by (key, ``second``), for version and
    upload listings with their (key marker, secondary marker) pagination."""
    hi = successor(prefix) if prefix else None
    head = f"{select} WHERE bucket = ? " + (f"AND {where} " if where else "")
    tail = ("AND key < ? " if hi is not None else "") + "ORDER BY key"
    if second is not None:
        tail += f", {second} {'DESC' if descending else 'ASC'}"
    # Built once: a delimiter listing seeks once per common prefix.
    sql = {
        inclusive: f"{head}AND key {'>=' if inclusive else '>'} ? {tail} LIMIT ?"
        for inclusive in (True, False)
    }
    hi_args: tuple = (hi,) if hi is not None else ()

    def rest_of_key(key: str, after: object) -> Iterator[Entry]:
        cmp = "<" if descending else ">"
        while True:
            rows = conn.execute(
                f"{head}AND key = ? AND {second} {cmp} ? "
                f"ORDER BY {second} {'DESC' if descending else 'ASC'} LIMIT ?",
                (bucket, key, after, batch),
            ).fetchall()
            for row in rows:
                yield ("row", row)
            if len(rows) < batch:
                return
            after = rows[-1][0]

    if (
        second is not None
        and key_marker
        and second_marker is not None
        and key_marker.startswith(prefix)
        and _group(key_marker, prefix, delimiter) is None
    ):
        yield from rest_of_key(key_marker, second_marker)
    start = _start(prefix, delimiter, key_marker)
    if start is None:
        return
    lo, inclusive = start
    while True:
        rows = conn.execute(sql[inclusive], (bucket, lo, *hi_args, batch)).fetchall()
        if not rows:
            return
        reseek = False
        for row in rows:
            group = _group(row[1], prefix, delimiter)
            if group is not None:
                yield ("cp", group)
                nxt = successor(group)
                if nxt is None:
                    return
                lo, inclusive, reseek = nxt, True, True
                break
            yield ("row", row)
            lo, inclusive = row[1], False
        if reseek:
            continue
        if len(rows) < batch:
            return
        if second is not None:
            # The batch may have ended inside one key's rows: finish that key.
            yield from rest_of_key(rows[-1][1], rows[-1][0])


def take(entries: Iterator[Entry], limit: int) -> tuple[list[Entry], bool]:
    """The first ``limit`` entries and whether more exist."""
    out: list[Entry] = []
    if limit <= 0:
        return out, False
    for entry in entries:
        if len(out) == limit:
            return out, True
        out.append(entry)
    return out, False


def scan_batch(limit: int, delimiter: str) -> int:
    # With a delimiter most rows after a common prefix are skipped, so read
    # small batches; without one read the page in one go.
    if delimiter:
        return max(2, min(limit + 1, 64))
    return max(2, min(limit + 1, 1001))
