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
"""The Iceberg catalog's cost: server CPU and wall time per call.

Starts a real gateway (as the functional tests do), makes a table bucket and
a table with stock PyIceberg, then measures, against the gateway process's
CPU time from /proc:

- loadTable: a SigV4-signed GET of the table (raw requests, one session);
- commit: a metadata-only commit (set-properties) through the REST route;
- append: a whole PyIceberg one-row append (data file and manifests PUT
  through S3, then the commit);
- plan: a dry-run maintenance job of all four operations (expire-snapshots,
  clean-metadata, remove-orphan-files, rewrite-data-files) on that table
  (its snapshots, manifests and files are read, nothing changes);
- compact: a committed binpack of ``--compact-files`` one-row files (the
  appends before each compaction are not counted);
- idle tick: the background scheduler's cost per tick (the probe's gateway
  restarted to tick every 0.1 s; one table bucket, one table without background work).

  bench/tables_probe.py --loads 300 --commits 100 --appends 30 --plans 30 \
      --compactions 5 --compact-files 10 --idle-seconds 5
"""

import argparse
import json
import os
import sys
import tempfile
import time

import pyarrow as pa
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import proc_stats  # noqa: E402
from exordos_paas_s3.tests.functional.conftest import new_gateway  # noqa: E402

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--loads", type=int, default=300)
    p.add_argument("--commits", type=int, default=100)
    p.add_argument("--appends", type=int, default=30)
    p.add_argument("--plans", type=int, default=30)
    p.add_argument("--compactions", type=int, default=5)
    p.add_argument("--compact-files", type=int, default=10)
    p.add_argument("--idle-seconds", type=float, default=5.0)
    args = p.parse_args()

    from pyiceberg.catalog.rest import RestCatalog

    # The background scheduler off for the per-call figures; on (every
    # 0.1 s) after a restart, for its idle cost.
    gw = new_gateway(
        tempfile.mkdtemp(prefix="tables-probe-"),
        "--tables-maintenance-interval",
        "0",
    )
    gw.start()
    session = requests.Session()
    creds = Credentials(gw.access_key, gw.secret_key)

    def call(method, path, body=None):
        url = gw.endpoint + path
        data = None if body is None else json.dumps(body)
        req = AWSRequest(method=method, url=url, data=data, headers={})
        SigV4Auth(creds, "s3tables", gw.region).add_auth(req)
        r = session.request(method, url, data=data, headers=dict(req.headers))
        assert r.status_code < 300, r.text
        return r

    try:
        bucket = "probe-tables"
        import boto3

        boto3.client(
            "s3",
            endpoint_url=gw.endpoint,
            aws_access_key_id=gw.access_key,
            aws_secret_access_key=gw.secret_key,
            region_name=gw.region,
        ).create_bucket(Bucket=bucket)
        call("PUT", f"/iceberg/v1/buckets/{bucket}")
        catalog = RestCatalog(
            "probe",
            **{
                "uri": gw.endpoint + "/iceberg",
                "warehouse": bucket,
                "rest.sigv4-enabled": "true",
                "rest.signing-name": "s3tables",
                "rest.signing-region": gw.region,
                "client.access-key-id": gw.access_key,
                "client.secret-access-key": gw.secret_key,
                "client.region": gw.region,
            },
        )
        catalog.create_namespace("bench")
        table = catalog.create_table("bench.t", schema=SCHEMA)
        table.append(pa.table({"id": [0], "name": ["x"]}, schema=SCHEMA))
        path = f"/iceberg/v1/{bucket}/namespaces/bench/tables/t"
        pid = gw.proc.pid

        def measure(label, n, fn):
            fn(0)  # warm
            cpu0, t0 = proc_stats.cpu_seconds(pid), time.perf_counter()
            for i in range(n):
                fn(i)
            cpu = proc_stats.cpu_seconds(pid) - cpu0
            wall = time.perf_counter() - t0
            print(
                f"{label:10s} {n:5d} calls  server CPU {cpu / n * 1000:7.2f} ms/call"
                f"  wall {wall / n * 1000:7.2f} ms/call"
            )

        measure("loadTable", args.loads, lambda i: call("GET", path))
        measure(
            "commit",
            args.commits,
            lambda i: call(
                "POST",
                path,
                {"updates": [{"action": "set-properties", "updates": {"n": str(i)}}]},
            ),
        )
        measure(
            "append",
            args.appends,
            lambda i: table.append(pa.table({"id": [i], "name": ["y"]}, schema=SCHEMA)),
        )
        maintenance = path + "/maintenance/metadata"
        measure("plan", args.plans, lambda i: call("POST", maintenance, {}))

        compact_cpu = compact_wall = 0.0
        for c in range(args.compactions):
            for j in range(args.compact_files):
                row = {"id": [10_000 + c * 100 + j], "name": ["c"]}
                table.append(pa.table(row, schema=SCHEMA))
            cpu0, t0 = proc_stats.cpu_seconds(pid), time.perf_counter()
            r = call(
                "POST",
                maintenance,
                {
                    "operations": ["rewrite-data-files"],
                    "dry-run": False,
                    "min-input-files": 2,
                },
            )
            compact_cpu += proc_stats.cpu_seconds(pid) - cpu0
            compact_wall += time.perf_counter() - t0
            report = r.json()["report"]["rewrite-data-files"]
            assert "output-files" in report, report
        n = max(args.compactions, 1)
        print(
            f"{'compact':10s} {args.compactions:5d} calls  server CPU"
            f" {compact_cpu / n * 1000:7.2f} ms/call  wall"
            f" {compact_wall / n * 1000:7.2f} ms/call"
            f"  ({args.compact_files} files each)"
        )

        gw.stop()
        gw.extra_args = ("--tables-maintenance-interval", "0.1")
        gw.start()
        pid = gw.proc.pid
        sched = path + "/maintenance/scheduler"
        time.sleep(0.5)
        ticks0 = call("GET", sched).json()["gateway-scheduler"]["ticks"]
        cpu0 = proc_stats.cpu_seconds(pid)
        time.sleep(args.idle_seconds)
        cpu = proc_stats.cpu_seconds(pid) - cpu0
        ticks = call("GET", sched).json()["gateway-scheduler"]["ticks"] - ticks0
        print(
            f"{'idle tick':10s} {ticks:5d} ticks  server CPU"
            f" {cpu / max(ticks, 1) * 1000:7.3f} ms/tick (idle process included)"
        )
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
