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
"""The universal-agent capability driver of a gateway node: reconcile only.

The agent hands it the node's desired document (``node_state``); it applies
the difference to the local gateway through the admin API and answers with a
report of what the gateway actually has. See docs/decisions/0003-reconcile.md.

Steady state costs one ``GET /v1/state`` and no writes: the reported
hash equals the target hash exactly when every item is applied, so the agent
only calls ``update`` while something is left to do.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
import typing as tp
import uuid as sys_uuid

from gcl_sdk.agents.universal import utils as ua_utils
from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.agents.universal.drivers import base as driver_base
from gcl_sdk.agents.universal.drivers import exceptions as driver_exc

from exordos_paas_s3 import constants, node_seal
from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import gateway_client as gc
from exordos_paas_s3.dataplane import state_diff

LOG = logging.getLogger(__name__)

DEFAULT_STATE_PATH = "/var/lib/exordos/s3_gateway_driver.json"
# A failed item is retried after FIRST_RETRY seconds, doubling up to MAX_RETRY;
# a changed spec (new digest) is tried at once.
FIRST_RETRY = 5.0
MAX_RETRY = 300.0


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class _Failure(tp.NamedTuple):
    digest: str
    reason: str
    attempts: int
    retry_at: float


class S3GatewayCapabilityDriver(driver_base.AbstractCapabilityDriver):
    """Capability ``s3_gateway``: one resource per node, the node's state.

    Options (the agent passes its config section ``[S3GatewayCapabilityDriver]``
    as strings): ``gateway_config`` - the gateway.conf to read the admin
    listener and root credentials from; or ``admin_url`` + ``access_key`` +
    ``secret_key``; ``node_key_file`` - the node's encryption key (the
    universal agent's ``private_key``) that opens the secrets sealed to this
    node; ``state_path`` - where the last applied document (without
    secrets) is kept between runs.
    """

    def __init__(
        self,
        gateway_config: str = constants.GATEWAY_CONFIG_PATH,
        state_path: str = DEFAULT_STATE_PATH,
        admin_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        clock: tp.Callable[[], float] = time.monotonic,
        client_factory: tp.Callable[[], gc.GatewayAdminClient] | None = None,
        node_key_file: str = node_seal.NODE_KEY_PATH,
    ) -> None:
        super().__init__()
        # Opens the secrets sealed to this node (node_seal): access keys in
        # the desired document, the root secret in gateway.conf.
        self._node_key_file = node_key_file
        # (section, uid) -> why its secret did not open, for the last apply.
        self._seal_problems: dict[tuple[str, str], str] = {}
        self._client_factory = client_factory
        self._gateway_config = gateway_config
        self._state_path = state_path
        self._explicit = (
            gc.AdminEndpoint(admin_url, access_key, secret_key)
            if admin_url and access_key and secret_key
            else None
        )
        # An admin URL alone overrides the listener in gateway.conf, whose
        # root credentials are still used (the stand's nodes share a host).
        self._admin_url = admin_url
        self._clock = clock
        self._client: gc.GatewayAdminClient | None = None
        self._client_error = ""
        # uuid -> {"target": doc without secrets, "hash": target hash,
        #          "buckets": {name: force_delete}} (buckets this driver made)
        self._records: dict[str, dict[str, tp.Any]] = {}
        self._failures: dict[tuple[str, str], _Failure] = {}
        self._writes_done = 0
        # The gateway's health as this driver last saw it: {"healthy",
        # "since" (UTC, when it became so), "reason"}; None before any look.
        self._health: dict[str, tp.Any] | None = None
        # uuid -> the item sections of the last report made while the
        # gateway answered: what a report says of items while it does not.
        self._last_items: dict[str, dict[str, dict[str, tp.Any]]] = {}

    @property
    def writes(self) -> int:
        """Admin writes (PUT/DELETE) sent since this driver was made."""
        current = self._client.writes if self._client is not None else 0
        return self._writes_done + current

    # -- AbstractCapabilityDriver -----------------------------------------

    def get_capabilities(self) -> list[str]:
        return [ns.KIND]

    def start(self) -> None:
        self._records = self._load_records()
        self._client, self._client_error = self._connect()

    def finalize(self) -> None:
        if self._client is not None:
            self._writes_done += self._client.writes
            self._client.close()
            self._client = None

    def list(self, capability: str) -> list[ua_models.Resource]:
        self._check_capability(capability)
        if not self._records:
            return []
        actual, unreachable = self._read_actual()
        return [
            self._resource(uid, rec, actual, unreachable)
            for uid, rec in sorted(self._records.items())
        ]

    def get(self, resource: ua_models.Resource) -> ua_models.Resource:
        self._check_capability(resource.kind)
        rec = self._records.get(str(resource.uuid))
        if rec is None:
            raise driver_exc.ResourceNotFound(resource=resource)
        actual, unreachable = self._read_actual()
        return self._resource(str(resource.uuid), rec, actual, unreachable)

    def create(self, resource: ua_models.Resource) -> ua_models.Resource:
        return self._apply(resource)

    def update(self, resource: ua_models.Resource) -> ua_models.Resource:
        return self._apply(resource)

    def delete(self, resource: ua_models.Resource) -> None:
        # The node state goes away with its instance (or node); the gateway
        # and its data go with the VM. Nothing on the gateway is destroyed
        # here: a node state dropped by mistake must not wipe tenant data.
        self._check_capability(resource.kind)
        self._last_items.pop(str(resource.uuid), None)
        if self._records.pop(str(resource.uuid), None) is not None:
            self._save_records()

    # -- applying ---------------------------------------------------------

    def _apply(self, resource: ua_models.Resource) -> ua_models.Resource:
        self._check_capability(resource.kind)
        uid = str(resource.uuid)
        desired = self._open_secrets(resource.uuid, dict(resource.value))
        rec = self._records.get(uid) or {"buckets": {}}
        rec = {
            "target": ns.without_secrets(desired),
            "hash": resource.hash,
            "buckets": dict(rec.get("buckets") or {}),
        }
        actual, unreachable = self._read_actual()
        if actual is not None:
            wrote = self._run_plan(desired, actual, rec)
            if wrote:
                actual, unreachable = self._read_actual()
        if actual is not None:
            rec["buckets"] = self._managed_buckets(desired, actual, rec["buckets"])
        self._records[uid] = rec
        self._save_records()
        return self._resource(uid, rec, actual, unreachable)

    def _run_plan(
        self,
        desired: dict[str, tp.Any],
        actual: dict[str, tp.Any],
        rec: dict[str, tp.Any],
    ) -> bool:
        assert self._client is not None
        ops = state_diff.plan(desired, actual, self._previous(rec))
        now = self._clock()
        wrote = False
        for op in ops:
            key = (op.section, op.uid or f"-{op.name}")
            if key in self._seal_problems:
                continue  # no secret to send: reported, never sent unsealed
            digest = self._op_digest(desired, op)
            failure = self._failures.get(key)
            if failure and failure.digest == digest and now < failure.retry_at:
                continue
            try:
                wrote = True
                op.call(self._client)
            except gc.AdminError as exc:
                if op.action == "delete" and exc.status == 404:
                    self._failures.pop(key, None)
                    continue
                self._fail(key, digest, failure, exc.message or exc.code, now)
            except gc.AdminUnavailable as exc:
                # The gateway went away mid-apply; the next cycle resumes.
                self._fail(key, digest, failure, str(exc), now)
                break
            else:
                self._failures.pop(key, None)
                LOG.info("applied %s %s %s", op.action, op.section, op.name)
        return wrote

    def _fail(
        self,
        key: tuple[str, str],
        digest: str,
        failure: _Failure | None,
        reason: str,
        now: float,
    ) -> None:
        attempts = failure.attempts + 1 if failure and failure.digest == digest else 1
        pause = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)
        self._failures[key] = _Failure(digest, reason, attempts, now + pause)
        LOG.warning("cannot apply %s %s: %s", key[0], key[1], reason)

    @staticmethod
    def _op_digest(desired: dict[str, tp.Any], op: state_diff.Op) -> str:
        if op.uid is None:
            return "delete"
        return ns.item_digest(desired[op.section][op.uid])

    @staticmethod
    def _previous(rec: dict[str, tp.Any]) -> dict[str, tp.Any]:
        return {
            ns.BUCKETS: {
                name: {"name": name, "force_delete": force}
                for name, force in rec["buckets"].items()
            }
        }

    @staticmethod
    def _managed_buckets(
        desired: dict[str, tp.Any],
        actual: dict[str, tp.Any],
        managed: dict[str, bool],
    ) -> dict[str, bool]:
        """Buckets this driver answers for: desired ones, and removed ones
        still on the gateway (a delete that failed is retried)."""
        present = {b["name"] for b in actual.get("buckets", ())}
        out = {name: force for name, force in managed.items() if name in present}
        for spec in (desired.get(ns.BUCKETS) or {}).values():
            out[spec["name"]] = bool(spec.get("force_delete"))
        return out

    # -- reporting --------------------------------------------------------

    def _resource(
        self,
        uid: str,
        rec: dict[str, tp.Any],
        actual: dict[str, tp.Any] | None,
        unreachable: str,
    ) -> ua_models.Resource:
        report, converged = self._report(uid, rec, actual, unreachable)
        res_uuid = sys_uuid.UUID(uid)
        full_hash = ua_utils.calculate_hash(report)
        return ua_models.Resource(
            uuid=res_uuid,
            kind=ns.KIND,
            res_uuid=ua_models.Resource.gen_res_uuid(res_uuid, ns.KIND),
            value=report,
            # Equal to the target's hash only once everything is applied:
            # that is what makes the agent stop calling update().
            hash=rec["hash"] if converged else full_hash,
            full_hash=full_hash,
            status=report["status"],
        )

    def _report(
        self,
        uid: str,
        rec: dict[str, tp.Any],
        actual: dict[str, tp.Any] | None,
        unreachable: str,
    ) -> tuple[dict[str, tp.Any], bool]:
        target = rec["target"]
        report: dict[str, tp.Any] = {
            "uuid": uid,
            "instance": target.get("instance"),
            "gateway": dict(self._health or {}),
        }
        if actual is None:
            # Nothing can be read: an item keeps what the gateway last said
            # of it (for the same spec); anything else waits for the gateway.
            last = self._last_items.get(uid, {})
            waiting = f"waiting for the gateway: {unreachable}"
            for section in (*ns.SECTIONS, ns.DELETED_BUCKETS):
                items = {}
                for item_uid, spec in (target.get(section) or {}).items():
                    digest = ns.item_digest(spec)
                    known = (last.get(section) or {}).get(item_uid)
                    if known is None or known.get("digest") != digest:
                        known = {
                            "status": ns.IN_PROGRESS,
                            "reason": waiting,
                            "digest": digest,
                        }
                    items[item_uid] = known
                report[section] = items
            report.update(status=ns.ERROR, reason=unreachable, pending_deletes=[])
            return report, False

        verdicts = state_diff.judge(target, actual)
        buckets = {b["name"]: b for b in actual.get("buckets", ())}
        statuses = []
        for section in ns.SECTIONS:
            items = {}
            for item_uid, spec in sorted((target.get(section) or {}).items()):
                digest = ns.item_digest(spec)
                verdict = verdicts[section][item_uid]
                failure = self._failures.get((section, item_uid))
                if verdict.applied:
                    status, reason = ns.ACTIVE, ""
                elif verdict.problem:
                    status, reason = ns.ERROR, verdict.problem
                elif (section, item_uid) in self._seal_problems:
                    status = ns.ERROR
                    reason = self._seal_problems[(section, item_uid)]
                elif failure and failure.digest == digest:
                    status, reason = ns.ERROR, failure.reason
                else:
                    status, reason = ns.IN_PROGRESS, ""
                item: dict[str, tp.Any] = {
                    "status": status,
                    "reason": reason,
                    "digest": digest,
                }
                if section == ns.BUCKETS and spec["name"] in buckets:
                    item["empty"] = bool(buckets[spec["name"]].get("empty"))
                items[item_uid] = item
                statuses.append(status)
            report[section] = items

        deleted = {}
        for item_uid, spec in sorted((target.get(ns.DELETED_BUCKETS) or {}).items()):
            digest = ns.item_digest(spec)
            failure = self._failures.get((ns.DELETED_BUCKETS, item_uid))
            if verdicts[ns.DELETED_BUCKETS][item_uid].applied:
                status, reason = ns.ACTIVE, ""
            elif failure and failure.digest == digest:
                status, reason = ns.ERROR, failure.reason
            else:
                status, reason = ns.IN_PROGRESS, ""
            deleted[item_uid] = {"status": status, "reason": reason, "digest": digest}
            statuses.append(status)
        report[ns.DELETED_BUCKETS] = deleted

        pending = [
            op
            for op in state_diff.plan(target, actual, self._previous(rec))
            if op.uid is None
        ]
        report["pending_deletes"] = [
            {
                "section": op.section,
                "name": op.name,
                "reason": getattr(
                    self._failures.get((op.section, f"-{op.name}")), "reason", ""
                ),
            }
            for op in pending
        ]
        if ns.ERROR in statuses or any(p["reason"] for p in report["pending_deletes"]):
            status = ns.ERROR
        elif ns.IN_PROGRESS in statuses or pending:
            status = ns.IN_PROGRESS
        else:
            status = ns.ACTIVE
        report["status"] = status
        report["reason"] = ""
        self._last_items[uid] = {
            section: report[section] for section in (*ns.SECTIONS, ns.DELETED_BUCKETS)
        }
        return report, status == ns.ACTIVE

    # -- plumbing ---------------------------------------------------------

    def _open_secrets(
        self, state_uuid: sys_uuid.UUID, desired: dict[str, tp.Any]
    ) -> dict[str, tp.Any]:
        """The document with its access key secrets opened by this node's key.

        A secret that does not open (no key file, another node's document, a
        value moved from another item) leaves its item unsent and in ERROR
        with the reason; nothing else of the document is held back.
        """
        keys = desired.get(ns.ACCESS_KEYS) or {}
        node = desired.get("node")
        node_key, problem = None, ""
        if not node or ns.agent_uuid_for_node(node) != sys_uuid.UUID(str(state_uuid)):
            problem = "the document does not name this node"
        else:
            try:
                node_key = node_seal.read_node_key(self._node_key_file)
            except node_seal.SealError as exc:
                problem = str(exc)
        opened, problems = node_seal.open_access_keys(
            keys, node_key, node or sys_uuid.UUID(int=0), problem
        )
        for uid, why in problems.items():
            LOG.error("access key %s: %s", uid, why)
        self._seal_problems = {(ns.ACCESS_KEYS, uid): w for uid, w in problems.items()}
        return dict(desired, **{ns.ACCESS_KEYS: opened})

    def _check_capability(self, capability: str) -> None:
        if capability != ns.KIND:
            raise TypeError(f"Unsupported capability {capability}")

    def _connect(self) -> tuple[gc.GatewayAdminClient | None, str]:
        if self._client_factory is not None:
            return self._client_factory(), ""
        try:
            endpoint = self._explicit or gc.AdminEndpoint.from_gateway_config(
                self._gateway_config, node_key_file=self._node_key_file
            )
        except (OSError, ValueError) as exc:
            # Normal on a fresh node until the gateway config is delivered.
            return None, f"gateway is not configured yet: {exc}"
        if self._explicit is None and self._admin_url:
            endpoint = dataclasses.replace(endpoint, url=self._admin_url)
        return gc.GatewayAdminClient(endpoint), ""

    def _read_actual(self) -> tuple[dict[str, tp.Any] | None, str]:
        """The gateway's state, or None and why not; the health probe too."""
        if self._client is None:
            reason = self._client_error or "gateway is not configured yet"
            self._seen(False, reason)
            return None, reason
        try:
            if self._health is not None and not self._health["healthy"]:
                # Known down: a short look first, so that a hung gateway
                # costs PROBE_TIMEOUT a cycle, not the state read's timeout.
                self._client.probe()
            actual = self._client.get_state()
            ready = self._client.get_ready()
        except gc.AdminUnavailable as exc:
            reason = str(exc)
        except gc.AdminError as exc:
            reason = f"gateway admin API refused the state read: {exc}"
        else:
            self._seen(True, "", ready)
            return actual, ""
        self._seen(False, reason)
        return None, reason

    def _seen(
        self, healthy: bool, reason: str, ready: dict[str, tp.Any] | None = None
    ) -> None:
        """Record the gateway's health; ``since`` moves only when it flips.
        ``ready``: the gateway's readiness report (GET /v1/ready), of which
        the node report keeps what does not change from look to look:
        ready, its reason and the S3 listener's TLS fingerprint."""
        health = self._health
        if health is None or health["healthy"] != healthy:
            health = {"healthy": healthy, "since": _utc_now(), "reason": reason}
            self._announce(health, flipped=self._health is not None)
            self._health = health
        health["reason"] = reason
        for name in ("ready", "ready_reason", "tls_fingerprint"):
            health.pop(name, None)
        if healthy and ready is not None:
            health["ready"] = bool(ready.get("ready"))
            health["ready_reason"] = str(ready.get("reason") or "")
            if ready.get("tls_fingerprint"):
                health["tls_fingerprint"] = str(ready["tls_fingerprint"])

    @staticmethod
    def _announce(health: dict[str, tp.Any], flipped: bool) -> None:
        healthy, reason = health["healthy"], health["reason"]
        if healthy:
            LOG.info("gateway answers%s", " again" if flipped else "")
        else:
            LOG.warning("gateway not answering: %s", reason)

    def _load_records(self) -> dict[str, dict[str, tp.Any]]:
        try:
            with open(self._state_path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            LOG.exception("driver state %s unreadable, starting over", self._state_path)
            return {}

    def _save_records(self) -> None:
        directory = os.path.dirname(os.path.abspath(self._state_path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".s3drv-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self._records, f, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._state_path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
