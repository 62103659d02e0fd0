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
"""The PaaS builder: instance + children -> one desired state per gateway node,
and the nodes' reports -> honest statuses on every child.

A child is ACTIVE only when every node reports the child's *current* spec
(by digest) applied; ERROR with the node's reason when one cannot apply it;
IN_PROGRESS otherwise. See docs/decisions/0003-reconcile.md.
"""

from __future__ import annotations

import logging
import typing as tp
import uuid as sys_uuid

from gcl_sdk.infra import constants as infra_c
from gcl_sdk.paas.services import builder as paas_builder
from restalchemy.dm import filters as dm_filters
from restalchemy.storage.sql import orm

from exordos_paas_s3 import node_seal
from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane.dm import models
from exordos_paas_s3.controlplane.infra import builder as infra_builder
from exordos_paas_s3.controlplane.paas import models as paas_models

LOG = logging.getLogger(__name__)

ACTIVE = models.Status.ACTIVE.value
IN_PROGRESS = models.Status.IN_PROGRESS.value
ERROR = models.Status.ERROR.value
NEW = models.Status.NEW.value


# --- desired items from control-plane rows ---------------------------------


def bucket_spec(bucket: models.Bucket) -> dict[str, tp.Any]:
    spec = {
        "name": bucket.name,
        "versioning": bool(bucket.versioning_enabled),
        "object_lock": bool(bucket.object_lock_enabled),
        "retention_mode": bucket.default_retention_mode,
        "retention_days": bucket.default_retention_days,
        "quota_bytes": int(bucket.quota_bytes or 0),
        "public": bool(bucket.public),
        "force_delete": bool(bucket.force_delete),
    }
    # The instance's default encryption, applied to each of its buckets.
    # Only when set, so the items (and digests) of other buckets stay as
    # they were before instances had it.
    if bucket.instance.encryption == models.Encryption.AES256.value:
        spec["encryption"] = "AES256"
    # S3 Tables: likewise only when on.
    if bucket.table_bucket:
        spec["table_bucket"] = True
    # The bucket's compression, else the instance's; sent only when it is on,
    # for the same reason.
    compression = bucket.compression or bucket.instance.compression
    if compression == models.Compression.ZSTD.value:
        spec["compression"] = compression
    return spec


def user_spec(user: models.User) -> dict[str, tp.Any]:
    return {"name": user.name}


def access_key_spec(key: models.AccessKey) -> dict[str, tp.Any]:
    # No secret here: each node's copy gets it sealed to that node
    # (S3PaaSBuilder._node_states); digests never include it anyway.
    return {
        "user": str(key.user.uuid),
        "access_key": key.access_key,
        "enabled": bool(key.enabled),
    }


def policy_spec(policy: models.Policy) -> dict[str, tp.Any]:
    return {"name": policy.name, "document": policy.content}


def attachment_spec(attachment: models.PolicyAttachment) -> dict[str, tp.Any]:
    return {"user": str(attachment.user.uuid), "policy": str(attachment.policy.uuid)}


SPEC_OF = {
    ns.BUCKETS: (models.Bucket, bucket_spec),
    ns.USERS: (models.User, user_spec),
    ns.ACCESS_KEYS: (models.AccessKey, access_key_spec),
    ns.POLICIES: (models.Policy, policy_spec),
    ns.ATTACHMENTS: (models.PolicyAttachment, attachment_spec),
}


def child_status(
    section: str,
    uid: str,
    spec: tp.Mapping[str, tp.Any],
    reports: tp.Sequence[dict | None],
) -> tuple[str, str]:
    """(status, reason) of one child from the reports of every node.

    ``reports`` holds one entry per node that should have the child; an entry
    is None while that node has not reported at all.
    """
    if not reports:
        return IN_PROGRESS, ""
    digest = ns.item_digest(spec)
    applied = 0
    for report in reports:
        item = ((report or {}).get(section) or {}).get(uid)
        if not item or item.get("digest") != digest:
            continue
        if item.get("status") == ns.ERROR:
            return ERROR, item.get("reason") or "the data plane cannot apply it"
        if item.get("status") == ns.ACTIVE:
            applied += 1
    return (ACTIVE, "") if applied == len(reports) else (IN_PROGRESS, "")


def bucket_is_empty(uid: str, reports: tp.Sequence[dict | None]) -> bool | None:
    """True/False once every node has said; None while one has not."""
    flags = []
    for report in reports:
        item = ((report or {}).get(ns.BUCKETS) or {}).get(uid) or {}
        if "empty" not in item:
            return None
        flags.append(bool(item["empty"]))
    return all(flags) if flags else None


def deletion_status(
    uid: str, spec: tp.Mapping[str, tp.Any], reports: tp.Sequence[dict | None]
) -> tuple[str, str]:
    """(status, reason) of a deleted bucket: ACTIVE once every node has it gone,
    ERROR with a node's reason when one cannot remove it (for this intent)."""
    digest = ns.item_digest(spec)
    gone = 0
    for report in reports:
        item = ((report or {}).get(ns.DELETED_BUCKETS) or {}).get(uid)
        if not item:
            continue
        if item.get("status") == ns.ACTIVE:
            gone += 1
        elif item.get("status") == ns.ERROR and item.get("digest") == digest:
            reason = item.get("reason") or "the data plane cannot remove it"
            if not spec.get("force"):
                reason += "; DELETE it again with ?force=true to remove its objects too"
            return ERROR, reason
    return (ACTIVE, "") if reports and gone == len(reports) else (IN_PROGRESS, "")


def _nodes_ready(
    instance: paas_models.PaaSInstance,
    node_set: tp.Any,
    reports: tp.Sequence[dict | None],
) -> bool:
    return (
        node_set is not None
        and node_set.status == infra_c.NodeStatus.ACTIVE.value
        and len(reports) == instance.nodes_number
    )


def _node_report(state: paas_models.S3NodeState | None) -> dict | None:
    if state is None:
        return None
    report = {section: state.section(section) for section in ns.SECTIONS}
    report[ns.DELETED_BUCKETS] = state.section(ns.DELETED_BUCKETS)
    report["status"], report["reason"] = state.status, state.reason
    report["gateway"] = dict(state.gateway or {})
    return report


def tls_fingerprints(
    nodes: tp.Sequence[str], reports: tp.Sequence[dict | None]
) -> dict[str, str]:
    """{node: its TLS certificate's SHA-256} of the nodes whose gateway
    reports one (docs/operations.md, "TLS")."""
    out = {}
    for node, report in zip(nodes, reports, strict=True):
        fingerprint = ((report or {}).get("gateway") or {}).get("tls_fingerprint")
        if fingerprint:
            out[str(node)] = str(fingerprint)
    return out


def node_labels(node_set: tp.Any, nodes: tp.Sequence[str]) -> list[str]:
    """How a reason names each node: its uuid, and its address when known."""
    known = (node_set.nodes or {}) if node_set is not None else {}
    labels = []
    for node in nodes:
        ipv4 = (known.get(node) or {}).get("ipv4")
        labels.append(f"node {node} ({ipv4})" if ipv4 else f"node {node}")
    return labels


def node_down(report: dict | None) -> str:
    """Why the node's gateway cannot serve, or "" while it can (or has not
    reported yet). From the report's health; a report without one (a driver
    before health) says so only by its reason."""
    if report is None:
        return ""
    health = report.get("gateway") or {}
    if health.get("healthy") is False:
        down = "gateway not answering"
        if health.get("since"):
            down += f" since {health['since']}"
        if health.get("reason"):
            down += f" ({health['reason']})"
        return down
    if health.get("ready") is False:
        # Answers, but cannot store (disk, index, upstream): readiness.
        down = "gateway not ready"
        if health.get("ready_reason"):
            down += f" ({health['ready_reason']})"
        return down
    if not health and report.get("status") == ERROR and report.get("reason"):
        return str(report["reason"])
    return ""


def waiting_reason(
    section: str,
    uid: str,
    spec: tp.Mapping[str, tp.Any],
    reports: tp.Sequence[dict | None],
    downs: tp.Sequence[str],
) -> str:
    """Why a child that is not applied yet waits: the down nodes that have
    not applied its current spec (``downs``: "node X: why", or "" when up)."""
    digest = ns.item_digest(spec)
    waits = []
    for report, down in zip(reports, downs, strict=True):
        if not down:
            continue
        item = ((report or {}).get(section) or {}).get(uid) or {}
        if item.get("digest") == digest and item.get("status") == ns.ACTIVE:
            continue
        waits.append(down)
    return "waiting for " + "; ".join(waits) if waits else ""


def instance_status(
    reports: tp.Sequence[dict | None],
    downs: tp.Sequence[str],
    errors: tp.Sequence[str],
) -> tuple[str, str]:
    """(status, reason) of an instance whose nodes are all built."""
    down = [d for d in downs if d]
    if down:
        # A node whose gateway does not serve: the service is not all there.
        # The platform has no DEGRADED status: ERROR, naming the nodes.
        return ERROR, "; ".join([*down, *errors])
    if any(r is None for r in reports):
        return IN_PROGRESS, ""
    # The gateways run. A resource they cannot apply is that resource's
    # ERROR; the instance repeats the reasons, not the state.
    return ACTIVE, "; ".join(errors)


class S3PaaSBuilder(paas_builder.PaaSBuilder):
    def __init__(
        self,
        instance_model: type[paas_models.PaaSInstance] = paas_models.PaaSInstance,
        **kwargs: tp.Any,
    ) -> None:
        super().__init__(instance_model, **kwargs)

    # Node-set changes arrive through the instance (see PaaSInstance).
    def track_outdated_master_full_hash_instances(self) -> bool:
        return False

    def create_paas_objects(
        self, instance: paas_models.PaaSInstance
    ) -> tp.Collection[paas_models.S3NodeState]:
        return self.actualize_paas_objects(
            instance, paas_builder.PaaSCollection(paas_objects=())
        )

    def actualize_paas_objects(
        self,
        instance: paas_models.PaaSInstance,
        paas_collection: paas_builder.PaaSCollection,
    ) -> tp.Collection[paas_models.S3NodeState]:
        sections, rows = self._desired_sections(instance)
        node_set = instance.actual_node_set()
        nodes = sorted((node_set.nodes or {}).keys()) if node_set else []
        # Nodes beyond nodes_number are on their way out (shrink).
        nodes = nodes[: instance.nodes_number]

        actual_by_uuid = {
            pair.actual.uuid: pair.actual
            for pair in paas_collection.paas_objects
            if pair.actual is not None
        }
        reports = [
            _node_report(actual_by_uuid.get(ns.agent_uuid_for_node(node)))
            for node in nodes
        ]
        fingerprints = tls_fingerprints(nodes, reports)
        if dict(instance.tls_fingerprints or {}) != fingerprints:
            instance.tls_fingerprints = fingerprints
        ready = _nodes_ready(instance, node_set, reports)
        deletions, deletion_errors = self._settle_deletions(
            instance, sections, reports if ready else None
        )
        states, waiting = self._node_states(
            instance, nodes, sections, rows, deletions, paas_collection
        )
        self._update_statuses(
            instance,
            sections,
            rows,
            reports,
            ready,
            deletion_errors,
            labels=node_labels(node_set, nodes),
        )
        if waiting and instance.status != ERROR:
            # Secrets go to a node only sealed to its key: without it, wait.
            instance.status = IN_PROGRESS
            instance.reason = infra_builder.waiting_reason(waiting)[:1024]
        return states

    @staticmethod
    def _node_states(
        instance: paas_models.PaaSInstance,
        nodes: tp.Sequence[str],
        sections: dict[str, dict],
        rows: dict[str, dict[str, tp.Any]],
        deletions: dict[str, dict[str, tp.Any]],
        paas_collection: paas_builder.PaaSCollection,
    ) -> tuple[list[paas_models.S3NodeState], list[str]]:
        """One desired state per node, each access key secret sealed to the
        node (node_seal). A node whose key MetaPaaS lacks keeps the state it
        has (none at first) and is listed as waiting."""
        keys = infra_builder.node_keys(nodes)
        current = {
            pair.target.uuid: pair.target for pair in paas_collection.paas_objects
        }
        secrets = {
            uid: row.open_secret("secret_key")
            for uid, row in rows.get(ns.ACCESS_KEYS, {}).items()
        }
        states, waiting = [], []
        for node in nodes:
            agent = ns.agent_uuid_for_node(node)
            if node not in keys:
                waiting.append(node)
                if agent in current:
                    states.append(current[agent])
                continue
            access_keys = {
                uid: dict(spec, secret_key=secrets[uid])
                for uid, spec in sections.get(ns.ACCESS_KEYS, {}).items()
            }
            state_sections = dict(
                sections,
                **{
                    ns.ACCESS_KEYS: node_seal.seal_access_keys(
                        access_keys, keys[node], node
                    )
                },
            )
            states.append(
                paas_models.S3NodeState(
                    uuid=agent,
                    instance=instance.uuid,
                    node=sys_uuid.UUID(node),
                    status=NEW,
                    deleted_buckets=deletions,
                    **state_sections,
                )
            )
        return states, waiting

    def pre_delete_instance_resource(self, resource: tp.Any) -> None:
        super().pre_delete_instance_resource(resource)
        # The nodes go with the instance, and so do the buckets still on them.
        paas_models.forget_bucket_deletions(resource.uuid)

    @staticmethod
    def _settle_deletions(
        instance: paas_models.PaaSInstance,
        sections: dict[str, dict],
        reports: tp.Sequence[dict | None] | None,
    ) -> tuple[dict[str, dict[str, tp.Any]], list[str]]:
        """The deleted buckets the nodes must still remove, and their errors.

        A delete is done (and forgotten) once every node reports the bucket
        gone, or when a bucket of the same name is wanted again (the new
        bucket wins). ``reports`` is None while the nodes are not all up.
        """
        deletions = paas_models.bucket_deletions(instance.uuid)
        if not deletions:
            return {}, []
        wanted = {spec["name"] for spec in sections.get(ns.BUCKETS, {}).values()}
        done, errors = [], []
        for uid, spec in deletions.items():
            if spec["name"] in wanted:
                done.append(uid)
                continue
            if reports is None:
                continue
            status, reason = deletion_status(uid, spec, reports)
            if status == ACTIVE:
                done.append(uid)
            elif status == ERROR:
                errors.append(f"deleted bucket {spec['name']}: {reason}")
        if done:
            paas_models.forget_bucket_deletions(instance.uuid, done)
        remaining = {uid: spec for uid, spec in deletions.items() if uid not in done}
        return remaining, errors

    # -- statuses -----------------------------------------------------------

    def _desired_sections(
        self, instance: paas_models.PaaSInstance
    ) -> tuple[dict[str, dict], dict[str, dict[str, tp.Any]]]:
        sections: dict[str, dict] = {}
        rows: dict[str, dict[str, tp.Any]] = {}
        for section, (model, spec_of) in SPEC_OF.items():
            items = model.objects.get_all(
                filters={"instance": dm_filters.EQ(instance.uuid)}
            )
            sections[section] = {str(i.uuid): spec_of(i) for i in items}
            rows[section] = {str(i.uuid): i for i in items}
        return sections, rows

    def _update_statuses(
        self,
        instance: paas_models.PaaSInstance,
        sections: dict[str, dict],
        rows: dict[str, dict[str, tp.Any]],
        reports: list[dict | None],
        node_set_ready: bool,
        deletion_errors: tp.Sequence[str] = (),
        labels: tp.Sequence[str] = (),
    ) -> None:
        node_reports = reports if node_set_ready else []
        # "node X: gateway not answering since T (why)" per node, "" if up.
        labels = list(labels) or [f"node {i + 1}" for i in range(len(reports))]
        downs = [
            f"{label}: {down}" if down else ""
            for label, down in zip(
                labels, (node_down(r) for r in node_reports), strict=False
            )
        ]
        errors = list(deletion_errors)
        for section, items in sections.items():
            for uid, spec in items.items():
                status, reason = child_status(section, uid, spec, node_reports)
                if status == IN_PROGRESS and not reason and any(downs):
                    reason = waiting_reason(section, uid, spec, node_reports, downs)
                reason = reason[:1024]  # the column's size
                row = rows[section][uid]
                changed = row.status != status or row.reason != reason
                if section == ns.BUCKETS:
                    empty = bucket_is_empty(uid, node_reports)
                    if empty is not None and row.is_empty != empty:
                        row.is_empty = empty
                        changed = True
                if changed:
                    row.status, row.reason = status, reason
                    # A status is not a change of what the tenant asked for:
                    # save without touching the instance (no builder churn).
                    orm.SQLStorableMixin.update(row)
                if status == ERROR:
                    errors.append(f"{section[:-1]} {spec.get('name', uid)}: {reason}")

        if not node_set_ready:
            # The infra builder owns the status until the nodes are up.
            return
        status, reason = instance_status(reports, downs, errors)
        instance.status, instance.reason = status, reason[:1024]
