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
"""The PostgreSQL index with several gateways' storages on one database
(real PostgreSQL, real Ceph RGW): races between writers on different
connections, one namespace (cache invalidation through NOTIFY), migrations,
and an index that goes away (503, then recovery).

Each storage here has its own pool, listener and worker threads, as a
gateway process has; the functional test (test_gateway_cluster.py) runs
three real gateway processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import psycopg
import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import (
    base,
    blob_gc,
    blobs,
    pg_index,
    s3_blobs,
    upstream_pg,
)
from exordos_paas_s3.tests import pg, rgw

MIB = 1 << 20


@pytest.fixture
def index_url(request, tmp_path):
    rgw.client()  # skips without a Ceph RGW
    request.addfinalizer(pg.database_for(str(tmp_path)))  # skips without one
    return pg.url_for(str(tmp_path))


def _storage(
    tmp_path, url: str, n: int = 0, bucket=None
) -> upstream_pg.PgUpstreamStorage:
    bucket = bucket or rgw.shared_bucket("pgidx")
    blob_store = s3_blobs.S3BlobStore(
        bucket, multipart_threshold=5 * MIB, part_size=5 * MIB
    )
    return upstream_pg.PgUpstreamStorage(
        str(tmp_path / f"gw{n}"), blob_store, url=url, name=bucket.bucket
    )


async def _chunks(data: bytes):
    yield data


async def _put(st, bucket, key, data, precondition=None):
    req = base.PutRequest(bucket, key, "owner-1")
    return await st.put_object(req, _chunks(data), precondition=precondition)


async def _read(st, bucket, key, **kw) -> bytes:
    reader = await st.open_object(bucket, key, **kw)
    return b"".join([c async for c in reader.stream()])


@contextlib.asynccontextmanager
async def _gateways(tmp_path, url: str, n: int, bucket=None):
    stores = [_storage(tmp_path, url, i, bucket) for i in range(n)]
    for st in stores:
        await st.start()
    try:
        yield stores
    finally:
        for st in stores:
            await st.close()


def test_concurrent_if_none_match_creates_exactly_one_wins(tmp_path, index_url):
    async def t():
        async with _gateways(tmp_path, index_url, 3) as gws:
            await gws[0].create_bucket("race", "owner-1", "us-east-1")
            sizes = []
            for round_ in range(3):
                key = f"k{round_}"
                cond = base.Precondition(if_none_match="*")
                results = await asyncio.gather(
                    *(
                        _put(gws[i % 3], "race", key, b"writer-%d" % i, cond)
                        for i in range(12)
                    ),
                    return_exceptions=True,
                )
                won = [r for r in results if isinstance(r, base.ObjectInfo)]
                lost = [r for r in results if isinstance(r, errors.PreconditionFailed)]
                assert len(won) == 1 and len(lost) == 11, results
                # Every gateway serves the winner's bytes.
                for gw in gws:
                    body = await _read(gw, "race", key)
                    assert body.decode().startswith("writer-")
                    assert (await gw.head_object("race", key)).etag == won[0].etag
                sizes.append(won[0].size)
            assert await gws[1].bucket_usage("race") == (3, sum(sizes))

    asyncio.run(t())


def test_concurrent_versioned_puts_keep_every_version_in_one_order(tmp_path, index_url):
    async def t():
        async with _gateways(tmp_path, index_url, 3) as gws:
            await gws[0].create_bucket("vers", "owner-1", "us-east-1")
            await gws[0].update_bucket("vers", versioning="Enabled")
            bodies = [b"v%02d" % i for i in range(24)]
            infos = await asyncio.gather(
                *(_put(gws[i % 3], "vers", "key", b) for i, b in enumerate(bodies))
            )
            listings = [await gw.list_object_versions("vers") for gw in gws]
            ids = [[v.version_id for v in lst.versions] for lst in listings]
            assert ids[0] == ids[1] == ids[2]
            assert sorted(ids[0]) == sorted(i.version_id for i in infos)
            assert len(set(ids[0])) == 24
            # Exactly one latest, the newest in listing order, and it is what
            # a plain GET returns on every gateway.
            latest = [v for v in listings[0].versions if v.is_latest]
            assert latest == [listings[0].versions[0]]
            for gw in gws:
                head = await gw.head_object("vers", "key")
                assert head.version_id == latest[0].version_id
            assert await gws[2].bucket_usage("vers") == (24, 24 * 3)

    asyncio.run(t())


def test_put_on_one_gateway_is_read_on_the_next_request_of_another(tmp_path, index_url):
    async def t():
        async with _gateways(tmp_path, index_url, 2) as (a, b):
            await a.create_bucket("raw", "owner-1", "us-east-1")
            assert (await b.get_bucket("raw")).name == "raw"
            for i in range(20):
                await _put(a, "raw", "k", b"%d" % i)
                # No wait: B's next read sees A's acknowledged write.
                assert await _read(b, "raw", "k") == b"%d" % i
            await a.delete_object("raw", "k")
            with pytest.raises(errors.NoSuchKey):
                await b.head_object("raw", "k")

    asyncio.run(t())


def test_bucket_changes_reach_other_gateways_caches_within_the_bound(
    tmp_path, index_url
):
    """A policy document and the versioning state changed through A are
    served by B within a bound (NOTIFY delivery), measured here."""

    async def t():
        async with _gateways(tmp_path, index_url, 2) as (a, b):
            await a.create_bucket("docs", "owner-1", "us-east-1")
            assert await b.get_bucket_doc("docs", "policy") is None  # cached
            assert (await b.get_bucket("docs")).versioning == ""  # cached
            worst = 0.0
            for i in range(10):
                value = b'{"v": %d}' % i
                await a.put_bucket_doc("docs", "policy", value)
                done = time.monotonic()
                while await b.get_bucket_doc("docs", "policy") != value:
                    assert time.monotonic() - done < 1.0, "stale beyond 1 s"
                    await asyncio.sleep(0.001)
                worst = max(worst, time.monotonic() - done)
            await a.update_bucket("docs", versioning="Enabled")
            done = time.monotonic()
            while (await b.get_bucket("docs")).versioning != "Enabled":
                assert time.monotonic() - done < 1.0, "stale beyond 1 s"
                await asyncio.sleep(0.001)
            await a.delete_bucket("docs")
            done = time.monotonic()
            while True:
                try:
                    await b.get_bucket("docs")
                except errors.NoSuchBucket:
                    break
                assert time.monotonic() - done < 1.0, "stale beyond 1 s"
                await asyncio.sleep(0.001)
            print(f"worst policy staleness seen: {worst * 1000:.1f} ms")

    asyncio.run(t())


def test_delete_bucket_racing_a_write_never_leaves_an_object_behind(
    tmp_path, index_url
):
    async def t():
        async with _gateways(tmp_path, index_url, 2) as (a, b):
            for i in range(5):
                name = f"gone{i}"
                await a.create_bucket(name, "owner-1", "us-east-1")
                put, delete = await asyncio.gather(
                    _put(a, name, "k", b"x"),
                    b.delete_bucket(name),
                    return_exceptions=True,
                )
                if isinstance(delete, errors.BucketNotEmpty):
                    assert isinstance(put, base.ObjectInfo)
                    assert await _read(b, name, "k") == b"x"
                else:
                    assert delete is None and isinstance(put, errors.NoSuchBucket)
                    with pytest.raises(errors.NoSuchBucket):
                        await a.get_bucket(name)

    asyncio.run(t())


def test_migrations_are_versioned_and_a_newer_schema_is_refused(tmp_path, index_url):
    async def t():
        async with _gateways(tmp_path, index_url, 2):
            pass  # two starts: the migrations apply once
        with psycopg.connect(index_url, autocommit=True) as conn:
            rows = conn.execute("SELECT version FROM schema_version").fetchall()
            assert rows == [(number,) for number, _sql in pg_index.MIGRATIONS]
            conn.execute("INSERT INTO schema_version (version) VALUES (999)")
        st = _storage(tmp_path, index_url)
        with pytest.raises(pg_index.SchemaError, match="newer than this gateway"):
            await st.start()
        await st.close()

    asyncio.run(t())


def test_an_index_of_another_blob_store_is_refused(tmp_path, index_url):
    async def t():
        async with _gateways(tmp_path, index_url, 1):
            pass
        with psycopg.connect(index_url, autocommit=True) as conn:
            conn.execute("UPDATE blob_store SET name = 'elsewhere'")
        st = _storage(tmp_path, index_url)
        with pytest.raises(RuntimeError, match="'elsewhere'"):
            await st.start()
        await st.close()

    asyncio.run(t())


def test_try_lock_is_held_by_one_holder_at_a_time(tmp_path, index_url):
    async def t():
        async with _gateways(tmp_path, index_url, 2) as (a, b):
            lease = await asyncio.to_thread(a.try_lock, "lifecycle")
            assert lease is not None and lease.held()
            assert await asyncio.to_thread(b.try_lock, "lifecycle") is None
            other = await asyncio.to_thread(b.try_lock, "orphan-gc")
            assert other is not None
            other.release()
            lease.release()
            again = await asyncio.to_thread(b.try_lock, "lifecycle")
            assert again is not None
            again.release()

    asyncio.run(t())


def test_background_lease_is_one_gateways_until_released_or_closed(tmp_path, index_url):
    """The lifecycle worker's lease (Storage.acquire_lease) holds across
    gateways of one PostgreSQL index, not only within a process."""

    async def t():
        async with _gateways(tmp_path, index_url, 2) as (a, b):
            assert await a.acquire_lease("lifecycle", "gw-a", 60)
            assert await a.acquire_lease("lifecycle", "gw-a", 60)  # renewal
            assert not await b.acquire_lease("lifecycle", "gw-b", 60)
            assert not await a.acquire_lease("lifecycle", "other", 60)
            await a.release_lease("lifecycle", "gw-a")
            assert await b.acquire_lease("lifecycle", "gw-b", 60)
            await b.close()  # a closing (or dying) gateway frees its lease
            assert await a.acquire_lease("lifecycle", "gw-a", 60)

    asyncio.run(t())


def test_unreachable_index_is_503_with_retry_after_then_recovers(tmp_path, index_url):
    relay = pg.relay()
    via_proxy = pg.through(relay, index_url)

    async def t():
        st = _storage(tmp_path, via_proxy)
        await st.start()
        try:
            await st.create_bucket("outage", "owner-1", "us-east-1")
            await _put(st, "outage", "k", b"before")
            await st.check_index()
            checks = await st.readiness()
            assert checks["index_read"] == checks["index_write"] == "ok"
            relay.cut()
            for op in (
                lambda: st.check_index(),
                lambda: st.readiness(),
                lambda: _put(st, "outage", "k2", b"during"),
                lambda: _read(st, "outage", "k"),
                lambda: st.list_objects("outage"),
                lambda: st.get_bucket_doc("outage", "policy"),
            ):
                started = time.monotonic()
                with pytest.raises(errors.ServiceUnavailable) as exc:
                    await op()
                assert exc.value.status == 503
                assert exc.value.headers.get("retry-after") == "1"
                assert time.monotonic() - started < 15  # no hang
            relay.start()
            deadline = time.monotonic() + 15
            while True:
                try:
                    await st.check_index()
                    break
                except errors.ServiceUnavailable:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.2)
            assert await _read(st, "outage", "k") == b"before"
            await _put(st, "outage", "k2", b"after")
            assert await _read(st, "outage", "k2") == b"after"
        finally:
            await st.close()
            relay.cut()

    asyncio.run(t())


def test_gc_on_one_gateway_spares_blobs_another_retired_and_takes_turns(
    tmp_path, index_url
):
    """The orphan GC of gateway B never deletes a blob gateway A made
    obsolete and still holds (its grace, its readers' leases), only true
    orphans; one pass at a time across the gateways."""

    async def t():
        # An upstream bucket of its own: every blob in it is this test's.
        upstream = rgw.new_bucket("pgidx-gc")
        async with _gateways(tmp_path, index_url, 2, upstream) as (a, b):
            await a.create_bucket("gc", "owner-1", "us-east-1")
            await _put(a, "gc", "k", b"old")
            old_blob = await a.referenced_blobs()
            reader = await a.open_object("gc", "k")  # a lease on A
            await _put(a, "gc", "k", b"new")  # "old" is retiring on A
            orphan = blobs.new_blob_id()  # a crash between upload and commit

            async def one(data: bytes):
                yield data

            await b.blob_store.put(orphan, one(b"lost"), 4)
            async with a.gc_turn() as mine:
                assert mine
                assert (await blob_gc.collect(b, grace=-3600.0)).running
            report = await blob_gc.collect(b, grace=-3600.0)
            assert report.deleted == 1 and report.deleted_bytes == 4
            # The retired blob is still whole for the read A leased.
            assert b"".join([c async for c in reader.stream()]) == b"old"
            assert await _read(b, "gc", "k") == b"new"
            listed = set()
            async for page in b.blob_store.list_blobs():
                listed.update(item.blob_id for item in page)
            assert orphan not in listed and old_blob <= listed
            # A dies (no heartbeat for the liveness window): what it retired
            # is an orphan now, and B's next pass removes it.
            a._stopping.set()
            await asyncio.to_thread(a._listener.join)
            with psycopg.connect(index_url, autocommit=True) as conn:
                conn.execute("UPDATE gateways SET seen = now() - interval '1 minute'")
            report = await blob_gc.collect(b, grace=-3600.0)
            assert report.deleted == 1, report
            listed = set()
            async for page in b.blob_store.list_blobs():
                listed.update(item.blob_id for item in page)
            assert not old_blob & listed
            assert listed == await b.referenced_blobs()  # the "new" blob alone
            assert len(listed) == 1

    asyncio.run(t())
