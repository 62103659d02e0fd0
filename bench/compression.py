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
"""Transparent compression, side by side with compression off, in one run.

Starts two gateway processes (``--default-compression none`` and ``zstd``)
on temporary data directories and, through boto3, PUTs and GETs a 64 MiB
object of JSON log lines and one of random bytes on each, then GETs a 1 MiB
range from the middle. Prints MB/s (wall, client side), the gateway's CPU
seconds per object (/proc, the whole server process) and the stored/logical
ratio from the admin API's bucket report.

    python bench/compression.py [--size-mib 64] [--rounds 2]
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

import boto3
import proc_stats
import requests
from botocore.config import Config

MIB = 1 << 20


def log_text(size):
    out = bytearray()
    i = 0
    while len(out) < size:
        line = {
            "ts": 1700000000 + i,
            "level": ("INFO", "WARN", "ERROR")[i % 3],
            "msg": f"request {i * 7919 % 100003} served in {i % 997} ms",
            "path": f"/api/v1/items/{i % 5000}",
        }
        out += json.dumps(line).encode() + b"\n"
        i += 1
    return bytes(out[:size])


class Gateway:
    def __init__(self, root, compression):
        self.data = os.path.join(root, compression)
        self.port = proc_stats.free_port()
        self.admin_port = proc_stats.free_port()
        self.ak = "AKBENCH" + secrets.token_hex(6).upper()
        self.sk = secrets.token_urlsafe(30)
        env = dict(os.environ)
        env["EXORDOS_S3_ROOT_ACCESS_KEY"] = self.ak
        env["EXORDOS_S3_ROOT_SECRET_KEY"] = self.sk
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exordos_paas_s3.cmd.gateway",
                "--data-dir",
                self.data,
                "--listen",
                f"127.0.0.1:{self.port}",
                "--admin-listen",
                f"127.0.0.1:{self.admin_port}",
                "--default-compression",
                compression,
                "--log-level",
                "WARNING",
            ],
            env=env,
        )
        proc_stats.wait_port(self.port, proc=self.proc)
        self.s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            aws_access_key_id=self.ak,
            aws_secret_access_key=self.sk,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )
        self.s3.create_bucket(Bucket="bench")

    def cpu(self):
        return proc_stats.cpu_seconds(self.proc.pid)

    def stored(self):
        r = requests.get(
            f"http://127.0.0.1:{self.admin_port}/v1/buckets/bench",
            auth=(self.ak, self.sk),
            timeout=600,
        )
        return r.json()["storage"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def measure(gw, key, data, rounds):
    best = {}
    for _ in range(rounds):
        cpu, t = gw.cpu(), time.perf_counter()
        gw.s3.put_object(Bucket="bench", Key=key, Body=data)
        put = (time.perf_counter() - t, gw.cpu() - cpu)
        cpu, t = gw.cpu(), time.perf_counter()
        body = gw.s3.get_object(Bucket="bench", Key=key)["Body"].read()
        get = (time.perf_counter() - t, gw.cpu() - cpu)
        assert body == data
        mid = len(data) // 2
        cpu, t = gw.cpu(), time.perf_counter()
        part = gw.s3.get_object(
            Bucket="bench", Key=key, Range=f"bytes={mid}-{mid + MIB - 1}"
        )["Body"].read()
        rng = (time.perf_counter() - t, gw.cpu() - cpu)
        assert part == data[mid : mid + MIB]
        for name, value in (("put", put), ("get", get), ("range", rng)):
            if name not in best or value[0] < best[name][0]:
                best[name] = value
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    size = args.size_mib * MIB
    inputs = {"text": log_text(size), "random": os.urandom(size)}
    with tempfile.TemporaryDirectory(prefix="bench-compression-") as root:
        gateways = {c: Gateway(root, c) for c in ("none", "zstd")}
        try:
            print(
                f"{'data':7} {'compression':11} {'PUT MB/s':>9} {'PUT CPU s':>9} "
                f"{'GET MB/s':>9} {'GET CPU s':>9} {'1MiB range ms':>13} "
                f"{'range CPU ms':>12} {'stored/logical':>14}"
            )
            for kind, data in inputs.items():
                for compression, gw in gateways.items():
                    best = measure(gw, kind, data, args.rounds)
                    usage = gw.stored()
                    gw.s3.delete_object(Bucket="bench", Key=kind)
                    ratio = usage["stored_bytes"] / max(1, usage["logical_bytes"])
                    print(
                        f"{kind:7} {compression:11} "
                        f"{size / best['put'][0] / 1e6:9.1f} {best['put'][1]:9.3f} "
                        f"{size / best['get'][0] / 1e6:9.1f} {best['get'][1]:9.3f} "
                        f"{best['range'][0] * 1e3:13.1f} "
                        f"{best['range'][1] * 1e3:12.1f} "
                        f"{ratio:14.3f}"
                    )
        finally:
            for gw in gateways.values():
                gw.stop()


if __name__ == "__main__":
    main()
