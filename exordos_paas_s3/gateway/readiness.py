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
"""Readiness: can this gateway serve reads and writes now?

Liveness (``GET /health``) only says the event loop answers. Readiness asks
the storage (``Storage.readiness``): a file written, fsynced and read back
on the data disk, an index read, an index commit, and for an upstream blob
store a request to the upstream bucket. Served as ``GET /health?ready`` on
the S3 port and ``GET /v1/ready`` on the admin listener, and reported by the
driver to the control plane (docs/operations.md, "Health and readiness").

A probe is anonymous on the S3 port, so its result is kept for
``CACHE_SECONDS`` and probes never overlap: a flood of probes costs one
check per interval, not one fsync per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
import typing

LOG = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
TIMEOUT_SECONDS = 5.0

_cache: dict[int, tuple[float, dict[str, typing.Any]]] = {}
_locks: dict[int, asyncio.Lock] = {}


async def check(storage: typing.Any) -> dict[str, typing.Any]:
    """``{"ready": bool, "reason": str, "checks": {...}, "checked_at": ts}``."""
    key = id(storage)
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        cached = _cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        report = await _run(storage)
        _cache[key] = (time.monotonic(), report)
        return report


async def _run(storage: typing.Any) -> dict[str, typing.Any]:
    started = time.perf_counter()
    checks: dict[str, str] = {}
    reason = ""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            checks = await storage.readiness()
    except TimeoutError:
        reason = f"the storage did not answer within {TIMEOUT_SECONDS:g} s"
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
    if reason:
        LOG.warning("not ready: %s", reason)
    return {
        "ready": not reason,
        "reason": reason,
        "checks": checks,
        "checked_at": time.time(),
        "seconds": round(time.perf_counter() - started, 6),
    }
