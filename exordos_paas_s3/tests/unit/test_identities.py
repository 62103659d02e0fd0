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
"""The identity store: users, access keys, persistence, secrets kept out of sight."""

import logging
import re
import sqlite3

import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import identities

ROOT_KEY = "ROOTKEY0000000000000"
ROOT_SECRET = "root-secret-never-shown"


def open_store(data_dir) -> identities.IdentityStore:
    return identities.IdentityStore.in_data_dir(
        str(data_dir), root_access_key=ROOT_KEY, root_secret_key=ROOT_SECRET
    )


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path)
    yield s
    s.close()


def test_root_lookup_returns_the_configured_secret(store):
    secret, principal = store.lookup(ROOT_KEY)
    assert secret == ROOT_SECRET
    assert principal.is_root and principal.access_key == ROOT_KEY
    assert re.fullmatch(r"[0-9a-f]{64}", principal.canonical_id)
    assert store.principal_by_canonical_id(principal.canonical_id) is store.root


def test_root_canonical_id_survives_restart_and_key_rotation(tmp_path):
    first = open_store(tmp_path)
    canonical = first.root.canonical_id
    first.close()
    rotated = identities.IdentityStore.in_data_dir(
        str(tmp_path), root_access_key="NEWROOTKEY", root_secret_key="another-secret"
    )
    assert rotated.root.canonical_id == canonical
    with pytest.raises(errors.InvalidAccessKeyId):
        rotated.lookup(ROOT_KEY)
    rotated.close()


def test_generated_key_has_the_documented_shape(store):
    store.create_user("alice")
    key, created = store.create_access_key("alice")
    assert created and key.enabled
    assert re.fullmatch(r"AK[A-Z0-9]{18}", key.access_key)
    assert len(key.secret_key) == 40
    secret, principal = store.lookup(key.access_key)
    assert secret == key.secret_key
    assert principal.name == "alice" and not principal.is_root
    assert principal.access_key == key.access_key


def test_users_and_keys_survive_restart(tmp_path):
    s = open_store(tmp_path)
    user, _ = s.create_user("bob", display_name="Bob B.")
    key, _ = s.create_access_key("bob")
    off, _ = s.create_access_key("bob", access_key="BOBOFF", secret_key="s3cr3t-off")
    s.set_access_key_enabled("bob", "BOBOFF", False)
    s.close()
    again = open_store(tmp_path)
    secret, principal = again.lookup(key.access_key)
    assert secret == key.secret_key
    assert principal.canonical_id == user.canonical_id
    assert again.principal_by_canonical_id(user.canonical_id).display_name == "Bob B."
    with pytest.raises(errors.InvalidAccessKeyId):
        again.lookup(off.access_key)
    assert [k.enabled for k in again.list_access_keys("bob")] == [True, False]
    again.close()


def test_create_user_is_idempotent_with_put_semantics(store):
    first, created = store.create_user("carol", user_id="cp-uuid-1")
    again, created_again = store.create_user("carol", user_id="cp-uuid-1")
    assert created and not created_again and first == again
    assert first.canonical_id == identities.canonical_id_for("cp-uuid-1")
    with pytest.raises(identities.IdentityConflict):
        store.create_user("carol", user_id="cp-uuid-2")
    with pytest.raises(identities.IdentityConflict):
        store.create_user("dave", user_id="cp-uuid-1")


def test_caller_supplied_key_is_idempotent_and_conflicts_are_refused(store):
    store.create_user("erin")
    store.create_user("frank")
    key, created = store.create_access_key(
        "erin", access_key="ERINKEY1", secret_key="erin-secret-1"
    )
    assert created
    same, created = store.create_access_key(
        "erin", access_key="ERINKEY1", secret_key="erin-secret-1", enabled=False
    )
    assert not created and not same.enabled
    with pytest.raises(errors.InvalidAccessKeyId):
        store.lookup("ERINKEY1")
    with pytest.raises(identities.IdentityConflict):
        store.create_access_key("erin", access_key="ERINKEY1", secret_key="other-one")
    with pytest.raises(identities.IdentityConflict):
        store.create_access_key(
            "frank", access_key="ERINKEY1", secret_key="erin-secret-1"
        )
    with pytest.raises(identities.IdentityConflict):
        store.create_access_key("frank", access_key=ROOT_KEY, secret_key="whatever1")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"access_key": "ONLYKEY"},
        {"access_key": "has/slash", "secret_key": "longenough"},
        {"access_key": "OKKEY", "secret_key": "short"},
        {"access_key": "OKKEY", "secret_key": "has space in it"},
    ],
)
def test_bad_key_input_is_refused(store, kwargs):
    store.create_user("gina")
    with pytest.raises(identities.InvalidIdentityInput):
        store.create_access_key("gina", **kwargs)


@pytest.mark.parametrize("name", ["", "root", "a/b", "x" * 65, "sp ace"])
def test_bad_user_names_are_refused(store, name):
    with pytest.raises(identities.InvalidIdentityInput):
        store.create_user(name)


def test_delete_user_removes_its_keys(store):
    store.create_user("hank")
    key, _ = store.create_access_key("hank")
    assert store.delete_user("hank")
    with pytest.raises(errors.InvalidAccessKeyId):
        store.lookup(key.access_key)
    assert not store.delete_user("hank")
    with pytest.raises(identities.IdentityNotFound):
        store.get_user("hank")


def test_unknown_things_are_not_found(store):
    with pytest.raises(identities.IdentityNotFound):
        store.create_access_key("nobody")
    store.create_user("ivy")
    with pytest.raises(identities.IdentityNotFound):
        store.set_access_key_enabled("ivy", "NOPE", False)
    assert not store.delete_access_key("ivy", "NOPE")
    assert store.principal_by_canonical_id("0" * 64) is None


def test_secrets_never_show_in_reprs_or_logs(store, caplog):
    caplog.set_level(logging.DEBUG)
    store.create_user("jack")
    key, _ = store.create_access_key("jack")
    secret, principal = store.lookup(key.access_key)
    root_secret, _ = store.lookup(ROOT_KEY)
    shown = " ".join(
        [repr(key), repr(store), repr(principal), repr(secret), repr(root_secret),
         repr(store.list_access_keys("jack")), caplog.text]
    )  # fmt: skip
    assert key.secret_key not in shown
    assert ROOT_SECRET not in shown
    assert all(not k.secret_key for k in store.list_access_keys("jack"))


def test_lookup_does_not_touch_the_database(store):
    store.create_user("kate")
    key, _ = store.create_access_key("kate")
    store._db.close()  # any disk access would now raise
    assert store.lookup(key.access_key)[0] == key.secret_key
    assert store.lookup(ROOT_KEY)[1].is_root


# --- user kinds ---------------------------------------------------------------


def test_user_kind_defaults_to_account_and_is_validated(store):
    user, _ = store.create_user("alice")
    assert user.kind == identities.KIND_ACCOUNT
    assert user.to_dict()["kind"] == "account"
    with pytest.raises(identities.InvalidIdentityInput):
        store.create_user("bob", kind="admin")
    with pytest.raises(identities.InvalidIdentityInput):
        store.create_user("alice", kind="")
    iam, created = store.create_user("carol", kind="iam")
    assert created and iam.kind == "iam"
    store.create_access_key("carol", access_key="AKCAROL", secret_key="s" * 12)
    assert store.lookup("AKCAROL")[1].is_iam_user
    assert store.principal_by_canonical_id(iam.canonical_id).is_iam_user
    assert not store.root.is_iam_user


def test_changing_kind_is_idempotent_and_reaches_cached_principals(store):
    store.create_user("dave", user_id="dave-id")
    store.create_access_key("dave", access_key="AKDAVE", secret_key="s" * 12)
    assert not store.lookup("AKDAVE")[1].is_iam_user
    user, created = store.create_user("dave", user_id="dave-id", kind="iam")
    assert not created and user.kind == "iam"
    assert store.lookup("AKDAVE")[1].is_iam_user
    assert store.principal_by_canonical_id(user.canonical_id).is_iam_user
    again, created = store.create_user("dave", kind="iam")
    assert not created and again == user
    # Without a kind, an existing user keeps the one it has.
    assert store.create_user("dave")[0].kind == "iam"
    assert store.get_user("dave").kind == "iam"
    assert [u.kind for u in store.list_users()] == ["iam"]
    store.create_user("dave", kind="account")
    assert not store.lookup("AKDAVE")[1].is_iam_user


def test_kind_survives_restart(tmp_path):
    first = open_store(tmp_path)
    first.create_user("erin", kind="iam")
    first.create_access_key("erin", access_key="AKERIN", secret_key="s" * 12)
    first.close()
    second = open_store(tmp_path)
    assert second.get_user("erin").kind == "iam"
    assert second.lookup("AKERIN")[1].is_iam_user
    second.close()


def test_store_of_an_older_gateway_gains_kind_column_as_account(tmp_path):
    path = tmp_path / identities.IAM_DB_NAME
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE users (
            user_id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            canonical_id TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        INSERT INTO users VALUES ('old-id', 'old', 'Old', 'c0ffee', 1.0);
        """
    )
    db.commit()
    db.close()
    store = open_store(tmp_path)
    assert store.get_user("old").kind == "account"
    store.create_user("old", kind="iam")
    store.close()
    reopened = open_store(tmp_path)
    assert reopened.get_user("old").kind == "iam"
    reopened.close()
