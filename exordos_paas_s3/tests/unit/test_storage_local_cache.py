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
"""LocalStorage's in-memory bucket and bucket-document caches stay exact.

The read fast paths (bucket rows and settings documents from memory, point
lookups on the loop thread) must never answer with a state that a completed
write has replaced. Each test reads first (filling the caches), writes, and
reads again.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base, local


def _run(tmp_path, fn, **kwargs) -> None:
    async def main() -> None:
        storage = local.LocalStorage(str(tmp_path / "data"), **kwargs)
        await storage.start()
        try:
            await fn(storage)
        finally:
            await storage.close()

    asyncio.run(main())


async def _body(data: bytes):
    yield data


def test_bucket_cache_follows_create_update_delete(tmp_path) -> None:
    async def fn(s: local.LocalStorage) -> None:
        with pytest.raises(errors.NoSuchBucket):
            await s.get_bucket("b1")
        await s.create_bucket("b1", "owner-a", "us-east-1")
        assert (await s.get_bucket("b1")).owner_id == "owner-a"
        assert (await s.get_bucket("b1")).versioning == ""
        await s.update_bucket("b1", versioning="Enabled")
        assert (await s.get_bucket("b1")).versioning == "Enabled"
        await s.update_bucket("b1", owner_id="owner-b")
        assert (await s.get_bucket("b1")).owner_id == "owner-b"
        await s.delete_bucket("b1")
        with pytest.raises(errors.NoSuchBucket):
            await s.get_bucket("b1")
        await s.create_bucket("b1", "owner-c", "eu-west-1")
        info = await s.get_bucket("b1")
        assert (info.owner_id, info.region) == ("owner-c", "eu-west-1")

    _run(tmp_path, fn)


def test_failed_bucket_write_keeps_the_cache_right(tmp_path) -> None:
    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "owner-a", "us-east-1")
        await s.get_bucket("b1")
        with pytest.raises(errors.BucketAlreadyExists):
            await s.create_bucket("b1", "owner-x", "us-east-1")
        assert (await s.get_bucket("b1")).owner_id == "owner-a"
        await s.put_object(
            base.PutRequest(bucket="b1", key="k", owner_id="owner-a"),
            _body(b"x"),
        )
        with pytest.raises(errors.BucketNotEmpty):
            await s.delete_bucket("b1")
        assert (await s.get_bucket("b1")).owner_id == "owner-a"

    _run(tmp_path, fn)


def test_bucket_doc_cache_follows_put_delete_and_bucket_delete(tmp_path) -> None:
    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "o", "us-east-1")
        assert await s.get_bucket_doc("b1", "quota") is None  # cached miss
        await s.put_bucket_doc("b1", "quota", b"one")
        assert await s.get_bucket_doc("b1", "quota") == b"one"
        await s.put_bucket_doc("b1", "quota", b"two")
        assert await s.get_bucket_doc("b1", "quota") == b"two"
        await s.delete_bucket_doc("b1", "quota")
        assert await s.get_bucket_doc("b1", "quota") is None
        await s.put_bucket_doc("b1", "quota", b"three")
        assert await s.get_bucket_doc("b1", "quota") == b"three"
        await s.delete_bucket("b1")
        with pytest.raises(errors.NoSuchBucket):
            await s.get_bucket_doc("b1", "quota")
        await s.create_bucket("b1", "o", "us-east-1")
        assert await s.get_bucket_doc("b1", "quota") is None

    _run(tmp_path, fn)


def test_reads_during_concurrent_writes_end_on_the_last_state(tmp_path) -> None:
    """Readers hammer the caches while a stream of writes lands; after the
    writes are acknowledged every read shows the last one."""

    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "o", "us-east-1")
        stop = asyncio.Event()

        async def reader() -> None:
            while not stop.is_set():
                await s.get_bucket("b1")
                await s.get_bucket_doc("b1", "cfg")
                await asyncio.sleep(0)

        readers = [asyncio.create_task(reader()) for _ in range(4)]
        for i in range(60):
            await asyncio.gather(
                s.put_bucket_doc("b1", "cfg", b"%d" % i),
                s.update_bucket("b1", versioning="Enabled" if i % 2 else "Suspended"),
            )
            assert await s.get_bucket_doc("b1", "cfg") == b"%d" % i
            expected = "Enabled" if i % 2 else "Suspended"
            assert (await s.get_bucket("b1")).versioning == expected
        stop.set()
        await asyncio.gather(*readers)

    _run(tmp_path, fn)


@pytest.mark.parametrize("inline_max", [16 * 1024, 0])
def test_object_reads_see_overwrites_and_deletes(tmp_path, inline_max) -> None:
    """The single-statement object lookup (row + inline body) against
    overwrites, deletes, delete markers and version ids."""

    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "o", "us-east-1")
        req = base.PutRequest(bucket="b1", key="k", owner_id="o")
        first, second = os.urandom(3000), os.urandom(5000)
        await s.put_object(req, _body(first))
        reader = await s.open_object("b1", "k")
        assert b"".join([c async for c in reader.stream()]) == first
        await s.put_object(req, _body(second))
        reader = await s.open_object("b1", "k", start=10, length=100)
        assert b"".join([c async for c in reader.stream()]) == second[10:110]
        assert (await s.head_object("b1", "k")).size == 5000
        await s.delete_object("b1", "k")
        with pytest.raises(errors.NoSuchKey):
            await s.open_object("b1", "k")
        with pytest.raises(errors.NoSuchKey):
            await s.head_object("b1", "k")
        with pytest.raises(errors.NoSuchBucket):
            await s.open_object("nope", "k")
        # Versioned: a delete marker hides the key; old versions stay readable.
        await s.update_bucket("b1", versioning="Enabled")
        v1 = await s.put_object(req, _body(first))
        marker = await s.delete_object("b1", "k")
        assert marker is not None and marker.is_delete_marker
        with pytest.raises(errors.NoSuchKey):
            await s.open_object("b1", "k")
        with pytest.raises(errors.MethodNotAllowed):
            await s.open_object("b1", "k", marker.version_id)
        reader = await s.open_object("b1", "k", v1.version_id)
        assert b"".join([c async for c in reader.stream()]) == first
        with pytest.raises(errors.NoSuchVersion):
            await s.open_object("b1", "k", "0" * 32)

    _run(tmp_path, fn, inline_max=inline_max)


def test_object_row_cache_serves_repeats_and_follows_every_commit(tmp_path) -> None:
    """Rows read by GET/HEAD are kept in memory; any commit empties the
    cache, so metadata updates, overwrites and concurrent writes show."""

    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "o", "us-east-1")
        req = base.PutRequest(bucket="b1", key="k", owner_id="o", content_type="a/b")
        await s.put_object(req, _body(b"one"))
        await s.head_object("b1", "k")
        assert ("b1", "k", None) in s._rows  # the repeat is served from memory
        await s.update_object_meta("b1", "k", content_type="c/d")
        assert (await s.head_object("b1", "k")).content_type == "c/d"
        stop = asyncio.Event()

        async def reader() -> None:
            while not stop.is_set():
                await s.head_object("b1", "k")
                await asyncio.sleep(0)

        readers = [asyncio.create_task(reader()) for _ in range(4)]
        for i in range(40):
            await s.put_object(req, _body(b"%d" % i))
            reader_ = await s.open_object("b1", "k")
            assert b"".join([c async for c in reader_.stream()]) == b"%d" % i
        stop.set()
        await asyncio.gather(*readers)

    _run(tmp_path, fn)


def test_object_row_read_that_overlaps_a_commit_is_not_kept(tmp_path) -> None:
    """A row read before a commit landed may be stale: the generation check
    keeps it out of the cache (the commit is simulated right after the
    SELECT, on the real connection)."""

    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "o", "us-east-1")
        req = base.PutRequest(bucket="b1", key="k", owner_id="o")
        await s.put_object(req, _body(b"one"))
        real = s._reader()

        class CommitAfterSelect:
            def execute(self, *args):
                cursor = real.execute(*args)
                s._after_commit(set())
                return cursor

        s._reader = lambda: CommitAfterSelect()  # type: ignore[method-assign]
        await s.head_object("b1", "k")
        assert ("b1", "k", None) not in s._rows
        del s._reader
        await s.head_object("b1", "k")
        assert ("b1", "k", None) in s._rows

    _run(tmp_path, fn)


def test_object_row_cache_is_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(local, "ROW_CACHE_ENTRIES", 5)

    async def fn(s: local.LocalStorage) -> None:
        await s.create_bucket("b1", "o", "us-east-1")
        for i in range(12):
            req = base.PutRequest(bucket="b1", key="k%d" % i, owner_id="o")
            await s.put_object(req, _body(b"x"))
        for i in range(12):
            await s.head_object("b1", "k%d" % i)
        assert len(s._rows) == 5
        assert ("b1", "k11", None) in s._rows

    _run(tmp_path, fn)
