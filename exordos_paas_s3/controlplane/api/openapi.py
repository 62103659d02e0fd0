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
"""The OpenAPI document of the MetaPaaS user API with this plugin mounted.

``exordos-metapaas-openapi-spec`` describes the runtime alone (it skips
plugin discovery on purpose: "each PaaS plugin publishes its own routes").
This builds the same document the same way, with the plugin's routes in it,
for publishing next to the element (run as ``python -m`` this module).
"""

import argparse
import json
import logging
from pathlib import Path
from unittest import mock

import webob
import yaml
from restalchemy.api import applications
from restalchemy.api import constants as api_constants
from restalchemy.api import contexts as api_contexts
from restalchemy.common import contexts

LOG = logging.getLogger(__name__)

OPENAPI_VERSION = "3.0.3"
PLUGIN_PATH_PREFIX = "/v1/types/s3/"


def build(version: str = OPENAPI_VERSION) -> dict:
    from exordos_metapaas.user_api.api import app

    context = contexts.ContextWithStorage()
    # Describing the API needs no caller: the spec lists every route, and
    # controllers built for it must not consult a real IAM session.
    iam_context = mock.Mock()
    iam_context.introspection_info.return_value = {}
    iam_context.enforcer.enforce.return_value = True
    context.iam_context = iam_context
    with context.context_manager():
        application = applications.OpenApiApplication(
            route_class=app.get_api_application(),
            openapi_engine=app.get_openapi_engine(),
            warm_up_openapi=False,
        )
        request = webob.Request.blank("/")
        request.application = application
        request.api_context = api_contexts.RequestContext(request)
        request.api_context.set_active_method(api_constants.GET)
        specification = application.openapi_engine.build_openapi_specification(
            version=version, request=request
        )
    specification["info"]["version"] = "latest"
    specification["servers"][0]["url"] = "http://127.0.0.1:8080"
    _add_patch(specification)
    return json.loads(json.dumps(specification))


def _add_patch(specification: dict) -> None:
    """Every PUT of the plugin is served as PATCH too (the seed contract's
    update, routes.S3Route.do); RestAlchemy describes only the PUT."""
    for path, operations in specification["paths"].items():
        put = operations.get("put")
        if not path.startswith(PLUGIN_PATH_PREFIX) or put is None:
            continue
        patch = json.loads(json.dumps(put))
        if "operationId" in patch:
            patch["operationId"] = "Patch_" + patch["operationId"].split("_", 1)[-1]
        patch["summary"] = patch.get("summary", "") + " (PATCH: the same as PUT)"
        operations["patch"] = patch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output-dir", default="docs/openapi")
    args = parser.parse_args()
    specification = build()
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    path = output / "openapi_user_s3.yaml"
    path.write_text(yaml.safe_dump(specification, sort_keys=False, width=4096))
    plugin_paths = [
        p for p in specification["paths"] if p.startswith(PLUGIN_PATH_PREFIX)
    ]
    print(f"{path}: {len(specification['paths'])} paths, {len(plugin_paths)} of s3")


if __name__ == "__main__":
    main()
