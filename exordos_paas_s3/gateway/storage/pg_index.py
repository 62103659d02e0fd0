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
"""The PostgreSQL index: schema migrations and the connection adapter that
runs the SQLite index's statements (``local_index``, the jobs of
``local.LocalStorage``) on PostgreSQL.

The tables are the SQLite index's, column for column, so one set of jobs
serves both. Keys, bucket names and version ids are ``TEXT COLLATE "C"``
in a UTF-8 database: PostgreSQL then compares them bytewise over UTF-8,
which is S3's listing order (and SQLite's BINARY order), and a listing stays
an index range scan.

The adapter (``Conn``) translates a statement once (cached): ``?`` becomes
``%s``, ``INSERT OR REPLACE`` an ``INSERT ... ON CONFLICT DO UPDATE``, an
``INSERT INTO versions`` gains ``RETURNING id`` (for ``lastrowid``). A write
job's adapter also takes the key lock (``lock_key``, called by
``local_index`` before it reads a key's versions): a transaction-level
advisory lock on (bucket, key), so writers of one key on any number of
gateways take turns, and a conditional write sees the key as it is.

Migrations are numbered; ``schema_version`` holds those applied. A gateway
applies the missing ones at start under an advisory lock (several gateways
starting at once apply each migration once) and refuses an index whose
schema is newer than it knows.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import psycopg

# The advisory lock that serialises migrations (an arbitrary constant).
MIGRATION_LOCK = 0x65786F7264_01
# Bucket rows or documents changed: the payload is the bucket name.
CHANNEL = "exordos_s3_bucket"

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
CREATE TABLE buckets (
    name TEXT COLLATE "C" PRIMARY KEY,
    owner_id TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    region TEXT NOT NULL,
    object_lock INTEGER NOT NULL DEFAULT 0,
    versioning TEXT NOT NULL DEFAULT ''
);
CREATE TABLE bucket_docs (
    bucket TEXT COLLATE "C" NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (bucket, name)
);
-- The bucket reference makes a bucket delete and a write into it take
-- turns: the delete fails (and its job retries, then sees the object).
CREATE TABLE versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket TEXT COLLATE "C" NOT NULL REFERENCES buckets(name),
    key TEXT COLLATE "C" NOT NULL,
    version_id TEXT COLLATE "C" NOT NULL,
    is_latest SMALLINT NOT NULL,
    is_delete_marker SMALLINT NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT NOT NULL,
    last_modified DOUBLE PRECISION NOT NULL,
    owner_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    meta BYTEA NOT NULL,
    file TEXT COLLATE "C"
);
CREATE INDEX versions_by_key ON versions (bucket, key, id DESC);
CREATE UNIQUE INDEX versions_by_vid ON versions (bucket, key, version_id);
CREATE UNIQUE INDEX versions_latest ON versions (bucket, key) WHERE is_latest = 1;
CREATE INDEX versions_live ON versions (bucket, key)
    WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX versions_file ON versions (file) WHERE file IS NOT NULL;
CREATE TABLE object_docs (
    version_row BIGINT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (version_row, name)
);
CREATE TABLE uploads (
    upload_id TEXT COLLATE "C" PRIMARY KEY,
    bucket TEXT COLLATE "C" NOT NULL REFERENCES buckets(name),
    key TEXT COLLATE "C" NOT NULL,
    initiated DOUBLE PRECISION NOT NULL,
    owner_id TEXT NOT NULL,
    request BYTEA NOT NULL
);
CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE parts (
    upload_id TEXT COLLATE "C" NOT NULL
        REFERENCES uploads(upload_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT NOT NULL,
    last_modified DOUBLE PRECISION NOT NULL,
    checksums BYTEA NOT NULL,
    file TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX parts_file ON parts (file);
-- Which blob store the index names blobs of (one row).
CREATE TABLE blob_store (
    one SMALLINT PRIMARY KEY DEFAULT 1 CHECK (one = 1),
    name TEXT NOT NULL
);
-- Per-bucket usage (object versions and bytes, delete markers excluded),
-- kept by triggers in the writing transaction, as in the SQLite index.
CREATE TABLE bucket_usage (
    bucket TEXT COLLATE "C" PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    objects BIGINT NOT NULL,
    bytes BIGINT NOT NULL
);
CREATE FUNCTION bucket_usage_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.is_delete_marker = 0 THEN
        UPDATE bucket_usage SET objects = objects - 1, bytes = bytes - OLD.size
        WHERE bucket = OLD.bucket;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.is_delete_marker = 0 THEN
        INSERT INTO bucket_usage AS u (bucket, objects, bytes)
        VALUES (NEW.bucket, 1, NEW.size)
        ON CONFLICT (bucket) DO UPDATE
        SET objects = u.objects + 1, bytes = u.bytes + EXCLUDED.bytes;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bucket_usage_insert AFTER INSERT OR DELETE ON versions
    FOR EACH ROW EXECUTE FUNCTION bucket_usage_count();
CREATE TRIGGER bucket_usage_resize AFTER UPDATE OF size, is_delete_marker
    ON versions FOR EACH ROW EXECUTE FUNCTION bucket_usage_count();
""",
    ),
]
MIGRATIONS.append(
    (
        2,
        """
-- The gateways serving this index, each with its heartbeat (the database's
-- clock): a row not refreshed for LIVE_FOR is a gateway that died.
CREATE TABLE gateways (
    id TEXT COLLATE "C" PRIMARY KEY,
    seen TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Blobs a commit made obsolete, until the gateway that retired them has
-- deleted them (after its grace, after its readers' leases): the orphan GC
-- of any gateway counts them as named while that gateway lives, so it never
-- deletes a blob a read there still streams; once it is dead they are
-- orphans like any other.
CREATE TABLE retiring_blobs (
    blob_id TEXT COLLATE "C" PRIMARY KEY,
    gateway TEXT COLLATE "C" NOT NULL,
    since TIMESTAMPTZ NOT NULL DEFAULT now()
);
""",
    )
)
MIGRATIONS.append(
    (
        3,
        """
-- Facts every gateway of the index must agree on: the fingerprint of the
-- SSE master key (decision 0020) -- not the key, an HKDF output of it.
CREATE TABLE settings (
    name TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
""",
    )
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# A gateway whose heartbeat (every second) is older than this is dead.
LIVE_FOR = "30 seconds"
LIVE_RETIRING = (
    "SELECT r.blob_id FROM retiring_blobs AS r JOIN gateways AS g "
    f"ON g.id = r.gateway WHERE g.seen > now() - interval '{LIVE_FOR}'"
)


class SchemaError(Exception):
    """An index this gateway cannot serve (newer schema, wrong encoding)."""


def migrate(conn: psycopg.Connection) -> int:
    """Apply the missing migrations (one transaction, under the migration
    lock); the schema version now. ``conn`` is in autocommit mode."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        encoding = conn.execute("SHOW server_encoding").fetchone()
        if encoding is None or encoding[0].upper() not in ("UTF8", "UTF-8"):
            raise SchemaError(
                "the index database must be UTF8-encoded (keys sort bytewise "
                f"over UTF-8), not {encoding[0] if encoding else '?'}"
            )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, "
            "applied TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        current = (row[0] if row else None) or 0
        if current > SCHEMA_VERSION:
            raise SchemaError(
                f"the index schema is version {current}, newer than this "
                f"gateway's {SCHEMA_VERSION}: upgrade the gateway"
            )
        for number, sql in MIGRATIONS:
            if number > current:
                conn.execute(sql.encode())  # type: ignore[call-overload]
                conn.execute(
                    "INSERT INTO schema_version (version) VALUES (%s)", (number,)
                )
        return SCHEMA_VERSION


# --- statement translation ------------------------------------------------------

# Conflict targets of the tables the SQLite statements INSERT OR REPLACE into.
_CONFLICT = {
    "bucket_docs": ("bucket", "name"),
    "object_docs": ("version_row", "name"),
    "parts": ("upload_id", "part_number"),
}
_REPLACE = re.compile(r"^INSERT OR REPLACE INTO (\w+) \(([^)]*)\)(.*)$", re.S)


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, bool]:
    """PostgreSQL's form of a SQLite index statement, and whether it returns
    the inserted row id."""
    sql = sql.replace("%", "%%").replace("?", "%s")
    returning = False
    match = _REPLACE.match(sql)
    if match is not None:
        table, cols, rest = match.groups()
        keys = _CONFLICT[table]
        names = [c.strip() for c in cols.split(",")]
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c not in keys)
        sql = (
            f"INSERT INTO {table} ({cols}){rest} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        )
    elif sql.startswith("INSERT INTO versions "):
        sql += " RETURNING id"
        returning = True
    return sql, returning


class _Inserted:
    """What ``execute`` answers for an insert into versions: the row id is
    fetched only when asked for (in pipeline mode, a wait for the server)."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self._cursor = cursor

    @property
    def lastrowid(self) -> int:
        row = self._cursor.fetchone()
        assert row is not None
        return int(row[0])

    def fetchone(self) -> None:
        return None


def key_lock_id(bucket: str, key: str) -> tuple[str]:
    # Bucket names have no "/": the pair is unambiguous.
    return (f"{bucket}/{key}",)


class Conn:
    """A psycopg connection as the SQLite jobs use one: ``execute(sql,
    params)`` answering a cursor (``fetchone``, ``fetchall``, iteration,
    ``lastrowid`` after an insert into versions)."""

    def __init__(self, conn: psycopg.Connection, *, write: bool) -> None:
        self.raw = conn
        self._write = write
        self._locked: set[tuple[str, str]] = set()

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        text, returning = translate(sql)
        cursor = self.raw.execute(text, params)  # type: ignore[call-overload]
        return _Inserted(cursor) if returning else cursor

    def usage_for_update(self, bucket: str) -> int:
        """The bucket's stored bytes with its counter row locked until the
        transaction ends: quota checks of concurrent writers take turns."""
        # An upsert, not SELECT ... FOR UPDATE: an empty bucket has no
        # counter row yet, and a missing row locks nothing.
        row = self.raw.execute(
            "INSERT INTO bucket_usage AS u (bucket, objects, bytes) "
            "VALUES (%s, 0, 0) ON CONFLICT (bucket) DO UPDATE "
            "SET objects = u.objects RETURNING u.bytes",
            (bucket,),
        ).fetchone()
        assert row is not None  # an upsert with RETURNING answers a row
        return int(row[0])

    def lock_key(self, bucket: str, key: str) -> None:
        """Writers of one key take turns until their transactions end
        (readers never wait)."""
        if not self._write or (bucket, key) in self._locked:
            return
        self.raw.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            key_lock_id(bucket, key),
        )
        self._locked.add((bucket, key))
