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
"""Access-key secrets sealed at rest (gateway/auth/secret_seal.py) through a
real SQLite identity store: sealed rows, a changed key, the key file."""

import os
import sqlite3
import stat

import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import identities, secret_seal

SECRET = "user-secret-value-0123456789"


def _store(tmp_path, key: bytes):
    return identities.IdentityStore.in_data_dir(
        str(tmp_path),
        root_access_key="ROOTKEY",
        root_secret_key="root-secret-123",
        sealer=secret_seal.SecretSealer(key, "test"),
    )


def _stored(tmp_path) -> str:
    conn = sqlite3.connect(os.path.join(tmp_path, identities.IAM_DB_NAME))
    try:
        return conn.execute("SELECT secret_key FROM access_keys").fetchone()[0]
    finally:
        conn.close()


def test_a_sealed_row_opens_only_with_its_key_and_for_its_access_key(tmp_path):
    store = _store(tmp_path, b"k" * 32)
    store.create_user("alice")
    store.create_access_key("alice", access_key="AKALICE01", secret_key=SECRET)
    assert store.lookup("AKALICE01")[0] == SECRET
    store.close()
    stored = _stored(tmp_path)
    assert stored.startswith(secret_seal.PREFIX) and SECRET not in stored
    sealer = secret_seal.SecretSealer(b"k" * 32, "test")
    assert sealer.open("AKALICE01", stored) == SECRET
    with pytest.raises(secret_seal.SecretSealError) as err:
        sealer.open("AKOTHER01", stored)  # moved to another row
    assert SECRET not in str(err.value)


def test_a_changed_key_disables_the_row_until_its_secret_is_given_again(tmp_path):
    store = _store(tmp_path, b"k" * 32)
    store.create_user("alice")
    store.create_user("bob")
    store.create_access_key("alice", access_key="AKALICE01", secret_key=SECRET)
    store.close()

    store = _store(tmp_path, b"z" * 32)  # the node key changed
    with pytest.raises(errors.InvalidAccessKeyId):
        store.lookup("AKALICE01")  # never signs with a secret it cannot read
    assert store.get_access_key("alice", "AKALICE01").enabled is True
    # Enabling or reading it does not load an empty secret either.
    store.set_access_key_enabled("alice", "AKALICE01", True)
    with pytest.raises(errors.InvalidAccessKeyId):
        store.lookup("AKALICE01")
    # Another user cannot take the key over ...
    with pytest.raises(identities.IdentityConflict):
        store.create_access_key("bob", access_key="AKALICE01", secret_key=SECRET)
    # ... its owner's re-delivered secret (the driver's PUT) restores it.
    _key, created = store.create_access_key(
        "alice", access_key="AKALICE01", secret_key=SECRET
    )
    assert created is False
    assert store.lookup("AKALICE01")[0] == SECRET
    store.close()
    assert _store(tmp_path, b"z" * 32).lookup("AKALICE01")[0] == SECRET


def test_the_key_file_is_made_once_with_mode_600(tmp_path):
    path = str(tmp_path / "secrets.key")
    key = secret_seal.load_key_file(path)
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_seal.load_key_file(path) == key
    (tmp_path / "bad.key").write_text("not base64 of 32 bytes")
    with pytest.raises(secret_seal.SecretSealError):
        secret_seal.load_key_file(str(tmp_path / "bad.key"))
