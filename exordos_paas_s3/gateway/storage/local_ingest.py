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
"""Receiving an object body for the local backend: hash it while writing it.

Small bodies are hashed on the loop and kept in memory (stored inline in the
index), or written with one worker-thread hop. Large bodies go through a
pipeline: the receive loop gathers the received chunks into blocks of at
least 1 MiB (a list of chunks, never joined: each join or slice is one
more pass over every byte) and hands each block to one thread per consumer
(the file writer, with writev; MD5; each checksum), so hashing runs in
parallel with the write and with the network; hashlib and zlib release
the GIL on big buffers. A bounded number of blocks in flight keeps memory
flat whatever the client's speed.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import hashlib
import logging
import os
import queue
import threading
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import google_crc32c
from awscrt import checksums as awscrt_checksums

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base

LOG = logging.getLogger(__name__)

BLOCK = 1 << 20
# Buffers per writev call, well under IOV_MAX (1024 on Linux).
IOV_BATCH = 256
PIPELINE_DEPTH = 8
_FINISH = object()
_ABORT = object()


class _Crc32:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


class _Crc64Nvme:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = awscrt_checksums.crc64nvme(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(8, "big")


_FACTORIES: dict[str, Any] = {
    "MD5": hashlib.md5,
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "CRC32": _Crc32,
    "CRC32C": google_crc32c.Checksum,
    "CRC64NVME": _Crc64Nvme,
}


# CRC(A + B) from CRC(A), CRC(B) and len(B): a multipart object's
# FULL_OBJECT checksum from its parts' checksums, without reading the data.
_COMBINE: dict[str, Any] = {
    "CRC32": awscrt_checksums.combine_crc32,
    "CRC32C": awscrt_checksums.combine_crc32c,
    "CRC64NVME": awscrt_checksums.combine_crc64nvme,
}
_CRC_BYTES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8}


def combine_crcs(algorithm: str, parts: Iterable[tuple[bytes, int]]) -> bytes | None:
    """The CRC of the concatenation of parts given as (raw CRC, size); None
    for an algorithm that does not combine (SHA1, SHA256)."""
    combine = _COMBINE.get(algorithm)
    if combine is None:
        return None
    crc = 0
    for raw, size in parts:
        crc = combine(crc, int.from_bytes(raw, "big"), size)
    return crc.to_bytes(_CRC_BYTES[algorithm], "big")


def new_hashers(algorithms: Iterable[str], want_sha256: bool) -> dict[str, Any]:
    names = ["MD5"]
    for alg in algorithms:
        name = alg.upper()
        if name not in _FACTORIES:
            raise errors.NotImplemented_(
                f"The checksum algorithm {alg} is not supported."
            )
        if name not in names:
            names.append(name)
    if want_sha256 and "SHA256" not in names:
        names.append("SHA256")
    return {name: _FACTORIES[name]() for name in names}


def make_digests(
    hashers: dict[str, Any],
    size: int,
    algorithms: Iterable[str],
    want_sha256: bool,
) -> base.Digests:
    return base.Digests(
        size=size,
        md5=hashers["MD5"].digest(),
        checksums={alg.upper(): hashers[alg.upper()].digest() for alg in algorithms},
        sha256=hashers["SHA256"].digest() if want_sha256 else None,
    )


@dataclasses.dataclass
class Received:
    """A received body: on disk in ``tmp_path`` or in memory in ``data``."""

    digests: base.Digests
    tmp_path: str | None = None
    data: bytes | None = None


def _write_file(path: str, chunks: Iterable[bytes], fsync: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        for chunk in chunks:
            _write_all(fd, chunk)
        if fsync:
            os.fdatasync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_chunks(fd: int, chunks: list[bytes]) -> None:
    for i in range(0, len(chunks), IOV_BATCH):
        batch = chunks[i : i + IOV_BATCH]
        done = os.writev(fd, batch)
        if done == sum(map(len, batch)):
            continue
        # A short write (rare on a regular file): finish buffer by buffer.
        for chunk in batch:
            if done >= len(chunk):
                done -= len(chunk)
                continue
            _write_all(fd, memoryview(chunk)[done:])
            done = 0


def _write_and_hash(
    path: str, data: bytes, hashers: dict[str, Any], fsync: bool
) -> None:
    for hasher in hashers.values():
        hasher.update(data)
    _write_file(path, (data,), fsync)


class _FileSink:
    def __init__(self, path: str, fsync: bool) -> None:
        self.path = path
        self.fsync = fsync
        self.fd = -1

    def open(self) -> None:
        self.fd = os.open(
            self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644
        )

    def consume(self, block: list[bytes]) -> None:
        _write_chunks(self.fd, block)

    def finish(self) -> None:
        try:
            if self.fsync:
                os.fdatasync(self.fd)
        finally:
            os.close(self.fd)
            self.fd = -1

    def abort(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class _HashSink:
    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher

    def open(self) -> None:
        pass

    def consume(self, block: list[bytes]) -> None:
        update = self.hasher.update
        for chunk in block:
            update(chunk)

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _Pipeline:
    """Blocks fan out to one thread per sink, at most PIPELINE_DEPTH in flight."""

    def __init__(self, sinks: list[Any]) -> None:
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Semaphore(PIPELINE_DEPTH)
        self._lock = threading.Lock()
        self._pending: dict[int, int] = {}
        self._fed = 0
        self._error: BaseException | None = None
        self._queues: list[queue.SimpleQueue] = []
        self._done: list[concurrent.futures.Future] = []
        for sink in sinks:
            q: queue.SimpleQueue = queue.SimpleQueue()
            done: concurrent.futures.Future = concurrent.futures.Future()
            self._queues.append(q)
            self._done.append(done)
            threading.Thread(
                target=self._stage, args=(sink, q, done), name="s3-ingest", daemon=True
            ).start()

    def _stage(self, sink: Any, q: queue.SimpleQueue, done: Any) -> None:
        error: BaseException | None = None
        try:
            sink.open()
        except BaseException as exc:  # noqa: B036 - reported to the feeder
            error = exc
        while True:
            item = q.get()
            if item is _FINISH or item is _ABORT:
                break
            index, block = item
            if error is None:
                try:
                    sink.consume(block)
                except BaseException as exc:  # noqa: B036
                    error = exc
            if error is not None and self._error is None:
                self._error = error
            self._consumed(index)
        try:
            if error is None and item is _FINISH:
                sink.finish()
            else:
                sink.abort()
        except BaseException as exc:  # noqa: B036
            error = error or exc
        done.set_result(error)

    def _consumed(self, index: int) -> None:
        with self._lock:
            left = self._pending[index] - 1
            if left:
                self._pending[index] = left
                return
            del self._pending[index]
        self._loop.call_soon_threadsafe(self._room.release)

    async def feed(self, block: list[bytes]) -> None:
        await self._room.acquire()
        if self._error is not None:
            raise self._error
        with self._lock:
            self._pending[self._fed] = len(self._queues)
        for q in self._queues:
            q.put((self._fed, block))
        self._fed += 1

    async def finish(self) -> None:
        for q in self._queues:
            q.put(_FINISH)
        results = await asyncio.gather(*(asyncio.wrap_future(d) for d in self._done))
        for error in results:
            if error is not None:
                raise error

    async def abort(self) -> None:
        for q in self._queues:
            q.put(_ABORT)
        await asyncio.gather(*(asyncio.wrap_future(d) for d in self._done))


async def receive(
    body: base.ByteStream,
    *,
    tmp_path: str,
    algorithms: Iterable[str],
    want_sha256: bool,
    inline_max: int,
    fsync: bool,
    executor: concurrent.futures.Executor,
    expected_size: int | None = None,
) -> Received:
    """Consume ``body`` completely. Bodies up to ``inline_max`` bytes stay in
    memory; larger ones end up fsynced in ``tmp_path`` (the caller removes it
    on any later failure; this function removes it on its own failure)."""
    algorithms = tuple(algorithms)
    hashers = new_hashers(algorithms, want_sha256)
    loop = asyncio.get_running_loop()
    # Received chunks wait in a list, which becomes the next block.
    parts: list[bytes] = []
    held = 0
    size = 0
    pipeline: _Pipeline | None = None
    try:
        async for chunk in body:
            if not chunk:
                continue
            size += len(chunk)
            parts.append(chunk)
            held += len(chunk)
            if held < BLOCK or (pipeline is None and held == BLOCK):
                continue
            if pipeline is None:
                sinks: list[Any] = [_FileSink(tmp_path, fsync)]
                sinks.extend(_HashSink(h) for h in hashers.values())
                pipeline = _Pipeline(sinks)
            await pipeline.feed(parts)
            parts = []
            held = 0
        if expected_size is not None and size != expected_size:
            raise errors.IncompleteBody()
        if pipeline is not None:
            if parts:
                await pipeline.feed(parts)
            await pipeline.finish()
            pipeline = None
        else:
            data = b"".join(parts)
            if size <= inline_max:
                for hasher in hashers.values():
                    hasher.update(data)
                return Received(
                    make_digests(hashers, size, algorithms, want_sha256), None, data
                )
            await loop.run_in_executor(
                executor, _write_and_hash, tmp_path, data, hashers, fsync
            )
    except BaseException:
        if pipeline is not None:
            await asyncio.shield(pipeline.abort())
        _remove(tmp_path)
        raise
    return Received(make_digests(hashers, size, algorithms, want_sha256), tmp_path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def composite_checksums(
    algorithms: Sequence[str],
    parts: Sequence[tuple[dict[str, str], int]],
    checksum_type: str = "",
) -> dict[str, str]:
    """A multipart object's checksums from its parts' (base64 checksums,
    size), in part order, as ObjectInfo.checksums carries them.

    COMPOSITE: the checksum of the concatenated raw part checksums, then "-N"
    (AWS "Checking object integrity"); FULL_OBJECT: the CRC of the whole
    object, combined from the parts' CRCs. An algorithm some part lacks is
    left out."""
    out: dict[str, str] = {}
    for alg in algorithms:
        name = alg.upper()
        if not all(name in sums for sums, _size in parts):
            continue
        if checksum_type == "FULL_OBJECT":
            full = combine_crcs(
                name, [(base64.b64decode(sums[name]), size) for sums, size in parts]
            )
            if full is not None:
                out[name] = base64.b64encode(full).decode()
                out["type"] = "FULL_OBJECT"
                continue
        hasher = new_hashers([name], False)[name]
        hasher.update(b"".join(base64.b64decode(sums[name]) for sums, _ in parts))
        out[name] = f"{base64.b64encode(hasher.digest()).decode()}-{len(parts)}"
    if out:
        out.setdefault("type", "COMPOSITE")
    return out
