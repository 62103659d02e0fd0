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
"""The stand's stand-in for Exordos Core: node sets become local processes.

:class:`LocalInfraCapabilityDriver` answers the capabilities Core answers in
production (``node_set`` and ``config``), so the infra builder, the
scheduler and the universal agent run unchanged. A node is a directory under
``<state>/nodes/<node uuid>/`` with its own data dir and two loopback ports
chosen once and kept; its gateway process starts when its gateway.conf is
delivered (as the systemd unit waits for the file) and restarts when the
file changes (the Config's on-change hook). The addresses in the delivered
file are VM addresses, so the process gets its local ones on the command
line, which oslo.config lets win over the file.

Each running node also gets the real data-plane agent: a universal agent
service with :class:`S3GatewayCapabilityDriver` (see :meth:`node_agents`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import typing as tp
import uuid as sys_uuid

from gcl_sdk.agents.universal import utils as ua_utils
from gcl_sdk.agents.universal.clients.orch import db as orch_db
from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.agents.universal.drivers import base as driver_base
from gcl_sdk.agents.universal.drivers import exceptions as driver_exc
from gcl_sdk.agents.universal.services import agent as agent_service

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import driver as s3_driver

LOG = logging.getLogger(__name__)

NODE_SET = "node_set"
CONFIG = "config"
STATE_FILE = "infra.json"

# Supervision, as systemd does for exordos-s3-gateway.service on a VM
# (Restart=always): a gateway that dies by itself is started again after
# RESTART_FIRST seconds, doubling up to RESTART_MAX while it keeps dying
# within STABLE_AFTER seconds of its start, so one that cannot start does
# not spin. (The unit retries every RestartSec: Debian 12's systemd has no
# RestartSteps= for a growing pause.)
RESTART_FIRST = 1.0
RESTART_MAX = 60.0
STABLE_AFTER = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_uuids(node_set_uuid: sys_uuid.UUID | str, replicas: int) -> list[str]:
    """Stable node uuids of a set: the same set always gets the same nodes."""
    base = sys_uuid.UUID(str(node_set_uuid))
    return [str(sys_uuid.uuid5(base, f"local-node-{i}")) for i in range(replicas)]


def _exit_story(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class LocalNode:
    """One node: a directory, two ports, and at most one gateway process,
    supervised (:meth:`supervise`) while it is wanted."""

    def __init__(self, root: str, node_uuid: str) -> None:
        self.uuid = node_uuid
        self.dir = os.path.join(root, node_uuid)
        self.data_dir = os.path.join(self.dir, "data")
        self.conf_path = os.path.join(self.dir, "gateway.conf")
        self.log_path = os.path.join(self.dir, "gateway.log")
        # The running gateway's pid, for an operator (kill, strace, gdb).
        self.pid_path = os.path.join(self.dir, "gateway.pid")
        self.proc: subprocess.Popen | None = None
        # Started and not stopped on purpose: a dead process is restarted.
        self.wanted = False
        self.restarts = 0
        self._started_at = 0.0
        self._delay = 0.0
        self._restart_at: float | None = None
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        # The node's encryption key, as Core gives a VM one (the universal
        # agent's private_key): the control plane seals this node's secrets
        # to it; the node's gateway and driver open them with this file.
        self.key_path = os.path.join(self.dir, "private_key")
        self.private_key = _node_key(self.key_path)
        ports_path = os.path.join(self.dir, "ports.json")
        try:
            with open(ports_path, encoding="utf-8") as f:
                ports = json.load(f)
        except FileNotFoundError:
            # Chosen once: endpoints in the control plane stay valid across
            # stand restarts.
            ports = {"s3": free_port(), "admin": free_port()}
            with open(ports_path, "w", encoding="utf-8") as f:
                json.dump(ports, f)
        self.port = int(ports["s3"])
        self.admin_port = int(ports["admin"])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def configured(self) -> bool:
        return os.path.exists(self.conf_path)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.running():
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exordos_paas_s3.cmd.gateway",
                "--config-file",
                self.conf_path,
                "--data-dir",
                self.data_dir,
                "--listen",
                f"127.0.0.1:{self.port}",
                "--admin-listen",
                f"127.0.0.1:{self.admin_port}",
                "--node-key-file",
                self.key_path,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # Ctrl-C in the terminal goes to the stand, which stops the
            # gateways itself, in order.
            start_new_session=True,
        )
        log.close()
        self.wanted = True
        self._started_at = time.monotonic()
        self._restart_at = None
        with open(self.pid_path, "w", encoding="utf-8") as f:
            f.write(f"{self.proc.pid}\n")

        # Ready when both listeners accept, as a notify-type unit would say;
        # the node's agent must not report a gateway that is still starting.
        def ready() -> bool:
            if not self.running():
                return True  # exited: nothing to wait for
            return all(self._listening(p) for p in (self.port, self.admin_port))

        wait_until(ready, 30.0)
        LOG.info(
            "node %s: gateway started on %s (pid %s)",
            self.uuid,
            self.endpoint,
            self.proc.pid,
        )

    @staticmethod
    def _listening(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def supervise(self, now: float | None = None) -> None:
        """Start the gateway again if it died by itself (after a pause)."""
        if not self.wanted or self.proc is None or self.proc.poll() is None:
            return
        now = time.monotonic() if now is None else now
        if self._restart_at is None:
            ran = now - self._started_at
            if ran >= STABLE_AFTER or not self._delay:
                self._delay = RESTART_FIRST
            else:
                self._delay = min(self._delay * 2, RESTART_MAX)
            self._restart_at = now + self._delay
            LOG.warning(
                "node %s: gateway (pid %s) %s after %.1f s; restarting in %.0f s",
                self.uuid,
                self.proc.pid,
                _exit_story(self.proc.returncode),
                ran,
                self._delay,
            )
            return
        if now < self._restart_at:
            return
        self.restarts += 1
        self.start()
        LOG.warning(
            "node %s: gateway restarted (pid %s, restart %d)",
            self.uuid,
            self.proc.pid if self.proc is not None else "-",
            self.restarts,
        )

    def stop(self, timeout: float = 15.0) -> None:
        self.wanted = False
        self._restart_at = None
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        LOG.info("node %s: gateway stopped", self.uuid)
        self.proc = None
        try:
            os.unlink(self.pid_path)
        except FileNotFoundError:
            pass

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _node_key(path: str) -> str:
    """The key in ``path`` (base64 of 32 random bytes), made first if none,
    mode 0600 from its creation on."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        pass
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key


def _actual(target: ua_models.Resource, value: dict[str, tp.Any]) -> ua_models.Resource:
    # Core answers with the target's own hash once it built what was asked;
    # the extra fields (status, nodes) only change the full hash.
    return ua_models.Resource(
        uuid=target.uuid,
        kind=target.kind,
        res_uuid=ua_models.Resource.gen_res_uuid(target.uuid, target.kind),
        value=value,
        hash=target.hash,
        full_hash=ua_utils.calculate_hash(value),
        status=value.get("status", "ACTIVE"),
    )


class LocalInfraCapabilityDriver(driver_base.AbstractCapabilityDriver):
    """Capabilities ``node_set`` and ``config`` on this machine."""

    def __init__(self, state_dir: str) -> None:
        super().__init__()
        self._state_dir = state_dir
        self._nodes_root = os.path.join(state_dir, "nodes")
        self._state_path = os.path.join(state_dir, STATE_FILE)
        os.makedirs(self._nodes_root, exist_ok=True)
        self._lock = threading.RLock()
        # {"node_set": {uuid: resource simple view}, "config": {...}}
        self._records: dict[str, dict[str, dict]] = self._load()
        self._nodes: dict[str, LocalNode] = {}
        self._agents: dict[str, agent_service.UniversalAgentService] = {}
        for record in self._records[NODE_SET].values():
            for node_uuid in record["value"].get("nodes", {}):
                self._nodes[node_uuid] = LocalNode(self._nodes_root, node_uuid)

    # -- lifecycle of the processes -----------------------------------------

    def resume(self) -> None:
        """Start the gateways of every configured node (a stand restart)."""
        with self._lock:
            for node in self._nodes.values():
                if node.configured():
                    node.start()

    def stop_all(self) -> None:
        with self._lock:
            for node in self._nodes.values():
                node.stop()

    def supervise(self) -> None:
        """Restart the gateways that died (the stand loop calls it)."""
        with self._lock:
            for node in self._nodes.values():
                node.supervise()

    def node_keys(self, node_set_uuid: sys_uuid.UUID) -> dict[str, str]:
        """{node uuid: encryption key} of a node set's nodes: what Core's
        ``get_private_keys`` answers, for the infra builder to copy into
        ``ua_node_encryption_keys`` as it does in production."""
        with self._lock:
            view = self._section(NODE_SET).get(str(node_set_uuid)) or {}
            return {
                node_uuid: self._nodes[node_uuid].private_key
                for node_uuid in (view.get("value") or {}).get("nodes", {})
                if node_uuid in self._nodes
            }

    def nodes(self) -> dict[str, LocalNode]:
        with self._lock:
            return dict(self._nodes)

    def node_agents(self) -> list[agent_service.UniversalAgentService]:
        """The data-plane agents of the configured nodes. Every node's agent
        is registered on first sight, before its gateway runs, so the PaaS
        builder can schedule to it at once. As on a VM, the agent of a node
        runs whether its gateway answers or not: it reports which."""
        with self._lock:
            agents = []
            for node_uuid, node in self._nodes.items():
                agent = self._agents.get(node_uuid)
                if agent is None:
                    agent = self._node_agent(node)
                    try:
                        agent._setup()
                    except Exception:
                        LOG.exception("node %s: agent registration failed", node_uuid)
                        continue
                    self._agents[node_uuid] = agent
                if node.configured():
                    agents.append(agent)
            return agents

    def _node_agent(self, node: LocalNode) -> agent_service.UniversalAgentService:
        driver = s3_driver.S3GatewayCapabilityDriver(
            # Credentials from the delivered gateway.conf, as on a VM; the
            # listener is this node's own port.
            gateway_config=node.conf_path,
            admin_url=node.admin_url,
            state_path=os.path.join(node.dir, "driver.json"),
            node_key_file=node.key_path,
        )
        agent = agent_service.UniversalAgentService(
            agent_uuid=ns.agent_uuid_for_node(node.uuid),
            orch_client=orch_db.DatabaseOrchClient(),
            caps_drivers=[driver],
            facts_drivers=[],
            payload_path=os.path.join(node.dir, "agent_payload.json"),
            system_uuid=sys_uuid.UUID(node.uuid),
            # Registration checks Core's node records, which the stand has not.
            verify_node_on_register=False,
        )
        return agent

    # -- AbstractCapabilityDriver ---------------------------------------------

    def get_capabilities(self) -> list[str]:
        return [NODE_SET, CONFIG]

    def list(self, capability: str) -> list[ua_models.Resource]:
        with self._lock:
            return [
                ua_models.Resource.restore_from_simple_view(**view)
                for view in self._section(capability).values()
            ]

    def get(self, resource: ua_models.Resource) -> ua_models.Resource:
        with self._lock:
            view = self._section(resource.kind).get(str(resource.uuid))
            if view is None:
                raise driver_exc.ResourceNotFound(resource=resource)
            return ua_models.Resource.restore_from_simple_view(**view)

    def create(self, resource: ua_models.Resource) -> ua_models.Resource:
        return self._apply(resource)

    def update(self, resource: ua_models.Resource) -> ua_models.Resource:
        return self._apply(resource)

    def delete(self, resource: ua_models.Resource) -> None:
        with self._lock:
            section = self._section(resource.kind)
            view = section.pop(str(resource.uuid), None)
            if view is None:
                raise driver_exc.ResourceNotFound(resource=resource)
            if resource.kind == NODE_SET:
                for node_uuid in view["value"].get("nodes", {}):
                    self._forget_node(node_uuid)
            else:
                node = self._nodes.get(self._config_node(view["value"]))
                if node is not None:
                    node.stop()
                    try:
                        os.unlink(node.conf_path)
                    except FileNotFoundError:
                        pass
            self._save()

    # -- applying -------------------------------------------------------------

    def _apply(self, resource: ua_models.Resource) -> ua_models.Resource:
        with self._lock:
            if resource.kind == NODE_SET:
                actual = self._apply_node_set(resource)
            else:
                actual = self._apply_config(resource)
            self._section(resource.kind)[str(resource.uuid)] = (
                actual.dump_to_simple_view()
            )
            self._save()
            return actual

    def _apply_node_set(self, target: ua_models.Resource) -> ua_models.Resource:
        value = dict(target.value)
        wanted = node_uuids(target.uuid, int(value.get("replicas") or 0))
        previous = self._section(NODE_SET).get(str(target.uuid))
        for node_uuid in (previous or {}).get("value", {}).get("nodes", {}):
            if node_uuid not in wanted:
                self._forget_node(node_uuid)
        nodes = {}
        for node_uuid in wanted:
            node = self._nodes.get(node_uuid)
            if node is None:
                node = LocalNode(self._nodes_root, node_uuid)
                self._nodes[node_uuid] = node
            nodes[node_uuid] = {
                "ipv4": "127.0.0.1",
                "s3_endpoint": node.endpoint,
                "admin_endpoint": node.admin_url,
            }
        value.update(status="ACTIVE", nodes=nodes)
        LOG.info("node set %s: %d local node(s)", target.uuid, len(nodes))
        return _actual(target, value)

    def _apply_config(self, target: ua_models.Resource) -> ua_models.Resource:
        value = dict(target.value)
        node = self._nodes.get(self._config_node(value))
        if node is None:
            # The node set has not been built yet: Core would hold it too.
            raise driver_exc.AgentDriverException(
                message=f"config {target.uuid}: its node is not built yet"
            )
        content = (value.get("body") or {}).get("content", "")
        try:
            with open(node.conf_path, encoding="utf-8") as f:
                changed = f.read() != content
        except FileNotFoundError:
            changed = True
        if changed:
            tmp = node.conf_path + ".tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content)
            os.replace(tmp, node.conf_path)
            # The on-change hook: restart the gateway with the new file.
            node.restart()
        elif not node.running():
            node.start()
        value["status"] = "ACTIVE"
        return _actual(target, value)

    @staticmethod
    def _config_node(value: dict[str, tp.Any]) -> str:
        return str((value.get("target") or {}).get("node", ""))

    def _forget_node(self, node_uuid: str) -> None:
        node = self._nodes.pop(node_uuid, None) or LocalNode(
            self._nodes_root, node_uuid
        )
        self._agents.pop(node_uuid, None)
        node.destroy()
        LOG.info("node %s: removed with its data", node_uuid)

    # -- persistence ----------------------------------------------------------

    def _section(self, capability: str) -> dict[str, dict]:
        if capability not in (NODE_SET, CONFIG):
            raise TypeError(f"Unsupported capability {capability}")
        return self._records[capability]

    def _load(self) -> dict[str, dict[str, dict]]:
        try:
            with open(self._state_path, encoding="utf-8") as f:
                records = json.load(f)
        except FileNotFoundError:
            records = {}
        records.setdefault(NODE_SET, {})
        records.setdefault(CONFIG, {})
        return records

    def _save(self) -> None:
        tmp = self._state_path + ".tmp"
        # Config bodies hold the root secret: the file is the operator's only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._records, f, default=str, sort_keys=True)
        os.replace(tmp, self._state_path)


def wait_until(predicate: tp.Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()
