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
"""The PaaS builder's view of an instance and its per-node desired state."""

from __future__ import annotations

import typing as tp
import uuid as sys_uuid

from gcl_sdk.agents.universal import utils as ua_utils
from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.infra import constants as infra_c
from gcl_sdk.infra.dm import models as infra_models
from restalchemy.dm import filters as dm_filters
from restalchemy.dm import models as ra_models
from restalchemy.dm import properties
from restalchemy.dm import types as ra_types

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane import instance_storage
from exordos_paas_s3.controlplane.dm import models

_SECTIONS = tuple(ns.SECTIONS)

# Target resources of this kind are bucket tombstones: a bucket deleted through
# the API that the nodes must remove (uuid = the bucket's, master = instance).
BUCKET_DELETION_KIND = "s3_bucket_deletion"


def record_bucket_deletion(
    bucket: models.Bucket, force: bool, session: tp.Any = None
) -> None:
    """Keep the tenant's delete (and its force intent) until the nodes act.

    Written in the transaction that deletes the bucket row, so the PaaS builder
    never sees the bucket gone without knowing how it has to go. No scheduler
    or builder handles this kind; the PaaS builder reads and removes them.
    """
    value = {"name": bucket.name, "force": bool(force)}
    _save_deletion(bucket.uuid, bucket.instance.uuid, value, session=session)


def upgrade_bucket_deletion_to_force(
    bucket_uuid: sys_uuid.UUID, instance_uuid: sys_uuid.UUID
) -> bool:
    """Turn a pending plain delete into a forced one; False if none is pending."""
    res = _deletion(bucket_uuid)
    if res is None or str(res.master) != str(instance_uuid):
        return False
    value = dict(res.value or {}, force=True)
    res.value, res.hash = value, ua_utils.calculate_hash(value)
    res.full_hash = res.hash
    res.update()
    return True


def bucket_deletions(instance_uuid: sys_uuid.UUID) -> dict[str, dict[str, tp.Any]]:
    """{bucket uuid: {"name", "force"}} of the instance's pending deletes."""
    return {
        str(res.uuid): {
            "name": res.value["name"],
            "force": bool(res.value.get("force")),
        }
        for res in ua_models.TargetResource.objects.get_all(
            filters={
                "kind": dm_filters.EQ(BUCKET_DELETION_KIND),
                "master": dm_filters.EQ(instance_uuid),
            }
        )
    }


def forget_bucket_deletions(
    instance_uuid: sys_uuid.UUID, bucket_uuids: tp.Iterable[str] | None = None
) -> None:
    """Drop done deletes (all of the instance's when ``bucket_uuids`` is None)."""
    wanted = None if bucket_uuids is None else {str(u) for u in bucket_uuids}
    for res in ua_models.TargetResource.objects.get_all(
        filters={
            "kind": dm_filters.EQ(BUCKET_DELETION_KIND),
            "master": dm_filters.EQ(instance_uuid),
        }
    ):
        if wanted is None or str(res.uuid) in wanted:
            res.delete()


def _deletion(bucket_uuid: sys_uuid.UUID) -> ua_models.TargetResource | None:
    return ua_models.TargetResource.objects.get_one_or_none(
        filters={
            "uuid": dm_filters.EQ(bucket_uuid),
            "kind": dm_filters.EQ(BUCKET_DELETION_KIND),
        }
    )


def _save_deletion(
    bucket_uuid: sys_uuid.UUID,
    instance_uuid: sys_uuid.UUID,
    value: dict[str, tp.Any],
    session: tp.Any = None,
) -> None:
    digest = ua_utils.calculate_hash(value)
    ua_models.TargetResource(
        uuid=bucket_uuid,
        kind=BUCKET_DELETION_KIND,
        res_uuid=ua_models.Resource.gen_res_uuid(bucket_uuid, BUCKET_DELETION_KIND),
        master=instance_uuid,
        value=value,
        hash=digest,
        full_hash=digest,
    ).insert(session=session)


class S3NodeState(
    ra_models.ModelWithUUID,
    ua_models.TargetResourceKindAwareMixin,
    ua_models.SchedulableToAgentMixin,
):
    """One gateway node's desired state (``node_state``), for its agent.

    The uuid is the node's agent uuid, so scheduling is the identity.
    ``reason``, ``pending_deletes`` and ``gateway`` (the gateway's health:
    healthy, since, reason) only come back in the driver's report.
    """

    status = properties.property(
        ra_types.Enum([s.value for s in infra_c.InstanceStatus]),
        default=infra_c.InstanceStatus.NEW.value,
    )
    instance = properties.property(ra_types.AllowNone(ra_types.UUID()), default=None)
    # The node this state is for: its key seals the secrets (node_seal), and
    # the driver checks the document is its own (agent uuid of this node).
    node = properties.property(ra_types.AllowNone(ra_types.UUID()), default=None)
    buckets = properties.property(ra_types.Dict(), default=dict)
    users = properties.property(ra_types.Dict(), default=dict)
    access_keys = properties.property(ra_types.Dict(), default=dict)
    policies = properties.property(ra_types.Dict(), default=dict)
    attachments = properties.property(ra_types.Dict(), default=dict)
    deleted_buckets = properties.property(ra_types.Dict(), default=dict)
    reason = properties.property(ra_types.String(), default="")
    pending_deletes = properties.property(ra_types.List(), default=list)
    gateway = properties.property(ra_types.Dict(), default=dict)

    @classmethod
    def get_resource_kind(cls) -> str:
        return ns.KIND

    def get_resource_target_fields(self) -> tp.Collection[str]:
        return frozenset(("uuid", "instance", "node", ns.DELETED_BUCKETS) + _SECTIONS)

    def section(self, name: str) -> dict[str, tp.Any]:
        return getattr(self, name) or {}


class PaaSInstance(models.Instance, ua_models.InstanceWithDerivativesMixin):
    """An instance as the PaaS builder sees it: one node state per node.

    Node-set changes reach it through the instance itself: the infra builder
    writes ``ipsv4``/``endpoints``/``status``, which bumps ``updated_at``.
    """

    __derivative_model_map__ = {ns.KIND: S3NodeState}

    @classmethod
    def get_resource_kind(cls) -> str:
        return "s3_instance_paas"

    def get_resource_target_fields(self) -> tp.Collection[str]:
        return frozenset(("uuid", "name", "project_id"))

    def get_resource_ignore_fields(self) -> tp.Collection[str]:
        # Never let the credentials into ua_target_resources.
        return frozenset(
            (
                "root_secret",
                "root_access_key",
                "sse_master_key",
                *instance_storage.SECRET_FIELDS,
            )
        )

    def actual_node_set(self) -> infra_models.NodeSet | None:
        """The node set Core (or the stand) reports for this instance."""
        res = ua_models.Resource.objects.get_one_or_none(
            filters={
                "uuid": dm_filters.EQ(self.uuid),
                "kind": dm_filters.EQ(infra_models.NodeSet.get_resource_kind()),
            }
        )
        if res is None:
            return None
        return infra_models.NodeSet.from_ua_resource(res)
