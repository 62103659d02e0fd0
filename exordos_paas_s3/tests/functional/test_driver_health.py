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
"""The gateway's health in the node report, against a real gateway process
that is killed (kill -9) or hung (SIGSTOP) under the real agent loop."""

import os
import re
import signal
import time
import uuid as sys_uuid

import pytest

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import gateway_client as gc
from exordos_paas_s3.tests.functional.test_driver_reconcile import (
    B_GOOD,
    Node,
    bucket,
)
from exordos_paas_s3.tests.functional.test_driver_reconcile import (
    node_state as _node_state,
)

pytestmark = pytest.mark.functional

UTC = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


def node_state(**sections):
    # No access keys: how their secrets travel is not what is tested here.
    return _node_state(**{ns.ACCESS_KEYS: {}, **sections})


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    n.start()
    yield n
    if n.gw.proc is not None and n.gw.proc.poll() is None:
        os.kill(n.gw.proc.pid, signal.SIGCONT)
    n.gw.stop()


def test_report_says_the_gateway_answers_and_since_when(node):
    _, actual = node.cycle(node_state())
    health = actual.value["gateway"]
    assert health["healthy"] is True and health["reason"] == ""
    assert UTC.match(health["since"])
    _, again = node.cycle(node_state())
    assert again.value["gateway"] == health  # steady: the report does not churn


def test_killed_gateway_is_reported_down_and_new_items_wait(node):
    node.cycle(node_state())
    node.gw.kill()
    new_uid = str(sys_uuid.uuid4())
    wanted = node_state(
        **{
            ns.BUCKETS: {
                B_GOOD: bucket("photos", versioning=True),
                new_uid: bucket("later"),
            }
        }
    )
    _, actual = node.cycle(wanted)
    health = actual.value["gateway"]
    assert health["healthy"] is False
    assert "unreachable" in health["reason"]
    assert UTC.match(health["since"])
    assert actual.status == ns.ERROR
    # What the gateway applied before it died is still what it last said.
    assert actual.value[ns.BUCKETS][B_GOOD]["status"] == ns.ACTIVE
    new = actual.value[ns.BUCKETS][new_uid]
    assert new["status"] == ns.IN_PROGRESS
    assert new["reason"].startswith("waiting for the gateway: ")
    # "since" is when it went down, not when it was last looked at.
    time.sleep(1.1)
    _, later = node.cycle(wanted)
    assert later.value["gateway"]["since"] == health["since"]

    node.start()  # back (new ports, written to gateway.conf as the hook does)
    _, back = node.cycle(wanted)
    assert back.value["gateway"]["healthy"] is True
    assert back.value["gateway"]["since"] >= health["since"]
    assert back.value[ns.BUCKETS][new_uid]["status"] == ns.ACTIVE
    assert back.status == ns.ACTIVE


def test_hung_gateway_is_down_and_costs_a_short_probe_per_look(node):
    node.cycle(node_state())
    os.kill(node.gw.proc.pid, signal.SIGSTOP)
    try:
        # The first look waits the state read's timeout: it was up.
        _, actual = node.cycle(node_state())
        assert actual.value["gateway"]["healthy"] is False
        assert "ReadTimeout" in actual.value["gateway"]["reason"]
        # Known down: each look is a short probe, not a full timeout.
        started = time.monotonic()
        _, actual = node.cycle(node_state())
        took = time.monotonic() - started
        assert actual.value["gateway"]["healthy"] is False
        assert took < 3 * gc.PROBE_TIMEOUT + 1.0, took
    finally:
        os.kill(node.gw.proc.pid, signal.SIGCONT)
    _, back = node.cycle(node_state())
    assert back.value["gateway"]["healthy"] is True
    assert back.status == ns.ACTIVE


def test_report_carries_readiness_and_the_control_plane_shows_it(node):
    from exordos_paas_s3.controlplane.paas import builder

    _, actual = node.cycle(node_state())
    health = actual.value["gateway"]
    assert health["healthy"] is True and health["ready"] is True
    assert health["ready_reason"] == "" and "tls_fingerprint" not in health
    assert builder.node_down(actual.value) == ""
    _, again = node.cycle(node_state())
    assert again.value["gateway"] == health  # readiness does not churn either

    # The data disk refuses the readiness probe's file: the gateway still
    # answers (healthy) but is not ready, and the instance says so.
    probe = os.path.join(node.gw.data_dir, ".ready-probe")
    time.sleep(2.1)  # past the gateway's cached readiness
    os.mkdir(probe)
    try:
        _, actual = node.cycle(node_state())
        health = actual.value["gateway"]
        assert health["healthy"] is True and health["ready"] is False
        assert "ready-probe" in health["ready_reason"]
        assert builder.node_down(actual.value).startswith("gateway not ready (")
    finally:
        os.rmdir(probe)
    time.sleep(2.1)
    _, actual = node.cycle(node_state())
    assert actual.value["gateway"]["ready"] is True
