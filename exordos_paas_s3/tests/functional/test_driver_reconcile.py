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
"""The capability driver in the real gcl_sdk agent loop, against a real gateway.

Each node here is a real ``exordos-s3-gateway`` process (the conftest
fixture) and the driver finds it the production way: through a gateway.conf
with the admin listener and root credentials. Writes are counted by the
gateway itself (``GET /v1/stats``), so "zero writes once converged" is
measured where it matters.
"""

import base64
import configparser
import uuid as sys_uuid

import boto3
import pytest
import requests
from botocore import exceptions as boto_exc
from botocore.config import Config
from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.agents.universal.services import agent as agent_service

from exordos_paas_s3 import node_seal
from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane.paas import models as paas_models
from exordos_paas_s3.dataplane import driver as driver_mod
from exordos_paas_s3.dataplane import gateway_client as gc
from exordos_paas_s3.tests.functional import conftest

pytestmark = pytest.mark.functional

DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}
    ],
}
U1, K1, P1, A1 = (str(sys_uuid.uuid4()) for _ in range(4))
B_GOOD, B_BAD = str(sys_uuid.uuid4()), str(sys_uuid.uuid4())
ALICE_KEY, ALICE_SECRET = "AKALICE0001", "alice-secret-0001"
# The node under test and its encryption key: secrets reach it sealed to it.
NODE = sys_uuid.UUID(int=7)
NODE_KEY = bytes(range(32))


def bucket(name, **kw):
    spec = {
        "name": name,
        "versioning": False,
        "object_lock": False,
        "retention_mode": None,
        "retention_days": None,
        "quota_bytes": 0,
        "public": False,
        "force_delete": False,
    }
    spec.update(kw)
    return spec


def node_state(**sections):
    doc = {
        ns.USERS: {U1: {"name": "alice"}},
        ns.ACCESS_KEYS: {
            K1: {
                "user": U1,
                "access_key": ALICE_KEY,
                "secret_key": ALICE_SECRET,
                "enabled": True,
            }
        },
        ns.POLICIES: {P1: {"name": "read", "document": DOC}},
        ns.ATTACHMENTS: {A1: {"user": U1, "policy": P1}},
        ns.BUCKETS: {B_GOOD: bucket("photos", versioning=True)},
    }
    doc.update(sections)
    # As the PaaS builder writes it: every secret sealed to the node.
    doc[ns.ACCESS_KEYS] = {
        uid: dict(
            spec,
            secret_key=spec["secret_key"]
            if node_seal.is_sealed(spec["secret_key"])
            else node_seal.seal(
                NODE_KEY, NODE, node_seal.access_key_context(uid), spec["secret_key"]
            ),
        )
        for uid, spec in doc[ns.ACCESS_KEYS].items()
    }
    return paas_models.S3NodeState(
        uuid=ns.agent_uuid_for_node(NODE),
        instance=sys_uuid.UUID(int=1),
        node=NODE,
        **doc,
    )


class Node:
    """One gateway node: a real gateway process, its gateway.conf, and the
    real agent service iterating our driver on it."""

    def __init__(self, tmp_path):
        self.gw = conftest.new_gateway(str(tmp_path))
        self.conf_path = tmp_path / "gateway.conf"
        self.now = [0.0]
        self.driver = self._driver(tmp_path)
        self.agent = agent_service.UniversalAgentService(
            agent_uuid=sys_uuid.uuid4(),
            orch_client=None,
            caps_drivers=[self.driver],
            facts_drivers=[],
            payload_path=None,
        )

    def _driver(self, tmp_path):
        self.key_path = tmp_path / "private_key"
        self.key_path.write_text(base64.b64encode(NODE_KEY).decode())
        self.key_path.chmod(0o600)
        return driver_mod.S3GatewayCapabilityDriver(
            gateway_config=str(self.conf_path),
            state_path=str(tmp_path / "driver.json"),
            clock=lambda: self.now[0],
            node_key_file=str(self.key_path),
        )

    def start(self):
        self.gw.start()
        # What the infra builder delivers to a node (oslo.config, [DEFAULT]).
        conf = configparser.ConfigParser(interpolation=None)
        conf["DEFAULT"] = {
            "admin_listen": f"127.0.0.1:{self.gw.admin_port}",
            "root_access_key": self.gw.access_key,
            "node_uuid": str(NODE),
            "root_secret_key_sealed": node_seal.seal(
                NODE_KEY, NODE, node_seal.ROOT_SECRET_CONTEXT, self.gw.secret_key
            ),
        }
        with open(self.conf_path, "w") as f:
            conf.write(f)

    def admin(self):
        return gc.GatewayAdminClient(
            gc.AdminEndpoint(
                self.gw.admin_endpoint, self.gw.access_key, self.gw.secret_key
            )
        )

    def state(self):
        return self.admin().get_state()

    def writes(self):
        """Admin writes the gateway process has received since it started."""
        resp = requests.get(
            self.gw.admin_endpoint + "/v1/stats",
            auth=(self.gw.access_key, self.gw.secret_key),
            timeout=5,
        )
        resp.raise_for_status()
        return resp.json()["writes"]

    def s3(self, access_key=None, secret_key=None):
        return boto3.client(
            "s3",
            endpoint_url=self.gw.endpoint,
            aws_access_key_id=access_key or self.gw.access_key,
            aws_secret_access_key=secret_key or self.gw.secret_key,
            region_name=self.gw.region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def cycle(self, state):
        target = state.to_ua_resource()
        payload = ua_models.Payload.empty()
        # As the orchestrator builds it (UniversalAgent.get_payload).
        payload.add_caps_resources(
            [target],
            skip_fields=(
                "agent",
                "master",
                "master_hash",
                "master_full_hash",
                "tracked_at",
                "node",
            ),
        )
        collected = ua_models.Payload.empty()
        self.agent._cap_driver_iteration(self.driver, payload, collected)
        (actual,) = collected.caps_resources(ns.KIND)
        return target, actual


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    n.start()
    yield n
    n.gw.stop()


def _names(state, section, field="name"):
    return {item[field] for item in state[section]}


def test_first_cycle_applies_everything_and_matches_the_target_hash(node):
    target, actual = node.cycle(node_state())
    state = node.state()
    assert state["users"] == [{"name": "alice", "user_id": U1, "kind": "iam"}]
    assert state["access_keys"] == [
        {"access_key": ALICE_KEY, "user": "alice", "enabled": True}
    ]
    assert state["attachments"] == [{"user": "alice", "policy": "read"}]
    (photos,) = state["buckets"]
    assert photos["name"] == "photos" and photos["versioning"] == "Enabled"
    assert actual.status == ns.ACTIVE
    assert actual.hash == target.hash
    assert actual.value[ns.BUCKETS][B_GOOD]["empty"] is True
    # The S3 API sees what the admin API set, at once.
    s3 = node.s3()
    assert s3.get_bucket_versioning(Bucket="photos")["Status"] == "Enabled"
    # The user's key signs S3 requests; an IAM user, it owns no buckets and
    # may not create one without a policy that allows it.
    alice = node.s3(ALICE_KEY, ALICE_SECRET)
    assert alice.list_buckets()["Buckets"] == []
    with pytest.raises(boto_exc.ClientError) as err:
        alice.create_bucket(Bucket="alice-own")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_user_made_before_kinds_is_converted_to_iam(node):
    node.admin().put_user("alice", user_id=U1)
    assert node.state()["users"][0]["kind"] == "account"
    target, actual = node.cycle(node_state())
    assert actual.hash == target.hash
    assert node.state()["users"][0]["kind"] == "iam"


def test_converged_node_costs_zero_writes_counted_by_the_gateway(node):
    target, actual = node.cycle(node_state())
    assert actual.hash == target.hash
    writes = node.writes()
    assert writes > 0
    for _ in range(5):
        target, actual = node.cycle(node_state())
        assert actual.hash == target.hash
    assert node.writes() == writes


def test_report_and_driver_state_never_carry_a_secret(node, tmp_path):
    _, actual = node.cycle(node_state())
    assert ALICE_SECRET not in repr(actual.value)
    assert ALICE_SECRET not in (tmp_path / "driver.json").read_text()
    assert ALICE_SECRET not in repr(node.state())


def test_invalid_bucket_is_error_with_the_reason_and_the_rest_is_active(node):
    state = node_state(
        **{ns.BUCKETS: {B_GOOD: bucket("photos"), B_BAD: bucket("bad_name")}}
    )
    target, actual = node.cycle(state)
    items = actual.value[ns.BUCKETS]
    assert items[B_BAD]["status"] == ns.ERROR
    assert "bad_name" in items[B_BAD]["reason"]
    assert "naming rules" in items[B_BAD]["reason"]
    assert items[B_GOOD]["status"] == ns.ACTIVE
    for section, uid in ((ns.USERS, U1), (ns.ACCESS_KEYS, K1), (ns.POLICIES, P1)):
        assert actual.value[section][uid]["status"] == ns.ACTIVE
    assert actual.status == ns.ERROR
    assert actual.hash != target.hash
    assert _names(node.state(), "buckets") == {"photos"}


def test_failed_item_backs_off_then_retries(node):
    state = node_state(**{ns.BUCKETS: {B_BAD: bucket("bad_name")}})
    node.cycle(state)
    writes = node.writes()
    node.cycle(state)  # inside the pause: no new attempt
    assert node.writes() == writes
    node.now[0] += driver_mod.FIRST_RETRY + 1
    node.cycle(state)
    assert node.writes() == writes + 1


def test_invalid_policy_is_error_with_the_parser_reason(node):
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps"}]}
    policies = {P1: {"name": "read", "document": bad}}
    target, actual = node.cycle(
        node_state(**{ns.POLICIES: policies, ns.ATTACHMENTS: {}})
    )
    item = actual.value[ns.POLICIES][P1]
    assert item["status"] == ns.ERROR
    assert "Effect" in item["reason"]
    assert actual.value[ns.USERS][U1]["status"] == ns.ACTIVE


def test_changes_apply_only_the_difference(node):
    node.cycle(node_state())
    writes = node.writes()
    keys = node_state().access_keys
    keys[K1]["enabled"] = False
    target, actual = node.cycle(node_state(**{ns.ACCESS_KEYS: keys}))
    assert node.writes() == writes + 1
    assert node.state()["access_keys"][0]["enabled"] is False
    assert actual.hash == target.hash
    # A disabled key is refused by the S3 API on the next request.
    with pytest.raises(boto_exc.ClientError) as err:
        node.s3(ALICE_KEY, ALICE_SECRET).list_buckets()
    assert err.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_removed_bucket_is_deleted_and_a_non_empty_one_is_reported(node):
    node.cycle(node_state())
    s3 = node.s3()
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")
    target, actual = node.cycle(node_state())
    assert actual.value[ns.BUCKETS][B_GOOD]["empty"] is False

    target, actual = node.cycle(node_state(**{ns.BUCKETS: {}}))
    assert "photos" in _names(node.state(), "buckets")
    (pending,) = actual.value["pending_deletes"]
    assert pending["name"] == "photos" and "not empty" in pending["reason"]
    assert actual.hash != target.hash

    # The control plane asks for a forced delete: data and versions go too.
    forced = {B_GOOD: bucket("photos", versioning=True, force_delete=True)}
    node.cycle(node_state(**{ns.BUCKETS: forced}))
    node.now[0] += driver_mod.MAX_RETRY
    target, actual = node.cycle(node_state(**{ns.BUCKETS: {}}))
    assert "photos" not in _names(node.state(), "buckets")
    assert actual.hash == target.hash
    with pytest.raises(boto_exc.ClientError) as err:
        s3.head_bucket(Bucket="photos")
    assert err.value.response["Error"]["Code"] in ("404", "NoSuchBucket")


def test_delete_item_carries_force_the_node_never_saw_on_the_bucket(node):
    """The race of a quick PUT force_delete + DELETE: the node only ever saw
    the bucket without force; the delete item alone must be enough."""
    node.cycle(node_state())
    s3 = node.s3()
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow again")

    deleted = {B_GOOD: {"name": "photos", "force": True}}
    target, actual = node.cycle(
        node_state(**{ns.BUCKETS: {}, ns.DELETED_BUCKETS: deleted})
    )
    assert "photos" not in _names(node.state(), "buckets")
    assert actual.value[ns.DELETED_BUCKETS][B_GOOD]["status"] == ns.ACTIVE
    assert actual.value["status"] == ns.ACTIVE
    assert actual.hash == target.hash
    with pytest.raises(boto_exc.ClientError) as err:
        s3.head_bucket(Bucket="photos")
    assert err.value.response["Error"]["Code"] in ("404", "NoSuchBucket")


def test_plain_delete_item_of_a_full_bucket_is_an_error_until_forced(node):
    node.cycle(node_state())
    node.s3().put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")

    plain = {B_GOOD: {"name": "photos", "force": False}}
    target, actual = node.cycle(
        node_state(**{ns.BUCKETS: {}, ns.DELETED_BUCKETS: plain})
    )
    item = actual.value[ns.DELETED_BUCKETS][B_GOOD]
    assert item["status"] == ns.ERROR and "not empty" in item["reason"]
    assert item["digest"] == ns.item_digest(plain[B_GOOD])
    assert "photos" in _names(node.state(), "buckets")
    assert actual.hash != target.hash

    # The tenant forces it: a new intent (digest) is tried at once.
    forced = {B_GOOD: {"name": "photos", "force": True}}
    target, actual = node.cycle(
        node_state(**{ns.BUCKETS: {}, ns.DELETED_BUCKETS: forced})
    )
    assert actual.value[ns.DELETED_BUCKETS][B_GOOD]["status"] == ns.ACTIVE
    assert "photos" not in _names(node.state(), "buckets")
    assert actual.hash == target.hash


def test_a_bucket_wanted_again_wins_over_its_old_delete_item(node):
    node.cycle(node_state())
    deleted = {str(sys_uuid.uuid4()): {"name": "photos", "force": True}}
    target, actual = node.cycle(node_state(**{ns.DELETED_BUCKETS: deleted}))
    assert "photos" in _names(node.state(), "buckets")
    assert actual.value["status"] == ns.ACTIVE


def test_bucket_made_by_a_tenant_is_never_deleted(node):
    node.s3().create_bucket(Bucket="tenant-data")
    node.cycle(node_state())
    node.cycle(node_state())
    assert "tenant-data" in _names(node.state(), "buckets")


def test_gateway_killed_mid_apply_converges_after_restart(node):
    """kill -9 while the driver is writing: ERROR, then ACTIVE after restart."""
    state = node_state(
        **{
            ns.BUCKETS: {
                str(sys_uuid.uuid4()): bucket(f"bulk-{i:02d}") for i in range(8)
            }
        }
    )
    real_request = gc.GatewayAdminClient._request
    sent = []

    def request_then_crash(self, method, path, body=None, params=None):
        if method != "GET":
            sent.append(path)
            if len(sent) == 6:
                node.gw.kill()
        return real_request(self, method, path, body, params)

    gc.GatewayAdminClient._request = request_then_crash
    try:
        target, actual = node.cycle(state)
    finally:
        gc.GatewayAdminClient._request = real_request
    assert node.gw.proc is None  # really killed, mid-apply
    assert actual.status == ns.ERROR
    assert "unreachable" in actual.value["reason"]

    node.start()  # same data dir; new ports written to gateway.conf
    applied_before = len(node.state()["buckets"])
    assert 0 < applied_before < 8  # acknowledged writes survived the kill
    node.now[0] += driver_mod.MAX_RETRY
    target, actual = node.cycle(state)
    assert actual.status == ns.ACTIVE, actual.value
    assert actual.hash == target.hash
    assert len(node.state()["buckets"]) == 8


def test_state_survives_a_gateway_and_driver_restart(node, tmp_path):
    node.cycle(node_state())
    node.gw.stop()
    node.start()
    fresh = Node.__new__(Node)
    fresh.__dict__.update(node.__dict__)
    fresh.driver = node._driver(tmp_path)
    fresh.agent = agent_service.UniversalAgentService(
        agent_uuid=sys_uuid.uuid4(),
        orch_client=None,
        caps_drivers=[fresh.driver],
        facts_drivers=[],
        payload_path=None,
    )
    target, actual = fresh.cycle(node_state())
    assert actual.hash == target.hash
    assert node.writes() == 0  # a new process: nothing had to be rewritten


def _keys_with_secret(sealed):
    return {
        K1: {
            "user": U1,
            "access_key": ALICE_KEY,
            "secret_key": sealed,
            "enabled": True,
        }
    }


def test_a_secret_sealed_for_another_node_is_refused_and_not_sent(node):
    other_node = sys_uuid.UUID(int=8)
    sealed = node_seal.seal(
        NODE_KEY, other_node, node_seal.access_key_context(K1), ALICE_SECRET
    )
    _, actual = node.cycle(node_state(**{ns.ACCESS_KEYS: _keys_with_secret(sealed)}))
    item = actual.value[ns.ACCESS_KEYS][K1]
    assert item["status"] == ns.ERROR and "does not open" in item["reason"]
    assert node.state()["access_keys"] == []
    # The rest of the document is applied all the same.
    assert _names(node.state(), "users") == {"alice"}


def test_a_secret_moved_from_another_item_does_not_open_nor_revoke(node):
    node.cycle(node_state())
    assert len(node.state()["access_keys"]) == 1
    moved = node_seal.seal(
        NODE_KEY, NODE, node_seal.access_key_context("another-key"), "other-secret-01"
    )
    keys = _keys_with_secret(moved)
    keys[K1]["enabled"] = False  # a change that would need the secret
    _, actual = node.cycle(node_state(**{ns.ACCESS_KEYS: keys}))
    item = actual.value[ns.ACCESS_KEYS][K1]
    assert item["status"] == ns.ERROR and "does not open" in item["reason"]
    # Not sent with a wrong secret, and the working key is not taken away.
    (key,) = node.state()["access_keys"]
    assert key["enabled"] is True
    node.s3(ALICE_KEY, ALICE_SECRET).list_buckets()


def test_without_its_key_file_the_node_sends_no_secret(node):
    node.key_path.unlink()
    _, actual = node.cycle(node_state())
    # Neither the root secret in gateway.conf nor the key's opens: the node
    # says why and sends nothing.
    assert actual.value["status"] == ns.ERROR
    assert "node key file" in actual.value["reason"]
    assert node.state()["access_keys"] == []


def test_a_table_bucket_is_applied_once_and_never_undone(node):
    """S3 Tables: the bucket field ``table_bucket`` reaches the gateway, whose
    catalog then answers for the bucket; a converged node costs no write; a
    catalog the operator did not ask for is left alone."""
    from exordos_paas_s3.tests.functional.test_iceberg_catalog import _signed

    lake = bucket("lake", table_bucket=True)
    state = node_state(**{ns.BUCKETS: {B_GOOD: lake}})
    target, actual = node.cycle(state)
    assert actual.status == ns.ACTIVE and actual.hash == target.hash
    (reported,) = node.state()["buckets"]
    assert reported["table_bucket"] is True
    r = _signed(node.gw, "GET", "/iceberg/v1/config?warehouse=lake")
    assert r.status_code == 200 and r.json()["defaults"]["prefix"] == "lake"
    writes = node.writes()
    target, actual = node.cycle(state)
    assert node.writes() == writes and actual.hash == target.hash
    # A plain bucket a tenant enabled through the catalog API: converged
    # as it is, the catalog kept.
    plain = node_state(**{ns.BUCKETS: {B_GOOD: bucket("lake")}})
    target, actual = node.cycle(plain)
    assert actual.hash == target.hash and node.writes() == writes
    assert _signed(node.gw, "GET", "/iceberg/v1/buckets/lake").status_code == 200
