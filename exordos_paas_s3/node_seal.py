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
"""Secrets sealed to one node: what MetaPaaS stores for the data plane.

The control plane writes a node's desired state (``ua_target_resources``) and
its gateway.conf (a Config) into MetaPaaS's database. The secrets in them (the
access keys' secrets, the gateway root secret) go there sealed to the node
they are for, with the node's encryption key: the key Exordos Core gives every
node, that the universal agent keeps in ``private_key_path`` (base64 of 32
bytes) and MetaPaaS keeps as ``ua_node_encryption_keys``. Only that node (and
the control plane that sealed it) can open the value. See
docs/decisions/0007-secrets-to-nodes.md.

Format: ``exs3n1:<urlsafe base64 of AES-SIV(K, plaintext, AD)>`` where
K = HKDF-SHA256(node key, info "exordos-s3 node seal v1", 64 bytes) and
AD = "exordos-s3 node seal v1", the node uuid and the context (which field of
which item) separated by NUL bytes. A value copied to another node, item or
field does not open. AES-SIV (RFC 5297) is deterministic: the builders rebuild
a node's documents on every pass and the stored hash of an unchanged document
must not change (a new random nonce each time would make the node re-apply
forever); equal ciphertexts only reveal "the same secret for the same item on
the same node", i.e. that nothing changed.

Shared by the control plane and the data plane (driver, gateway): it depends
on ``cryptography`` only.
"""

from __future__ import annotations

import base64
import binascii
import typing as tp
import uuid as sys_uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import aead
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "exs3n1:"
_INFO = b"exordos-s3 node seal v1"
_NODE_KEY_SIZE = 32
# gcl_sdk.agents.universal.constants.PRIVATE_KEY_PATH, the universal agent's
# key file (a test pins the two together; the gateway does not import gcl_sdk).
NODE_KEY_PATH = "/var/lib/exordos/universal_agent/private_key"
# The context of the gateway root secret in gateway.conf.
ROOT_SECRET_CONTEXT = "gateway.conf/root_secret_key"
# The contexts of the storage secrets in gateway.conf (issue 11, item 8).
UPSTREAM_SECRET_CONTEXT = "gateway.conf/upstream_secret_key"
INDEX_CONTEXT = "gateway.conf/index"
# The instance's shared SSE master key (decision 0020).
SSE_MASTER_CONTEXT = "gateway.conf/sse_master_key"


class SealError(ValueError):
    """A sealed value cannot be opened here (never says the value)."""


def access_key_context(uid: str) -> str:
    return f"access_keys/{uid}/secret_key"


def decode_node_key(text: str | bytes) -> bytes:
    """The 32 key bytes from their base64 form (file or database row)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != _NODE_KEY_SIZE:
        raise SealError("the node key is not base64 of 32 bytes")
    return key


def read_node_key(path: str) -> bytes:
    """The node key from its file (the universal agent's ``private_key``)."""
    try:
        with open(path, "rb") as f:
            return decode_node_key(f.read())
    except OSError as exc:
        raise SealError(f"node key file {path}: {exc.strerror or exc}") from None


def _cipher(node_key: bytes) -> aead.AESSIV:
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_INFO).derive(
        node_key
    )
    return aead.AESSIV(derived)


def _associated(node_uuid: sys_uuid.UUID | str, context: str) -> list[bytes]:
    node = str(sys_uuid.UUID(str(node_uuid)))
    return [b"\0".join((_INFO, node.encode(), context.encode()))]


def is_sealed(value: tp.Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(
    node_key: bytes, node_uuid: sys_uuid.UUID | str, context: str, plaintext: str
) -> str:
    sealed = _cipher(node_key).encrypt(
        plaintext.encode(), _associated(node_uuid, context)
    )
    return PREFIX + base64.urlsafe_b64encode(sealed).decode()


def open_sealed(
    node_key: bytes, node_uuid: sys_uuid.UUID | str, context: str, value: tp.Any
) -> str:
    if not is_sealed(value):
        raise SealError(f"{context} is not sealed to this node")
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
        return _cipher(node_key).decrypt(raw, _associated(node_uuid, context)).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise SealError(
            f"{context} does not open with this node's key "
            "(sealed for another node or item, or the key changed)"
        ) from None


# --- the node-state document (node_state.py) --------------------------------


def seal_access_keys(
    keys: tp.Mapping[str, tp.Mapping[str, tp.Any]],
    node_key: bytes,
    node_uuid: sys_uuid.UUID | str,
) -> dict[str, dict[str, tp.Any]]:
    """The ``access_keys`` section with every plaintext secret sealed."""
    out = {}
    for uid, spec in keys.items():
        item = dict(spec)
        item["secret_key"] = seal(
            node_key, node_uuid, access_key_context(uid), spec["secret_key"]
        )
        out[uid] = item
    return out


def open_access_keys(
    keys: tp.Mapping[str, tp.Mapping[str, tp.Any]],
    node_key: bytes | None,
    node_uuid: sys_uuid.UUID | str,
    key_problem: str = "",
) -> tuple[dict[str, dict[str, tp.Any]], dict[str, str]]:
    """(section with secrets opened, {uid: why not} for those that did not).

    An item that does not open keeps ``secret_key`` None: the driver must not
    send it, nor take the key off the gateway for it.
    """
    opened: dict[str, dict[str, tp.Any]] = {}
    problems: dict[str, str] = {}
    for uid, spec in keys.items():
        item = dict(spec)
        try:
            if node_key is None:
                raise SealError(key_problem or "this node has no encryption key")
            item["secret_key"] = open_sealed(
                node_key, node_uuid, access_key_context(uid), spec.get("secret_key")
            )
        except SealError as exc:
            item["secret_key"] = None
            problems[uid] = f"secret not opened: {exc}"
        opened[uid] = item
    return opened, problems
