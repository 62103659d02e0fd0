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
"""Encryption at rest for the secrets the control plane keeps.

Neither gcl_sdk nor MetaPaaS encrypts columns, and the gateway needs the
plaintext secret of an access key to verify SigV4 signatures, so a hash will
not do: secrets are sealed with AES-256-GCM under a key the operator
configures, and opened only when a model is read back from the database.

The key (32 random bytes, base64) comes from the environment variable
``EXORDOS_PAAS_S3_SECRETS_KEY``, or from the file named by
``EXORDOS_PAAS_S3_SECRETS_KEY_FILE``. With neither set, on a MetaPaaS host
(its state directory ``/var/lib/exordos/exordos_metapaas`` exists) the key is
``exordos_paas_s3/secrets.key`` there, made once (0600) by whichever service
needs it first: MetaPaaS runs its user API and gservice on one host
(``exordos-metapaas-install-paas`` restarts both there), so they share it
without an operator step. See docs/operations.md for backing it up. The stored form is
``aesgcm1:<urlsafe-base64(nonce || ciphertext)>``; the column name is bound in
as associated data so a sealed value cannot be moved to another column.
"""

import base64
import binascii
import functools
import logging
import os
import secrets
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import aead
from restalchemy.common import exceptions as ra_exc

LOG = logging.getLogger(__name__)

KEY_ENV = "EXORDOS_PAAS_S3_SECRETS_KEY"
KEY_FILE_ENV = "EXORDOS_PAAS_S3_SECRETS_KEY_FILE"
PREFIX = "aesgcm1:"
_NONCE_SIZE = 12
_KEY_SIZE = 32
# MetaPaaS's state directory (exordos_metapaas.common.constants.WORK_DIR).
METAPAAS_WORK_DIR = "/var/lib/exordos/exordos_metapaas"
PROVISIONED_KEY_FILE = os.path.join(METAPAAS_WORK_DIR, "exordos_paas_s3", "secrets.key")


class SecretsKeyNotConfigured(ra_exc.RestAlchemyException):
    message = (
        "The S3 control plane has no secrets key: set "
        f"{KEY_ENV} or {KEY_FILE_ENV} for the API and the builders."
    )
    code = 503


class SealedSecretUnreadable(ra_exc.RestAlchemyException):
    # Never include the value: only say which column could not be opened.
    message = "A stored secret in %(column)s cannot be decrypted with the key."
    code = 500


def generate_key() -> str:
    """A fresh key in the form the environment variable takes."""
    return base64.b64encode(secrets.token_bytes(_KEY_SIZE)).decode()


def _decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != _KEY_SIZE:
        raise SecretsKeyNotConfigured()
    return key


def provision_key_file(path: str) -> bytes:
    """The key in ``path``, made there first (0600) when there is none yet.

    The file appears complete or not at all (written aside, then linked into
    place), so two services starting together agree on one key: the loser of
    the race reads the winner's. Only the last directory is created; its
    parent must exist (it is the platform's state directory).
    """
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        with open(path) as stream:
            return _decode_key(stream.read())
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".secrets-key-")
    try:
        with os.fdopen(fd, "w") as stream:
            stream.write(generate_key() + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(tmp, path)
            LOG.info("generated the secrets key in %s (back it up)", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    with open(path) as stream:
        return _decode_key(stream.read())


@functools.lru_cache(maxsize=4)
def _load_key(
    env_value: str | None, file_path: str | None, provisioned: str | None
) -> bytes:
    if env_value:
        return _decode_key(env_value)
    if file_path:
        with open(file_path) as stream:
            return _decode_key(stream.read())
    if provisioned and os.path.isdir(os.path.dirname(os.path.dirname(provisioned))):
        return provision_key_file(provisioned)
    raise SecretsKeyNotConfigured()


def _key() -> bytes:
    # The arguments make the cache follow a changed environment (tests, the
    # stand) while a running service reads its key file once.
    return _load_key(
        os.environ.get(KEY_ENV), os.environ.get(KEY_FILE_ENV), PROVISIONED_KEY_FILE
    )


def seal(plaintext: str | None, column: str) -> str | None:
    if plaintext is None:
        return None
    nonce = secrets.token_bytes(_NONCE_SIZE)
    sealed = aead.AESGCM(_key()).encrypt(nonce, plaintext.encode(), column.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def is_sealed(value: str | None) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def open_sealed(value: str | None, column: str) -> str | None:
    if value is None:
        return None
    if not is_sealed(value):
        raise SealedSecretUnreadable(column=column)
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
        nonce, sealed = raw[:_NONCE_SIZE], raw[_NONCE_SIZE:]
        return aead.AESGCM(_key()).decrypt(nonce, sealed, column.encode()).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise SealedSecretUnreadable(column=column) from None
