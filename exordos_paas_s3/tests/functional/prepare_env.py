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
"""Point the ported product suites at a live Exordos installation.

Not run in CI. Given the MetaPaaS user API of an installation where the s3
element is installed, and a token of a user allowed to manage s3 instances,
it checks the API answers, finds (or, with --image, creates) the service
version to test, and prints the environment the suites read::

    python exordos_paas_s3/tests/functional/prepare_env.py \\
        --api http://10.20.0.X:8080 --token "$TOKEN" [--version NAME] [--image IMG]
    # then, with the printed exports:
    pytest exordos_paas_s3/tests/functional/stand/ -k suite

Without these variables the same suites start a local stand instead
(docs/stand.md). Building and installing the element itself is the job of
``exordos build`` / ``exordos install`` (see exordos/ and docs/).
"""

from __future__ import annotations

import argparse
import shlex
import sys

import requests

VERSIONS = "/v1/types/s3/versions/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", required=True, help="MetaPaaS user API URL")
    parser.add_argument("--token", required=True, help="bearer token")
    parser.add_argument("--version", default=None, help="version name to use")
    parser.add_argument(
        "--image", default=None, help="create the version with this image if missing"
    )
    args = parser.parse_args(argv)
    api = args.api.rstrip("/")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {args.token}"

    response = session.get(api + VERSIONS, timeout=30)
    if response.status_code != 200:
        sys.stderr.write(
            f"{api}{VERSIONS}: {response.status_code} {response.text[:300]}\n"
            "Is the s3 element installed and the token valid?\n"
        )
        return 1
    versions = response.json()
    if args.version:
        versions = [v for v in versions if v["name"] == args.version]
    if not versions and args.image:
        body = {"name": args.version or "functional", "image": args.image}
        created = session.post(api + VERSIONS, json=body, timeout=30)
        if created.status_code != 201:
            sys.stderr.write(f"cannot create a version: {created.text[:300]}\n")
            return 1
        versions = [created.json()]
    if not versions:
        sys.stderr.write("no s3 version found; pass --version or --image\n")
        return 1
    version = versions[-1]
    print(f"export EXORDOS_S3_CP_URL={shlex.quote(api)}")
    print(f"export EXORDOS_S3_TOKEN={shlex.quote(args.token)}")
    print(f"export EXORDOS_S3_VERSION={shlex.quote(str(version['uuid']))}")
    print("# then: pytest exordos_paas_s3/tests/functional/stand/ -k suite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
