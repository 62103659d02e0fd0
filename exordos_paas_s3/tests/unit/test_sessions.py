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
"""Gateway-issued temporary credentials (auth/sessions.py) with a real
identity store and real SigV4 verification (botocore signs)."""

from __future__ import annotations

import time

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import identities, sessions, sigv4
from exordos_paas_s3.gateway.operations import Operation as Op

ROOT_KEY, ROOT_SECRET = "AKROOTSESSIONS01", "root-secret-for-the-session-tests"


class Clock:
    def __init__(self) -> None:
        # botocore signs with the real time: start there, move on by hand
        # (expiry is checked before the request's clock skew matters).
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env(tmp_path):
    store = identities.IdentityStore.in_data_dir(
        str(tmp_path), root_access_key=ROOT_KEY, root_secret_key=ROOT_SECRET
    )
    clock = Clock()
    s = sessions.Sessions(store, ROOT_SECRET, clock=clock)
    auth = sigv4.Authenticator(store, "us-east-1", clock=clock, sessions=s)
    yield store, s, auth, clock
    store.close()


def _signed_get(creds, clock, path="/b/tables/t/data/f", *, token=True):
    url = "http://127.0.0.1" + path
    request = AWSRequest(method="GET", url=url, headers={})
    request.headers["x-amz-content-sha256"] = sigv4.UNSIGNED_PAYLOAD
    S3SigV4Auth(
        Credentials(creds.access_key, creds.secret_key, creds.token if token else None),
        "s3",
        "us-east-1",
    ).add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1"
    return sigv4.RequestView("GET", path, "", headers)


SCOPE = sessions.Scope("b", "tables/abc/", write=True)


def test_a_session_verifies_as_its_issuer_with_its_scope(env):
    store, s, auth, clock = env
    creds = s.issue(store.root, 900, SCOPE)
    assert creds.access_key.startswith("ASIA") and creds.expires == clock.now + 900
    assert creds.secret_key not in creds.token and ROOT_SECRET not in creds.token
    result = auth.authenticate(_signed_get(creds, clock))
    principal = result.principal
    assert isinstance(principal, sessions.SessionPrincipal)
    assert principal.is_root and principal.issuer_key == ROOT_KEY
    assert principal.scope == SCOPE and principal.access_key == creds.access_key


def test_expiry_tampering_and_the_missing_token(env):
    store, s, auth, clock = env
    creds = s.issue(store.root, 900, SCOPE)
    with pytest.raises(errors.InvalidAccessKeyId):
        auth.authenticate(_signed_get(creds, clock, token=False))
    forged = sessions.Credentials(
        creds.access_key, creds.secret_key, creds.token[:-2] + "AA", creds.expires
    )
    with pytest.raises(errors.InvalidToken):
        auth.authenticate(_signed_get(forged, clock))
    # Another session's token under this session's key: refused.
    other = s.issue(store.root, 900, SCOPE)
    swapped = sessions.Credentials(
        creds.access_key, creds.secret_key, other.token, creds.expires
    )
    with pytest.raises(errors.InvalidToken):
        auth.authenticate(_signed_get(swapped, clock))
    clock.now += 900
    with pytest.raises(errors.ExpiredToken):
        auth.authenticate(_signed_get(creds, clock))


def test_the_issuing_key_going_revokes(env):
    store, s, auth, clock = env
    store.create_user("alice")
    key, _ = store.create_access_key("alice")
    _, alice = store.lookup(key.access_key)
    creds = s.issue(alice, 900, SCOPE)
    assert auth.authenticate(_signed_get(creds, clock)).principal.name == "alice"
    store.set_access_key_enabled("alice", key.access_key, False)
    with pytest.raises(errors.AccessDenied):
        auth.authenticate(_signed_get(creds, clock))
    store.set_access_key_enabled("alice", key.access_key, True)
    assert auth.authenticate(_signed_get(creds, clock)).principal.name == "alice"
    store.delete_access_key("alice", key.access_key)
    with pytest.raises(errors.AccessDenied):
        auth.authenticate(_signed_get(creds, clock))


def test_a_session_never_outlives_nor_widens_its_parent(env):
    store, s, _, clock = env
    parent = s.resolve_bearer(s.issue(store.root, 100).token)
    child = s.issue(parent, 900, SCOPE)
    assert child.expires == clock.now + 100
    scoped = s.resolve_bearer(child.token)
    with pytest.raises(errors.AccessDenied):
        s.issue(scoped, 900, SCOPE)


@pytest.mark.parametrize(
    "op, bucket, key, query, write, allowed",
    [
        (Op.GetObject, "b", "tables/abc/data/f", {}, False, True),
        (Op.HeadObject, "b", "tables/abc/metadata/m.json", {}, False, True),
        (Op.GetObject, "b", "tables/abc-x/data/f", {}, True, False),  # sibling
        (Op.GetObject, "b", "tables/abc", {}, True, False),
        (Op.GetObject, "other", "tables/abc/data/f", {}, True, False),
        (Op.PutObject, "b", "tables/abc/data/f", {}, False, False),
        (Op.PutObject, "b", "tables/abc/data/f", {}, True, True),
        (Op.UploadPart, "b", "tables/abc/data/f", {}, True, True),
        (Op.CopyObject, "b", "tables/abc/data/f", {}, True, False),
        (Op.DeleteObjects, "b", "", {}, True, True),  # per key after
        (Op.DeleteObjects, "b", "tables/abc-x/f", {}, True, False),
        (Op.ListObjectsV2, "b", "", {"prefix": "tables/abc/"}, False, True),
        (Op.ListObjectsV2, "b", "", {"prefix": "tables/abc"}, False, False),
        (Op.ListObjectsV2, "b", "", {}, False, False),
        (Op.GetBucketPolicy, "b", "", {}, True, False),
        (Op.TablesGetTable, "b", "ns/t", {}, True, False),
    ],
)
def test_what_a_scope_allows(op, bucket, key, query, write, allowed):
    scope = sessions.Scope("b", "tables/abc/", write=write)
    assert sessions.allows(scope, op, bucket, key, query) is allowed


def test_ttl_clamp():
    assert sessions.clamp_ttl(1) == 60
    assert sessions.clamp_ttl(900) == 900
    assert sessions.clamp_ttl(10**9) == 43200


def test_a_replaced_issuer_secret_revokes(env):
    """Same key id, new secret: the sessions of the old secret stop (the
    cached principal is not reused)."""
    store, s, auth, clock = env
    store.create_user("bob")
    store.create_access_key("bob", access_key="AKBOB0000001", secret_key="old-secret")
    _, bob = store.lookup("AKBOB0000001")
    creds = s.issue(bob, 900, SCOPE)
    assert auth.authenticate(_signed_get(creds, clock)).principal.name == "bob"
    store.delete_access_key("bob", "AKBOB0000001")
    store.create_access_key("bob", access_key="AKBOB0000001", secret_key="new-secret")
    with pytest.raises(errors.AccessDenied) as info:
        auth.authenticate(_signed_get(creds, clock))
    assert "replaced" in info.value.message
