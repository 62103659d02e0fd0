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
"""The infra builder's view of an instance: a NodeSet and one Config per node."""

from __future__ import annotations

import typing as tp
import uuid as sys_uuid

from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.infra import constants as infra_c
from gcl_sdk.infra.dm import models as infra_models

from exordos_paas_s3 import constants, node_seal
from exordos_paas_s3.controlplane import instance_storage
from exordos_paas_s3.controlplane.dm import models

# GiB of the root disk the image boots from; data lives on the data disk.
ROOT_DISK_SIZE = 8
S3_PORT = 9000
ADMIN_LISTEN = "127.0.0.1:9001"
GATEWAY_UNIT = "exordos-s3-gateway"

GATEWAY_CONF_TEMPLATE = """\
# Managed by the exordos_paas_s3 control plane (infra builder): do not edit,
# the next change of the instance overwrites it and restarts the gateway.
[DEFAULT]
data_dir = {data_dir}
listen = 0.0.0.0:{port}
admin_listen = {admin_listen}
region = {region}
root_access_key = {root_access_key}
# The root secret is sealed to this node (exordos_paas_s3/node_seal.py): the
# gateway and the agent open it with the node's encryption key.
node_uuid = {node_uuid}
root_secret_key_sealed = {root_secret_key_sealed}
# One JSON line per S3 request on standard output: the journal keeps and
# rotates it (journalctl -u exordos-s3-gateway -o cat | grep '^{{').
access_log = -
{tables}{storage}"""


def storage_conf(
    instance: models.Instance, node_uuid: sys_uuid.UUID, node_key: bytes
) -> str:
    """The storage lines of gateway.conf (none: each node's own disk and
    SQLite index, the gateway's defaults). Secrets sealed to the node."""
    lines = []
    if instance.blob_store == "s3":
        lines += [
            "# Object bytes in an S3 upstream (docs/gateway.md, Storage).",
            "blob_store = s3",
            f"upstream_endpoint = {instance.upstream_endpoint}",
            f"upstream_bucket = {instance.upstream_bucket}",
        ]
        if instance.upstream_region:
            lines.append(f"upstream_region = {instance.upstream_region}")
        secret = node_seal.seal(
            node_key,
            node_uuid,
            node_seal.UPSTREAM_SECRET_CONTEXT,
            instance.open_secret("upstream_secret_key"),
        )
        lines += [
            f"upstream_access_key = {instance.upstream_access_key}",
            f"upstream_secret_key_sealed = {secret}",
        ]
    if instance.sse_master_key is not None:
        # One SSE master key for every node: an encrypted object written
        # through one opens through all (decision 0020).
        key = node_seal.seal(
            node_key,
            node_uuid,
            node_seal.SSE_MASTER_CONTEXT,
            instance.open_secret("sse_master_key"),
        )
        lines += [
            "# The SSE master key shared by every node.",
            f"sse_master_key_sealed = {key}",
        ]
    if instance.index_url != "sqlite":
        password = (
            instance.open_secret("index_password")
            if instance.index_password is not None
            else None
        )
        # The whole URL is sealed: with its password it is a credential.
        url = instance_storage.index_with_password(instance.index_url, password)
        sealed = node_seal.seal(node_key, node_uuid, node_seal.INDEX_CONTEXT, url)
        lines += ["# The index shared by every node.", f"index_sealed = {sealed}"]
    return "".join(f"{line}\n" for line in lines)


def tables_conf(instance: models.Instance) -> str:
    """S3 Tables lines of gateway.conf (none: the gateway's defaults)."""
    if not instance.tables_vending:
        return ""
    return (
        "# S3 Tables: loadTable vends credentials scoped to the table.\n"
        "tables_vending = true\n"
    )


def gateway_conf(
    instance: models.Instance, node_uuid: sys_uuid.UUID, node_key: bytes
) -> str:
    """The gateway.conf of one node; its secrets open on that node only."""
    return GATEWAY_CONF_TEMPLATE.format(
        tables=tables_conf(instance),
        storage=storage_conf(instance, node_uuid, node_key),
        data_dir=constants.GATEWAY_DATA_DIR,
        port=S3_PORT,
        admin_listen=ADMIN_LISTEN,
        region=constants.GATEWAY_DEFAULT_REGION,
        root_access_key=instance.root_access_key,
        node_uuid=node_uuid,
        root_secret_key_sealed=node_seal.seal(
            node_key,
            node_uuid,
            node_seal.ROOT_SECRET_CONTEXT,
            instance.open_secret("root_secret"),
        ),
    )


class InfraInstance(models.Instance, ua_models.InstanceWithDerivativesMixin):
    __derivative_model_map__ = {
        infra_models.NodeSet.get_resource_kind(): infra_models.NodeSet,
        infra_models.Config.get_resource_kind(): infra_models.Config,
    }

    @classmethod
    def get_resource_kind(cls) -> str:
        return "s3_instance_infra"

    def get_resource_target_fields(self) -> tp.Collection[str]:
        return frozenset(
            (
                "uuid",
                "name",
                "cpu",
                "ram",
                "disk_size",
                "nodes_number",
                "kind",
                "version",
                "project_id",
                # A change of storage rewrites gateway.conf (no secret here).
                *instance_storage.PLAIN_FIELDS,
                "tables_vending",
            )
        )

    def get_resource_ignore_fields(self) -> tp.Collection[str]:
        # Never let the credentials into ua_target_resources via the
        # instance: they reach the nodes sealed, in gateway.conf.
        return frozenset(
            (
                "root_secret",
                "root_access_key",
                "sse_master_key",
                *instance_storage.SECRET_FIELDS,
            )
        )

    def disk_spec(self) -> infra_models.SetDisksSpec:
        return infra_models.SetDisksSpec(
            disks=[
                {"size": ROOT_DISK_SIZE, "image": self.version.image, "label": "root"},
                {"size": self.disk_size, "label": "data"},
            ]
        )

    def node_set(self, project_id: sys_uuid.UUID) -> infra_models.NodeSet:
        return infra_models.NodeSet(
            uuid=self.uuid,
            name=f"s3aas-{self.uuid}",
            cores=self.cpu,
            ram=self.ram,
            disk_spec=self.disk_spec(),
            replicas=self.nodes_number,
            project_id=project_id,
            status=infra_c.NodeStatus.NEW.value,
        )

    def node_config(
        self, node_uuid: sys_uuid.UUID, project_id: sys_uuid.UUID, node_key: bytes
    ) -> infra_models.Config:
        return infra_models.Config(
            uuid=sys_uuid.uuid5(self.uuid, f"gateway-config-{node_uuid}"),
            name=f"s3aas-gateway-{node_uuid}",
            project_id=project_id,
            status=infra_c.InstanceStatus.NEW.value,
            target=infra_models.NodeTarget(node=node_uuid),
            body=infra_models.TextBodyConfig(
                content=gateway_conf(self, node_uuid, node_key)
            ),
            path=constants.GATEWAY_CONFIG_PATH,
            owner="root",
            group="exordos-s3",
            mode="0640",
            # `restart`, not `try-restart`: the unit waits for this very file
            # (ConditionPathExists), so on first delivery it is not running.
            on_change=infra_models.OnChangeShell(
                command=f"systemctl restart {GATEWAY_UNIT}"
            ),
        )
