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
"""Schemathesis against the plugin's OpenAPI spec on the running API:
whatever it generates, the API never answers with a 5xx."""

import os
import subprocess
import sys

import pytest
import yaml

from exordos_paas_s3.controlplane import iam
from exordos_paas_s3.controlplane.api import openapi
from exordos_paas_s3.tests.functional.cp import conftest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(420)]

MAX_EXAMPLES = int(os.environ.get("CP_SCHEMATHESIS_MAX_EXAMPLES", "15"))


def _st() -> str:
    return os.path.join(os.path.dirname(sys.executable), "st")


@pytest.mark.parametrize(
    "who",
    ["owner", "admin"],
)
def test_no_server_errors_for_generated_requests(cp_api_url, cp_version, tmp_path, who):
    spec_path = tmp_path / "openapi.yaml"
    spec_path.write_text(yaml.safe_dump(openapi.build()))
    if who == "admin":
        bearer = conftest.token(conftest.ADMIN_PERMISSIONS)
    else:
        bearer = conftest.token(iam.ROLES[iam.ROLE_OWNER], project_id="1" * 32)
    command = [
        _st(),
        "run",
        str(spec_path),
        "--url",
        cp_api_url,
        "--checks",
        "not_a_server_error",
        "--include-path-regex",
        "^/v1/types/s3/",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261121",
        "--header",
        f"Authorization: Bearer {bearer}",
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=400
    )
    assert "generated" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
    failures = _failures(result.stdout)
    ours = [f for f in failures if not _is_upstream_multipart_failure(f)]
    assert not ours, "\n\n".join(ours)
    if not failures:
        assert result.returncode == 0, result.stdout[-6000:]


def _failures(output: str) -> list[str]:
    """Each reported failure: its '- ST...' line and the lines up to a blank."""
    failures, current = [], None
    for line in output.splitlines():
        if line.startswith("- ST"):
            current = [line]
            failures.append(current)
        elif line.startswith(("___", "===")):
            current = None
        elif current is not None:
            current.append(line)
    return ["\n".join(f) for f in failures]


def _is_upstream_multipart_failure(failure: str) -> bool:
    # A 'multipart/form-data' Content-Type without a boundary makes webob
    # raise while RestAlchemy's application builds the request context,
    # before any route or plugin code runs; MetaPaaS's own routes answer 500
    # the same way (see the strict xfail below).
    return "ST102" in failure and "Content-Type: multipart/form-data" in failure


@pytest.mark.xfail(
    strict=True,
    reason="upstream: restalchemy RequestContext parses a boundary-less "
    "multipart body and webob raises ValueError -> 500 on every route",
)
def test_upstream_multipart_without_boundary_is_a_server_error(cp_admin):
    for path in ("/v1/types/", "/v1/types/s3/versions/"):
        response = cp_admin.request(
            "DELETE",
            path + "00000000-0000-0000-0000-000000000000",
            headers={"Content-Type": "multipart/form-data"},
        )
        assert response.status_code < 500
