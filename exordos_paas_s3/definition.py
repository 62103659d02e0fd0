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
"""The plugin's only entry for MetaPaaS: the ``exordos_metapaas_paas`` entry
point ``s3`` names :class:`S3PaaSDefinition`."""

import logging
import os

from exordos_metapaas import registry

from exordos_paas_s3 import constants

LOG = logging.getLogger(__name__)

_MODELS = "exordos_paas_s3.controlplane.dm.models"

# Resource sub-paths under types.s3 (see PaaSDefinition.get_agent_models).
AGENT_MODELS = {
    "versions": f"{_MODELS}:Version",
    "instances": f"{_MODELS}:Instance",
    "instances.buckets": f"{_MODELS}:Bucket",
    "instances.policies": f"{_MODELS}:Policy",
    "instances.users": f"{_MODELS}:User",
    "instances.users.keys": f"{_MODELS}:AccessKey",
    "instances.users.policies": f"{_MODELS}:PolicyAttachment",
}


class S3PaaSDefinition(registry.PaaSDefinition):
    """S3 object storage as a service."""

    slug = constants.PAAS_SLUG
    element_name = constants.ELEMENT_NAME

    def get_type_route(self):
        # Imported here: MetaPaaS discovers definitions in processes (the
        # gservice, render-config) that never serve the API.
        from exordos_paas_s3.controlplane.api import routes

        return routes.S3Route

    def get_migrations_path(self) -> str:
        return os.path.join(os.path.dirname(__file__), "migrations")

    def get_builders(self, core_username, core_password, core_api_base_url, project_id):
        from exordos_paas_s3.controlplane.infra import builder as infra_builder
        from exordos_paas_s3.controlplane.paas import builder as paas_builder

        node_keys = infra_builder.core_node_keys(
            core_username, core_password, core_api_base_url, project_id
        )
        return [
            infra_builder.S3InfraBuilder(project_id=project_id, node_keys=node_keys),
            paas_builder.S3PaaSBuilder(),
        ]

    def get_agent_models(self) -> dict[str, str]:
        return dict(AGENT_MODELS)

    def get_agent_filters(self) -> dict[str, str]:
        # Versions are shared and scoped by their description carrying the
        # MetaPaaS project id; everything else belongs to a project.
        filters = {subpath: "project_id" for subpath in AGENT_MODELS}
        filters["versions"] = "description"
        return filters
