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
"""The PostgreSQL index's cost, side by side with the SQLite index, both over
the same S3 upstream (a real Ceph RGW, tests/rgw.py).

The gateway's object graph is built as ``exordos-s3-gateway`` builds it and
signed requests are replayed through the S3 app (bench/app_probe.py's
method): no HTTP server, no sockets on the client side. Reported per layout:

- PostgreSQL round trips per GET (bucket documents cached) and per PUT,
  counted on the wire: the index is reached through a relay
  (tests/pg.Relay) that counts each time a client sends after the server
  answered it (the listener's heartbeat, one a second, is in the figure);
- gateway CPU per 4 KiB GET and PUT (``time.process_time`` of this process,
  every thread: the loop, the index workers, the upstream client). The
  PostgreSQL server's own CPU is not in the figure.

  bench/pg_index_probe.py                   # needs RGW and PostgreSQL
  bench/pg_index_probe.py --requests 2000 --rounds 3
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time

import psycopg
from oslo_config import cfg

from bench import app_probe
from exordos_paas_s3 import constants
from exordos_paas_s3.cmd import gateway
from exordos_paas_s3.gateway import config as gateway_config
from exordos_paas_s3.tests import pg, rgw


async def _measure(label, extra_args, args, relay=None):
    conf = cfg.ConfigOpts()
    gateway_config.register(conf)
    with tempfile.TemporaryDirectory(prefix="pg-probe-") as data_dir:
        conf(
            ["--data-dir", data_dir, *extra_args],
            project="exordos-s3",
            default_config_files=[],
        )
        app, _admin, close = await gateway.build(conf)
        try:
            body = os.urandom(args.size)
            status, _ = await app_probe.call(app, app_probe.signed("PUT", "/probe"))
            assert status == 200, status
            put = app_probe.signed("PUT", "/probe/obj", body=body)
            get = app_probe.signed("GET", "/probe/obj")
            status, _ = await app_probe.call(app, put, body)
            assert status == 200, status
            for _ in range(20):  # warm: pools, prepared statements, caches
                await app_probe.call(app, get)
                await app_probe.call(app, put, body)
            results = {}
            for name, scope, data in (("GET", get, b""), ("PUT", put, body)):
                best_cpu = None
                trips = 0
                for _ in range(args.rounds):
                    before = relay.flights if relay else 0
                    t = time.process_time()
                    for _ in range(args.requests):
                        status, _ = await app_probe.call(app, scope, data)
                        assert status == 200, (name, status)
                    cpu = (time.process_time() - t) / args.requests * 1e6
                    trips = (relay.flights if relay else 0) - before
                    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
                results[name] = (best_cpu, trips / args.requests)
            for name, (cpu, trips) in results.items():
                print(
                    "%-14s %s 4 KiB: %7.1f us gateway CPU/request, "
                    "%.2f PostgreSQL round trips/request" % (label, name, cpu, trips)
                )
        finally:
            await close()


async def probe(args):
    os.environ[constants.GATEWAY_ROOT_ACCESS_KEY_ENV] = app_probe.ACCESS
    os.environ[constants.GATEWAY_ROOT_SECRET_KEY_ENV] = app_probe.SECRET
    upstream = rgw.new_bucket("bench")
    os.environ[constants.GATEWAY_UPSTREAM_ACCESS_KEY_ENV] = upstream.access_key
    os.environ[constants.GATEWAY_UPSTREAM_SECRET_KEY_ENV] = upstream.secret_key
    s3_args = [
        "--blob-store",
        "s3",
        "--upstream-endpoint",
        upstream.endpoint,
        "--upstream-bucket",
        upstream.bucket,
        "--upstream-region",
        upstream.region,
    ]
    await _measure("s3+sqlite", s3_args, args)
    seed = "bench-%d" % os.getpid()
    drop = pg.database_for(seed)
    relay = pg.relay()
    try:
        # A fresh upstream bucket: an index is bound to one blob store.
        second = rgw.new_bucket("bench")
        s3_args[s3_args.index(upstream.bucket)] = second.bucket
        # CPU without the relay (its threads would count), round trips with.
        url = pg.url_for(seed)
        await _measure("s3+postgresql", [*s3_args, "--index", url], args)
        drop()  # a fresh index for the second pass
        drop = pg.database_for(seed)
        url = pg.through(relay, url)
        await _measure("(via relay)", [*s3_args, "--index", url], args, relay)
    finally:
        relay.cut()
        drop()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=1000)
    args = p.parse_args(argv)
    try:
        psycopg.connect(pg.server(), connect_timeout=3).close()
    except psycopg.Error as exc:
        sys.exit(f"no PostgreSQL at {pg.server()}: {exc}")
    asyncio.run(probe(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
