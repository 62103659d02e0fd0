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
# Artifact script of `exordos build` (cwd: exordos/): the OpenAPI document of
# the user API with this plugin mounted, written from this checkout's code
# (exordos-paas-s3-openapi) into output/openapi/. The CLI's repository client
# serves it to `exordos build` of elements that require s3aas, as the first
# artifact whose name contains "openapi".
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
rm -rf output/openapi
"$PY" -m exordos_paas_s3.controlplane.api.openapi -o output/openapi
