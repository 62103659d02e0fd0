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
"""``exordos-paas-s3``: the project's command line (``exordos-paas-s3 stand``,
``gc`` and ``verify`` against a running gateway)."""

from __future__ import annotations

import argparse
import sys

from exordos_paas_s3.cmd import maintenance, stand


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exordos-paas-s3")
    commands = parser.add_subparsers(dest="command", required=True)
    stand_parser = commands.add_parser(
        "stand", help="run the whole system on this machine (see docs/stand.md)"
    )
    stand.add_arguments(stand_parser)
    stand_parser.set_defaults(run=stand.run)
    gc_parser = commands.add_parser(
        "gc",
        help="run a gateway's orphan-blob GC pass now (docs/operations.md)",
    )
    maintenance.add_common(gc_parser)
    gc_parser.set_defaults(run=maintenance.run_gc)
    verify_parser = commands.add_parser(
        "verify",
        help="re-read a bucket's blobs through a gateway and check them "
        "against the index (docs/operations.md)",
    )
    maintenance.add_verify_arguments(verify_parser)
    verify_parser.set_defaults(run=maintenance.run_verify)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
