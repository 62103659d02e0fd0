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
"""The infra builder: an instance -> a NodeSet and a gateway config per node.

It owns the instance's status until the node set is ACTIVE (then the PaaS
builder, which knows whether the gateways applied their state, takes over),
and it fills ``ipsv4`` and ``endpoints`` from the node set Core reports.
"""

from __future__ import annotations

import logging
import typing as tp
import urllib.parse
import uuid as sys_uuid

from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.infra import constants as infra_c
from gcl_sdk.infra.dm import models as infra_models
from gcl_sdk.infra.services import builder as infra_builder
from restalchemy.dm import filters as dm_filters

from exordos_paas_s3 import node_seal
from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane.dm import models
from exordos_paas_s3.controlplane.infra import models as infra_s3

LOG = logging.getLogger(__name__)

NODE_SET_KIND = infra_models.NodeSet.get_resource_kind()

# Gives the private keys of a node set's nodes ({node uuid: key}); the
# production wiring asks Core, the stand has none (its agents use the DB).
NodeKeysSource = tp.Callable[[sys_uuid.UUID], dict[str, str]]


def core_node_keys(
    core_username: str, core_password: str, core_api_base_url: str, project_id
) -> NodeKeysSource:
    """Node private keys from Core, so the agents' payloads can be encrypted."""
    from gcl_sdk.agents.universal.drivers import core as core_drivers

    driver = core_drivers.RestCoreCapabilityDriver(
        username=core_username,
        password=core_password,
        user_api_base_url=core_api_base_url,
        project_id=project_id,
        use_project_scope=True,
        node_set="/v1/compute/sets/",
    )
    client = driver._client._client

    def fetch(node_set_uuid: sys_uuid.UUID) -> dict[str, str]:
        return client.do_action("/v1/compute/sets/", "get_private_keys", node_set_uuid)

    return fetch


def node_keys(node_uuids: tp.Iterable[str]) -> dict[str, bytes]:
    """{node uuid: key bytes} of the nodes whose encryption key MetaPaaS has
    (``ua_node_encryption_keys``, copied from Core by ``_sync_node_keys``).
    A row whose key is not base64 of 32 bytes counts as missing."""
    wanted = [str(n) for n in node_uuids]
    if not wanted:
        return {}
    keys = {}
    for row in ua_models.NodeEncryptionKey.objects.get_all(
        filters={"uuid": dm_filters.In(wanted)}
    ):
        try:
            keys[str(row.uuid)] = node_seal.decode_node_key(row.private_key)
        except node_seal.SealError:
            LOG.error("node %s: its encryption key is not usable", row.uuid)
    return keys


WAITING_FOR_KEYS = "waiting for the encryption key of node(s) "


def waiting_reason(node_uuids: tp.Sequence[str]) -> str:
    return (
        WAITING_FOR_KEYS
        + ", ".join(node_uuids)
        + " (secrets go to a node only sealed to its key)"
    )


def node_endpoint(node: tp.Mapping[str, tp.Any]) -> str:
    """The S3 URL of a node. A node may say it itself (the stand's local
    processes listen on their own ports); a VM listens on the S3 port."""
    return node.get("s3_endpoint") or f"http://{node['ipv4']}:{infra_s3.S3_PORT}"


def node_doc(
    node_uuid: str, node: tp.Mapping[str, tp.Any], endpoint: str
) -> dict[str, tp.Any]:
    """A node as the instance's ``nodes`` shows it: id, ip and S3 port."""
    port = urllib.parse.urlsplit(endpoint).port or infra_s3.S3_PORT
    return {"id": str(node_uuid), "ip": node.get("ipv4", ""), "port": port}


class S3InfraBuilder(infra_builder.CoreInfraBuilder):
    def __init__(
        self,
        project_id: sys_uuid.UUID,
        node_keys: NodeKeysSource | None = None,
        instance_model: type[infra_s3.InfraInstance] = infra_s3.InfraInstance,
        **kwargs: tp.Any,
    ) -> None:
        super().__init__(instance_model, **kwargs)
        self._project_id = project_id
        self._node_keys = node_keys

    def create_infra(
        self, instance: infra_s3.InfraInstance
    ) -> tp.Collection[ua_models.TargetResourceKindAwareMixin]:
        return self.actualize_infra(
            instance, infra_builder.InfraCollection(infra_objects=())
        )

    def actualize_infra(
        self,
        instance: infra_s3.InfraInstance,
        infra: infra_builder.InfraCollection,
    ) -> tp.Collection[ua_models.TargetResourceKindAwareMixin]:
        node_set = instance.node_set(self._project_id)
        actual = None
        for pair in infra.infra_objects:
            if pair.target.get_resource_kind() == NODE_SET_KIND:
                actual = pair.actual

        nodes = dict(sorted((actual.nodes or {}).items())) if actual else {}
        if actual is None or not nodes:
            self._set_status(instance, models.Status.IN_PROGRESS.value, "")
            return (node_set,)

        if self._node_keys is not None and self._sync_node_keys(actual.uuid):
            # A new node key: the nodes' documents are sealed anew (the PaaS
            # builder looks again at a changed instance).
            instance.touch()

        kept = list(nodes.items())[: instance.nodes_number]
        ipsv4 = [node.get("ipv4", "") for _, node in kept]
        endpoints = [node_endpoint(node) for _, node in kept]
        if list(instance.ipsv4) != ipsv4:
            instance.ipsv4 = ipsv4
        if list(instance.endpoints) != endpoints:
            instance.endpoints = endpoints
        # The seed contract's view of the same nodes.
        node_docs = [
            node_doc(node_uuid, node, endpoint)
            for (node_uuid, node), endpoint in zip(kept, endpoints, strict=True)
        ]
        if list(instance.nodes) != node_docs:
            instance.nodes = node_docs

        if actual.status == infra_c.NodeStatus.ERROR.value:
            self._set_status(
                instance, models.Status.ERROR.value, "the node set failed to build"
            )
        elif actual.status != infra_c.NodeStatus.ACTIVE.value:
            self._set_status(instance, models.Status.IN_PROGRESS.value, "")
        elif instance.status == models.Status.NEW.value:
            # Nodes are up; the PaaS builder says ACTIVE once gateways apply.
            self._set_status(instance, models.Status.IN_PROGRESS.value, "")

        configs, waiting = self._node_configs(instance, infra, kept)
        if waiting and instance.status in (
            models.Status.NEW.value,
            models.Status.IN_PROGRESS.value,
        ):
            self._set_status(
                instance, models.Status.IN_PROGRESS.value, waiting_reason(waiting)
            )
        elif not waiting and instance.reason.startswith(WAITING_FOR_KEYS):
            self._set_status(instance, instance.status, "")
        return (node_set, *configs)

    def _node_configs(
        self,
        instance: infra_s3.InfraInstance,
        infra: infra_builder.InfraCollection,
        kept: list[tuple[str, tp.Any]],
    ) -> tuple[list[tp.Any], list[str]]:
        """One gateway config per node, its root secret sealed to the node.

        A node whose encryption key MetaPaaS does not have yet gets no new
        config (its secret would go out in clear): what it has stays, and
        the node is listed as waiting.
        """
        current = {
            pair.target.uuid: pair.target
            for pair in infra.infra_objects
            if pair.target.get_resource_kind() != NODE_SET_KIND
        }
        keys = node_keys([n for n, _ in kept])
        configs: list[tp.Any] = []
        waiting = []
        for node_uuid, _ in kept:
            node = sys_uuid.UUID(node_uuid)
            if node_uuid in keys:
                configs.append(
                    instance.node_config(node, self._project_id, keys[node_uuid])
                )
                continue
            waiting.append(node_uuid)
            previous = current.get(
                sys_uuid.uuid5(instance.uuid, f"gateway-config-{node}")
            )
            if previous is not None:
                configs.append(previous)
        return configs, waiting

    @staticmethod
    def _set_status(instance: infra_s3.InfraInstance, status: str, reason: str):
        if instance.status != status:
            instance.status = status
        if instance.reason != reason:
            instance.reason = reason

    def _sync_node_keys(self, node_set_uuid: sys_uuid.UUID) -> bool:
        """Copy the nodes' keys from Core; True when one is new or changed."""
        assert self._node_keys is not None
        changed = False
        for node_uuid, private_key in (self._node_keys(node_set_uuid) or {}).items():
            key = ua_models.NodeEncryptionKey.objects.get_one_or_none(
                filters={"uuid": dm_filters.EQ(node_uuid)}
            )
            if key is None:
                ua_models.NodeEncryptionKey(
                    uuid=sys_uuid.UUID(node_uuid), private_key=private_key
                ).insert()
                changed = True
            elif key.private_key != private_key:
                key.private_key = private_key
                key.update()
                changed = True
        return changed

    def pre_delete_instance_resource(self, resource: ua_models.TargetResource) -> None:
        """Forget the agents and node keys of the instance's nodes."""
        actual = ua_models.Resource.objects.get_one_or_none(
            filters={
                "uuid": dm_filters.EQ(resource.uuid),
                "kind": dm_filters.EQ(NODE_SET_KIND),
            }
        )
        node_uuids = (
            list(((actual.value or {}).get("nodes") or {}).keys()) if actual else []
        )
        if not node_uuids:
            return
        agents = [str(ns.agent_uuid_for_node(n)) for n in node_uuids]
        for agent in ua_models.UniversalAgent.objects.get_all(
            filters={"uuid": dm_filters.In(agents)}
        ):
            agent.delete()
        for key in ua_models.NodeEncryptionKey.objects.get_all(
            filters={"uuid": dm_filters.In(node_uuids)}
        ):
            key.delete()
