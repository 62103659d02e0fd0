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
"""A node whose gateway does not answer: what the PaaS builder makes of the
health in the nodes' reports, and how the units and the stand restart a
gateway that died."""

import configparser
import pathlib
import types

import pytest

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane.paas import builder
from exordos_paas_s3.stand import local_infra

SPEC = {"name": "photos", "versioning": True}
UID = "b-1"
SINCE = "2026-12-07T22:40:01Z"
UNREACHABLE = "admin API at http://127.0.0.1:9001 unreachable: ConnectionError"
UNITS = pathlib.Path(__file__).resolve().parents[3] / "etc" / "systemd"


def healthy(**items):
    return {
        "status": ns.ACTIVE,
        "reason": "",
        "gateway": {"healthy": True, "since": SINCE, "reason": ""},
        ns.BUCKETS: items,
    }


def down(**items):
    return {
        "status": ns.ERROR,
        "reason": UNREACHABLE,
        "gateway": {"healthy": False, "since": SINCE, "reason": UNREACHABLE},
        ns.BUCKETS: items,
    }


def applied(spec=SPEC):
    return {"status": ns.ACTIVE, "reason": "", "digest": ns.item_digest(spec)}


def waiting(spec=SPEC):
    return {
        "status": ns.IN_PROGRESS,
        "reason": "waiting for the gateway: " + UNREACHABLE,
        "digest": ns.item_digest(spec),
    }


# --- one node ---------------------------------------------------------------


def test_node_down_says_since_when_and_why():
    assert builder.node_down(down()) == (
        f"gateway not answering since {SINCE} ({UNREACHABLE})"
    )
    assert builder.node_down(healthy()) == ""
    # Not reported yet is not down: the node may still be coming up.
    assert builder.node_down(None) == ""


def test_a_report_without_health_is_down_by_its_reason():
    # A driver older than the health field said so only in "reason".
    old = {"status": ns.ERROR, "reason": UNREACHABLE, ns.BUCKETS: {}}
    assert builder.node_down(old) == UNREACHABLE
    # An item error alone (the gateway answers) is not a node down.
    assert builder.node_down({"status": ns.ERROR, "reason": ""}) == ""


def test_node_labels_name_the_node_and_its_address():
    node_set = types.SimpleNamespace(nodes={"n-1": {"ipv4": "10.0.0.5"}, "n-2": {}})
    assert builder.node_labels(node_set, ["n-1", "n-2"]) == [
        "node n-1 (10.0.0.5)",
        "node n-2",
    ]
    assert builder.node_labels(None, ["n-1"]) == ["node n-1"]


# --- the instance -------------------------------------------------------------


def test_instance_with_a_node_down_is_error_naming_the_node():
    reports = [healthy(), down()]
    downs = ["", "node n-2 (10.0.0.6): " + builder.node_down(down())]
    status, reason = builder.instance_status(reports, downs, [])
    assert status == builder.ERROR
    assert reason.startswith("node n-2 (10.0.0.6): gateway not answering since")
    assert SINCE in reason and UNREACHABLE in reason


def test_instance_down_node_wins_over_one_not_reported_and_keeps_item_errors():
    status, reason = builder.instance_status(
        [None, down()], ["", "node n-2: down"], ["bucket x: bad name"]
    )
    assert (status, reason) == (builder.ERROR, "node n-2: down; bucket x: bad name")


def test_instance_is_active_again_once_every_node_answers():
    assert builder.instance_status([healthy(), healthy()], ["", ""], []) == (
        builder.ACTIVE,
        "",
    )
    assert builder.instance_status([healthy(), None], ["", ""], [])[0] == (
        builder.IN_PROGRESS
    )


# --- a child ------------------------------------------------------------------


def test_new_child_on_a_down_node_says_what_it_waits_for():
    reports = [healthy(**{UID: applied()}), down(**{UID: waiting()})]
    assert builder.child_status(ns.BUCKETS, UID, SPEC, reports)[0] == "IN_PROGRESS"
    downs = ["", "node n-2: gateway not answering since " + SINCE]
    reason = builder.waiting_reason(ns.BUCKETS, UID, SPEC, reports, downs)
    assert reason == "waiting for node n-2: gateway not answering since " + SINCE


def test_child_the_down_node_already_applied_waits_for_nothing():
    # The node keeps reporting what its gateway last said of the item.
    reports = [down(**{UID: applied()})]
    assert builder.child_status(ns.BUCKETS, UID, SPEC, reports) == ("ACTIVE", "")
    assert builder.waiting_reason(ns.BUCKETS, UID, SPEC, reports, ["node n: x"]) == ""


def test_child_applied_for_an_older_spec_still_waits_on_the_down_node():
    old = applied({"name": "photos", "versioning": False})
    reports = [down(**{UID: old})]
    reason = builder.waiting_reason(ns.BUCKETS, UID, SPEC, reports, ["node n: x"])
    assert reason == "waiting for node n: x"


def test_child_waits_on_every_down_node_that_lacks_it():
    reports = [down(), down()]
    reason = builder.waiting_reason(
        ns.BUCKETS, UID, SPEC, reports, ["node a: down", "node b: down"]
    )
    assert reason == "waiting for node a: down; node b: down"


# --- supervision ------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


@pytest.mark.parametrize(
    "name", ["exordos-s3-gateway.service", "exordos-s3-agent.service"]
)
def test_units_restart_a_dead_service_and_never_give_up(name):
    unit = _unit(name)
    assert unit["Service"]["Restart"] == "always"
    assert unit["Service"]["RestartSec"].endswith("s")
    # systemd's default start limit (5 starts in 10 s) would leave a node
    # without its gateway for good after a bad minute.
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"


def test_stand_restarts_a_gateway_that_dies_at_start_with_a_growing_pause(tmp_path):
    # A real gateway process that cannot start: its config file is missing.
    node = local_infra.LocalNode(str(tmp_path), "n-1")
    node.start()
    node.proc.wait(timeout=30)
    assert node.proc.returncode != 0
    first_pid = node.proc.pid
    assert (tmp_path / "n-1" / "gateway.pid").read_text().strip() == str(first_pid)

    now = node._started_at
    pauses = []
    for _ in range(4):
        node.supervise(now)  # notices the death, plans the restart
        pauses.append(node._restart_at - now)
        node.supervise(now + pauses[-1] / 2)  # too early: nothing happens
        assert node.restarts == len(pauses) - 1
        now += pauses[-1]
        node.supervise(now)  # restarted
        assert node.restarts == len(pauses)
        node.proc.wait(timeout=30)
        node._started_at = now  # it died at once, in the clock of this test
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    assert node.proc.pid != first_pid

    # One that ran for a while before it died starts the pauses over.
    node.supervise(now + local_infra.STABLE_AFTER)
    assert node._restart_at - (now + local_infra.STABLE_AFTER) == 1.0
    node.stop()


def test_stand_never_restarts_a_gateway_it_stopped(tmp_path):
    node = local_infra.LocalNode(str(tmp_path), "n-1")
    node.start()
    node.stop()
    node.supervise()
    node.supervise(10**9)
    assert node.proc is None and node.restarts == 0
    assert not (tmp_path / "n-1" / "gateway.pid").exists()


def test_pause_never_grows_past_the_maximum(tmp_path):
    node = local_infra.LocalNode(str(tmp_path), "n-1")
    node.start()
    node.proc.wait(timeout=30)
    node._delay = local_infra.RESTART_MAX
    node.supervise(node._started_at + 1)
    assert node._delay == local_infra.RESTART_MAX
    node.stop()
