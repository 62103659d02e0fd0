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
"""GET and PUT through a gateway with ``--blob-store s3`` against the same
Ceph RGW accessed directly, side by side in one run (issue 11, Speed):
wall time per request and the CPU of the gateway process and of the RGW
(radosgw + ceph-osd) per request, read from /proc.

  . /tmp/ceph-rgw/rgw.env && bench/upstream_gateway.py --n 2000

Requests are presigned URLs on one keep-alive connection (requests.Session),
so the client's signing is out of the figures; the gateway verifies the
presigned signature as for any client.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

import boto3
import requests
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import proc_stats  # noqa: E402

KIB = 1 << 10


def _pids(name):
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _cpu(pids):
    return sum(proc_stats.cpu_seconds(p) for p in pids)


def _client(endpoint, access, secret, region):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def measure(label, s3, bucket, size, n, gw_pid, ceph_pids):
    body = os.urandom(size)
    session = requests.Session()
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "obj"}, ExpiresIn=3600
    )
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "obj"}, ExpiresIn=3600
    )
    rows = []
    for op, call in (
        ("PUT", lambda: session.put(put_url, data=body)),
        ("GET", lambda: session.get(get_url)),
    ):
        for _ in range(20):  # warm up
            assert call().status_code == 200
        gw0 = proc_stats.cpu_seconds(gw_pid) if gw_pid else 0.0
        ceph0 = _cpu(ceph_pids)
        wall = time.perf_counter()
        for _ in range(n):
            resp = call()
            assert resp.status_code == 200, resp.text
        wall = (time.perf_counter() - wall) / n
        gw = ((proc_stats.cpu_seconds(gw_pid) - gw0) / n) if gw_pid else 0.0
        ceph = (_cpu(ceph_pids) - ceph0) / n
        rows.append((label, op, size, wall * 1e6, gw * 1e6, ceph * 1e6))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", default=os.environ.get("RGW_ENDPOINT"))
    parser.add_argument("--access-key", default=os.environ.get("RGW_MAIN_ACCESS_KEY"))
    parser.add_argument("--secret-key", default=os.environ.get("RGW_MAIN_SECRET_KEY"))
    parser.add_argument("--region", default=os.environ.get("RGW_REGION", "default"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--sizes", default="4")  # KiB, comma-separated
    args = parser.parse_args()
    rgw = _client(args.endpoint, args.access_key, args.secret_key, args.region)
    direct_bucket = "bench-direct-" + uuid.uuid4().hex[:8]
    blob_bucket = "bench-blobs-" + uuid.uuid4().hex[:8]
    rgw.create_bucket(Bucket=direct_bucket)
    rgw.create_bucket(Bucket=blob_bucket)
    ceph_pids = _pids("radosgw") + _pids("ceph-osd")
    tmp = tempfile.mkdtemp(prefix="bench-upstream-")
    port, admin = proc_stats.free_port(), proc_stats.free_port()
    env = dict(
        os.environ,
        EXORDOS_S3_ROOT_ACCESS_KEY="AKBENCH",
        EXORDOS_S3_ROOT_SECRET_KEY="bench-secret-bench-secret",
        EXORDOS_S3_UPSTREAM_ACCESS_KEY=args.access_key,
        EXORDOS_S3_UPSTREAM_SECRET_KEY=args.secret_key,
    )
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = repo
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "exordos_paas_s3.cmd.gateway",
            "--data-dir", os.path.join(tmp, "data"),
            "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin}",
            "--blob-store", "s3",
            "--upstream-endpoint", args.endpoint,
            "--upstream-bucket", blob_bucket,
            "--upstream-region", args.region,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        proc_stats.wait_port(port, proc=proc)
        gw = _client(
            f"http://127.0.0.1:{port}", "AKBENCH", "bench-secret-bench-secret",
            "us-east-1",
        )  # fmt: skip
        gw.create_bucket(Bucket="bench")
        rows = []
        for size in (int(s) * KIB for s in args.sizes.split(",")):
            rows += measure(
                "rgw direct", rgw, direct_bucket, size, args.n, 0, ceph_pids
            )
            rows += measure("gateway", gw, "bench", size, args.n, proc.pid, ceph_pids)
        print("| path | op | size | wall µs | gateway CPU µs | RGW+OSD CPU µs |")
        print("|---|---|---|---|---|---|")
        for label, op, size, wall, gcpu, ccpu in rows:
            print(
                f"| {label} | {op} | {size // KIB} KiB | {wall:.0f} "
                f"| {gcpu:.0f} | {ccpu:.0f} |"
            )
    finally:
        proc_stats.stop(proc)
        for bucket in (direct_bucket, blob_bucket):
            for page in rgw.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for obj in page.get("Contents", []):
                    rgw.delete_object(Bucket=bucket, Key=obj["Key"])
            rgw.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
