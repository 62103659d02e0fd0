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
"""A storage wrapper that compresses object data at rest with zstd.

Transparent to everything above it: sizes, ETags (the MD5 of the original
bytes), checksums and listings are those of the original object, and
``Expected`` is checked against the original bytes. It sits above the SSE
wrapper, so data is compressed, then encrypted.

Which objects: a bucket's setting (the bucket document ``compression``,
``{"algorithm": "zstd"|"none"}``, written by the admin API's bucket
settings), else the gateway's ``--default-compression``. Then per object:
single PUTs (PutObject, CopyObject, POST) of at least ``min_size`` bytes
whose type is not already compressed (images, audio, video, archives,
``Content-Encoding`` set) are sampled: the first frame is compressed and the
object is stored as is unless it shrinks to at most 90 %. Multipart uploads
are stored as is (their parts are not compressed yet). Small objects stay
plain, so they keep the sendfile / in-memory read paths.

Format: the original bytes cut in frames of ``frame`` bytes (1 MiB), each an
independent zstd frame, stored back to back. The record in ``system_meta``
(``x-exordos-compression``, stripped from every ObjectInfo returned) holds
the algorithm, the frame size, each frame's stored size, and the original
size, ETag and checksums. A range reads and decompresses only the frames it
covers (a 1 MiB range: at most 2 frames), one frame at a time and only when
the client takes more (a stalled reader holds one frame), from the very
version opened: through the backend's handle on it (``ObjectReader.stored``)
when there is one, else by version id with the stored ETag checked.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence

import zstandard

from exordos_paas_s3.gateway import errors, sse
from exordos_paas_s3.gateway.storage import base, local_ingest

LOG = logging.getLogger(__name__)

RECORD_META = "x-exordos-compression"
DOC = "compression"
ALGORITHMS = ("none", "zstd")
FRAME = 1 << 20
MIN_SIZE = 64 * 1024
# Stored as is unless the sample shrinks to this share of its size.
MAX_RATIO = 0.9
DEFAULT_LEVEL = 3
DEFAULT_TTL = 60.0
# Types whose bytes are compressed already: never sampled.
_SKIP_PREFIXES = ("image/", "audio/", "video/")
_SKIP_TYPES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/zstd",
        "application/x-zstd",
        "application/vnd.rar",
        "application/x-compress",
        "application/x-lz4",
        "application/x-brotli",
        "application/pdf",
    }
)


def worth_trying(req: base.PutRequest) -> bool:
    """Whether an object's declared type and size allow compressing it."""
    if req.expected_size is not None and req.expected_size < MIN_SIZE:
        return False
    ctype = req.content_type.split(";", 1)[0].strip().lower()
    if ctype in _SKIP_TYPES or ctype.startswith(_SKIP_PREFIXES):
        return False
    encoding = req.system_meta.get("content-encoding", "").strip().lower()
    return encoding in ("", "identity")


def _record_of(meta: dict[str, str]) -> dict | None:
    raw = meta.get(RECORD_META)
    return json.loads(raw) if raw is not None else None


@dataclasses.dataclass
class Usage:
    """What a walk over a bucket's versions found: logical and stored bytes."""

    objects: int = 0
    logical_bytes: int = 0
    stored_bytes: int = 0
    compressed_objects: int = 0


class CompressingStorage(base.PresentingWrapper):
    """Compresses on write, decompresses on read; see the module doc."""

    def __init__(
        self,
        storage: base.Storage,
        *,
        default: str = "none",
        level: int = DEFAULT_LEVEL,
        min_size: int = MIN_SIZE,
        frame: int = FRAME,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        if default not in ALGORITHMS:
            raise ValueError(f"compression must be one of {ALGORITHMS}")
        super().__init__(storage)
        self.default = default
        self.level = level
        self.min_size = min_size
        self.frame = frame
        self._ttl = ttl
        # bucket -> (algorithm or None, loaded at); None: the default.
        self._settings: dict[str, tuple[str | None, float]] = {}

    # --- the bucket's setting -------------------------------------------------

    async def bucket_setting(self, bucket: str) -> str | None:
        """The bucket's own setting ("zstd", "none"), None when it has none."""
        entry = self._settings.get(bucket)
        if entry is not None and time.monotonic() - entry[1] < self._ttl:
            return entry[0]
        raw = await self.inner.get_bucket_doc(bucket, DOC)
        setting = None
        if raw:
            try:
                setting = json.loads(raw).get("algorithm")
            except ValueError:
                LOG.error("bucket %s: the compression document does not parse", bucket)
        if setting not in ALGORITHMS:
            setting = None
        self._settings[bucket] = (setting, time.monotonic())
        return setting

    async def algorithm(self, bucket: str) -> str:
        return await self.bucket_setting(bucket) or self.default

    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None:
        try:
            await self.inner.put_bucket_doc(bucket, name, value)
        finally:
            if name == DOC:
                self._settings.pop(bucket, None)

    async def delete_bucket_doc(self, bucket: str, name: str) -> None:
        try:
            await self.inner.delete_bucket_doc(bucket, name)
        finally:
            if name == DOC:
                self._settings.pop(bucket, None)

    async def delete_bucket(self, name: str) -> None:
        try:
            await self.inner.delete_bucket(name)
        finally:
            self._settings.pop(name, None)

    # --- presenting -------------------------------------------------------------

    @staticmethod
    def present(info: base.ObjectInfo) -> base.ObjectInfo:
        """The original object's view of a stored version."""
        record = _record_of(info.system_meta)
        if record is None:
            return info
        meta = dict(info.system_meta)
        del meta[RECORD_META]
        return dataclasses.replace(
            info,
            size=record["s"],
            etag=record["e"],
            checksums=dict(record.get("c") or {}),
            system_meta=meta,
        )

    async def _stored_precondition(
        self, bucket: str, key: str, precondition: base.Precondition | None
    ) -> base.Precondition | None:
        """Clients name the ETag they were shown (the original's MD5); the
        backend compares the stored one. When the current object's shown
        ETag is listed, its stored ETag joins the list."""
        if precondition is None:
            return None
        try:
            current = await self.inner.head_object(bucket, key)
        except errors.NoSuchKey:
            return precondition
        shown = self.present(current).etag
        if current.is_delete_marker or shown == current.etag:
            return precondition

        def extend(header: str | None) -> str | None:
            if header is None or not base.etag_matches(header, shown):
                return header
            return f'{header}, "{current.etag}"'

        return base.Precondition(
            if_match=extend(precondition.if_match),
            if_none_match=extend(precondition.if_none_match),
        )

    # --- writes -----------------------------------------------------------------

    async def put_object(
        self,
        req: base.PutRequest,
        body: base.ByteStream,
        expected: base.Expected | None = None,
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        precondition = await self._stored_precondition(
            req.bucket, req.key, precondition
        )
        if not worth_trying(req) or await self.algorithm(req.bucket) != "zstd":
            return self.present(
                await self.inner.put_object(req, body, expected, precondition)
            )
        source = aiter(body)
        head: list[bytes] = []
        have = 0
        while have < self.frame:
            try:
                chunk = await anext(source)
            except StopAsyncIteration:
                break
            head.append(chunk)
            have += len(chunk)
        sample = b"".join(head)
        compressor = zstandard.ZstdCompressor(level=self.level)
        first = sample[: self.frame]
        if len(sample) < self.min_size or (
            len(await asyncio.to_thread(compressor.compress, first))
            > MAX_RATIO * len(first)
        ):
            # Stored as is, decided by the sample: the body goes on unchanged.
            return self.present(
                await self.inner.put_object(
                    req, _chained(sample, source), expected, precondition
                )
            )
        return await self._put_compressed(
            req, sample, source, compressor, expected, precondition
        )

    async def _put_compressed(
        self,
        req: base.PutRequest,
        sample: bytes,
        source: AsyncIterator[bytes],
        compressor: zstandard.ZstdCompressor,
        expected: base.Expected | None,
        precondition: base.Precondition | None,
    ) -> base.ObjectInfo:
        hashers = local_ingest.new_hashers(req.checksum_algorithms, req.want_sha256)
        record: dict = {"v": 1, "a": "zstd", "f": self.frame, "z": []}
        meta = dict(req.system_meta)
        inner_req = dataclasses.replace(
            req,
            system_meta=meta,
            checksum_algorithms=(),
            want_sha256=False,
            expected_size=None,
        )
        frame = self.frame

        def step(data: bytes) -> bytes:
            # Hashing and compressing release the GIL: one thread hop per frame.
            for hasher in hashers.values():
                hasher.update(data)
            return compressor.compress(data)

        async def stream() -> base.ByteStream:
            size = 0
            buf = bytearray(sample)
            while True:
                while len(buf) >= frame:
                    data = bytes(buf[:frame])
                    del buf[:frame]
                    out = await asyncio.to_thread(step, data)
                    size += len(data)
                    record["z"].append(len(out))
                    yield out
                try:
                    buf += await anext(source)
                except StopAsyncIteration:
                    break
            if buf:
                out = await asyncio.to_thread(step, bytes(buf))
                size += len(buf)
                record["z"].append(len(out))
                yield out
            # Before the commit copies system_meta: the original's digests.
            digests = local_ingest.make_digests(
                hashers, size, req.checksum_algorithms, req.want_sha256
            )
            if expected is not None:
                expected.check(digests)
            record["s"] = size
            record["e"] = digests.md5.hex()
            if digests.checksums:
                checksums = {
                    alg: base64_of(raw) for alg, raw in digests.checksums.items()
                }
                checksums["type"] = "FULL_OBJECT"
                record["c"] = checksums
            meta[RECORD_META] = json.dumps(record, separators=(",", ":"))

        info = await self.inner.put_object(inner_req, stream(), None, precondition)
        return self.present(info)

    # --- reads ------------------------------------------------------------------

    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **fields: object,
    ) -> base.ObjectInfo:
        if "system_meta" in fields:
            current = await self.inner.head_object(bucket, key, version_id)
            if RECORD_META in current.system_meta:
                # A metadata change keeps the object's compression record.
                new = dict(fields["system_meta"])  # type: ignore[call-overload]
                new[RECORD_META] = current.system_meta[RECORD_META]
                fields["system_meta"] = new
        info = await self.inner.update_object_meta(bucket, key, version_id, **fields)
        return self.present(info)

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        precondition = await self._stored_precondition(bucket, key, precondition)
        return self.present(
            await self.inner.complete_multipart_upload(
                bucket, key, upload_id, parts, precondition
            )
        )

    async def open_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        start: int = 0,
        length: int | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> base.ObjectReader:
        reader = await self.inner.open_object(
            bucket, key, version_id, start, length, customer_key
        )
        stored = reader.info
        record = _record_of(stored.system_meta)
        if record is None:
            return reader
        info = self.present(stored)
        start = max(0, min(start, info.size))
        available = info.size - start
        length = available if length is None else max(0, min(length, available))
        frame = record["f"]
        sizes = record["z"]
        # Read the very version opened, until its last byte (the backend's
        # handle on it); below SSE, or on a backend without one, by version
        # id and stored ETag (refusing to mix versions).
        if reader.stored is not None:
            opened = reader.stored
        else:
            pinned = stored.version_id if stored.version_id != "null" else None

            def opened() -> base.StoredData:
                return _Reopened(
                    self.inner, bucket, key, pinned, stored.etag, customer_key
                )

        def stream() -> base.ByteStream:
            return _decompress(opened(), frame, sizes, start, length)

        return base.ObjectReader(info, start, length, stream)

    # --- usage ------------------------------------------------------------------

    async def usage(self, bucket: str) -> Usage:
        """Logical and stored bytes of every version (a walk: admin reports
        only, never the request path)."""
        usage = Usage()
        key_marker = version_marker = ""
        while True:
            page = await self.inner.list_object_versions(
                bucket, key_marker=key_marker, version_id_marker=version_marker
            )
            for info in page.versions:
                if info.is_delete_marker:
                    continue
                usage.objects += 1
                usage.stored_bytes += info.size
                record = _record_of(info.system_meta)
                if record is None:
                    usage.logical_bytes += info.size
                else:
                    usage.logical_bytes += record["s"]
                    usage.compressed_objects += 1
            if not page.is_truncated:
                return usage
            key_marker = page.next_key_marker or ""
            version_marker = page.next_version_id_marker or ""


async def _decompress(
    data: base.StoredData, frame: int, sizes: list[int], start: int, length: int
) -> base.ByteStream:
    """The original bytes [start, start+length): the covering frames only,
    read and decompressed one at a time when the consumer asks for more
    (a stalled client holds at most one frame)."""
    try:
        if length <= 0:
            return
        first = start // frame
        last = (start + length - 1) // frame
        offset = sum(sizes[:first])
        skip = start - first * frame
        left = length
        decompressor = zstandard.ZstdDecompressor()
        for index in range(first, last + 1):
            packed = await data.read(offset, sizes[index])
            if len(packed) != sizes[index]:
                raise errors.InternalError(
                    "A compressed object is shorter than recorded."
                )
            offset += sizes[index]
            out = await asyncio.to_thread(decompressor.decompress, packed)
            if skip:
                out = out[skip:]
                skip = 0
            if len(out) > left:
                out = out[:left]
            left -= len(out)
            if out:
                yield out
    finally:
        data.close()


class _Reopened(base.StoredData):
    """Stored bytes read by opening the version again (by id, or the key for
    a "null" version) and refusing another version than the one resolved."""

    def __init__(
        self,
        storage: base.Storage,
        bucket: str,
        key: str,
        version_id: str | None,
        etag: str,
        customer_key: sse.CustomerKey | None,
    ) -> None:
        self._args = (storage, bucket, key, version_id, etag, customer_key)

    async def read(self, offset: int, size: int) -> bytes:
        storage, bucket, key, version_id, etag, customer_key = self._args
        reader = await storage.open_object(
            bucket, key, version_id, offset, size, customer_key
        )
        if reader.info.etag != etag:
            raise errors.InternalError("The object changed while it was read.")
        return b"".join([chunk async for chunk in reader.stream()])


def base64_of(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


async def _chained(sample: bytes, rest: AsyncIterator[bytes]) -> base.ByteStream:
    if sample:
        yield sample
    async for chunk in rest:
        yield chunk
