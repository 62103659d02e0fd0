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
"""The lifecycle worker over the real local backend, with a fixed clock.

Decisions per key must not depend on where a listing batch ends: these run
the worker with batches of 1-3 entries over keys with more versions than
that, and check the lease and the saved cursor.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from exordos_paas_s3.gateway.lifecycle import rules as lc
from exordos_paas_s3.gateway.lifecycle import worker as lw
from exordos_paas_s3.gateway.storage import base, local

DAY = 10


async def _body(data: bytes):
    yield data


def _run(tmp_path, fn):
    async def main():
        storage = local.LocalStorage(str(tmp_path), fsync=False)
        await storage.start()
        try:
            await fn(storage)
        finally:
            await storage.close()

    asyncio.run(main())


async def _put(st, key, data=b"x", bucket="b"):
    return await st.put_object(base.PutRequest(bucket, key, "o"), _body(data))


def _config(*rules: str) -> bytes:
    return (
        '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        + "".join(rules)
        + "</LifecycleConfiguration>"
    ).encode()


async def _versions(st, bucket="b"):
    page = await st.list_object_versions(bucket)
    return [(v.key, v.version_id, v.is_delete_marker) for v in page.versions]


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_newer_noncurrent_is_counted_across_batches(tmp_path, batch):
    async def t(st):
        await st.create_bucket("b", "o", "us-east-1")
        await st.update_bucket("b", versioning="Enabled")
        ids = {}
        for key in ("a", "b", "c"):
            ids[key] = [(await _put(st, key, b"%d" % i)).version_id for i in range(5)]
        await st.put_bucket_doc(
            "b",
            lc.DOC,
            _config(
                "<Rule><ID>nc</ID><Filter><Prefix></Prefix></Filter>"
                "<Status>Enabled</Status><NoncurrentVersionExpiration>"
                "<NoncurrentDays>1</NoncurrentDays>"
                "<NewerNoncurrentVersions>2</NewerNoncurrentVersions>"
                "</NoncurrentVersionExpiration></Rule>"
            ),
        )
        worker = lw.Worker(st, interval=60, day_seconds=DAY, batch=batch)
        # Long after everything became noncurrent.
        done = await worker.run_pass(
            now=(await st.head_object("b", "a")).last_modified + 10 * DAY
        )
        assert done is not None and done.noncurrent_expired == 6
        left = await _versions(st)
        for key in ("a", "b", "c"):
            assert [v for k, v, _ in left if k == key] == ids[key][::-1][:3]
        # The pass finished: no cursor is left behind.
        assert await st.get_bucket_doc("b", lw.DOC_CURSOR) is None

    _run(tmp_path, t)


def test_expiration_respects_the_day_and_the_date(tmp_path):
    async def t(st):
        await st.create_bucket("b", "o", "us-east-1")
        info = await _put(st, "d/x")
        await _put(st, "keep")
        await st.put_bucket_doc(
            "b",
            lc.DOC,
            _config(
                "<Rule><ID>d</ID><Prefix>d/</Prefix><Status>Enabled</Status>"
                "<Expiration><Days>3</Days></Expiration></Rule>"
            ),
        )
        worker = lw.Worker(st, interval=60, day_seconds=DAY, batch=1)
        await worker.run_pass(now=info.last_modified + 3 * DAY - 0.5)
        assert len(await _versions(st)) == 2
        await worker.run_pass(now=info.last_modified + 3 * DAY)
        assert [k for k, _, _ in await _versions(st)] == ["keep"]

    _run(tmp_path, t)


def test_resumes_from_the_saved_cursor(tmp_path):
    async def t(st):
        await st.create_bucket("b", "o", "us-east-1")
        for key in ("a", "b", "c", "d"):
            await _put(st, key)
        await st.put_bucket_doc(
            "b",
            lc.DOC,
            _config(
                "<Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status>"
                "<Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration></Rule>"
            ),
        )
        # A previous pass handled up to "b" and died.
        await st.put_bucket_doc(
            "b", lw.DOC_CURSOR, json.dumps({"key_marker": "b"}).encode()
        )
        worker = lw.Worker(st, interval=60, day_seconds=DAY, batch=1)
        done = await worker.run_pass()
        assert done is not None and done.resumed == 1 and done.expired == 2
        assert [k for k, _, _ in await _versions(st)] == ["a", "b"]
        assert await st.get_bucket_doc("b", lw.DOC_CURSOR) is None
        # The next pass starts over and finishes the bucket.
        await worker.run_pass()
        assert await _versions(st) == []

    _run(tmp_path, t)


def test_one_holder_at_a_time(tmp_path):
    async def t(st):
        await st.create_bucket("b", "o", "us-east-1")
        one = lw.Worker(st, interval=60)
        two = lw.Worker(st, interval=60)
        assert await one.run_pass() is not None
        assert await two.run_pass() is None  # the lease is one's
        await one.stop()
        assert await two.run_pass() is not None
        # An expired lease is free again.
        assert await st.acquire_lease("x", "h1", ttl=-1)
        assert await st.acquire_lease("x", "h2", ttl=60)
        assert not await st.acquire_lease("x", "h1", ttl=60)

    _run(tmp_path, t)
