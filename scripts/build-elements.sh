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
# `make build` after `make wheel`: `exordos build` of every element of
# exordos/exordos.yaml into output/elements (a repository directory:
# output/elements/exordos-elements/<element>/<version>/...). Arguments are
# passed to `exordos build` (-i KEY, --manifest-var k=v).
#
# The element version is the CLI's: the git tag on HEAD (a stable version,
# e.g. 0.1.0), else <next patch>-rc+<date>.<sha> on main (a pre-release).
#
# The image needs packer >= 1.7 with its plugins, qemu and KVM
# (scripts/check-packer.sh). Without them everything up to the image is still
# built: the CLI builds each element's artifacts and renders and validates
# its manifest before it builds its images, so a stand-in `packer` that
# refuses stops it exactly there; this script then says what was built and
# exits 2.
set -euo pipefail
cd "$(dirname "$0")/.."

EXORDOS=${EXORDOS:-exordos}
OUT=output/elements

wheel=$(ls output/dist/exordos_paas_s3-*.whl 2>/dev/null || true)
if [ -z "$wheel" ]; then
    echo "build-elements: no wheel in output/dist: run scripts/build-image-payload.sh (make wheel)" >&2
    exit 1
fi
# The wheel's version: the manifest pins the package to it when it is taken
# from an index (--manifest-var index_url=...).
package_version=$(basename "$wheel" | cut -d- -f2)
args=(build -c exordos/exordos.yaml -o "$OUT" -f
    --manifest-var "package_version=$package_version" "$@" .)

if bash scripts/check-packer.sh; then
    exec "$EXORDOS" "${args[@]}"
fi

shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
cat >"$shim/packer" <<'EOF'
#!/bin/sh
# Stands in for packer when the real one cannot build the image here.
echo "packer: not run (scripts/check-packer.sh says why)" >&2
: >"$BUILD_ELEMENTS_STOPPED"
exit 3
EOF
chmod +x "$shim/packer"

mkdir -p output
log=output/build-elements.log
echo "build-elements: building everything up to the image (log: $log)"
rc=0
BUILD_ELEMENTS_STOPPED="$shim/stopped" PATH="$shim:$PATH" \
    "$EXORDOS" "${args[@]}" >"$log" 2>&1 || rc=$?
if [ ! -e "$shim/stopped" ]; then
    # It failed before the image (or had none to build): its own error.
    cat "$log" >&2
    exit "$rc"
fi
echo "build-elements: built, without the data-plane image:"
(cd "$OUT" && find exordos-elements -type f | sort | sed 's/^/  /')
cat >&2 <<EOF
build-elements: exordos build stopped at the image exordos-s3-dp: it needs
  packer >= 1.7 with the qemu and sshkey plugins, qemu and KVM (see the
  check above). The manifests above are rendered and validated; the element
  is publishable only with its image, once \`make build\` runs where those are.
EOF
exit 2
