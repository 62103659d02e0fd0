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
"""Secrets sealed to a node (node_seal): only that node, for that item, opens."""

import base64
import os
import uuid as sys_uuid

import pytest
from gcl_sdk.agents.universal import constants as ua_constants

from exordos_paas_s3 import node_seal

NODE = sys_uuid.UUID(int=1)
OTHER_NODE = sys_uuid.UUID(int=2)
KEY = os.urandom(32)
CTX = node_seal.access_key_context("k-1")


def test_round_trip_and_versioned_prefix():
    sealed = node_seal.seal(KEY, NODE, CTX, "s3cr3t")
    assert sealed.startswith("exs3n1:") and "s3cr3t" not in sealed
    assert node_seal.open_sealed(KEY, NODE, CTX, sealed) == "s3cr3t"


def test_deterministic_so_an_unchanged_document_keeps_its_hash():
    assert node_seal.seal(KEY, NODE, CTX, "x" * 40) == node_seal.seal(
        KEY, NODE, CTX, "x" * 40
    )
    assert node_seal.seal(KEY, NODE, CTX, "a" * 40) != node_seal.seal(
        KEY, NODE, CTX, "b" * 40
    )


@pytest.mark.parametrize(
    "key, node, context",
    [
        (os.urandom(32), NODE, CTX),  # another node's key
        (KEY, OTHER_NODE, CTX),  # moved to another node's document
        (KEY, NODE, node_seal.access_key_context("k-2")),  # to another item
        (KEY, NODE, node_seal.ROOT_SECRET_CONTEXT),  # to another field
    ],
)
def test_a_wrong_key_or_a_moved_value_is_refused(key, node, context):
    sealed = node_seal.seal(KEY, NODE, CTX, "s3cr3t")
    with pytest.raises(node_seal.SealError) as err:
        node_seal.open_sealed(key, node, context, sealed)
    assert "s3cr3t" not in str(err.value) and sealed not in str(err.value)


def test_tampered_and_plain_values_are_refused():
    sealed = node_seal.seal(KEY, NODE, CTX, "s3cr3t")
    raw = bytearray(base64.urlsafe_b64decode(sealed[len(node_seal.PREFIX) :]))
    raw[-1] ^= 1
    tampered = node_seal.PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode()
    for value in (tampered, "s3cr3t", None, node_seal.PREFIX + "!!"):
        with pytest.raises(node_seal.SealError):
            node_seal.open_sealed(KEY, NODE, CTX, value)


def test_access_key_sections_seal_and_open_per_item():
    keys = {"k-1": {"access_key": "AK1", "secret_key": "one"}}
    sealed = node_seal.seal_access_keys(keys, KEY, NODE)
    assert sealed["k-1"]["secret_key"] != "one" and keys["k-1"]["secret_key"] == "one"
    opened, problems = node_seal.open_access_keys(sealed, KEY, NODE)
    assert opened == keys and problems == {}
    # Another node's key: the item stays, without a secret, with a reason.
    opened, problems = node_seal.open_access_keys(sealed, os.urandom(32), NODE)
    assert opened["k-1"]["secret_key"] is None and "does not open" in problems["k-1"]
    opened, problems = node_seal.open_access_keys(sealed, None, NODE, "no key file")
    assert problems["k-1"].endswith("no key file")


def test_node_key_file_is_the_universal_agents(tmp_path):
    assert node_seal.NODE_KEY_PATH == ua_constants.PRIVATE_KEY_PATH
    path = tmp_path / "private_key"
    path.write_text(base64.b64encode(KEY).decode() + "\n")
    assert node_seal.read_node_key(str(path)) == KEY
    path.write_text("not a key")
    with pytest.raises(node_seal.SealError):
        node_seal.read_node_key(str(path))
    with pytest.raises(node_seal.SealError):
        node_seal.read_node_key(str(tmp_path / "missing"))


def test_a_hand_written_gateway_conf_may_still_give_the_secret_plain(tmp_path):
    from exordos_paas_s3.dataplane import gateway_client

    path = tmp_path / "gateway.conf"
    path.write_text(
        "[DEFAULT]\nadmin_listen = 127.0.0.1:9101\n"
        "root_access_key = ROOTKEY\nroot_secret_key = plain-secret\n"
    )
    endpoint = gateway_client.AdminEndpoint.from_gateway_config(
        str(path), node_key_file=str(tmp_path / "none")
    )
    assert endpoint.secret_key == "plain-secret"


def test_the_gateway_opens_its_sealed_root_secret_and_refuses_a_foreign_one(
    tmp_path,
):
    from oslo_config import cfg

    from exordos_paas_s3.cmd import gateway as gateway_cmd
    from exordos_paas_s3.gateway import config as gateway_config

    key_file = tmp_path / "private_key"
    key_file.write_text(base64.b64encode(KEY).decode())
    sealed = node_seal.seal(KEY, NODE, node_seal.ROOT_SECRET_CONTEXT, "root-s3cr3t")

    def conf_for(node):
        conf = cfg.ConfigOpts()
        gateway_config.register(conf)
        conf(
            [
                "--root-access-key",
                "ROOTKEY",
                "--root-secret-key-sealed",
                sealed,
                "--node-uuid",
                str(node),
                "--node-key-file",
                str(key_file),
            ],
            default_config_files=[],
        )
        return conf

    assert gateway_cmd.root_credentials(conf_for(NODE), str(tmp_path)) == (
        "ROOTKEY",
        "root-s3cr3t",
    )
    with pytest.raises(SystemExit) as err:
        gateway_cmd.root_credentials(conf_for(OTHER_NODE), str(tmp_path))
    assert "root-s3cr3t" not in str(err.value)


def test_the_gateway_unit_hands_the_node_key_to_the_unprivileged_gateway():
    import configparser
    import pathlib

    unit = pathlib.Path(__file__).parents[3] / "etc/systemd/exordos-s3-gateway.service"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit)
    assert parser["Service"]["LoadCredential"] == (
        f"node_key:{node_seal.NODE_KEY_PATH}"
    )
