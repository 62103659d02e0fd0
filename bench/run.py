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
"""Gateway vs moto: S3-shaped load, one server core each, figures side by side.

Starts our gateway (``exordos-s3-gateway``) and ``moto_server`` on a fresh
port each, pinned to one core (``--server-core``), and drives them one after
the other from the other core (``--client-core``). Small operations and the
large GET/PUT replay pre-signed URLs with ``wrk`` so the client costs almost
nothing and the figures show the server; without wrk a threaded http.client
loop replays the same URLs (fine for ``--quick``, too slow to saturate a fast
server). Multipart uses boto3 for create/complete and pre-signed part URLs.

Server CPU per op is the utime+stime delta of the server's process tree over
the measured interval divided by the completed operations.

  bench/run.py                 # full run (~5 s per case and target)
  bench/run.py --quick         # ~1 s per case, small sizes: a smoke test
  bench/run.py --targets moto  # only one side
  bench/run.py --json out.json
  bench/run.py --targets ours,ours-tls --cases get_small,get_large   # TLS cost
"""

import argparse
import base64
import concurrent.futures
import http.client
import json
import mmap
import os
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import proc_stats  # noqa: E402

KiB = 1 << 10
MiB = 1 << 20
VENV_BIN = os.path.dirname(sys.executable)
REGION = "us-east-1"
ACCESS_KEY = "BENCHROOTACCESSKEY01"
SECRET_KEY = "bench-root-secret-key-0000000000000000000"
PRESIGN_EXPIRES = 3600


# --------------------------------------------------------------------------
# Servers under test


class Target:
    """One S3 server process pinned to a core."""

    name = ""

    def __init__(self, core, workdir):
        self.core = core
        self.workdir = workdir
        self.port = proc_stats.free_port()
        self.proc = None
        self.log_path = os.path.join(workdir, "%s.log" % self.name)

    @property
    def endpoint(self):
        return "%s://127.0.0.1:%d" % (
            "https" if self.port in TLS_PORTS else "http",
            self.port,
        )

    def argv(self):
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = proc_stats.start_pinned(
                self.argv(), self.core, env=self.env(), cwd=self.workdir, log=log
            )
        proc_stats.wait_port(self.port, proc=self.proc)

    def stop(self):
        if self.proc is not None:
            proc_stats.stop(self.proc)

    def cpu(self):
        return proc_stats.cpu_seconds(self.proc.pid)

    def log_tail(self, n=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class Gateway(Target):
    name = "ours"

    def argv(self):
        exe = shutil.which("exordos-s3-gateway", path=VENV_BIN) or shutil.which(
            "exordos-s3-gateway"
        )
        if not exe:
            raise RuntimeError("exordos-s3-gateway console script not installed")
        data = os.path.join(self.workdir, "gateway-data")
        os.makedirs(data, exist_ok=True)
        argv = [exe, "--data-dir", data, "--listen", "127.0.0.1:%d" % self.port]
        # a fixed default admin port would clash with parallel runs
        argv += ["--admin-listen", "127.0.0.1:%d" % proc_stats.free_port()]
        return argv

    def env(self):
        env = dict(os.environ)
        env["EXORDOS_S3_ROOT_ACCESS_KEY"] = ACCESS_KEY
        env["EXORDOS_S3_ROOT_SECRET_KEY"] = SECRET_KEY
        return env


class GatewayGranian(Gateway):
    """Our gateway on granian (``--server granian``): the ASGI choice, in situ."""

    name = "ours-granian"

    def argv(self):
        return super().argv() + ["--server", "granian"]


class GatewayTLS(Gateway):
    """Our gateway with TLS on the S3 listener (``--tls-cert``/``--tls-key``),
    a self-signed P-256 certificate made for the run: the cost of TLS."""

    name = "ours-tls"

    def argv(self):
        cert, key = self_signed(self.workdir)
        TLS_PORTS.add(self.port)
        return super().argv() + ["--tls-cert", cert, "--tls-key", key]


def self_signed(workdir):
    cert = os.path.join(workdir, "tls-cert.pem")
    key = os.path.join(workdir, "tls-key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


# Ports of targets that speak TLS: their clients connect with HTTPS
# (certificates are not checked: the cost measured is the server's).
TLS_PORTS = set()


def connect(port, timeout=120):
    if port in TLS_PORTS:
        return http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=timeout, context=ssl._create_unverified_context()
        )
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


class Moto(Target):
    name = "moto"

    def argv(self):
        exe = os.path.join(VENV_BIN, "moto_server")
        return [exe, "-H", "127.0.0.1", "-p", str(self.port)]


TARGETS = {
    "ours": Gateway,
    "ours-granian": GatewayGranian,
    "ours-tls": GatewayTLS,
    "moto": Moto,
}


# --------------------------------------------------------------------------
# Client side: boto3 for setup and presigning, wrk or http.client for load


def s3_client(endpoint):
    import warnings

    import boto3
    from botocore.config import Config

    # ours-tls: a self-signed certificate, deliberately not checked.
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        verify=False,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            max_pool_connections=16,
        ),
    )


def presign(client, method, bucket, key, expires=PRESIGN_EXPIRES, **params):
    op = {"GET": "get_object", "PUT": "put_object"}[method]
    url = client.generate_presigned_url(
        op, Params=dict(Bucket=bucket, Key=key, **params), ExpiresIn=expires
    )
    return url


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def http_do(port, method, path, body=None, conn=None, headers=None):
    own = conn is None
    if own:
        conn = connect(port)
    try:
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data
    finally:
        if own:
            conn.close()


def fill(port, paths, body, threads=8):
    """PUT ``body`` to every pre-signed path; raises on any non-200."""

    def worker(chunk):
        conn = connect(port)
        try:
            for p in chunk:
                status, data = http_do(port, "PUT", p, body, conn)
                if status != 200:
                    raise RuntimeError("PUT %s -> %d %r" % (p[:60], status, data[:300]))
        finally:
            conn.close()

    chunks = [paths[i::threads] for i in range(threads)]
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        for f in [ex.submit(worker, c) for c in chunks if c]:
            f.result()


WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "io_errors": %d,'
    .. ' "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_list(name, items):
    return "local %s = {\n%s\n}\n" % (name, ",\n".join('"%s"' % i for i in items))


def body_crc32(size):
    """x-amz-checksum-crc32 of the replayed PUT body (``size`` x "x"): every
    PUT carries it, as boto3 sends a CRC32 by default, and the server must
    verify it on top of the MD5 it computes for the ETag."""
    return base64.b64encode(zlib.crc32(b"x" * size).to_bytes(4, "big")).decode()


def wrk_script(gets, puts, put_size, get_share):
    """A wrk script replaying pre-signed GET and PUT paths.

    Requests are formatted once at load so the per-request Lua cost is a
    table lookup; ``get_share`` is the probability of a GET.
    """
    s = lua_list("gets", gets) + lua_list("puts", puts)
    s += 'local body = string.rep("x", %d)\n' % put_size if puts else ""
    s += 'local crc = "%s"\n' % body_crc32(put_size) if puts else ""
    s += (
        """
local greqs, preqs = {}, {}
local gi, pi = 0, 0
-- wrk fills in the Host header (part of the signature) only at init time
init = function(args)
  for i, p in ipairs(gets) do greqs[i] = wrk.format("GET", p) end
  local h = {["x-amz-checksum-crc32"] = crc}
  for i, p in ipairs(puts) do preqs[i] = wrk.format("PUT", p, h, body) end
end
request = function()
  if #preqs == 0 or (#greqs > 0 and math.random() < %f) then
    gi = (gi %% #greqs) + 1
    return greqs[gi]
  end
  pi = (pi %% #preqs) + 1
  return preqs[pi]
end
"""
        % get_share
    )
    return s + WRK_DONE


def run_wrk(port, script, seconds, conns, client_core):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        lua = f.name
    try:
        cmd = ["taskset", "-c", str(client_core), "wrk", "-t1", "-c%d" % conns]
        cmd += ["-d%ds" % max(1, round(seconds)), "--timeout", "60s", "-s", lua]
        scheme = "https" if port in TLS_PORTS else "http"
        cmd.append("%s://127.0.0.1:%d/" % (scheme, port))
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(lua)
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    r = json.loads(line)
    return {
        "ops": r["requests"],
        "seconds": r["duration_us"] / 1e6,
        "errors": r["status_errors"] + r["io_errors"],
        "status_errors": r["status_errors"],
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
    }


def prefault(gib):
    """Touch ``gib`` GiB of memory once, then give it back.

    On a freshly booted VM the first touch of each guest page costs a fault
    in the hypervisor (measured here: ~1.3 s of system time per GiB, and a
    64 MiB write into new page cache at 160-190 ms of CPU instead of 16 ms).
    A server that has run for a while has paid that long ago; the large PUT
    figures would otherwise measure the VM, not the gateway.
    """
    with open("/proc/meminfo") as f:
        info = dict(line.split(":", 1) for line in f)
    available = int(info["MemAvailable"].split()[0]) * 1024
    total = min(gib << 30, available // 2)
    page = mmap.PAGESIZE
    done = 0
    while done < total:
        size = min(1 << 30, total - done)
        with mmap.mmap(-1, size) as m:
            for offset in range(0, size, page):
                m[offset] = 1
        done += size
    return done


def percentile(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def run_python(port, gets, puts, put_size, get_share, seconds, conns):
    """The wrk replay in Python threads: a fallback when wrk is missing."""
    body = b"x" * put_size if puts else None
    put_headers = {"x-amz-checksum-crc32": body_crc32(put_size)} if puts else {}
    stop_at = time.monotonic() + seconds
    lat, errors = [], [0]
    lock = threading.Lock()

    def worker(seed):
        rnd = random.Random(seed)
        # each connection PUTs its own keys: moto fails concurrent overwrites
        my_puts = puts[seed::conns] or puts
        conn = connect(port)
        mine, errs, n = [], 0, 0
        while time.monotonic() < stop_at:
            if not puts or (gets and rnd.random() < get_share):
                method, path, b = "GET", rnd.choice(gets), None
            else:
                method, path, b = "PUT", my_puts[n % len(my_puts)], body
                n += 1
            t0 = time.perf_counter()
            try:
                status, _ = http_do(
                    port, method, path, b, conn, put_headers if b else None
                )
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = connect(port)
                status = 0
            mine.append(time.perf_counter() - t0)
            errs += status != 200
        conn.close()
        with lock:
            lat.extend(mine)
            errors[0] += errs

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "ops": len(lat),
        "seconds": time.monotonic() - t0,
        "errors": errors[0],
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
    }


# --------------------------------------------------------------------------
# Cases


class Bench:
    def __init__(self, target, args, sizes):
        self.t = target
        self.args = args
        self.sizes = sizes
        self.s3 = s3_client(target.endpoint)
        self.bucket = "bench-%d" % random.randrange(10**6)
        self.use_wrk = args.client == "wrk"

    def replay(self, gets, puts, put_size, get_share, conns):
        if self.args.warmup:
            self._replay(gets, puts, put_size, get_share, conns, self.args.warmup)
        cpu0 = self.t.cpu()
        r = self._replay(gets, puts, put_size, get_share, conns, self.args.seconds)
        r["cpu_s"] = self.t.cpu() - cpu0
        return r

    def _replay(self, gets, puts, put_size, get_share, conns, seconds):
        if self.use_wrk:
            script = wrk_script(gets, puts, put_size, get_share)
            return run_wrk(self.t.port, script, seconds, conns, self.args.client_core)
        return run_python(self.t.port, gets, puts, put_size, get_share, seconds, conns)

    def presigned(self, method, keys, bucket=None):
        return [
            path_of(presign(self.s3, method, bucket or self.bucket, k)) for k in keys
        ]

    def setup(self):
        self.s3.create_bucket(Bucket=self.bucket)

    def small_put(self):
        puts = self.presigned("PUT", ["small/put-%04d" % i for i in range(1000)])
        r = self.replay([], puts, self.sizes["small"], 0.0, 16)
        r["bytes_per_op"] = self.sizes["small"]
        return r

    def small_get(self):
        keys = ["small/get-%03d" % i for i in range(100)]
        fill(self.t.port, self.presigned("PUT", keys), os.urandom(self.sizes["small"]))
        r = self.replay(self.presigned("GET", keys), [], 0, 1.0, 16)
        r["bytes_per_op"] = self.sizes["small"]
        return r

    def large_put(self):
        # distinct keys per in-flight PUT: moto fails concurrent overwrites
        puts = self.presigned("PUT", ["large/put-%d" % i for i in range(4)])
        r = self.replay([], puts, self.sizes["large"], 0.0, 2)
        r["bytes_per_op"] = self.sizes["large"]
        return r

    def large_get(self):
        key = "large/get"
        fill(self.t.port, self.presigned("PUT", [key]), os.urandom(self.sizes["large"]))
        r = self.replay(self.presigned("GET", [key]), [], 0, 1.0, 2)
        r["bytes_per_op"] = self.sizes["large"]
        return r

    def list_v2(self):
        n = self.sizes["list_keys"]
        bucket = self.bucket + "-list"
        self.s3.create_bucket(Bucket=bucket)
        keys = ["dir%02d/obj-%05d" % (i % 10, i) for i in range(n)]
        fill(self.t.port, self.presigned("PUT", keys, bucket), b"x" * 16)
        url = self.s3.generate_presigned_url(
            "list_objects_v2",
            Params={"Bucket": bucket, "MaxKeys": 1000},
            ExpiresIn=PRESIGN_EXPIRES,
        )
        status, data = http_do(self.t.port, "GET", path_of(url))
        got = data.count(b"<Key>")
        if status != 200 or got != min(n, 1000):
            raise RuntimeError("ListObjectsV2 -> %d with %d keys" % (status, got))
        r = self.replay([path_of(url)], [], 0, 1.0, 4)
        r["bytes_per_op"] = 0
        return r

    def mix(self):
        keys = ["mix/obj-%03d" % i for i in range(100)]
        fill(self.t.port, self.presigned("PUT", keys), os.urandom(self.sizes["small"]))
        gets = self.presigned("GET", keys)
        puts = self.presigned("PUT", ["mix/put-%04d" % i for i in range(1000)])
        r = self.replay(gets, puts, self.sizes["small"], 0.7, 16)
        r["bytes_per_op"] = self.sizes["small"]
        return r

    def multipart(self):
        total, part = self.sizes["multipart"], self.sizes["part"]
        nparts = total // part
        body = os.urandom(part)
        key = "multipart/obj"
        lat = []

        def put_part(upload_id, n):
            url = self.s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": n,
                },
                ExpiresIn=PRESIGN_EXPIRES,
            )
            conn = connect(self.t.port, timeout=300)
            try:
                conn.request("PUT", path_of(url), body=body)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise RuntimeError("UploadPart -> %d" % resp.status)
                return {"PartNumber": n, "ETag": resp.getheader("ETag")}
            finally:
                conn.close()

        def one_upload(pool):
            t0 = time.perf_counter()
            up = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)
            uid = up["UploadId"]
            parts = list(pool.map(lambda n: put_part(uid, n), range(1, nparts + 1)))
            self.s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=uid,
                MultipartUpload={"Parts": parts},
            )
            lat.append(time.perf_counter() - t0)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            if self.args.warmup:
                one_upload(pool)
                lat.clear()
            cpu0 = self.t.cpu()
            t0 = time.monotonic()
            while True:
                one_upload(pool)
                if time.monotonic() - t0 >= self.args.seconds:
                    break
            elapsed = time.monotonic() - t0
            cpu = self.t.cpu() - cpu0
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        if head["ContentLength"] != total:
            raise RuntimeError("multipart object has %d bytes" % head["ContentLength"])
        return {
            "ops": len(lat),
            "seconds": elapsed,
            "errors": 0,
            "p50_ms": percentile(lat, 50) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "cpu_s": cpu,
            "bytes_per_op": total,
        }


CASES = [
    ("put_small", "PUT 4 KiB", "small_put"),
    ("get_small", "GET 4 KiB", "small_get"),
    ("put_large", "PUT {large}", "large_put"),
    ("get_large", "GET {large}", "large_get"),
    ("list_v2", "ListObjectsV2 {list_keys} keys", "list_v2"),
    ("multipart", "multipart {multipart}", "multipart"),
    ("mix", "70/30 GET/PUT 4 KiB", "mix"),
]


def finish(r):
    secs = max(r["seconds"], 1e-9)
    ops = r["ops"]
    return {
        "ops": ops,
        "ops_s": ops / secs,
        "mb_s": ops * r["bytes_per_op"] / secs / 1e6,
        "p50_ms": r["p50_ms"],
        "p99_ms": r["p99_ms"],
        "cpu_us_per_op": r["cpu_s"] / ops * 1e6 if ops else None,
        # share of the server core used: below ~0.9 the server waited
        # (fsync, thread hand-offs, the client) rather than ran out of CPU
        "server_util": r["cpu_s"] / secs,
        "errors": r["errors"],
    }


def measure_target(cls, args, sizes, workdir, selected):
    target = cls(args.server_core, workdir)
    out = {}
    try:
        target.start()
    except Exception as e:  # a broken server must not hide the other's figures
        print(
            "[%s] cannot start: %s\n%s" % (cls.name, e, target.log_tail()), flush=True
        )
        target.stop()
        return {"error": str(e)}
    try:
        bench = Bench(target, args, sizes)
        bench.setup()
        for case, _label, method in CASES:
            if case not in selected:
                continue
            t0 = time.monotonic()
            try:
                out[case] = finish(getattr(bench, method)())
            except Exception as e:
                out[case] = {"error": "%s: %s" % (type(e).__name__, e)}
            print(
                "[%s] %-10s %5.1fs %s"
                % (cls.name, case, time.monotonic() - t0, short(out[case])),
                flush=True,
            )
    finally:
        target.stop()
    return out


def short(r):
    if "error" in r:
        return "ERROR " + r["error"][:200]
    return "%.0f ops/s %.0f MB/s cpu %.0f us/op err %d" % (
        r["ops_s"],
        r["mb_s"],
        r["cpu_us_per_op"] or 0,
        r["errors"],
    )


def ratio_text(o, m):
    """Throughput ratio, then the steadier ratio of server CPU per operation."""
    if not o or not m or "error" in o or "error" in m or not m["ops_s"]:
        return "-"
    text = "%.1fx" % (o["ops_s"] / m["ops_s"])
    if o.get("cpu_us_per_op") and m.get("cpu_us_per_op"):
        text += " (cpu %.1fx)" % (m["cpu_us_per_op"] / o["cpu_us_per_op"])
    return text


# Targets from issue 5; each returns (text, ok) or None when not applicable.
def check_target(case, ours, moto):
    if not ours or "error" in ours:
        return None
    ratio = None
    if moto and "error" not in moto and moto["ops_s"]:
        ratio = ours["ops_s"] / moto["ops_s"]
    cpu = ours["cpu_us_per_op"] or 0
    if case == "get_small":
        ok = cpu <= 150 and (ratio is None or ratio >= 15)
        return ">=15x moto, <=150us CPU", ok
    if case == "put_small":
        return ">=4x moto (durable)", ratio is None or ratio >= 4
    if case == "get_large":
        return ">=2000 MB/s", ours["mb_s"] >= 2000
    if case == "put_large":
        return ">=500 MB/s", ours["mb_s"] >= 500
    if case == "list_v2":
        return "<20ms CPU", cpu < 20000
    return None


def fmt(r, key, spec):
    if not r or "error" in r or r.get(key) is None:
        return "-"
    return spec % r[key]


def print_table(results, sizes):
    names = list(results)
    moto = results.get("moto", {})
    cols = [("ops_s", "ops/s", "%.0f"), ("mb_s", "MB/s", "%.0f")]
    cols += [("p50_ms", "p50ms", "%.2f"), ("p99_ms", "p99ms", "%.2f")]
    cols += [("cpu_us_per_op", "CPUus/op", "%.0f")]
    print("columns per server: " + ", ".join(c[1] for c in cols))
    head = "%-26s" % "case"
    for who in names:
        head += " | %-49s" % who
    ours = [n for n in names if n != "moto"]
    for who in ours:
        head += " | %-49s" % ("%s: x moto, target" % who)
    print(head)
    print("-" * len(head))
    for case, label, _m in CASES:
        rows = [results[n].get(case) for n in names]
        if all(r is None for r in rows):
            continue
        line = "%-26s" % label.format(**{k: human(v) for k, v in sizes.items()})
        for r in rows:
            line += " |" + "".join(" %9s" % fmt(r, k, f) for k, _h, f in cols)
        for who in ours:
            o, m = results[who].get(case), moto.get(case)
            tgt = check_target(case, o, m)
            tgt_s = "%s %s" % (tgt[0], "PASS" if tgt[1] else "MISS") if tgt else ""
            line += " | %-17s %-31s" % (ratio_text(o, m), tgt_s)
        print(line)
    for who, rs in results.items():
        for case, r in rs.items():
            if isinstance(r, dict) and "error" in r:
                print("%s %s: %s" % (who, case, r["error"][:300]))
            elif isinstance(r, dict) and r.get("errors"):
                print("%s %s: %d failed requests" % (who, case, r["errors"]))
        if "error" in rs:
            print("%s: %s" % (who, rs["error"]))


def print_markdown(results, sizes):
    """The same figures as a Markdown table, for docs/benchmarks.md."""
    names = list(results)
    moto = results.get("moto", {})
    head = ["case"] + ["%s ops/s, MB/s, p50/p99 ms, CPU/op" % n for n in names]
    head += ["%s vs moto, target" % n for n in names if n != "moto"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for case, label, _m in CASES:
        rows = [results[n].get(case) for n in names]
        if all(r is None for r in rows):
            continue
        cells = [label.format(**{k: human(v) for k, v in sizes.items()})]
        for r in rows:
            if not r or "error" in r:
                cells.append("error" if r else "-")
                continue
            cpu = r["cpu_us_per_op"] or 0
            cpu_s = "%.0f us" % cpu if cpu < 10000 else "%.1f ms" % (cpu / 1000)
            cells.append(
                "%.0f, %.0f, %.2f/%.2f, %s"
                % (r["ops_s"], r["mb_s"], r["p50_ms"], r["p99_ms"], cpu_s)
            )
        for n in names:
            if n == "moto":
                continue
            o, m = results[n].get(case), moto.get(case)
            ratio = ratio_text(o, m)
            tgt = check_target(case, o, m)
            if tgt:
                ratio += ", %s %s" % (tgt[0], "PASS" if tgt[1] else "MISS")
            cells.append(ratio)
        print("| " + " | ".join(cells) + " |")


def human(v):
    if isinstance(v, int) and v >= MiB and v % MiB == 0:
        return "%d MiB" % (v // MiB)
    return str(v)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="~1 s per case, small sizes")
    p.add_argument("--targets", default="ours,moto")
    p.add_argument("--cases", default=",".join(c[0] for c in CASES))
    p.add_argument("--seconds", type=float, help="measured seconds per case")
    p.add_argument("--warmup", type=float, help="unmeasured seconds before each case")
    p.add_argument("--server-core", default="1")
    p.add_argument("--client-core", default="0")
    p.add_argument("--client", choices=["wrk", "python"], help="default: wrk if found")
    p.add_argument("--json", help="write the results as JSON to this file")
    p.add_argument("--markdown", action="store_true", help="also print Markdown")
    p.add_argument(
        "--from-json", help="print the tables of an earlier --json run; no servers"
    )
    p.add_argument(
        "--prefault-gib",
        type=int,
        help="touch this much memory first (fresh VMs; default 8, --quick 0)",
    )
    args = p.parse_args(argv)
    if args.client is None:
        args.client = "wrk" if shutil.which("wrk") else "python"
    if args.quick:
        sizes = {"small": 4 * KiB, "large": 8 * MiB, "list_keys": 200}
        sizes.update({"multipart": 16 * MiB, "part": 8 * MiB})
        args.seconds = args.seconds or 1
        args.warmup = 0 if args.warmup is None else args.warmup
    else:
        sizes = {"small": 4 * KiB, "large": 64 * MiB, "list_keys": 1000}
        sizes.update({"multipart": 256 * MiB, "part": 16 * MiB})
        args.seconds = args.seconds or 5
        args.warmup = 1 if args.warmup is None else args.warmup
    if args.from_json:
        with open(args.from_json) as f:
            doc = json.load(f)
        print_table(doc["results"], doc["sizes"])
        print()
        print_markdown(doc["results"], doc["sizes"])
        return 0
    if args.prefault_gib is None:
        args.prefault_gib = 0 if args.quick else 8
    if args.prefault_gib:
        t0 = time.monotonic()
        touched = prefault(args.prefault_gib)
        print(
            "prefault: touched %.1f GiB in %.1f s"
            % (touched / (1 << 30), time.monotonic() - t0)
        )
    selected = set(args.cases.split(","))
    results = {}
    workdir = tempfile.mkdtemp(prefix="exordos-bench-")
    try:
        for name in args.targets.split(","):
            results[name] = measure_target(
                TARGETS[name], args, sizes, workdir, selected
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(results, sizes)
    if args.markdown:
        print()
        print_markdown(results, sizes)
    if args.json:
        doc = {
            "sizes": sizes,
            "seconds": args.seconds,
            "client": args.client,
            "server_core": args.server_core,
            "client_core": args.client_core,
            "results": results,
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    failed = any(
        isinstance(r, dict) and ("error" in r or r.get("errors"))
        for rs in results.values()
        for r in ([rs] if "error" in rs else rs.values())
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
