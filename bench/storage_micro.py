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
"""Micro-benchmark of the local storage backend, without HTTP.

Prints durable 4 KiB PUTs/s (sequential and 16 concurrent, inline in the
index and as files), 64 MiB PUT MB/s (MD5 + CRC32C, and MD5 + SHA256),
256 MiB multipart complete time, and 1,000-key listing time.

    python bench/storage_micro.py [--dir DIR] [--no-fsync]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time

from exordos_paas_s3.gateway.storage import base, local

LOG = logging.getLogger(__name__)

MIB = 1 << 20


async def _chunks(data: bytes, size: int = 64 * 1024):
    view = memoryview(data)
    for i in range(0, len(data), size):
        yield bytes(view[i : i + size])


async def _small_puts(st: local.LocalStorage, n: int, concurrency: int) -> float:
    payload = os.urandom(4096)
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            req = base.PutRequest("bench", f"small/{concurrency}/{i}", "owner")
            await st.put_object(req, _chunks(payload))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - t0)


async def _big_put(st: local.LocalStorage, data: bytes, alg: str) -> float:
    req = base.PutRequest("bench", f"big/{alg}", "owner", checksum_algorithms=[alg])
    t0 = time.perf_counter()
    await st.put_object(req, _chunks(data))
    return len(data) / MIB / (time.perf_counter() - t0)


async def _multipart(st: local.LocalStorage, data: bytes) -> tuple[float, float]:
    up = await st.create_multipart_upload(base.PutRequest("bench", "mpu", "owner"))
    part = 8 * MIB
    t0 = time.perf_counter()
    done = []
    for n, i in enumerate(range(0, len(data), part), start=1):
        info = await st.upload_part(
            "bench", "mpu", up.upload_id, n, _chunks(data[i : i + part])
        )
        done.append((n, info.etag))
    t1 = time.perf_counter()
    await st.complete_multipart_upload("bench", "mpu", up.upload_id, done)
    t2 = time.perf_counter()
    return len(data) / MIB / (t1 - t0), t2 - t1


async def _listing(st: local.LocalStorage) -> float:
    for i in range(1000):
        req = base.PutRequest("bench", f"list/{i:05d}", "owner")
        await st.put_object(req, _chunks(b"x"))
    best = float("inf")
    for _ in range(20):
        t0 = time.process_time()
        res = await st.list_objects("bench", prefix="list/", max_keys=1000)
        best = min(best, time.process_time() - t0)
        assert len(res.objects) == 1000
    return best * 1000


def _fsync_baseline(data_dir: str, n: int = 500) -> float:
    """Raw 4 KiB write + fdatasync + rename per second: the disk's ceiling."""
    payload = os.urandom(4096)
    t0 = time.perf_counter()
    for i in range(n):
        tmp = os.path.join(data_dir, f"baseline-{i}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, payload)
        os.fdatasync(fd)
        os.close(fd)
        os.replace(tmp, os.path.join(data_dir, f"baseline-{i}"))
    rate = n / (time.perf_counter() - t0)
    for i in range(n):
        os.unlink(os.path.join(data_dir, f"baseline-{i}"))
    return rate


async def main(data_dir: str, fsync: bool) -> None:
    print(
        f"baseline: {_fsync_baseline(data_dir):7.0f}/s raw 4 KiB write+fdatasync+rename"
    )
    for label, inline_max in (("inline", 16 * 1024), ("files", -1)):
        sub = os.path.join(data_dir, label)
        st = local.LocalStorage(sub, fsync=fsync, inline_max=inline_max)
        await st.start()
        await st.create_bucket("bench", "owner", "us-east-1")
        await _small_puts(st, 200, 1)  # warm up
        seq = await _small_puts(st, 2000, 1)
        par = await _small_puts(st, 4000, 16)
        print(
            f"4 KiB PUT ({label}, fsync={fsync}): {seq:7.0f}/s sequential, "
            f"{par:7.0f}/s with 16 concurrent"
        )
        await st.close()
    st = local.LocalStorage(os.path.join(data_dir, "big"), fsync=fsync)
    await st.start()
    await st.create_bucket("bench", "owner", "us-east-1")
    data = os.urandom(64 * MIB)
    for alg in ("CRC32C", "CRC32", "SHA256"):
        rates = [await _big_put(st, data, alg) for _ in range(4)]
        print(
            f"64 MiB PUT, MD5 + {alg}: {max(rates):6.0f} MB/s best, "
            f"{sorted(rates)[len(rates) // 2]:6.0f} MB/s median"
        )
    up_rate, complete_s = await _multipart(st, os.urandom(256 * MIB))
    print(
        f"256 MiB multipart: parts at {up_rate:6.0f} MB/s, "
        f"complete (copy_file_range + fsync) {complete_s * 1000:.0f} ms"
    )
    print(f"ListObjects 1,000 keys: {await _listing(st):.1f} ms CPU")
    await st.close()
    print(
        f"baseline: {_fsync_baseline(data_dir):7.0f}/s raw 4 KiB write+fdatasync+rename"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=None, help="data dir (default: a temp dir)")
    parser.add_argument("--no-fsync", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        asyncio.run(main(tmp, not args.no_fsync))
