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
"""CPU per request of the S3 ASGI app alone: no server, no sockets.

The gateway's object graph is built as ``exordos-s3-gateway`` builds it, on
a temporary data directory; one signed request scope (presigned or
header-signed) is replayed many times through ``S3App`` with a ``send``
that drops what it gets. CPU is ``time.process_time`` of this process, so
the figure ignores other load on the machine far better than a network
benchmark can, and it separates the app's cost from the HTTP server's.

  bench/app_probe.py                      # GET 4 KiB, presigned and header-signed
  bench/app_probe.py --ops get,head,list --rounds 5 --requests 5000
  bench/app_probe.py --session            # also signed with temporary credentials
  bench/app_probe.py --sse --size 67108864 --requests 4   # SSE-S3 64 MiB GET
  bench/app_probe.py --access-log /tmp/access.log   # with the access log on
  bench/app_probe.py --no-metrics                   # request metrics off
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import urllib.parse

from botocore import auth as botocore_auth
from botocore import awsrequest, credentials
from oslo_config import cfg

from exordos_paas_s3 import constants
from exordos_paas_s3.cmd import gateway
from exordos_paas_s3.gateway import config as gateway_config

ACCESS, SECRET = "AKIAPROBE0000000000", "probe-secret-0000000000000000000000000000"
HOST = "127.0.0.1:9000"


def _scope(method, url, headers):
    parts = urllib.parse.urlsplit(url)
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": urllib.parse.unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 9000),
    }


def signed(method, path, query="", body=b"", presign=False, creds=None, extra=None):
    """An ASGI scope signed with SigV4 the way botocore signs it."""
    url = "http://%s%s%s" % (HOST, path, "?" + query if query else "")
    creds = creds or credentials.Credentials(ACCESS, SECRET)
    request = awsrequest.AWSRequest(
        method=method, url=url, data=body, headers=dict(extra or {})
    )
    if presign:
        botocore_auth.S3SigV4QueryAuth(creds, "s3", "us-east-1", 3600).add_auth(request)
        headers = {"host": HOST}
    else:
        request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        botocore_auth.S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
        headers["host"] = HOST
    if body:
        headers["content-length"] = str(len(body))
    return _scope(method, request.url, headers)


async def call(app, scope, body=b""):
    """Run one request; (status, body bytes)."""
    sent = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def replay(app, scope, n):
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    t = time.process_time()
    for _ in range(n):
        await app(scope, receive, send)
    return (time.process_time() - t) / n * 1e6


async def probe(args):
    os.environ[constants.GATEWAY_ROOT_ACCESS_KEY_ENV] = ACCESS
    os.environ[constants.GATEWAY_ROOT_SECRET_KEY_ENV] = SECRET
    conf = cfg.ConfigOpts()
    gateway_config.register(conf)
    with tempfile.TemporaryDirectory(prefix="app-probe-") as data_dir:
        argv = ["--data-dir", data_dir]
        if args.access_log:
            argv += ["--access-log", args.access_log]
        conf(argv, project="exordos-s3", default_config_files=[])
        app, _admin, close = await gateway.build(conf)
        if args.no_metrics:
            app.metrics = None
        try:
            body = os.urandom(args.size)
            sse = {"x-amz-server-side-encryption": "AES256"} if args.sse else {}
            for scope, data in (
                (signed("PUT", "/probe"), b""),
                (signed("PUT", "/probe/obj", body=body, extra=sse), body),
            ):
                status, _ = await call(app, scope, data)
                assert status == 200, status
            for i in range(100):
                await call(app, signed("PUT", "/probe/k%03d" % i, body=b"x"), b"x")
            cases = {
                "get": ("GET", "/probe/obj", ""),
                "head": ("HEAD", "/probe/obj", ""),
                "list": ("GET", "/probe", "list-type=2"),
            }
            kinds = [(None, "")]
            if args.session:
                # Temporary credentials (auth/sessions.py) of the root key,
                # scoped to the probe bucket: the token opened from cache,
                # the issuer looked up, the scope checked on each request.
                from exordos_paas_s3.gateway.auth import sessions

                services = app.services
                issued = services.sessions.issue(
                    services.identities.root, 3600, sessions.Scope("probe", "", False)
                )
                kinds.append(
                    (
                        credentials.Credentials(
                            issued.access_key, issued.secret_key, issued.token
                        ),
                        " session",
                    )
                )
            for op, (creds, label), presign in (
                (op, kind, presign)
                for op in args.ops.split(",")
                for kind in kinds
                for presign in (True, False)
            ):
                method, path, query = cases[op]
                scope = signed(method, path, query, presign=presign, creds=creds)
                status, _ = await call(app, scope)
                assert status == 200, (op, status)
                await replay(app, scope, args.requests // 5)  # warm-up
                best = min(
                    [
                        await replay(app, scope, args.requests)
                        for _ in range(args.rounds)
                    ]
                )
                print(
                    "%-5s %-21s %8.1f us CPU/request (min of %d x %d)"
                    % (
                        op,
                        ("presigned" if presign else "header-signed") + label,
                        best,
                        args.rounds,
                        args.requests,
                    )
                )
        finally:
            await close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", default="get")
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--session", action="store_true")
    p.add_argument("--sse", action="store_true", help="store the object with SSE-S3")
    p.add_argument("--access-log", default=None, help="the gateway's --access-log")
    p.add_argument("--no-metrics", action="store_true", help="request metrics off")
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.run(probe(args))
    except ImportError:
        asyncio.run(probe(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
