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
"""The dependency direction of DESIGN.md §2, checked by walking imports.

The gateway runs alone on data-plane nodes (and in the image) without the
control-plane libraries; the control plane must never pull the gateway in;
the data-plane driver talks to the gateway only over HTTP.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "gateway": (
        "exordos_paas_s3.controlplane",
        "exordos_paas_s3.dataplane",
        "exordos_paas_s3.definition",
        "restalchemy",
        "gcl_iam",
        "exordos_metapaas",
    ),
    "controlplane": ("exordos_paas_s3.gateway", "exordos_paas_s3.dataplane"),
    "dataplane": ("exordos_paas_s3.gateway", "exordos_paas_s3.controlplane"),
}


def _imports(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer):
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            if name.startswith(FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_walker_sees_imports(tmp_path):
    # The check above is only worth something if the walker finds imports.
    probe = tmp_path / "probe.py"
    probe.write_text("import a.b\nfrom c import d\nfrom . import e\n")
    assert _imports(probe) == ["a.b", "c", "c.d"]
