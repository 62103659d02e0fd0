#!/usr/bin/env bash
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
#
# `make publish`: adds the elements `make build` made (output/elements) to a
# repository directory REPO_DIR, laid out as the exordos CLI's repository
# client and Core read it over HTTP (REPO_URL = http://HOST:PORT/exordos-elements/):
#
#   REPO_DIR/exordos-repo-meta.json
#   REPO_DIR/exordos-elements/inventory.json            every element and version
#   REPO_DIR/exordos-elements/<element>/<version>/      inventory.json, manifests/,
#                                                       artifacts/, images/
#   REPO_DIR/exordos-elements/<element>/latest/         the newest stable version
#
# The version directories and `latest` are written by the CLI's own code
# (what `exordos repo push` runs with its fs driver and --latest), which moves
# `latest` only for a stable version. The top inventory.json, which neither
# of the CLI's drivers writes and `exordos repo versions` reads, is made here
# from the version directories. Versions already published are left as they
# are (FORCE=1 replaces them). A pre-release (a build of an untagged commit)
# is refused unless ALLOW_PRERELEASE=1: `ee install` without --version and
# the `latest` alias take stable versions only.
set -euo pipefail
cd "$(dirname "$0")/.."

REPO_DIR=${1:?usage: publish-elements.sh REPO_DIR}
PY=${PYTHON:-.venv/bin/python}
BUILD=output/elements

if [ ! -f "$BUILD/exordos-elements/inventory.json" ]; then
    echo "publish-elements: no complete build in $BUILD (make build; a build" >&2
    echo "publish-elements: that stopped at the image cannot be published)" >&2
    exit 1
fi

prereleases=$("$PY" - "$BUILD/exordos-elements/inventory.json" <<'PYEOF'
import json
import sys

from packaging.version import Version

elements = json.load(open(sys.argv[1]))["elements"]
for name, versions in sorted(elements.items()):
    for version in versions:
        if Version(version).is_prerelease:
            print(f"{name} {version}")
PYEOF
)
if [ -n "$prereleases" ] && [ "${ALLOW_PRERELEASE:-0}" != 1 ]; then
    echo "publish-elements: pre-release build (an untagged commit):" >&2
    while IFS= read -r line; do echo "  $line" >&2; done <<<"$prereleases"
    cat >&2 <<'EOF'
publish-elements: `exordos ee install` without --version and the `latest`
  alias take stable versions only. Tag the commit with a version and build
  again (git tag 0.1.0 && make build), or publish it anyway without moving
  `latest` (ALLOW_PRERELEASE=1; install it with --version).
EOF
    exit 1
fi

mkdir -p "$REPO_DIR/exordos-elements"
[ -f "$REPO_DIR/exordos-repo-meta.json" ] ||
    printf '{"schema_version": 1, "name": "exordos-elements"}\n' >"$REPO_DIR/exordos-repo-meta.json"

# What `exordos repo push -d fs --driver-params path=REPO_DIR --latest` does,
# called as a library: the command itself fails on Python 3.11 in CLI 3.2.29
# (its entry-point lookup iterates importlib.metadata.entry_points(), which
# yields group names before Python 3.12).
"$PY" - "$REPO_DIR" "$BUILD" "${FORCE:-0}" <<'PYEOF'
import pathlib
import sys

from exordos.repo import fs, utils

repo_dir, build, force = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3] == "1"
utils.do_push(fs.FSRepoDriver(repo_dir), build, force=force, latest=True)
PYEOF

"$PY" - "$REPO_DIR/exordos-elements" <<'PYEOF'
import json
import os
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
elements: dict = {}
for path in sorted(root.glob("*/*/inventory.json")):
    name, version = path.parent.parent.name, path.parent.name
    if version == "latest":
        continue
    elements.setdefault(name, {})[version] = json.loads(path.read_text())
tmp = root / "inventory.json.tmp"
tmp.write_text(json.dumps({"elements": elements}, indent=2, sort_keys=True))
os.replace(tmp, root / "inventory.json")
for name, versions in sorted(elements.items()):
    latest = root / name / "latest" / "inventory.json"
    alias = json.loads(latest.read_text())["version"] if latest.exists() else "-"
    print(f"publish-elements: {name}: {', '.join(sorted(versions))} (latest: {alias})")
PYEOF
