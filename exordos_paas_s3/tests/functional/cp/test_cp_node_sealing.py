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
"""The builders seal every secret they hand to a node to that node's key
(ua_node_encryption_keys), and wait, saying why, while a node has none."""

from __future__ import annotations

import base64
import json
import os
import uuid as sys_uuid

import pytest
from gcl_sdk.agents.universal.dm import models as ua_models
from gcl_sdk.infra.services import builder as gcl_infra_builder
from gcl_sdk.paas.services import builder as gcl_paas_builder
from restalchemy.dm import filters as dm_filters

from exordos_paas_s3 import node_seal
from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.controlplane.infra import builder as infra_builder
from exordos_paas_s3.controlplane.infra import models as infra_s3
from exordos_paas_s3.controlplane.paas import builder as paas_builder
from exordos_paas_s3.controlplane.paas import models as paas_models

pytestmark = pytest.mark.functional


@pytest.fixture
def keyed(cp_owner, cp_instance):
    user = cp_owner.ok("POST", cp_instance + "/users/", {"name": "sealed"})
    key = cp_owner.ok("POST", f"{cp_instance}/users/{user['uuid']}/keys/", {})
    uuid = cp_instance.rsplit("/", 1)[1]
    return uuid, key


def _paas_states(instance_uuid, node):
    instance = paas_models.PaaSInstance.objects.get_one(
        filters={"uuid": dm_filters.EQ(instance_uuid)}
    )
    sections, rows = paas_builder.S3PaaSBuilder._desired_sections(None, instance)
    return paas_builder.S3PaaSBuilder._node_states(
        instance, [node], sections, rows, {}, gcl_paas_builder.PaaSCollection(())
    )


def test_node_states_carry_secrets_sealed_to_their_node_only(keyed):
    instance_uuid, key = keyed
    node = str(sys_uuid.uuid4())
    # No key for the node yet: no document, the node waits.
    states, waiting = _paas_states(instance_uuid, node)
    assert states == [] and waiting == [node]

    raw = os.urandom(32)
    ua_models.NodeEncryptionKey(
        uuid=sys_uuid.UUID(node), private_key=base64.b64encode(raw).decode()
    ).insert()
    (state,), waiting = _paas_states(instance_uuid, node)
    assert waiting == []
    value = state.to_ua_resource().value
    assert key["secret_key"] not in json.dumps(value, default=str)
    assert str(state.node) == node and state.uuid == ns.agent_uuid_for_node(node)
    (item,) = value[ns.ACCESS_KEYS].values()
    (uid,) = value[ns.ACCESS_KEYS].keys()
    assert (
        node_seal.open_sealed(
            raw, node, node_seal.access_key_context(uid), item["secret_key"]
        )
        == key["secret_key"]
    )
    # Rebuilt, the document is the same (no churn of the stored hash).
    (again,), _ = _paas_states(instance_uuid, node)
    assert again.to_ua_resource().hash == state.to_ua_resource().hash


def test_gateway_configs_wait_for_the_node_key_and_seal_the_root_secret(keyed):
    instance_uuid, _ = keyed
    instance = infra_s3.InfraInstance.objects.get_one(
        filters={"uuid": dm_filters.EQ(instance_uuid)}
    )
    root_secret = instance.open_secret("root_secret")
    builder = infra_builder.S3InfraBuilder(project_id=sys_uuid.uuid4())
    node = str(sys_uuid.uuid4())
    kept = [(node, {"ipv4": "10.0.0.9"})]
    empty = gcl_infra_builder.InfraCollection(infra_objects=())
    configs, waiting = builder._node_configs(instance, empty, kept)
    assert configs == [] and waiting == [node]
    assert node in infra_builder.waiting_reason(waiting)

    raw = os.urandom(32)
    ua_models.NodeEncryptionKey(
        uuid=sys_uuid.UUID(node), private_key=base64.b64encode(raw).decode()
    ).insert()
    (config,), waiting = builder._node_configs(instance, empty, kept)
    assert waiting == []
    body = config.to_ua_resource().value["body"]["content"]
    assert root_secret not in body
    sealed = body.split("root_secret_key_sealed = ", 1)[1].split()[0]
    assert (
        node_seal.open_sealed(raw, node, node_seal.ROOT_SECRET_CONTEXT, sealed)
        == root_secret
    )
    assert f"root_access_key = {instance.root_access_key}" in body


def test_upgrading_to_random_root_keys_rebuilds_every_instance(cp_pg_server_url):
    """Migration 0001: an existing instance gets a random root access key and
    is marked changed, so the builders re-send its documents sealed."""
    import datetime
    import re

    import psycopg

    from exordos_paas_s3 import definition
    from exordos_paas_s3.controlplane import local_api
    from exordos_paas_s3.tests.functional.cp import conftest

    path = definition.S3PaaSDefinition().get_migrations_path()
    with conftest.throwaway_database(cp_pg_server_url, "cp_mig_key_") as url:
        local_api.apply_migrations(url)
        local_api.rollback_migration(url, path, "0001-exordos-paas-s3-root-key-5b1e07")
        old = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
        instance = sys_uuid.uuid4()
        with psycopg.connect(url, autocommit=True) as conn:
            version = sys_uuid.uuid4()
            conn.execute(
                "INSERT INTO s3_versions (uuid, name, created_at, updated_at) "
                "VALUES (%s, 'v', %s, %s)",
                (version, old, old),
            )
            conn.execute(
                "INSERT INTO s3_instances (uuid, name, project_id, created_at, "
                "updated_at, version, cpu, ram, disk_size, nodes_number, kind, "
                "root_secret) VALUES (%s, 'i', %s, %s, %s, %s, 1, 1024, 10, 1, "
                "'single_node', 'aesgcm1:x')",
                (instance, sys_uuid.uuid4(), old, old, version),
            )
        local_api.apply_migrations(url)
        with psycopg.connect(url) as conn:
            key, updated = conn.execute(
                "SELECT root_access_key, updated_at FROM s3_instances WHERE uuid=%s",
                (instance,),
            ).fetchone()
    assert re.fullmatch(r"EXS3[A-Z0-9]{16}", key), key
    assert instance.hex[:12].upper() not in key
    assert updated > old
