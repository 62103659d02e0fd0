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
"""CPU per request of the request metrics and the access log, A/B in one
process.

``bench/app_probe.py`` in separate processes (``--no-metrics``,
``--access-log FILE``) compares runs minutes apart on a shared machine;
here one app replays the same signed 4 KiB GET with the metrics and the
access log switched off, metrics on, and both on, interleaved round by
round, and the best round of each is printed. CPU is ``time.process_time``
(the access log's writes included: its buffer is written every 256 KiB).

  bench/observe_probe.py                       # presigned and header-signed
  bench/observe_probe.py --rounds 15 --requests 5000
"""

import argparse
import asyncio
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import app_probe  # noqa: E402
from oslo_config import cfg  # noqa: E402

from exordos_paas_s3 import constants  # noqa: E402
from exordos_paas_s3.cmd import gateway  # noqa: E402
from exordos_paas_s3.gateway import access_log, metrics  # noqa: E402
from exordos_paas_s3.gateway import config as gateway_config  # noqa: E402


async def probe(args):
    os.environ[constants.GATEWAY_ROOT_ACCESS_KEY_ENV] = app_probe.ACCESS
    os.environ[constants.GATEWAY_ROOT_SECRET_KEY_ENV] = app_probe.SECRET
    conf = cfg.ConfigOpts()
    gateway_config.register(conf)
    with tempfile.TemporaryDirectory(prefix="observe-probe-") as data_dir:
        conf(["--data-dir", data_dir], project="exordos-s3", default_config_files=[])
        app, _admin, close = await gateway.build(conf)
        log = access_log.AccessLog(os.path.join(data_dir, "access.log"))
        on = metrics.Metrics()
        modes = {
            "off": (None, None),
            "metrics": (on, None),
            "metrics+log": (on, log),
        }
        try:
            body = os.urandom(args.size)
            for scope, data in (
                (app_probe.signed("PUT", "/probe"), b""),
                (app_probe.signed("PUT", "/probe/obj", body=body), body),
            ):
                status, _ = await app_probe.call(app, scope, data)
                assert status == 200, status
            for presign in (True, False):
                scope = app_probe.signed("GET", "/probe/obj", presign=presign)
                best = {}
                for _ in range(args.rounds):
                    for name, (m, lg) in modes.items():
                        app.metrics, app.access_log = m, lg
                        await app_probe.replay(app, scope, args.requests // 10)
                        t = await app_probe.replay(app, scope, args.requests)
                        best[name] = min(best.get(name, t), t)
                base = best["off"]
                for name, t in best.items():
                    print(
                        "get %-13s %-12s %6.2f us CPU/request  %+5.2f us (%+.1f %%)"
                        % (
                            "presigned" if presign else "header-signed",
                            name,
                            t,
                            t - base,
                            (t - base) / base * 100,
                        )
                    )
        finally:
            log.close()
            await close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--requests", type=int, default=3000)
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.run(probe(args))
    except ImportError:
        asyncio.run(probe(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
