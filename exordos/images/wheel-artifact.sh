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
# Artifact script of `exordos build` (cwd: exordos/): the plugin wheel must be
# the one already pinned in the image payload, so it is never rebuilt here.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! ls output/dist/exordos_paas_s3-*.whl >/dev/null 2>&1; then
    echo "no wheel in output/dist: run scripts/build-image-payload.sh (make build does)" >&2
    exit 1
fi
wheel=$(ls output/dist/exordos_paas_s3-*.whl)
grep -q "$(sha256sum "$wheel" | cut -d' ' -f1)" output/image-payload/requirements.txt || {
    echo "$wheel is not the wheel pinned in output/image-payload; rebuild the payload" >&2
    exit 1
}
