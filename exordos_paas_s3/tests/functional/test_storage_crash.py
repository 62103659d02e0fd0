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
"""kill -9 a process writing through LocalStorage, reopen, check every promise.

A child process puts and overwrites objects (small inline ones, files, and
multi-MiB pipelined ones) as fast as it can, printing "attempt" before each
write and "ack" once the write returned. The parent SIGKILLs it at random
moments, several times over the same data directory, and after each kill
reopens the storage and checks: every key reads back byte-identical to its
last acknowledged write or to a write attempted after it; every listed object
has its data; tmp/ is empty and no data file is unreferenced.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from exordos_paas_s3.gateway.storage import local

pytestmark = pytest.mark.functional

CHILD = r"""
import asyncio, hashlib, os, sys
from exordos_paas_s3.gateway.storage import base, local

def body_for(key, n):
    seed = hashlib.sha256(f"{key}:{n}".encode()).digest()
    size = [100, 5000, 70000, 2 * 1024 * 1024 + 17][n % 4]
    return (seed * (size // 32 + 1))[:size]

async def chunks(data):
    for i in range(0, len(data), 65536):
        yield data[i:i + 65536]

async def writer(st, w, rounds):
    for n in range(rounds):
        # Each key has one writer, so "the last acknowledged" is well defined.
        key = f"k/{w}/{n % 3}"
        data = body_for(key, n * 16 + w)
        md5 = hashlib.md5(data).hexdigest()
        print("attempt", key, md5, flush=True)
        await st.put_object(base.PutRequest("crash", key, "o"), chunks(data))
        print("ack", key, md5, flush=True)

async def main():
    st = local.LocalStorage(sys.argv[1])
    await st.start()
    try:
        await st.create_bucket("crash", "o", "us-east-1")
    except Exception:
        pass
    print("ready", flush=True)
    await asyncio.gather(*(writer(st, w, 100000) for w in range(4)))

asyncio.run(main())
"""


def _run_and_kill(data_dir: str, rng: random.Random) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip() == "ready", proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.2, 1.2))
    finally:
        proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    # The last line may be cut in the middle by the kill.
    return [line for line in out.splitlines(keepends=True) if line.endswith("\n")]


async def _check(data_dir: str, allowed: dict[str, set[str]]) -> int:
    st = local.LocalStorage(data_dir)
    await st.start()
    try:
        listing = await st.list_objects("crash")
        listed = {o.key: o for o in listing.objects}
        for key, ok in allowed.items():
            assert key in listed, f"acknowledged {key} is missing"
            assert listed[key].etag in ok, f"{key}: etag not acked/attempted"
        for key, info in listed.items():
            reader = await st.open_object("crash", key)
            data = b"".join([c async for c in reader.stream()])
            assert len(data) == info.size
            assert hashlib.md5(data).hexdigest() == info.etag, f"{key} is torn"
        assert os.listdir(os.path.join(data_dir, "tmp")) == []
        return len(listed)
    finally:
        await st.close()


def _referenced_files(data_dir: str) -> set[str]:
    conn = sqlite3.connect(os.path.join(data_dir, "meta.sqlite"))
    try:
        rows = conn.execute(
            "SELECT file FROM versions WHERE file IS NOT NULL "
            "UNION ALL SELECT file FROM parts"
        ).fetchall()
    finally:
        conn.close()
    return {row[0] for row in rows}


def _files_on_disk(data_dir: str) -> set[str]:
    root = os.path.join(data_dir, "objects")
    return {
        f"{shard}/{name}"
        for shard in os.listdir(root)
        for name in os.listdir(os.path.join(root, shard))
    }


def test_kill_9_during_puts_and_overwrites_loses_nothing_acknowledged(tmp_path):
    data_dir = str(tmp_path / "data")
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    # key -> md5s that may legitimately be there: the last ack and any
    # attempt after it (it may have committed just before the kill).
    allowed: dict[str, set[str]] = {}
    acked: set[str] = set()
    acks = 0
    for _ in range(6):
        for line in _run_and_kill(data_dir, rng):
            kind, *rest = line.split()
            if kind == "attempt":
                key, md5 = rest
                allowed.setdefault(key, set()).add(md5)
            elif kind == "ack":
                key, md5 = rest
                allowed[key] = {md5}
                acked.add(key)
                acks += 1
        # Keys only attempted, never acknowledged, may be absent.
        asyncio.run(_check(data_dir, {k: allowed[k] for k in acked}))
        # After start() cleaned up, the disk holds exactly the indexed files.
        assert _files_on_disk(data_dir) == _referenced_files(data_dir)
    assert acks > 50, "the child acknowledged too few writes to test anything"
