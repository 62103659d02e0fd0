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
"""How the PaaS builder reads the nodes' reports into a child's status."""

import uuid as sys_uuid

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane.infra import builder as infra_builder
from exordos_paas_s3.controlplane.infra import models as infra_s3
from exordos_paas_s3.controlplane.paas import builder

SPEC = {"name": "photos", "versioning": True}
UID = "b-1"


def report(status, spec=SPEC, reason="", **facts):
    item = {"status": status, "reason": reason, "digest": ns.item_digest(spec)}
    item.update(facts)
    return {ns.BUCKETS: {UID: item}}


def test_active_only_when_every_node_applied_the_current_spec():
    both = [report(ns.ACTIVE), report(ns.ACTIVE)]
    assert builder.child_status(ns.BUCKETS, UID, SPEC, both) == ("ACTIVE", "")
    one_behind = [report(ns.ACTIVE), None]
    assert builder.child_status(ns.BUCKETS, UID, SPEC, one_behind)[0] == "IN_PROGRESS"


def test_an_active_report_for_an_older_spec_is_not_active():
    old = report(ns.ACTIVE, spec={"name": "photos", "versioning": False})
    assert builder.child_status(ns.BUCKETS, UID, SPEC, [old])[0] == "IN_PROGRESS"


def test_error_on_any_node_is_error_with_its_reason():
    reports = [report(ns.ACTIVE), report(ns.ERROR, reason="InvalidBucketName")]
    assert builder.child_status(ns.BUCKETS, UID, SPEC, reports) == (
        "ERROR",
        "InvalidBucketName",
    )


def test_no_nodes_yet_is_in_progress():
    assert builder.child_status(ns.BUCKETS, UID, SPEC, [])[0] == "IN_PROGRESS"


def test_bucket_is_empty_needs_every_node():
    assert builder.bucket_is_empty(UID, [report(ns.ACTIVE, empty=True)]) is True
    mixed = [report(ns.ACTIVE, empty=True), report(ns.ACTIVE, empty=False)]
    assert builder.bucket_is_empty(UID, mixed) is False
    assert builder.bucket_is_empty(UID, [report(ns.ACTIVE, empty=True), None]) is None


def test_secret_never_enters_the_digest():
    key = {"user": "u", "access_key": "AK", "secret_key": "one", "enabled": True}
    assert ns.item_digest(key) == ns.item_digest(dict(key, secret_key="two"))


def test_node_endpoint_prefers_what_the_node_says():
    assert infra_builder.node_endpoint({"ipv4": "10.0.0.5"}) == "http://10.0.0.5:9000"
    local = {"ipv4": "127.0.0.1", "s3_endpoint": "http://127.0.0.1:40123"}
    assert infra_builder.node_endpoint(local) == "http://127.0.0.1:40123"


class _Inst:
    uuid = sys_uuid.UUID(int=5)
    root_access_key = "EXS3ABCDEFGH12345678"
    # The model's storage defaults: each node's own disk and SQLite index.
    blob_store = "local"
    index_url = "sqlite"
    sse_master_key = None  # an instance made before the shared SSE key
    tables_vending = False

    def open_secret(self, field):
        assert field == "root_secret"
        return "root-secret-value"


NODE = sys_uuid.UUID(int=9)
NODE_KEY = bytes(range(32))


def test_gateway_conf_carries_root_credentials_sealed_to_the_node():
    conf = infra_s3.gateway_conf(_Inst(), NODE, NODE_KEY)
    assert "root-secret-value" not in conf
    assert "root_secret_key_sealed = exs3n1:" in conf
    assert f"node_uuid = {NODE}" in conf
    assert "root_access_key = EXS3ABCDEFGH12345678" in conf
    assert "admin_listen = 127.0.0.1:9001" in conf


def test_a_nodes_gateway_writes_the_access_log_to_the_journal(tmp_path):
    from oslo_config import cfg

    from exordos_paas_s3.gateway import config

    path = tmp_path / "gateway.conf"
    path.write_text(infra_s3.gateway_conf(_Inst(), NODE, NODE_KEY))
    conf = cfg.ConfigOpts()
    config.register(conf)
    conf(["--config-file", str(path)], project="exordos-s3", default_config_files=[])
    assert config.access_log_target(conf.access_log) == "-"


def test_tables_vending_reaches_the_gateways_options(tmp_path):
    from oslo_config import cfg

    from exordos_paas_s3.gateway import config

    def options(instance):
        path = tmp_path / "gateway.conf"
        path.write_text(infra_s3.gateway_conf(instance, NODE, NODE_KEY))
        conf = cfg.ConfigOpts()
        config.register(conf)
        conf(
            ["--config-file", str(path)], project="exordos-s3", default_config_files=[]
        )
        return conf

    assert options(_Inst()).tables_vending is False
    vending = _Inst()
    vending.tables_vending = True
    assert options(vending).tables_vending is True


def test_driver_reads_the_config_the_infra_builder_writes(tmp_path):
    import base64

    from exordos_paas_s3.dataplane import gateway_client

    key_file = tmp_path / "private_key"
    key_file.write_text(base64.b64encode(NODE_KEY).decode())
    path = tmp_path / "gateway.conf"
    path.write_text(infra_s3.gateway_conf(_Inst(), NODE, NODE_KEY))
    endpoint = gateway_client.AdminEndpoint.from_gateway_config(
        str(path), node_key_file=str(key_file)
    )
    assert endpoint.url == "http://127.0.0.1:9001"
    assert endpoint.access_key == "EXS3ABCDEFGH12345678"
    assert endpoint.secret_key == "root-secret-value"
    assert "root-secret-value" not in repr(endpoint)


def test_deleted_bucket_is_done_only_when_every_node_has_it_gone():
    spec = {"name": "photos", "force": False}
    gone = {ns.DELETED_BUCKETS: {"b": {"status": ns.ACTIVE}}}
    busy = {ns.DELETED_BUCKETS: {"b": {"status": ns.IN_PROGRESS}}}
    assert builder.deletion_status("b", spec, [gone, gone]) == (builder.ACTIVE, "")
    assert builder.deletion_status("b", spec, [gone, busy])[0] == builder.IN_PROGRESS
    assert builder.deletion_status("b", spec, [gone, None])[0] == builder.IN_PROGRESS
    assert builder.deletion_status("b", spec, [])[0] == builder.IN_PROGRESS


def test_deleted_bucket_error_says_how_to_force_it_for_the_current_intent():
    plain = {"name": "photos", "force": False}
    failed = {
        ns.DELETED_BUCKETS: {
            "b": {
                "status": ns.ERROR,
                "reason": "The bucket you tried to delete is not empty",
                "digest": ns.item_digest(plain),
            }
        }
    }
    status, reason = builder.deletion_status("b", plain, [failed])
    assert status == builder.ERROR
    assert "not empty" in reason and "?force=true" in reason
    # The error was about the plain delete: a forced one is still under way.
    forced = {"name": "photos", "force": True}
    assert builder.deletion_status("b", forced, [failed])[0] == builder.IN_PROGRESS


def test_tls_fingerprints_come_from_the_node_reports():
    fp = "AB:" * 31 + "CD"
    reports = [
        {"gateway": {"healthy": True, "ready": True, "tls_fingerprint": fp}},
        {"gateway": {"healthy": True, "ready": True}},  # plain HTTP
        None,  # not reported yet
    ]
    assert builder.tls_fingerprints(["n1", "n2", "n3"], reports) == {"n1": fp}
