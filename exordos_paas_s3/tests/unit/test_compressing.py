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
"""The compression wrapper over the real local backend: what it reads and
what it decides (storage/compressing.py)."""

from __future__ import annotations

import asyncio
import json
import os

from exordos_paas_s3.gateway.storage import base, compressing, local

MIB = 1 << 20


async def _body(data: bytes, size: int = 64 * 1024):
    for i in range(0, len(data), size):
        yield data[i : i + size]


class CountingData(base.StoredData):
    def __init__(self, inner: base.StoredData, reads: list) -> None:
        self.inner = inner
        self.reads = reads

    async def read(self, offset: int, size: int) -> bytes:
        self.reads.append((offset, size))
        return await self.inner.read(offset, size)

    def close(self) -> None:
        self.inner.close()


class CountingStorage(base.StorageWrapper):
    """Records the stored bytes reads ask the backend for."""

    def __init__(self, inner: base.Storage) -> None:
        super().__init__(inner)
        self.spans: list[tuple[int, int]] = []

    async def open_object(
        self, bucket, key, version_id=None, start=0, length=None, customer_key=None
    ):
        reader = await self.inner.open_object(
            bucket, key, version_id, start, length, customer_key
        )
        stored = reader.stored
        if stored is not None:
            reader.stored = lambda: CountingData(stored(), self.spans)
        return reader


def _run(tmp_path, fn):
    async def main():
        backend = local.LocalStorage(str(tmp_path), fsync=False)
        counting = CountingStorage(backend)
        st = compressing.CompressingStorage(counting, default="zstd")
        await st.start()
        try:
            await st.create_bucket("b", "o", "us-east-1")
            await fn(st, counting, backend)
        finally:
            await st.close()

    asyncio.run(main())


def _text(size: int) -> bytes:
    lines = (
        b'{"n": %d, "msg": "line %d of the log"}\n' % (i, i * 31 % 977)
        for i in range(size)
    )
    return b"".join(lines)[:size]


def test_a_middle_mebibyte_reads_at_most_two_frames(tmp_path):
    data = _text(8 * MIB)

    async def t(st, counting, backend):
        await st.put_object(base.PutRequest("b", "k", "o"), _body(data))
        stored = await backend.head_object("b", "k")
        record = json.loads(stored.system_meta[compressing.RECORD_META])
        sizes = record["z"]
        assert len(sizes) == 8 and stored.size == sum(sizes) < len(data) / 3
        mid = 4 * MIB - 1000
        reader = await st.open_object("b", "k", start=mid, length=MIB)
        counting.spans.clear()
        out = b"".join([c async for c in reader.stream()])
        assert out == data[mid : mid + MIB]
        # Frames 3 and 4 of 8, one read each, and nothing else.
        assert counting.spans == [
            (sum(sizes[:3]), sizes[3]),
            (sum(sizes[:4]), sizes[4]),
        ]

    _run(tmp_path, t)


def test_the_sample_decides_and_small_objects_stay_plain(tmp_path):
    async def t(st, counting, backend):
        noise = os.urandom(3 * MIB)
        info = await st.put_object(base.PutRequest("b", "noise", "o"), _body(noise))
        assert info.size == len(noise)
        small = _text(10_000)
        await st.put_object(base.PutRequest("b", "small", "o"), _body(small))
        for key in ("noise", "small"):
            stored = await backend.head_object("b", key)
            assert compressing.RECORD_META not in stored.system_meta
        reader = await st.open_object("b", "noise")
        assert b"".join([c async for c in reader.stream()]) == noise

    _run(tmp_path, t)


def test_a_read_keeps_the_version_it_opened_across_an_overwrite(tmp_path):
    one, two = _text(3 * MIB), _text(3 * MIB)[::-1]

    async def t(st, counting, backend):
        await st.put_object(base.PutRequest("b", "k", "o"), _body(one))
        whole = await st.open_object("b", "k")
        ranged = await st.open_object("b", "k", start=MIB + 7, length=MIB)
        await st.put_object(base.PutRequest("b", "k", "o"), _body(two))
        await st.delete_object("b", "k")
        assert b"".join([c async for c in whole.stream()]) == one
        got = b"".join([c async for c in ranged.stream()])
        assert got == one[MIB + 7 : 2 * MIB + 7]

    _run(tmp_path, t)
