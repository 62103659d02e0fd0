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
"""The SQLite index's row mapping and key scans, against plain Python.

The scans (latest versions, all versions, uploads: one loop since they were
folded together) are compared with a brute-force listing over random keys,
prefixes, delimiters, markers and page sizes, with batch sizes small enough
that every page crosses batch boundaries and a key's versions straddle them.
"""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from typing import Any

import pytest

from exordos_paas_s3.gateway.storage import base
from exordos_paas_s3.gateway.storage import local_index as idx


def test_row_to_info_maps_every_column_to_its_field() -> None:
    meta = idx.dump_meta({"cache-control": "no"}, {"a": "b"}, {"CRC32": "x"}, [5, 3])
    row = (
        7,  # id
        "the/key",
        "vid-1",
        1,
        0,
        8,
        "etag-2",
        1763763987.25,
        "owner-x",
        "text/plain",
        "GLACIER",
        meta,
        "ab/7",  # file
    )
    want = base.ObjectInfo(
        bucket="bkt",
        key="the/key",
        size=8,
        etag="etag-2",
        last_modified=1763763987.25,
        owner_id="owner-x",
        version_id="vid-1",
        is_latest=True,
        is_delete_marker=False,
        content_type="text/plain",
        system_meta={"cache-control": "no"},
        user_meta={"a": "b"},
        checksums={"CRC32": "x"},
        storage_class="GLACIER",
        parts_count=2,
        part_sizes=[5, 3],
    )
    assert idx.row_to_info("bkt", row) == want
    marker = idx.row_to_info("bkt", row[:3] + (0, 1) + row[5:])
    assert dataclasses.replace(want, is_latest=False, is_delete_marker=True) == marker


# --- scans --------------------------------------------------------------------


ALPHABET = ["a", "b", "/", "é", "日", "😀", "-", "ab/", "a/b"]
DELIMITERS = ["", "/", "b", "é", "/b", "😀"]


def _keys(rnd: random.Random, n: int) -> list[str]:
    keys: set[str] = set()
    while len(keys) < n:
        keys.add("".join(rnd.choices(ALPHABET, k=rnd.randint(1, 5))))
    return sorted(keys)


def _entry(key: str, prefix: str, delimiter: str) -> tuple[str, str]:
    if delimiter:
        i = key.find(delimiter, len(prefix))
        if i >= 0:
            return ("cp", key[: i + len(delimiter)])
    return ("key", key)


def _reference(
    rows: list[tuple[str, Any]],
    prefix: str,
    delimiter: str,
    key_marker: str,
    second_marker: Any,
    descending: bool,
) -> list[tuple]:
    """S3's listing order and marker rules, by brute force over (key, second)."""
    order = sorted(rows, key=lambda r: r[1], reverse=descending)
    order.sort(key=lambda r: r[0])  # stable: by key, then by second
    out: list[tuple] = []
    marker_group = None
    if key_marker.startswith(prefix):
        kind, group = _entry(key_marker, prefix, delimiter)
        if kind == "cp":
            marker_group = group
    for key, second in order:
        if not key.startswith(prefix):
            continue
        if key < key_marker:
            continue
        if key == key_marker:
            if second_marker is None or marker_group is not None:
                continue
            after = second < second_marker if descending else second > second_marker
            if not after:
                continue
        kind, text = _entry(key, prefix, delimiter)
        if kind == "cp":
            if text == marker_group or (out and out[-1] == ("cp", text)):
                continue
            out.append(("cp", text))
        else:
            out.append(("row", key, second))
    return out


def _got(entries: list[idx.Entry]) -> list[tuple]:
    out: list[tuple] = []
    for kind, item in entries:
        if kind == "cp":
            out.append(("cp", item))
        else:
            out.append(("row", item[1], item[0]))  # type: ignore[index]
    return out


@pytest.fixture(scope="module")
def db():
    rnd = random.Random(11)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    idx.create_schema(conn)
    keys = _keys(rnd, 60)
    versions: list[tuple[str, int]] = []  # (key, id) of every version
    latest: list[tuple[str, int]] = []  # the live latest ones
    meta = idx.dump_meta({}, {}, {}, [])
    for bucket in ("b", "other"):
        for key in keys:
            n = rnd.choice((1, 1, 2, 4))
            for v in range(n):
                is_latest = v == n - 1
                marker = is_latest and rnd.random() < 0.2
                cur = conn.execute(
                    "INSERT INTO versions (bucket, key, version_id, is_latest, "
                    "is_delete_marker, size, etag, last_modified, owner_id, "
                    "content_type, storage_class, meta) "
                    "VALUES (?, ?, ?, ?, ?, 1, 'e', 1.0, 'o', 'c', 'STANDARD', ?)",
                    (bucket, key, f"v{v}", int(is_latest), int(marker), meta),
                )
                if bucket == "b":
                    versions.append((key, cur.lastrowid))
                    if is_latest and not marker:
                        latest.append((key, cur.lastrowid))
    uploads: list[tuple[str, str]] = []
    for i, key in enumerate(rnd.sample(keys, 30)):
        for u in range(rnd.choice((1, 3))):
            uid = f"u{rnd.randrange(10**6):06d}-{i}-{u}"
            conn.execute(
                "INSERT INTO uploads VALUES (?, 'b', ?, 1.0, 'o', x'7b7d')",
                (uid, key),
            )
            uploads.append((key, uid))
    return conn, keys, versions, latest, uploads


def _cases(keys: list[str], seed: int, n: int):
    rnd = random.Random(seed)
    for _ in range(n):
        prefix = rnd.choice(["", "", "a", "a/", "é", "ab", rnd.choice(keys)[:2]])
        delimiter = rnd.choice(DELIMITERS)
        marker = rnd.choice(["", "", rnd.choice(keys), rnd.choice(keys)[:2], "zz"])
        limit = rnd.choice((1, 2, 3, 7, 1000))
        batch = rnd.choice((2, 3, 5, idx.scan_batch(limit, delimiter)))
        yield prefix, delimiter, marker, limit, batch


def test_scan_latest_matches_reference(db) -> None:
    conn, keys, _versions, latest, _uploads = db
    for prefix, delimiter, marker, limit, batch in _cases(keys, 1, 600):
        want = _reference(latest, prefix, delimiter, marker, None, False)
        entries, truncated = idx.take(
            idx.scan_latest(conn, "b", prefix, delimiter, marker, batch), limit
        )
        case = (prefix, delimiter, marker, limit, batch)
        assert _got(entries) == want[:limit], case
        assert truncated == (len(want) > limit), case


def _check_keyed(conn, keys, rows, table, second, descending, seed, n) -> None:
    rnd = random.Random(seed)
    seconds = {key: [v for k, v in rows if k == key] for key in keys}
    cols = idx.VERSION_COLS if table == "versions" else idx.UPLOAD_COLS
    for prefix, delimiter, marker, limit, batch in _cases(keys, seed, n):
        after = None
        if seconds.get(marker) and rnd.random() < 0.7:
            after = rnd.choice(seconds[marker])
        want = _reference(rows, prefix, delimiter, marker, after, descending)
        entries, truncated = idx.take(
            idx.scan_keyed(
                conn,
                select=f"SELECT {cols} FROM {table}",
                bucket="b",
                second=second,
                descending=descending,
                prefix=prefix,
                delimiter=delimiter,
                key_marker=marker,
                second_marker=after,
                batch=batch,
            ),
            limit,
        )
        case = (prefix, delimiter, marker, after, limit, batch)
        assert _got(entries) == want[:limit], case
        assert truncated == (len(want) > limit), case


def test_scan_versions_matches_reference(db) -> None:
    conn, keys, versions, _latest, _uploads = db
    _check_keyed(conn, keys, versions, "versions", "id", True, 2, 600)


def test_scan_uploads_matches_reference(db) -> None:
    conn, keys, _versions, _latest, uploads = db
    _check_keyed(conn, keys, uploads, "uploads", "upload_id", False, 3, 400)


def test_reference_sees_rollups_and_markers(db) -> None:
    # The random cases do reach what the scans must get right.
    conn, keys, versions, latest, _uploads = db
    assert any(
        kind == "cp" for kind, *_ in _reference(latest, "", "/", "", None, False)
    )
    with_marker = _reference(versions, "", "", keys[3], versions[0][1], True)
    assert with_marker and with_marker[0][1] >= keys[3]
    assert len(versions) > len(latest) > 0
