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
"""ASGI server probe: S3-shaped work on uvicorn and granian, one core each.

The module is both the measured app (``asgi_probe:app``) and the driver
(``python bench/asgi_probe.py``), which starts every server variant pinned to
one core, drives it with ``wrk`` pinned to the other, and prints ops/s, MB/s
and server CPU per request (from /proc utime+stime of the server's process
tree). Figures feed docs/decisions/0001-asgi-server.md.

App routes (files live in $ASGI_PROBE_DIR):
  GET /small            4 KiB file, read and sent in one body message
  GET /large            64 MiB file, 1 MiB reads, one body message each
  GET /large?pathsend   64 MiB via the http.response.pathsend extension
                        (falls back to 1 MiB reads when the server lacks it)
  PUT /any              consume the request body stream, md5 it, 200 + ETag
"""

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import proc_stats  # noqa: E402

CHUNK = 1 << 20
SMALL = 4096
LARGE = 64 << 20
PATHSEND = "http.response.pathsend"


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    base = os.environ["ASGI_PROBE_DIR"]
    if scope["method"] == "PUT":
        await _put(receive, send)
    elif scope["path"] == "/small":
        query = scope.get("query_string", b"")
        if query.startswith(b"hops="):
            # the gateway today moves index lookups and small reads to a thread
            # pool: model that with N executor round trips per request
            loop = asyncio.get_running_loop()
            for _ in range(int(query[5:])):
                await loop.run_in_executor(None, os.stat, base)
        await _get_small(os.path.join(base, "small"), send)
    else:
        path = os.path.join(base, "large")
        query = scope.get("query_string", b"")
        use_pathsend = b"pathsend" in query and (
            PATHSEND in (scope.get("extensions") or {})
        )
        if b"sendfile" in query and _uvicorn_cycle(send) is not None:
            await _get_large_sendfile(path, send)
        else:
            await _get_large(path, send, use_pathsend)


async def _put(receive, send):
    md5 = hashlib.md5()
    more = True
    while more:
        msg = await receive()
        body = msg.get("body", b"")
        if body:
            md5.update(body)
        more = msg.get("more_body", False)
    etag = ('"%s"' % md5.hexdigest()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"etag", etag), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _get_small(path, send):
    with open(path, "rb") as f:
        data = f.read()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(data)).encode()),
                (b"content-type", b"application/octet-stream"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _get_large(path, send, use_pathsend):
    size = os.stat(path).st_size
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(size).encode()),
                (b"content-type", b"application/octet-stream"),
            ],
        }
    )
    if use_pathsend:
        await send({"type": PATHSEND, "path": path})
        return
    with open(path, "rb") as f:
        left = size
        while left > 0:
            data = f.read(min(CHUNK, left))
            left -= len(data)
            await send(
                {"type": "http.response.body", "body": data, "more_body": left > 0}
            )


def _uvicorn_cycle(send):
    """uvicorn's per-request cycle behind ``send`` (a bound method), if any.

    A probe-only hack: it reaches into uvicorn internals to find the socket
    transport, to learn what loop.sendfile would give us.
    """
    cycle = getattr(send, "__self__", None)
    if cycle is None or not hasattr(cycle, "transport"):
        return None
    return cycle


async def _get_large_sendfile(path, send):

    cycle = _uvicorn_cycle(send)
    size = os.stat(path).st_size
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(size).encode()),
                (b"content-type", b"application/octet-stream"),
            ],
        }
    )
    with open(path, "rb") as f:
        await asyncio.get_running_loop().sendfile(cycle.transport, f, 0, size)
    cycle.expected_content_length = 0
    await send({"type": "http.response.body", "body": b"", "more_body": False})


# --------------------------------------------------------------------------
# Driver

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_BIN = os.path.dirname(sys.executable)

SERVERS = {
    "uvicorn": [
        "uvicorn",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "asgi_probe:app",
    ],
    "uvicorn-asyncio": [
        "uvicorn",
        "--loop",
        "asyncio",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "asgi_probe:app",
    ],
    "granian": [
        "granian",
        "--interface",
        "asgi",
        "--workers",
        "1",
        "--runtime-threads",
        "1",
        "--runtime-mode",
        "st",
        "--loop",
        "uvloop",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "asgi_probe:app",
    ],
    "granian-mt2": [
        "granian",
        "--interface",
        "asgi",
        "--workers",
        "1",
        "--runtime-threads",
        "2",
        "--runtime-mode",
        "mt",
        "--loop",
        "uvloop",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "asgi_probe:app",
    ],
    "granian-asyncio": [
        "granian",
        "--interface",
        "asgi",
        "--workers",
        "1",
        "--runtime-threads",
        "1",
        "--runtime-mode",
        "st",
        "--loop",
        "asyncio",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "asgi_probe:app",
    ],
}

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "bytes": %d, "duration_us": %d, "errors": %d,'
    .. ' "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.bytes, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

WRK_PUT = """
wrk.method = "PUT"
wrk.body = string.rep("x", {size})
wrk.headers["Content-Type"] = "application/octet-stream"
"""


def run_wrk(url, seconds, conns, script, core):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + WRK_REPORT)
        lua = f.name
    try:
        cmd = ["taskset", "-c", core, "wrk", "-t1", "-c%d" % conns]
        cmd += ["-d%ds" % seconds, "--timeout", "30s", "-s", lua, url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(lua)
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    return json.loads(line)


CASES = [
    # name, path, put size (None for GET), connections, unit
    ("GET 4KiB", "/small", None, 16, "ops"),
    ("GET 4KiB 3 hops", "/small?hops=3", None, 16, "ops"),
    ("PUT 4KiB", "/small", SMALL, 16, "ops"),
    ("GET 64MiB stream", "/large", None, 2, "MB"),
    ("GET 64MiB pathsend", "/large?pathsend", None, 2, "MB"),
    ("GET 64MiB sendfile", "/large?sendfile", None, 2, "MB"),
    ("PUT 64MiB", "/large", LARGE, 2, "MB"),
]


def measure(server, seconds, server_core, client_core, data_dir, cases=CASES):
    port = proc_stats.free_port()
    argv = [a.format(port=port) for a in SERVERS[server]]
    argv[0] = os.path.join(VENV_BIN, argv[0])
    env = dict(os.environ, ASGI_PROBE_DIR=data_dir)
    proc = subprocess.Popen(
        ["taskset", "-c", server_core] + argv, cwd=HERE, env=env, start_new_session=True
    )
    results = []
    try:
        proc_stats.wait_port(port)
        time.sleep(0.5)
        for name, path, put_size, conns, unit in cases:
            script = WRK_PUT.format(size=put_size) if put_size else ""
            url = "http://127.0.0.1:%d%s" % (port, path)
            # warm-up, not counted
            run_wrk(url, 1, conns, script, client_core)
            cpu0 = proc_stats.cpu_seconds(proc.pid)
            r = run_wrk(url, seconds, conns, script, client_core)
            cpu = proc_stats.cpu_seconds(proc.pid) - cpu0
            dur = r["duration_us"] / 1e6
            n = max(r["requests"], 1)
            moved = (put_size or 0) * r["requests"] if put_size else r["bytes"]
            results.append(
                {
                    "server": server,
                    "case": name,
                    "ops_s": r["requests"] / dur,
                    "mb_s": moved / dur / 1e6,
                    "p50_ms": r["p50_us"] / 1000,
                    "p99_ms": r["p99_us"] / 1000,
                    "cpu_us_per_req": cpu / n * 1e6,
                    "cpu_util": cpu / dur,
                    "errors": r["errors"],
                    "unit": unit,
                }
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--servers", default="uvicorn,granian,granian-mt2,granian-asyncio")
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--server-core", default="1")
    p.add_argument("--client-core", default="0")
    p.add_argument("--json", help="write results to this file")
    p.add_argument("--cases", help="comma-separated substrings of case names")
    args = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")
    data_dir = tempfile.mkdtemp(prefix="asgi-probe-")
    try:
        with open(os.path.join(data_dir, "small"), "wb") as f:
            f.write(os.urandom(SMALL))
        with open(os.path.join(data_dir, "large"), "wb") as f:
            for _ in range(LARGE // CHUNK):
                f.write(os.urandom(CHUNK))
        cases = CASES
        if args.cases:
            want = args.cases.split(",")
            cases = [c for c in CASES if any(w in c[0] for w in want)]
        results = []
        for server in args.servers.split(","):
            results += measure(
                server,
                args.seconds,
                args.server_core,
                args.client_core,
                data_dir,
                cases,
            )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    hdr = "%-16s %-20s %10s %9s %8s %8s %11s %6s %4s"
    print(
        hdr
        % (
            "server",
            "case",
            "ops/s",
            "MB/s",
            "p50 ms",
            "p99 ms",
            "CPU us/req",
            "util",
            "err",
        )
    )
    for r in results:
        print(
            "%-16s %-20s %10.0f %9.0f %8.2f %8.2f %11.0f %6.2f %4d"
            % (
                r["server"],
                r["case"],
                r["ops_s"],
                r["mb_s"],
                r["p50_ms"],
                r["p99_ms"],
                r["cpu_us_per_req"],
                r["cpu_util"],
                r["errors"],
            )
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
