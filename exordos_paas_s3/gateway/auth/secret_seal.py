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
"""Access-key secrets sealed at rest in ``iam.sqlite``.

SigV4 needs each secret itself (it is the HMAC key), so secrets cannot be
stored as hashes: they are sealed with a key kept outside the database file
and opened once, when the store loads them into memory. A copy of
``iam.sqlite`` (a backup, a stolen disk image without the key) no longer
gives the secrets away.

The key is the node's encryption key when the gateway has one (on a node:
the systemd credential, a copy of the universal agent's root-only key, kept
on no data disk), else a key file generated once with mode 600
(``--secrets-key-file``, default ``<data-dir>/secrets.key``). From it,
HKDF-SHA256 derives an AES-SIV key; the access key id is the associated
data, so a sealed value moved to another row does not open. Format:
``exs3k1:<urlsafe base64>``. Rows written by older gateways (plaintext) are
sealed at start (IdentityStore migration).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import aead
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "exs3k1:"
_INFO = b"exordos-s3 iam secrets v1"
KEY_FILE_NAME = "secrets.key"
_KEY_SIZE = 32


class SecretSealError(ValueError):
    """A stored secret does not open with this key (never says the value)."""


class SecretSealer:
    """Seals and opens access-key secrets with one key."""

    def __init__(self, key: bytes, source: str) -> None:
        if len(key) < _KEY_SIZE:
            raise ValueError("the secrets key must have at least 32 bytes")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=None, info=_INFO
        ).derive(key)
        self._cipher = aead.AESSIV(derived)
        self.source = source
        # Names the key in logs and the store's meta row without revealing it.
        self.fingerprint = hmac.new(
            derived, b"fingerprint", hashlib.sha256
        ).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"<SecretSealer {self.source} {self.fingerprint}>"

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(PREFIX)

    def seal(self, access_key: str, secret: str) -> str:
        sealed = self._cipher.encrypt(secret.encode(), [access_key.encode()])
        return PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open(self, access_key: str, stored: str) -> str:
        """The secret of a stored value; a plaintext value (a row written
        before sealing) is returned as is, for the migration to seal."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
            return self._cipher.decrypt(raw, [access_key.encode()]).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretSealError(
                f"the secret of access key {access_key} does not open with "
                f"the secrets key {self.fingerprint} ({self.source})"
            ) from None


def load_key_file(path: str) -> bytes:
    """The key in ``path``, created (32 random bytes, base64, mode 600) when
    missing."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        key = os.urandom(_KEY_SIZE)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key_file(path)  # created meanwhile
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64encode(key) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        return key
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < _KEY_SIZE:
        raise SecretSealError(f"{path} does not hold base64 of 32 bytes or more")
    return key
