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
# Builds what the data-plane image installs, into output/image-payload/:
#   wheelhouse/       our wheel (built from this checkout) and a wheel of every
#                     dependency, so the image installs offline
#   requirements.txt  every wheel pinned by version and sha256 (--require-hashes)
#   etc/, images/     systemd units, agent config, logging, data-disk script
#   SHA256SUMS        checksums of all of the above, verified by install.sh
# The wheels are built for the Python running this script (PYTHON, default the
# project venv): it must be the image's Python, 3.11 for Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-output/image-payload}
DIST=output/dist

"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || {
    echo "build-image-payload: the image runs Python 3.11 (Debian 12); set PYTHON" >&2
    exit 1
}

rm -rf "$OUT" "$DIST"
mkdir -p "$OUT/wheelhouse" "$DIST"

echo "== our wheel"
"$PY" -m pip wheel -q --no-deps --wheel-dir "$DIST" .
wheel=$(ls "$DIST"/exordos_paas_s3-*.whl)

echo "== wheelhouse (dependencies as wheels)"
"$PY" -m pip wheel -q --wheel-dir "$OUT/wheelhouse" "$wheel"

"$PY" - "$OUT" <<'PYEOF'
import hashlib
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
lines = []
for whl in sorted((out / "wheelhouse").glob("*.whl")):
    name, version = whl.name.split("-")[:2]
    digest = hashlib.sha256(whl.read_bytes()).hexdigest()
    lines.append(f"{name}=={version} --hash=sha256:{digest}")
(out / "requirements.txt").write_text("\n".join(lines) + "\n")
print(f"requirements.txt: {len(lines)} wheels pinned by sha256")
PYEOF

mkdir -p "$OUT/etc" "$OUT/images"
cp -r etc/systemd etc/exordos-s3 "$OUT/etc/"
cp exordos/images/*.sh "$OUT/images/"

sums=$(cd "$OUT" && find . -type f -printf '%P\n' | sort | xargs sha256sum)
printf '%s\n' "$sums" >"$OUT/SHA256SUMS"
du -sh "$OUT"
