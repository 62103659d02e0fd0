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
"""The gateway's Prometheus metrics (docs/operations.md, "Metrics").

Requests are counted in plain Python lists per operation (one dict lookup,
a bisect and a few integer additions per request) and turned into metric
families only when ``/metrics`` is scraped, by a custom collector over
``prometheus_client``'s exposition format. ``prometheus_client``'s own
labelled Counter/Histogram take a lock and a labels() lookup per update:
about ten times the cost, for figures no one reads between scrapes
(decision 0016).

Storage figures (objects and bytes per bucket, free disk, the index
writer's commit latency and batch sizes) are read at scrape time from
counters the storage keeps anyway.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import typing

from prometheus_client import exposition, registry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from exordos_paas_s3.gateway.storage import commit_stats

LOG = logging.getLogger(__name__)

# Request latency buckets (seconds): the small GET is ~0.1-1 ms end to end,
# a large PUT seconds.
LATENCY_BOUNDS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
# Per-operation stats list layout: count, bytes in, bytes out, latency sum,
# then one count per latency bucket (the last one is +Inf).
_COUNT, _IN, _OUT, _SUM, _BUCKETS = 0, 1, 2, 3, 4
_WIDTH = _BUCKETS + len(LATENCY_BOUNDS) + 1
# How long one scrape may spend on per-bucket usage reads.
USAGE_TIMEOUT = 5.0
CONTENT_TYPE = exposition.CONTENT_TYPE_LATEST


class Metrics:
    """The request counters of one gateway process and their exporter."""

    def __init__(self) -> None:
        self._ops: dict[str, list[float]] = {}
        self._errors: dict[tuple[str, str], int] = {}
        self.in_flight = 0
        # Open S3 connections, kept by the HTTP protocol (uvicorn_protocol).
        self.connections = 0
        self._storage: typing.Any = None
        self._data_dir: str | None = None
        self._usage: list[tuple[str, int, int]] = []
        # The lifecycle executor (gateway/lifecycle/worker.py), when it runs.
        self._lifecycle: typing.Any = None

    def observe(
        self,
        operation: str,
        error: str | None,
        bytes_in: int,
        bytes_out: int,
        seconds: float,
    ) -> None:
        stats = self._ops.get(operation)
        if stats is None:
            stats = self._ops[operation] = [0] * _WIDTH
        stats[_COUNT] += 1
        stats[_IN] += bytes_in
        stats[_OUT] += bytes_out
        stats[_SUM] += seconds
        stats[_BUCKETS + bisect.bisect_left(LATENCY_BOUNDS, seconds)] += 1
        if error is not None:
            pair = (operation, error)
            self._errors[pair] = self._errors.get(pair, 0) + 1

    # --- export -----------------------------------------------------------------

    def attach_storage(self, storage: typing.Any, data_dir: str | None) -> None:
        self._storage = storage
        self._data_dir = data_dir

    def attach_lifecycle(self, worker: typing.Any) -> None:
        self._lifecycle = worker

    async def refresh(self) -> None:
        """Read per-bucket usage (the index's trigger-kept counters) before
        a scrape; the collector itself runs synchronously."""
        storage = self._storage
        if storage is None:
            return
        try:
            async with asyncio.timeout(USAGE_TIMEOUT):
                usage = []
                for bucket in await storage.list_buckets():
                    objects, size = await storage.bucket_usage(bucket.name)
                    usage.append((bucket.name, objects, size))
        except Exception as exc:  # a scrape must answer whatever storage does
            LOG.warning("metrics: bucket usage unavailable: %s", exc)
            return
        self._usage = usage

    def collect(self) -> typing.Iterator[typing.Any]:
        requests = CounterMetricFamily(
            "exordos_s3_requests", "S3 requests answered.", labels=["operation"]
        )
        bytes_in = CounterMetricFamily(
            "exordos_s3_request_bytes",
            "Request body bytes received.",
            labels=["operation"],
        )
        bytes_out = CounterMetricFamily(
            "exordos_s3_response_bytes",
            "Response body bytes sent (as declared by Content-Length).",
            labels=["operation"],
        )
        latency = HistogramMetricFamily(
            "exordos_s3_request_duration_seconds",
            "Time from the request's head to its last response byte.",
            labels=["operation"],
        )
        for op, stats in sorted(self._ops.items()):
            requests.add_metric([op], stats[_COUNT])
            bytes_in.add_metric([op], stats[_IN])
            bytes_out.add_metric([op], stats[_OUT])
            buckets = []
            total = 0
            for i, bound in enumerate((*LATENCY_BOUNDS, float("inf"))):
                total += int(stats[_BUCKETS + i])
                buckets.append((_bound(bound), total))
            latency.add_metric([op], buckets, stats[_SUM])
        yield from (requests, bytes_in, bytes_out, latency)
        errors = CounterMetricFamily(
            "exordos_s3_errors",
            "S3 error responses by operation and error code.",
            labels=["operation", "code"],
        )
        for (op, code), n in sorted(self._errors.items()):
            errors.add_metric([op, code], n)
        yield errors
        yield GaugeMetricFamily(
            "exordos_s3_in_flight_requests",
            "S3 requests being handled now.",
            value=self.in_flight,
        )
        yield GaugeMetricFamily(
            "exordos_s3_open_connections",
            "Open connections to the S3 listener.",
            value=self.connections,
        )
        yield from self._storage_families()
        yield from self._lifecycle_families()

    def _storage_families(self) -> typing.Iterator[typing.Any]:
        objects = GaugeMetricFamily(
            "exordos_s3_bucket_objects",
            "Object versions stored per bucket.",
            labels=["bucket"],
        )
        size = GaugeMetricFamily(
            "exordos_s3_bucket_bytes", "Bytes stored per bucket.", labels=["bucket"]
        )
        for name, n, total in self._usage:
            objects.add_metric([name], n)
            size.add_metric([name], total)
        yield objects
        yield size
        if self._data_dir is not None:
            try:
                st = os.statvfs(self._data_dir)
            except OSError:
                pass
            else:
                yield GaugeMetricFamily(
                    "exordos_s3_disk_free_bytes",
                    "Bytes available to the gateway on the data directory's "
                    "file system.",
                    value=st.f_bavail * st.f_frsize,
                )
                yield GaugeMetricFamily(
                    "exordos_s3_disk_size_bytes",
                    "Size of the data directory's file system.",
                    value=st.f_blocks * st.f_frsize,
                )
        stats = getattr(self._storage, "commit_stats", None)
        if isinstance(stats, commit_stats.CommitStats):
            commit = HistogramMetricFamily(
                "exordos_s3_index_commit_duration_seconds",
                "Index group commits: time from BEGIN to COMMIT, fsyncs included.",
            )
            commit.add_metric(
                [],
                _cumulative(stats.latency, commit_stats.LATENCY_BOUNDS),
                stats.seconds,
            )
            batch = HistogramMetricFamily(
                "exordos_s3_index_commit_batch_size",
                "Writes committed (and fsynced) together per index commit.",
            )
            batch.add_metric(
                [], _cumulative(stats.batches, commit_stats.BATCH_BOUNDS), stats.jobs
            )
            yield commit
            yield batch

    def _lifecycle_families(self) -> typing.Iterator[typing.Any]:
        worker = self._lifecycle
        if worker is None:
            return
        actions = CounterMetricFamily(
            "exordos_s3_lifecycle_actions",
            "Lifecycle executor actions since start (versions kept by a lock "
            "and buckets a pass could not finish included).",
            labels=["action"],
        )
        totals = worker.totals
        for name in LIFECYCLE_ACTIONS:
            actions.add_metric([name], getattr(totals, name))
        yield actions
        yield CounterMetricFamily(
            "exordos_s3_lifecycle_passes",
            "Lifecycle executor passes completed since start.",
            value=worker.passes,
        )


LIFECYCLE_ACTIONS = (
    "expired",
    "noncurrent_expired",
    "delete_markers_removed",
    "uploads_aborted",
    "locked_skipped",
    "errors",
)


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def _cumulative(counts: list[int], bounds: tuple) -> list[tuple[str, int]]:
    out = []
    total = 0
    for i, bound in enumerate((*bounds, float("inf"))):
        total += counts[i]
        out.append((_bound(bound), total))
    return out


def exposition_of(metrics: Metrics) -> bytes:
    """The text exposition of ``metrics`` (one registry per call: cheap)."""
    reg = registry.CollectorRegistry(auto_describe=False)
    reg.register(metrics)  # type: ignore[arg-type]
    return exposition.generate_latest(reg)


async def scrape(metrics: Metrics) -> bytes:
    await metrics.refresh()
    return exposition_of(metrics)


class MetricsApp:
    """ASGI app of ``--metrics-listen``: ``GET /metrics`` only."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["path"] != "/metrics" or scope["method"] not in ("GET", "HEAD"):
            status, body, ctype = 404, b"not found\n", b"text/plain"
        else:
            status, body, ctype = 200, await scrape(self.metrics), CONTENT_TYPE.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": b"" if scope["method"] == "HEAD" else body,
            }
        )
