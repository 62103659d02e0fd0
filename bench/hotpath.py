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
"""Server CPU per small request of our gateway, optionally under py-spy.

A narrower tool than ``run.py``: one gateway, one kind of request, several
short rounds, CPU per request from /proc for each round (the machine is
shared, so the minimum over rounds is the figure to compare), and the load
average next to it. ``--profile out.svg`` records the measured rounds with
py-spy (``pip install py-spy``; not a project dependency).

  bench/hotpath.py --op get --rounds 5
  bench/hotpath.py --op put --server granian
  bench/hotpath.py --op get --profile /tmp/get.txt   # py-spy raw stacks
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402

SMALL = 4096


def _thread_cpu(pid):
    """{tid: (thread name, utime+stime ticks)} of one process."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[tid] = (name, int(fields[11]) + int(fields[12]))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--op", choices=("get", "put", "list"), default="get")
    p.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--conns", type=int, default=16)
    p.add_argument("--size", type=int, default=SMALL)
    p.add_argument("--server-core", type=int, default=1)
    p.add_argument("--client-core", type=int, default=0)
    p.add_argument("--profile", help="py-spy raw output file (flamegraph input)")
    args = p.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="hotpath-")
    cls = run.GatewayGranian if args.server == "granian" else run.Gateway
    target = cls(args.server_core, workdir)
    spy = None
    try:
        target.start()
        client = run.s3_client(target.endpoint)
        client.create_bucket(Bucket="hot")
        body = os.urandom(args.size)
        keys = ["obj-%04d" % i for i in range(100)]
        put_paths = [
            run.path_of(run.presign(client, "PUT", "hot", k)) for k in keys * 10
        ]
        # GETs read 100 objects; large PUTs need no prefill.
        if args.op != "put" or args.size <= 1 << 20:
            run.fill(target.port, put_paths[:100], body)
        if args.op == "list":
            names = ["list/k%05d" % i for i in range(1000)]
            run.fill(
                target.port,
                [run.path_of(run.presign(client, "PUT", "hot", k)) for k in names],
                b"x",
            )
            url = client.generate_presigned_url(
                "list_objects_v2",
                Params={"Bucket": "hot", "Prefix": "list/"},
                ExpiresIn=3600,
            )
            script = run.wrk_script([run.path_of(url)], [], 0, 1.0)
        elif args.op == "get":
            gets = [run.path_of(run.presign(client, "GET", "hot", k)) for k in keys]
            script = run.wrk_script(gets, [], 0, 1.0)
        else:
            # wrk keeps every formatted request (body included) in memory.
            paths = put_paths if args.size <= 1 << 20 else put_paths[:4]
            script = run.wrk_script([], paths, args.size, 0.0)
        # Warm-up round, not measured.
        run.run_wrk(target.port, script, 1, args.conns, args.client_core)
        if args.profile:
            spy = subprocess.Popen(
                [
                    shutil.which("py-spy", path=run.VENV_BIN) or "py-spy",
                    "record",
                    "--pid",
                    str(target.proc.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "500",
                    "--output",
                    args.profile,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        figures = []
        threads0 = _thread_cpu(target.proc.pid)
        for _ in range(args.rounds):
            cpu0 = target.cpu()
            r = run.run_wrk(
                target.port, script, args.seconds, args.conns, args.client_core
            )
            cpu = target.cpu() - cpu0
            load = os.getloadavg()[0]
            us = cpu / max(1, r["ops"]) * 1e6
            figures.append(us)
            print(
                "%s %s: %6.0f ops/s  %7.1f us CPU/op  p50 %.2f ms  errors %d  "
                "load %.2f"
                % (
                    args.server,
                    args.op,
                    r["ops"] / r["seconds"],
                    us,
                    r["p50_ms"],
                    r["errors"],
                    load,
                ),
                flush=True,
            )
        print("min %.1f us CPU/op" % min(figures))
        # Where the CPU went, by thread (ticks of 10 ms over all rounds; the
        # main thread is the lowest id; Python thread names are not visible).
        spent = []
        for tid, (_name, ticks) in _thread_cpu(target.proc.pid).items():
            spent.append((int(tid), ticks - threads0.get(tid, ("", 0))[1]))
        print(
            "CPU ticks by thread: "
            + ", ".join("%d:%d" % kv for kv in sorted(spent) if kv[1])
        )
    finally:
        if spy is not None:
            # py-spy writes its output on SIGINT, not on SIGTERM.
            spy.send_signal(signal.SIGINT)
            spy.wait()
        target.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
