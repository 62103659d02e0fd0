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
"""One behavioural suite for every storage backend (storage/base.py).

Each test gets a fresh backend from the ``backend`` fixture; a new backend
joins by adding a parameter there (and, for backend-specific checks such as
the on-disk layout, a test below that skips the others). Every storage runs
the suite twice: as given, and under the EncryptingStorage wrapper with
SSE-S3 on every write, as a bucket's default encryption would ask (the
wrapper must keep the whole contract over any backend).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import os
import zlib
from collections.abc import Awaitable, Callable

import google_crc32c
import pytest

from exordos_paas_s3.gateway import errors, sse
from exordos_paas_s3.gateway.storage import (
    base,
    compressing,
    encrypting,
    local,
    s3_blobs,
    upstream,
    upstream_pg,
)
from exordos_paas_s3.tests import pg, rgw

MIB = 1 << 20

AWKWARD_KEYS = [
    "../escape",
    "../../etc/passwd",
    "a//b",
    "a/b/",
    "/leading",
    "trailing/",
    " spaced key ",
    "tab\tkey",
    "new\nline",
    "ünïcødé/ключ/鍵",
    "emoji/😀",
    "%2F../%00",
    ".",
    "..",
    "a" * 1024,
]


class Backend:
    """Builds and reopens one backend over a directory."""

    def __init__(
        self, name: str, make: Callable[[], base.Storage], encrypted: bool = False
    ) -> None:
        self.name = name
        self.make = make
        self.encrypted = encrypted
        # The headers an encrypted object carries besides its own.
        self.sse_meta = {sse.H_SSE: "AES256"} if encrypted else {}

    def run(self, fn: Callable[[base.Storage], Awaitable[None]]) -> None:
        async def main() -> None:
            storage = self.make()
            await storage.start()
            try:
                await fn(storage)
            finally:
                await storage.close()

        asyncio.run(main())


class AlwaysEncrypted(encrypting.EncryptingStorage):
    """SSE-S3 on every write, as if each bucket had it as its default."""

    async def default_spec(self, bucket: str) -> sse.Spec | None:
        return sse.Spec(sse.KIND_S3)


def _stores(data_dir: str) -> dict[str, Callable[[], base.Storage]]:
    """The storages under test, by name; a new backend adds an entry."""
    return {
        "local-inline": lambda: local.LocalStorage(data_dir),
        # Every object in a data file, however small: covers the file paths.
        "local-files": lambda: local.LocalStorage(data_dir, inline_max=-1),
        # Blobs on a real Ceph RGW (skipped without one), index in SQLite;
        # small parts so multipart objects span several blobs.
        "s3-sqlite": lambda: _upstream_storage(data_dir),
        # The same blobs, the index in a PostgreSQL database of the test's
        # own (skipped without PostgreSQL): the cluster's pair.
        "s3-pg": lambda: _upstream_pg_storage(data_dir),
    }


def _upstream_storage(data_dir: str) -> base.Storage:
    bucket = rgw.shared_bucket("contract")
    blob_store = s3_blobs.S3BlobStore(
        bucket, multipart_threshold=5 * MIB, part_size=5 * MIB
    )
    return upstream.UpstreamStorage(data_dir, blob_store, name=bucket.bucket)


def _upstream_pg_storage(data_dir: str) -> base.Storage:
    bucket = rgw.shared_bucket("contract")
    blob_store = s3_blobs.S3BlobStore(
        bucket, multipart_threshold=5 * MIB, part_size=5 * MIB
    )
    return upstream_pg.PgUpstreamStorage(
        data_dir, blob_store, url=pg.url_for(data_dir), name=bucket.bucket
    )


@pytest.fixture(
    params=[
        f"{name}{suffix}"
        for name in _stores("")
        for suffix in ("", "+sse", "+zstd", "+zstd+sse")
    ]
)
def backend(request, tmp_path) -> Backend:
    data_dir = str(tmp_path / "data")
    name, _, wrapper = request.param.partition("+")
    if name.startswith("s3-"):
        rgw.client()  # skips without a Ceph RGW
    if name.endswith("-pg"):
        request.addfinalizer(pg.database_for(data_dir))  # skips without one
    make = _stores(data_dir)[name]
    if not wrapper:
        return Backend(request.param, make)
    if wrapper.startswith("zstd"):
        # Compression on for every bucket, even the contract's small objects,
        # in small frames so ranges cross frames (storage/compressing.py).
        below = make
        if wrapper == "zstd+sse":
            os.makedirs(data_dir, exist_ok=True)
            zkeyring = sse.Keyring(data_dir)
            below = lambda: AlwaysEncrypted(make(), zkeyring)  # noqa: E731

        def compressed() -> base.Storage:
            return compressing.CompressingStorage(
                below(), default="zstd", min_size=0, frame=4096
            )

        return Backend(request.param, compressed, encrypted=wrapper == "zstd+sse")
    os.makedirs(data_dir, exist_ok=True)
    keyring = sse.Keyring(data_dir)
    return Backend(
        request.param, lambda: AlwaysEncrypted(make(), keyring), encrypted=True
    )


async def chunks(data: bytes, size: int = 64 * 1024):
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read_all(st: base.Storage, bucket: str, key: str, **kw) -> bytes:
    reader = await st.open_object(bucket, key, **kw)
    out = b"".join([c async for c in reader.stream()])
    assert len(out) == reader.length
    if reader.path is not None:
        with open(reader.path, "rb") as f:
            f.seek(reader.offset)
            assert f.read(reader.length) == out
    return out


async def put(st: base.Storage, bucket: str, key: str, data: bytes, **kw):
    req = base.PutRequest(bucket, key, "owner-1", **kw)
    return await st.put_object(req, chunks(data))


async def new_bucket(st: base.Storage, name: str = "bkt", **kw) -> None:
    await st.create_bucket(name, "owner-1", "us-east-1", **kw)


# --- buckets ---------------------------------------------------------------------


def test_buckets_create_list_get_delete(backend):
    async def t(st):
        await new_bucket(st, "zeta")
        await new_bucket(st, "alpha")
        with pytest.raises(errors.BucketAlreadyExists):
            await new_bucket(st, "alpha")
        assert [b.name for b in await st.list_buckets()] == ["alpha", "zeta"]
        info = await st.get_bucket("alpha")
        assert (info.owner_id, info.region, info.versioning) == (
            "owner-1",
            "us-east-1",
            "",
        )
        await st.delete_bucket("zeta")
        with pytest.raises(errors.NoSuchBucket):
            await st.get_bucket("zeta")
        with pytest.raises(errors.NoSuchBucket):
            await st.delete_bucket("zeta")

    backend.run(t)


def test_bucket_not_empty_with_objects_or_uploads(backend):
    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"x")
        with pytest.raises(errors.BucketNotEmpty):
            await st.delete_bucket("bkt")
        await st.delete_object("bkt", "k")
        up = await st.create_multipart_upload(base.PutRequest("bkt", "m", "o"))
        with pytest.raises(errors.BucketNotEmpty):
            await st.delete_bucket("bkt")
        await st.abort_multipart_upload("bkt", "m", up.upload_id)
        await st.delete_bucket("bkt")

    backend.run(t)


def test_usage_counts_are_plain_integers(backend):
    """What the admin API serialises as JSON (PostgreSQL's SUM is a NUMERIC:
    a Decimal would fail the node's state read)."""
    import orjson

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"x" * 10)
        up = await st.create_multipart_upload(base.PutRequest("bkt", "m", "o"))
        await st.upload_part("bkt", "m", up.upload_id, 1, chunks(b"y" * 1000))
        usage, uploads = await st.bucket_usage("bkt"), await st.upload_usage("bkt")
        assert usage[0] == 1 and uploads[0] == 1 and uploads[1] >= 1000
        for value in (*usage, *uploads):
            assert type(value) is int
        orjson.dumps([usage, uploads])
        await st.abort_multipart_upload("bkt", "m", up.upload_id)

    backend.run(t)


def test_update_bucket_and_object_lock_turns_versioning_on(backend):
    async def t(st):
        await new_bucket(st)
        info = await st.update_bucket("bkt", versioning="Enabled")
        assert info.versioning == "Enabled"
        await new_bucket(st, "locked", object_lock=True)
        locked = await st.get_bucket("locked")
        assert locked.object_lock_enabled and locked.versioning == "Enabled"
        with pytest.raises(errors.NoSuchBucket):
            await st.update_bucket("nope", versioning="Enabled")

    backend.run(t)


# --- objects ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4096, 16 * 1024 + 1, 3 * MIB + 7])
def test_put_get_head_roundtrip_with_checksums(backend, size):
    data = os.urandom(size)

    async def t(st):
        await new_bucket(st)
        info = await put(
            st,
            "bkt",
            "obj",
            data,
            content_type="text/plain",
            user_meta={"colour": "blue"},
            system_meta={"cache-control": "no-cache"},
            checksum_algorithms=["CRC32", "CRC32C", "SHA1", "SHA256"],
        )
        assert info.etag == hashlib.md5(data).hexdigest()
        assert info.size == size
        expect = {
            "CRC32": zlib.crc32(data).to_bytes(4, "big"),
            "CRC32C": google_crc32c.value(data).to_bytes(4, "big"),
            "SHA1": hashlib.sha1(data).digest(),
            "SHA256": hashlib.sha256(data).digest(),
        }
        for alg, raw in expect.items():
            assert info.checksums[alg] == base64.b64encode(raw).decode()
        head = await st.head_object("bkt", "obj")
        assert head.etag == info.etag and head.size == size
        assert head.content_type == "text/plain"
        assert head.user_meta == {"colour": "blue"}
        assert head.system_meta == {"cache-control": "no-cache", **backend.sse_meta}
        assert head.checksums == info.checksums
        assert head.version_id == "null" and head.is_latest
        assert await read_all(st, "bkt", "obj") == data

    backend.run(t)


def _right(data: bytes) -> base.Expected:
    return base.Expected(
        size=len(data),
        md5=hashlib.md5(data).digest(),
        sha256=hashlib.sha256(data).digest(),
        checksums={"CRC32": zlib.crc32(data).to_bytes(4, "big")},
    )


@pytest.mark.parametrize("size", [3, 2 * MIB + 3])
def test_expected_digests_are_checked_before_the_commit(backend, size):
    data = os.urandom(size)
    wrong = [
        ({"size": size + 1}, errors.IncompleteBody),
        ({"md5": b"\0" * 16}, errors.BadDigest),
        ({"sha256": b"\0" * 32}, errors.XAmzContentSHA256Mismatch),
        ({"checksums": {"CRC32": b"\0" * 4}}, errors.BadDigest),
        ({"quota": base.QuotaRoom("bkt", size - 1, 0)}, errors.QuotaExceeded),
    ]

    async def t(st):
        await new_bucket(st)
        req = base.PutRequest(
            "bkt", "k", "o", want_sha256=True, checksum_algorithms=["CRC32"]
        )
        await st.put_object(req, chunks(b"old"))
        for change, error in wrong:
            expected = dataclasses.replace(_right(data), **change)
            with pytest.raises(error):
                await st.put_object(req, chunks(data), expected)
            assert await read_all(st, "bkt", "k") == b"old"
        expected = _right(data)
        expected.quota = base.QuotaRoom("bkt", size, 3, freed=3)
        info = await st.put_object(req, chunks(data), expected)
        assert info.size == size and await read_all(st, "bkt", "k") == data
        # A part is checked the same way, and a rejected part is not stored.
        up = await st.create_multipart_upload(base.PutRequest("bkt", "m", "o"))
        with pytest.raises(errors.BadDigest):
            await st.upload_part(
                "bkt",
                "m",
                up.upload_id,
                1,
                chunks(data),
                expected=base.Expected(md5=b"\0" * 16),
            )
        assert (await st.list_parts("bkt", "m", up.upload_id))[0] == []
        part = await st.upload_part(
            "bkt",
            "m",
            up.upload_id,
            1,
            chunks(data),
            ["CRC32"],
            True,
            expected=_right(data),
        )
        assert part.size == size

    backend.run(t)


def test_expected_checksum_completed_by_the_body_stream(backend):
    """A trailing checksum joins Expected when the body ends: backends check
    after the body is exhausted."""
    data = os.urandom(70000)

    async def t(st):
        await new_bucket(st)
        req = base.PutRequest("bkt", "k", "o", checksum_algorithms=["CRC32"])
        for value, ok in (
            (b"\0" * 4, False),
            (zlib.crc32(data).to_bytes(4, "big"), True),
        ):
            expected = base.Expected()

            async def body(value=value, expected=expected):
                async for chunk in chunks(data):
                    yield chunk
                expected.checksums["CRC32"] = value

            if ok:
                await st.put_object(req, body(), expected)
            else:
                with pytest.raises(errors.BadDigest):
                    await st.put_object(req, body(), expected)
        assert await read_all(st, "bkt", "k") == data

    backend.run(t)


def test_unsupported_checksum_algorithm_is_not_implemented(backend):
    async def t(st):
        await new_bucket(st)
        with pytest.raises(errors.NotImplemented_):
            await put(st, "bkt", "k", b"x", checksum_algorithms=["CRC128"])
        with pytest.raises(errors.NoSuchKey):
            await st.head_object("bkt", "k")

    backend.run(t)


def test_missing_bucket_and_key(backend):
    async def t(st):
        with pytest.raises(errors.NoSuchBucket):
            await put(st, "nope", "k", b"x")
        with pytest.raises(errors.NoSuchBucket):
            await st.head_object("nope", "k")
        await new_bucket(st)
        with pytest.raises(errors.NoSuchKey):
            await st.head_object("bkt", "k")
        with pytest.raises(errors.NoSuchKey):
            await st.open_object("bkt", "k")
        assert await st.delete_object("bkt", "k") is None
        with pytest.raises(errors.NoSuchVersion):
            await st.head_object("bkt", "k", version_id="nope")

    backend.run(t)


def test_overwrite_replaces_and_delete_removes(backend):
    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"one" * 10000)
        await put(st, "bkt", "k", b"two")
        assert await read_all(st, "bkt", "k") == b"two"
        listed = await st.list_objects("bkt")
        assert [(o.key, o.size) for o in listed.objects] == [("k", 3)]
        deleted = await st.delete_object("bkt", "k")
        assert deleted is not None and deleted.etag == hashlib.md5(b"two").hexdigest()
        with pytest.raises(errors.NoSuchKey):
            await st.head_object("bkt", "k")
        assert (await st.list_objects("bkt")).objects == []

    backend.run(t)


def test_ranges_via_open_object(backend):
    data = os.urandom(3 * MIB + 123)

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "big", data)
        await put(st, "bkt", "small", data[:100])
        for key, body in (("big", data), ("small", data[:100])):
            for start, length in ((0, 1), (5, 10), (len(body) - 1, None), (0, None)):
                got = await read_all(st, "bkt", key, start=start, length=length)
                end = len(body) if length is None else start + length
                assert got == body[start:end]
        r = await st.open_object("bkt", "big", start=MIB - 1, length=MIB + 2)
        assert (r.start, r.length) == (MIB - 1, MIB + 2)
        if r.path is not None:
            assert r.offset == MIB - 1

    backend.run(t)


def test_precondition_and_expected_rejections_leave_old_object(backend):
    old = os.urandom(40000)
    old_etag = '"%s"' % hashlib.md5(old).hexdigest()
    refusals = [
        {"precondition": base.Precondition(if_none_match="*")},
        {"precondition": base.Precondition(if_none_match=old_etag)},
        {"precondition": base.Precondition(if_match='"other"')},
        {"expected": base.Expected(md5=b"\0" * 16)},
    ]

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", old)
        for kwargs in refusals:
            for new in (b"tiny", os.urandom(2 * MIB)):
                req = base.PutRequest("bkt", "k", "o")
                with pytest.raises((errors.PreconditionFailed, errors.BadDigest)):
                    await st.put_object(req, chunks(new), **kwargs)
                assert await read_all(st, "bkt", "k") == old
        # If-Match with the current ETag (or a list naming it) succeeds.
        req = base.PutRequest("bkt", "k", "o")
        match = base.Precondition(if_match=f'"x", {old_etag}')
        await st.put_object(req, chunks(b"new"), precondition=match)
        assert await read_all(st, "bkt", "k") == b"new"
        # If-Match on no object is NoSuchKey; If-None-Match: * creates.
        req = base.PutRequest("bkt", "fresh", "o")
        with pytest.raises(errors.NoSuchKey):
            await st.put_object(
                req, chunks(b"x"), precondition=base.Precondition(if_match="*")
            )
        await st.put_object(
            req, chunks(b"x"), precondition=base.Precondition(if_none_match="*")
        )
        # A delete marker counts as no object.
        await st.update_bucket("bkt", versioning="Enabled")
        await st.delete_object("bkt", "fresh")
        await st.put_object(
            req, chunks(b"y"), precondition=base.Precondition(if_none_match="*")
        )
        assert await read_all(st, "bkt", "fresh") == b"y"

    backend.run(t)


def test_concurrent_conditional_puts_only_one_wins(backend):
    async def t(st):
        await new_bucket(st)

        if_none_match = base.Precondition(if_none_match="*")

        async def attempt(i):
            req = base.PutRequest("bkt", "race", "o")
            try:
                await st.put_object(req, chunks(b"%d" % i), precondition=if_none_match)
                return True
            except errors.PreconditionFailed:
                return False

        wins = await asyncio.gather(*(attempt(i) for i in range(20)))
        assert sum(wins) == 1

    backend.run(t)


def test_update_object_meta_in_place(backend):
    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"data", user_meta={"a": "1"})
        info = await st.update_object_meta(
            "bkt", "k", content_type="image/png", user_meta={"b": "2"}
        )
        assert info.content_type == "image/png"
        head = await st.head_object("bkt", "k")
        assert head.user_meta == {"b": "2"} and head.content_type == "image/png"
        assert await read_all(st, "bkt", "k") == b"data"

    backend.run(t)


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_stay_inside_the_data_dir(backend, key, tmp_path):
    data = os.urandom(20000)

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", key, data)
        assert await read_all(st, "bkt", key) == data
        assert [o.key for o in (await st.list_objects("bkt")).objects] == [key]

    backend.run(t)
    root = tmp_path / "data"
    for path in tmp_path.rglob("*"):
        assert path.resolve().is_relative_to(root.resolve())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# --- listing -------------------------------------------------------------------

LIST_KEYS = sorted(
    [
        "a",
        "a/",
        "a/b",
        "a/b/c",
        "a//d",
        "a/\u00e9",
        "a/z",
        "b/1",
        "b/2",
        "c",
        "d/\U0001f600/x",
        "d/\uffff",
        "\u00e9t\u00e9",
        "z z",
    ],
    key=lambda k: k.encode(),
)


def reference_list(keys, prefix, delimiter, start_after):
    """The S3 listing semantics, spelled out naively."""
    out: list[tuple[str, str]] = []
    for key in sorted(keys, key=lambda k: k.encode()):
        if not key.startswith(prefix):
            continue
        if delimiter and delimiter in key[len(prefix) :]:
            cut = key.index(delimiter, len(prefix)) + len(delimiter)
            entry = ("cp", key[:cut])
        else:
            entry = ("key", key)
        if entry[1].encode() <= start_after.encode():
            continue
        if out and out[-1] == entry:
            continue
        out.append(entry)
    return out


async def list_all(st, bucket, prefix, delimiter, max_keys):
    """Page through list_objects; every page respects max_keys."""
    entries: list[tuple[str, str]] = []
    marker = ""
    for _ in range(100):
        page = await st.list_objects(
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            start_after=marker,
            max_keys=max_keys,
        )
        items = [("key", o.key) for o in page.objects] + [
            ("cp", p) for p in page.common_prefixes
        ]
        items.sort(key=lambda e: e[1].encode())
        assert len(items) <= max_keys
        entries.extend(items)
        if not page.is_truncated:
            return entries
        assert page.next_marker == items[-1][1]
        marker = page.next_marker
    raise AssertionError("listing does not end")


def test_listing_order_prefix_delimiter_and_paging(backend):
    async def t(st):
        await new_bucket(st)
        for key in LIST_KEYS:
            await put(st, "bkt", key, key.encode())
        await put(st, "bkt", "deleted", b"x")
        await st.delete_object("bkt", "deleted")
        full = await st.list_objects("bkt")
        assert [o.key for o in full.objects] == LIST_KEYS
        assert not full.is_truncated
        for prefix in ("", "a", "a/", "d/", "zz", "\u00e9"):
            for delimiter in ("", "/", "b", "//"):
                want = reference_list(LIST_KEYS, prefix, delimiter, "")
                for max_keys in (1, 2, 3, 1000):
                    got = await list_all(st, "bkt", prefix, delimiter, max_keys)
                    assert got == want, (prefix, delimiter, max_keys)

    backend.run(t)


def test_listing_start_after_and_max_keys_edge_cases(backend):
    async def t(st):
        await new_bucket(st)
        for key in LIST_KEYS:
            await put(st, "bkt", key, b"")
        page = await st.list_objects("bkt", start_after="b/1")
        assert [o.key for o in page.objects] == [
            k for k in LIST_KEYS if k.encode() > b"b/1"
        ]
        page = await st.list_objects("bkt", max_keys=0)
        assert page.objects == [] and not page.is_truncated
        page = await st.list_objects("bkt", max_keys=len(LIST_KEYS))
        assert not page.is_truncated and len(page.objects) == len(LIST_KEYS)
        page = await st.list_objects("bkt", max_keys=len(LIST_KEYS) - 1)
        assert page.is_truncated
        # A marker inside a common prefix skips the rest of that prefix.
        page = await st.list_objects("bkt", delimiter="/", start_after="a/")
        assert page.common_prefixes[0] == "b/"
        with pytest.raises(errors.NoSuchBucket):
            await st.list_objects("nope")

    backend.run(t)


def test_delimiter_listing_skips_large_common_prefixes(backend):
    async def t(st):
        await new_bucket(st)
        for i in range(300):
            await put(st, "bkt", f"dir/{i:04d}", b"")
        await put(st, "bkt", "file", b"")
        page = await st.list_objects("bkt", delimiter="/", max_keys=2)
        assert page.common_prefixes == ["dir/"]
        assert [o.key for o in page.objects] == ["file"]
        assert not page.is_truncated

    backend.run(t)


# --- versions ------------------------------------------------------------------


def test_unversioned_bucket_lists_null_versions(backend):
    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"1")
        await put(st, "bkt", "k", b"2")
        res = await st.list_object_versions("bkt")
        assert [(v.key, v.version_id, v.is_latest) for v in res.versions] == [
            ("k", "null", True)
        ]

    backend.run(t)


def test_versioning_enabled_keeps_versions_and_delete_markers(backend):
    async def t(st):
        await new_bucket(st)
        await st.update_bucket("bkt", versioning="Enabled")
        v1 = await put(st, "bkt", "k", b"one")
        v2 = await put(st, "bkt", "k", b"two" * 10000)
        assert v1.version_id != v2.version_id and "null" not in (v1.version_id,)
        assert await read_all(st, "bkt", "k") == b"two" * 10000
        assert await read_all(st, "bkt", "k", version_id=v1.version_id) == b"one"
        marker = await st.delete_object("bkt", "k")
        assert marker is not None and marker.is_delete_marker
        with pytest.raises(errors.NoSuchKey) as exc:
            await st.head_object("bkt", "k")
        assert exc.value.headers["x-amz-delete-marker"] == "true"
        dm = await st.head_object("bkt", "k", version_id=marker.version_id)
        assert dm.is_delete_marker
        with pytest.raises(errors.MethodNotAllowed):
            await st.open_object("bkt", "k", version_id=marker.version_id)
        assert (await st.list_objects("bkt")).objects == []
        res = await st.list_object_versions("bkt")
        assert [
            (v.version_id, v.is_latest, v.is_delete_marker) for v in res.versions
        ] == [
            (marker.version_id, True, True),
            (v2.version_id, False, False),
            (v1.version_id, False, False),
        ]
        # Removing the marker by id brings v2 back as latest.
        await st.delete_object("bkt", "k", version_id=marker.version_id)
        head = await st.head_object("bkt", "k")
        assert head.version_id == v2.version_id and head.is_latest
        # Removing the latest version by id promotes the previous one.
        await st.delete_object("bkt", "k", version_id=v2.version_id)
        assert await read_all(st, "bkt", "k") == b"one"
        await st.delete_object("bkt", "k", version_id=v1.version_id)
        assert (await st.list_object_versions("bkt")).versions == []
        await st.delete_bucket("bkt")

    backend.run(t)


def test_versioning_suspended_writes_the_null_version(backend):
    async def t(st):
        await new_bucket(st)
        await st.update_bucket("bkt", versioning="Enabled")
        v1 = await put(st, "bkt", "k", b"one")
        await st.update_bucket("bkt", versioning="Suspended")
        n1 = await put(st, "bkt", "k", b"null-1")
        n2 = await put(st, "bkt", "k", b"null-2")
        assert n1.version_id == n2.version_id == "null"
        res = await st.list_object_versions("bkt")
        assert [v.version_id for v in res.versions] == ["null", v1.version_id]
        assert await read_all(st, "bkt", "k", version_id="null") == b"null-2"
        marker = await st.delete_object("bkt", "k")
        assert marker is not None and marker.is_delete_marker
        assert marker.version_id == "null"
        res = await st.list_object_versions("bkt")
        assert [(v.version_id, v.is_delete_marker) for v in res.versions] == [
            ("null", True),
            (v1.version_id, False),
        ]

    backend.run(t)


def test_version_listing_markers_and_delimiter(backend):
    async def t(st):
        await new_bucket(st)
        await st.update_bucket("bkt", versioning="Enabled")
        expected = []
        for key in ("a", "b", "c/1", "c/2", "d"):
            ids = [(await put(st, "bkt", key, b"%d" % i)).version_id for i in range(3)]
            expected += [(key, vid) for vid in reversed(ids)]
        got = []
        key_marker = vid_marker = ""
        while True:
            page = await st.list_object_versions(
                "bkt",
                key_marker=key_marker,
                version_id_marker=vid_marker,
                max_keys=2,
            )
            got += [(v.key, v.version_id) for v in page.versions]
            if not page.is_truncated:
                break
            key_marker = page.next_key_marker or ""
            vid_marker = page.next_version_id_marker or ""
        assert got == expected
        page = await st.list_object_versions("bkt", delimiter="/")
        assert page.common_prefixes == ["c/"]
        assert {v.key for v in page.versions} == {"a", "b", "d"}

    backend.run(t)


# --- multipart -----------------------------------------------------------------


def test_multipart_upload_complete_and_part_sizes(backend):
    p1, p2, p3 = os.urandom(5 * MIB), os.urandom(5 * MIB + 1), os.urandom(1000)

    async def t(st):
        await new_bucket(st)
        req = base.PutRequest(
            "bkt",
            "mp",
            "owner-1",
            content_type="video/mp4",
            user_meta={"x": "y"},
            checksum_algorithms=["SHA256"],
        )
        up = await st.create_multipart_upload(req)
        got = await st.get_multipart_upload("bkt", "mp", up.upload_id)
        assert got.request.content_type == "video/mp4"
        infos = []
        for n, data in ((1, p1), (2, p2), (3, p3)):
            infos.append(
                await st.upload_part(
                    "bkt",
                    "mp",
                    up.upload_id,
                    n,
                    chunks(data),
                    checksum_algorithms=["SHA256"],
                )
            )
        parts, truncated = await st.list_parts("bkt", "mp", up.upload_id, max_parts=2)
        assert [p.part_number for p in parts] == [1, 2] and truncated
        parts, truncated = await st.list_parts(
            "bkt", "mp", up.upload_id, part_number_marker=2
        )
        assert [p.part_number for p in parts] == [3] and not truncated
        info = await st.complete_multipart_upload(
            "bkt",
            "mp",
            up.upload_id,
            [(i.part_number, '"%s"' % i.etag) for i in infos],
        )
        raw = b"".join(hashlib.md5(p).digest() for p in (p1, p2, p3))
        assert info.etag == hashlib.md5(raw).hexdigest() + "-3"
        assert info.part_sizes == [len(p1), len(p2), len(p3)]
        sha = hashlib.sha256(
            b"".join(hashlib.sha256(p).digest() for p in (p1, p2, p3))
        ).digest()
        assert info.checksums["SHA256"] == base64.b64encode(sha).decode() + "-3"
        head = await st.head_object("bkt", "mp")
        assert head.parts_count == 3 and head.content_type == "video/mp4"
        assert head.user_meta == {"x": "y"}
        assert await read_all(st, "bkt", "mp") == p1 + p2 + p3
        got = await read_all(st, "bkt", "mp", start=len(p1), length=len(p2))
        assert got == p2
        with pytest.raises(errors.NoSuchUpload):
            await st.get_multipart_upload("bkt", "mp", up.upload_id)

    backend.run(t)


def test_multipart_errors(backend):
    small = os.urandom(1000)
    big = os.urandom(5 * MIB)

    async def t(st):
        await new_bucket(st)
        up = await st.create_multipart_upload(base.PutRequest("bkt", "m", "o"))
        e1 = (await st.upload_part("bkt", "m", up.upload_id, 1, chunks(small))).etag
        e2 = (await st.upload_part("bkt", "m", up.upload_id, 2, chunks(small))).etag
        with pytest.raises(errors.EntityTooSmall):
            await st.complete_multipart_upload(
                "bkt", "m", up.upload_id, [(1, e1), (2, e2)]
            )
        with pytest.raises(errors.InvalidPartOrder):
            await st.complete_multipart_upload(
                "bkt", "m", up.upload_id, [(2, e2), (1, e1)]
            )
        with pytest.raises(errors.InvalidPart):
            await st.complete_multipart_upload("bkt", "m", up.upload_id, [(3, e1)])
        with pytest.raises(errors.InvalidPart):
            await st.complete_multipart_upload(
                "bkt", "m", up.upload_id, [(1, "0" * 32)]
            )
        with pytest.raises(errors.MalformedXML):
            await st.complete_multipart_upload("bkt", "m", up.upload_id, [])
        with pytest.raises(errors.NoSuchUpload):
            await st.upload_part("bkt", "m", "no-such-upload", 1, chunks(small))
        with pytest.raises(errors.NoSuchUpload):
            await st.upload_part("bkt", "other-key", up.upload_id, 1, chunks(small))
        with pytest.raises(errors.InvalidArgument):
            await st.upload_part("bkt", "m", up.upload_id, 10001, chunks(small))
        # Re-uploading a part replaces it; the last part may be small.
        e1 = (await st.upload_part("bkt", "m", up.upload_id, 1, chunks(big))).etag
        info = await st.complete_multipart_upload(
            "bkt", "m", up.upload_id, [(1, e1), (2, e2)]
        )
        assert info.size == len(big) + len(small)
        assert await read_all(st, "bkt", "m") == big + small
        up2 = await st.create_multipart_upload(base.PutRequest("bkt", "m2", "o"))
        await st.upload_part("bkt", "m2", up2.upload_id, 1, chunks(small))
        await st.abort_multipart_upload("bkt", "m2", up2.upload_id)
        with pytest.raises(errors.NoSuchUpload):
            await st.abort_multipart_upload("bkt", "m2", up2.upload_id)
        with pytest.raises(errors.NoSuchUpload):
            await st.list_parts("bkt", "m2", up2.upload_id)

    backend.run(t)


def test_single_part_upload_and_precondition_on_complete(backend):
    data = os.urandom(3000)

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"old")
        up = await st.create_multipart_upload(base.PutRequest("bkt", "k", "o"))
        etag = (await st.upload_part("bkt", "k", up.upload_id, 1, chunks(data))).etag

        refuse = base.Precondition(if_match='"not-the-etag"')

        with pytest.raises(errors.PreconditionFailed):
            await st.complete_multipart_upload(
                "bkt", "k", up.upload_id, [(1, etag)], precondition=refuse
            )
        assert await read_all(st, "bkt", "k") == b"old"
        info = await st.complete_multipart_upload("bkt", "k", up.upload_id, [(1, etag)])
        assert info.etag.endswith("-1")
        assert await read_all(st, "bkt", "k") == data

    backend.run(t)


def test_list_multipart_uploads_markers_and_delimiter(backend):
    async def t(st):
        await new_bucket(st)
        made = []
        for key in ("a", "a", "b/1", "b/2", "c"):
            up = await st.create_multipart_upload(base.PutRequest("bkt", key, "o"))
            made.append((key, up.upload_id))
        got = []
        km = um = ""
        while True:
            page = await st.list_multipart_uploads(
                "bkt", key_marker=km, upload_id_marker=um, max_uploads=2
            )
            got += [(u.key, u.upload_id) for u in page.uploads]
            if not page.is_truncated:
                break
            km, um = page.next_key_marker or "", page.next_upload_id_marker or ""
        assert got == sorted(made)
        page = await st.list_multipart_uploads("bkt", delimiter="/")
        assert page.common_prefixes == ["b/"]
        assert [u.key for u in page.uploads] == ["a", "a", "c"]
        page = await st.list_multipart_uploads("bkt", prefix="b/")
        assert [u.key for u in page.uploads] == ["b/1", "b/2"]

    backend.run(t)


# --- documents -----------------------------------------------------------------


def test_bucket_documents(backend):
    async def t(st):
        await new_bucket(st)
        assert await st.get_bucket_doc("bkt", "policy") is None
        await st.put_bucket_doc("bkt", "policy", b'{"v": 1}')
        await st.put_bucket_doc("bkt", "policy", b'{"v": 2}')
        await st.put_bucket_doc("bkt", "cors", b"<CORS/>")
        assert await st.get_bucket_doc("bkt", "policy") == b'{"v": 2}'
        await st.delete_bucket_doc("bkt", "policy")
        assert await st.get_bucket_doc("bkt", "policy") is None
        assert await st.get_bucket_doc("bkt", "cors") == b"<CORS/>"
        with pytest.raises(errors.NoSuchBucket):
            await st.get_bucket_doc("nope", "policy")
        # Documents go with the bucket.
        await st.delete_bucket("bkt")
        await new_bucket(st)
        assert await st.get_bucket_doc("bkt", "cors") is None

    backend.run(t)


def test_object_documents_belong_to_one_version(backend):
    async def t(st):
        await new_bucket(st)
        with pytest.raises(errors.NoSuchKey):
            await st.put_object_doc("bkt", "k", None, "tagging", b"t")
        await st.update_bucket("bkt", versioning="Enabled")
        v1 = await put(st, "bkt", "k", b"1")
        await st.put_object_doc("bkt", "k", None, "tagging", b"tags-1")
        v2 = await put(st, "bkt", "k", b"2")
        assert await st.get_object_doc("bkt", "k", None, "tagging") is None
        assert (
            await st.get_object_doc("bkt", "k", v1.version_id, "tagging") == b"tags-1"
        )
        await st.put_object_doc("bkt", "k", v2.version_id, "tagging", b"tags-2")
        await st.delete_object_doc("bkt", "k", v1.version_id, "tagging")
        assert await st.get_object_doc("bkt", "k", v1.version_id, "tagging") is None
        assert await st.get_object_doc("bkt", "k", None, "tagging") == b"tags-2"
        await st.delete_object("bkt", "k", version_id=v2.version_id)
        with pytest.raises(errors.NoSuchVersion):
            await st.get_object_doc("bkt", "k", v2.version_id, "tagging")

    backend.run(t)


def test_overwrite_drops_documents_of_the_replaced_null_version(backend):
    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", b"1")
        await st.put_object_doc("bkt", "k", None, "tagging", b"t")
        await put(st, "bkt", "k", b"2")
        assert await st.get_object_doc("bkt", "k", None, "tagging") is None

    backend.run(t)


# --- persistence ---------------------------------------------------------------


def test_reopen_keeps_everything(backend):
    data = os.urandom(2 * MIB)
    state = {}

    async def write(st):
        await new_bucket(st)
        await st.update_bucket("bkt", versioning="Enabled")
        state["v"] = (await put(st, "bkt", "big", data)).version_id
        await put(st, "bkt", "small", b"small")
        await st.put_bucket_doc("bkt", "policy", b"p")
        up = await st.create_multipart_upload(base.PutRequest("bkt", "mp", "o"))
        await st.upload_part("bkt", "mp", up.upload_id, 1, chunks(b"part"))
        state["up"] = up.upload_id

    async def check(st):
        assert (await st.get_bucket("bkt")).versioning == "Enabled"
        assert await read_all(st, "bkt", "big") == data
        assert await read_all(st, "bkt", "big", version_id=state["v"]) == data
        assert await read_all(st, "bkt", "small") == b"small"
        assert await st.get_bucket_doc("bkt", "policy") == b"p"
        parts, _ = await st.list_parts("bkt", "mp", state["up"])
        assert [p.size for p in parts] == [4]

    backend.run(write)
    backend.run(check)


# --- local backend: on-disk behaviour ----------------------------------------------


def _data_files(root) -> set[str]:
    return {
        str(p.relative_to(root)) for p in (root / "objects").rglob("*") if p.is_file()
    }


def test_local_start_removes_temp_and_orphan_files(tmp_path):
    root = tmp_path / "data"

    async def write(st):
        await new_bucket(st)
        await put(st, "bkt", "keep", os.urandom(100000))

    async def noop(st):
        pass

    Backend("local", lambda: local.LocalStorage(str(root))).run(write)
    kept = _data_files(root)
    assert len(kept) == 1
    (root / "tmp" / "half-written").write_bytes(b"x" * 1000)
    (root / "objects" / "ab" / ("ab" + "0" * 30)).write_bytes(b"orphan")
    Backend("local", lambda: local.LocalStorage(str(root))).run(noop)
    assert list((root / "tmp").iterdir()) == []
    assert _data_files(root) == kept


def test_local_overwrite_and_delete_free_their_files(tmp_path):
    root = tmp_path / "data"

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", os.urandom(100000))
        await put(st, "bkt", "k", os.urandom(100000))
        up = await st.create_multipart_upload(base.PutRequest("bkt", "m", "o"))
        e = (await st.upload_part("bkt", "m", up.upload_id, 1, chunks(b"p" * 5))).etag
        await st.upload_part("bkt", "m", up.upload_id, 2, chunks(b"unused"))
        await st.complete_multipart_upload("bkt", "m", up.upload_id, [(1, e)])
        await st.delete_object("bkt", "k")

    Backend("local", lambda: local.LocalStorage(str(root), unlink_grace=0)).run(t)
    # Only the completed multipart object's file remains.
    assert len(_data_files(root)) == 1
    assert list((root / "tmp").iterdir()) == []


def test_local_reader_survives_concurrent_overwrite(tmp_path):
    old = os.urandom(3 * MIB)

    async def t(st):
        await new_bucket(st)
        await put(st, "bkt", "k", old)
        reader = await st.open_object("bkt", "k")
        await put(st, "bkt", "k", b"new")
        assert b"".join([c async for c in reader.stream()]) == old

    Backend("local", lambda: local.LocalStorage(str(tmp_path / "d"))).run(t)


# --- the bases ------------------------------------------------------------------

CONTRACT = sorted(
    name
    for name, fn in vars(base.Storage).items()
    if not name.startswith("_") and asyncio.iscoroutinefunction(fn)
)


def _dummy_args(fn) -> list:
    import inspect

    args = []
    for p in inspect.signature(fn).parameters.values():
        if p.default is not inspect.Parameter.empty or p.kind is p.VAR_KEYWORD:
            continue
        args.append(
            {
                "req": base.PutRequest("b", "k", "o"),
                "body": chunks(b"x"),
                "part_number": 1,
                "parts": [(1, "e")],
                "value": b"v",
            }.get(p.name, "x")
        )
    return args


def test_backend_base_answers_not_implemented_for_everything():
    """A new backend starts from BackendBase: what it has not written yet
    is an S3 NotImplemented (501), never a TypeError or a 500."""

    class Empty(base.BackendBase):
        pass

    async def t():
        st = Empty()
        await st.start()
        for name in CONTRACT:
            # Hooks with a working default: leases are in-process.
            if name in (
                "start",
                "close",
                "bucket_usage",
                "readiness",
                "acquire_lease",
                "release_lease",
            ):
                continue
            method = getattr(st, name)
            with pytest.raises(errors.NotImplemented_) as exc:
                await method(*_dummy_args(method))
            assert exc.value.status == 501
        with pytest.raises(errors.NotImplemented_):
            await st.bucket_usage("b")  # the fallback walks list_object_versions
        assert await st.acquire_lease("l", "a", 60)
        assert not await st.acquire_lease("l", "b", 60)
        await st.release_lease("l", "a")
        assert await st.acquire_lease("l", "b", 60)
        assert st.sse_keyring is None
        # Nothing of its own to check: ready (gateway/readiness.py).
        assert await st.readiness() == {}
        await st.close()

    asyncio.run(t())


def test_local_backend_refuses_encryption_it_cannot_do(tmp_path):
    """Without the EncryptingStorage wrapper, a request for encryption is
    refused (501), never stored in plain."""
    key = sse.CustomerKey(os.urandom(32), "md5")

    async def t():
        st = local.LocalStorage(str(tmp_path / "data"))
        await st.start()
        try:
            await new_bucket(st)
            spec = sse.Spec(sse.KIND_S3)
            req = base.PutRequest("bkt", "k", "o", encryption=spec)
            with pytest.raises(errors.NotImplemented_):
                await st.put_object(req, chunks(b"x"))
            with pytest.raises(errors.NotImplemented_):
                await st.create_multipart_upload(req)
            await put(st, "bkt", "k", b"x")
            with pytest.raises(errors.NotImplemented_):
                await st.open_object("bkt", "k", customer_key=key)
            assert await read_all(st, "bkt", "k") == b"x"
        finally:
            await st.close()

    asyncio.run(t())


def test_wrappers_are_storages_that_delegate_every_operation():
    """StorageWrapper defines every operation of the contract (a method
    added to Storage and not delegated fails here), so the wrappers are
    real Storage implementations, no __getattr__ stand-ins."""
    from exordos_paas_s3.gateway import bucket_access

    own = vars(base.StorageWrapper)
    assert [name for name in CONTRACT if name not in own] == []
    assert "__getattr__" not in own
    for cls in (
        encrypting.EncryptingStorage,
        compressing.CompressingStorage,
        bucket_access.AccessTrackingStorage,
    ):
        assert issubclass(cls, base.StorageWrapper)
        assert "__getattr__" not in vars(cls)
