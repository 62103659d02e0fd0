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
"""IAM policies and attachments in the identity store (SQLite + memory)."""

import json

import pytest

from exordos_paas_s3.gateway.auth import identities

READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)


def open_store(path):
    return identities.IdentityStore(
        str(path / "iam.sqlite"), root_access_key="ROOTKEY01", root_secret_key="r" * 20
    )


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path)
    yield s
    s.close()


def principal_of(store, name):
    user = store.get_user(name)
    return store.principal_by_canonical_id(user.canonical_id)


def test_attached_policy_reaches_the_principal_and_survives_a_reopen(tmp_path):
    store = open_store(tmp_path)
    store.put_policy("read", READ)
    store.create_user("alice", user_id="alice-id")
    assert store.attach_policy("alice", "read") is True
    assert store.attach_policy("alice", "read") is False
    (policy,) = store.identity_policies(principal_of(store, "alice"))
    assert policy.text == READ
    store.close()

    reopened = open_store(tmp_path)
    (policy,) = reopened.identity_policies(principal_of(reopened, "alice"))
    assert policy.text == READ
    assert reopened.list_attachments() == [("alice", "read")]
    assert reopened.identity_policies(reopened.root) == []
    reopened.close()


def test_invalid_document_is_refused_with_the_parser_reason(store):
    with pytest.raises(identities.InvalidIdentityInput) as err:
        store.put_policy("bad", '{"Statement": [{"Effect": "Perhaps"}]}')
    assert "Effect" in str(err.value)
    with pytest.raises(identities.InvalidIdentityInput):
        store.put_policy("bad name/", READ)
    assert store.list_policies() == []


def test_put_is_idempotent_and_a_new_text_replaces(store):
    assert store.put_policy("read", READ)[1] is True
    assert store.put_policy("read", READ)[1] is False
    write = READ.replace("s3:GetObject", "s3:PutObject")
    store.create_user("bob")
    store.attach_policy("bob", "read")
    assert store.put_policy("read", write)[1] is True
    (policy,) = store.identity_policies(principal_of(store, "bob"))
    assert policy.text == write


def test_attached_policy_cannot_be_deleted(store):
    store.put_policy("read", READ)
    store.create_user("carol")
    store.attach_policy("carol", "read")
    with pytest.raises(identities.IdentityConflict):
        store.delete_policy("read")
    assert store.detach_policy("carol", "read") is True
    assert store.detach_policy("carol", "read") is False
    assert store.delete_policy("read") is True
    assert store.delete_policy("read") is False


def test_a_recreated_user_does_not_inherit_old_attachments(store):
    store.put_policy("read", READ)
    store.create_user("dave", user_id="dave-id")
    store.attach_policy("dave", "read")
    store.delete_user("dave")
    store.create_user("dave", user_id="dave-id")
    assert store.identity_policies(principal_of(store, "dave")) == []
    assert store.list_attachments() == []


def test_attach_needs_an_existing_user_and_policy(store):
    store.create_user("erin")
    with pytest.raises(identities.IdentityNotFound):
        store.attach_policy("erin", "nope")
    store.put_policy("read", READ)
    with pytest.raises(identities.IdentityNotFound):
        store.attach_policy("nobody", "read")
