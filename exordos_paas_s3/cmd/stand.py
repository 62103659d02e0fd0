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
"""``exordos-paas-s3 stand``: the whole system on this machine, until Ctrl-C.

Wires the concrete pieces (``exordos_paas_s3.stand``), prints where the API
is and an admin token on lines of their own, and stops everything it started
on SIGINT/SIGTERM. See docs/stand.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

LOG = logging.getLogger(__name__)

DEFAULT_STATE_DIR = os.path.join("~", ".local", "share", "exordos-paas-s3", "stand")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        default=os.environ.get("EXORDOS_PAAS_S3_STAND_DIR", DEFAULT_STATE_DIR),
        help="where the stand keeps everything (default: %(default)s); "
        "a restart with the same directory resumes",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port of the MetaPaaS user API on 127.0.0.1 (default: a free one)",
    )
    parser.add_argument(
        "--pg-url",
        default=None,
        help="maintenance database URL of a PostgreSQL server to use "
        "(default: 127.0.0.1:5432 if it answers, else an embedded one)",
    )
    parser.add_argument("--log-level", default="INFO")


def banner(api_url: str, token: str) -> str:
    instances = f"{api_url}/v1/types/s3/instances/"
    return "\n".join(
        [
            f"api: {api_url}",
            f"token: {token}",
            "",
            "Try:",
            f'  export S3AAS="{api_url}" TOKEN="{token}"',
            '  curl -s -H "Authorization: Bearer $TOKEN" -X POST'
            ' "$S3AAS/v1/types/s3/versions/"'
            " -H 'Content-Type: application/json'"
            ' -d \'{"name": "local", "image": "local"}\'',
            '  curl -s -H "Authorization: Bearer $TOKEN" -X POST'
            f" \"{instances}\" -H 'Content-Type: application/json'"
            ' -d \'{"name": "demo", "version": "/v1/types/s3/versions/<uuid>"}\'',
            f'  curl -s -H "Authorization: Bearer $TOKEN" "{instances}"',
            "",
            "Ctrl-C stops everything the stand started.",
        ]
    )


def run(args: argparse.Namespace) -> int:
    from exordos_paas_s3.stand import runner

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        filename=None,
    )
    state_dir = os.path.expanduser(args.state_dir)
    stand = runner.Stand(state_dir, port=args.port, pg_url=args.pg_url)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stand.start()
        sys.stdout.write(banner(stand.api_url, stand.token) + "\n")
        sys.stdout.flush()
        while not stopping.wait(0.5):
            pass
        LOG.info("stopping the stand")
    finally:
        stand.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exordos-paas-s3 stand")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
