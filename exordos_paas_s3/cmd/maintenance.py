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
"""``exordos-paas-s3 gc`` and ``exordos-paas-s3 verify``: a running gateway's
blob GC and verify pass, through its admin API (docs/operations.md).

The gateway does the work: it owns the index (a second process writing a
SQLite index is what the design avoids) and its leases. These commands call
``POST /v1/gc`` and ``POST /v1/verify`` with the root credentials from the
environment, as the admin API's other clients do. ``verify`` calls in
batches, prints each problem as a JSON line on stdout, the summary as the
last line, and the cursor of each finished batch on stderr: a run stopped
midway resumes with ``--cursor``. Exit codes: 0 clean, 1 problems found, 2
the call failed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

from exordos_paas_s3 import constants

DEFAULT_ADMIN = "http://127.0.0.1:9001"


class CallFailed(Exception):
    pass


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-url",
        default=DEFAULT_ADMIN,
        help=f"the gateway's admin listener (default {DEFAULT_ADMIN}); root "
        f"keys from ${constants.GATEWAY_ROOT_ACCESS_KEY_ENV} and "
        f"${constants.GATEWAY_ROOT_SECRET_KEY_ENV}",
    )
    parser.add_argument("--timeout", type=float, default=3600.0)


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--bucket", required=True)
    parser.add_argument(
        "--sample",
        type=float,
        default=1.0,
        help="check each object version with this probability (0 < F <= 1)",
    )
    parser.add_argument(
        "--rate", type=int, default=0, help="read at most BYTES a second (0: no cap)"
    )
    parser.add_argument("--cursor", help="continue after this cursor")
    parser.add_argument(
        "--batch", type=int, default=1000, help="object versions per call"
    )


def _call(args: argparse.Namespace, path: str, body: dict[str, Any]) -> dict:
    access = os.environ.get(constants.GATEWAY_ROOT_ACCESS_KEY_ENV, "")
    secret = os.environ.get(constants.GATEWAY_ROOT_SECRET_KEY_ENV, "")
    if not access or not secret:
        raise CallFailed(
            f"set {constants.GATEWAY_ROOT_ACCESS_KEY_ENV} and "
            f"{constants.GATEWAY_ROOT_SECRET_KEY_ENV} to the gateway's root keys"
        )
    token = base64.b64encode(f"{access}:{secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - an operator-given URL
        args.admin_url.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"authorization": f"Basic {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as resp:  # noqa: S310
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())["error"]
            detail = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            detail = str(exc)
        raise CallFailed(f"{path}: HTTP {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CallFailed(f"{path}: {exc}") from None


def run_gc(args: argparse.Namespace) -> int:
    try:
        report = _call(args, "/v1/gc", {})
    except CallFailed as exc:
        sys.stderr.write(f"exordos-paas-s3 gc: {exc}\n")
        return 2
    print(json.dumps(report))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    totals = {
        "bucket": args.bucket,
        "checked": 0,
        "skipped": 0,
        "ok": 0,
        "missing": 0,
        "mismatched": 0,
        "bytes": 0,
        "seconds": 0.0,
    }
    cursor = args.cursor
    while True:
        body: dict[str, Any] = {
            "bucket": args.bucket,
            "limit": args.batch,
            "sample": args.sample,
            "rate": args.rate,
        }
        if cursor:
            body["cursor"] = cursor
        try:
            answer = _call(args, "/v1/verify", body)
        except CallFailed as exc:
            sys.stderr.write(f"exordos-paas-s3 verify: {exc}\n")
            if cursor:
                sys.stderr.write(f"resume with --cursor {cursor}\n")
            return 2
        for problem in answer["problems"]:
            print(json.dumps(problem), flush=True)
        summary = answer["summary"]
        for name in totals:
            if name != "bucket":
                totals[name] += summary[name]
        cursor = summary["cursor"]
        if summary["done"] or not cursor:
            break
        sys.stderr.write(f"cursor {cursor}\n")
    totals["seconds"] = round(float(totals["seconds"]), 3)
    print(json.dumps({"summary": totals}), flush=True)
    return 1 if totals["missing"] or totals["mismatched"] else 0
