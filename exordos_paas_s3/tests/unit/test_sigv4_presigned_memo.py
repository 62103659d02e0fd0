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
"""The memo of verified presigned URLs must never accept what a fresh
verification would refuse: each test verifies a URL once (filling the memo),
changes one thing the answer depends on, and expects the fresh answer."""

import time

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import identities, sigv4

ROOT_KEY = "MEMOROOTKEY000000001"
ROOT_SECRET = "memo-root-secret-0000000000000000000000"
USER_KEY = "MEMOUSERKEY000000001"
HOST = "127.0.0.1:9000"


def presign(access_key, secret, path="/b/k", expires=600, **headers):
    req = AWSRequest(
        method="GET", url=f"http://{HOST}{path}", headers={"host": HOST, **headers}
    )
    signer = S3SigV4QueryAuth(
        Credentials(access_key, secret), "s3", "us-east-1", expires=expires
    )
    signer.add_auth(req)
    query = req.url.split("?", 1)[1]
    return sigv4.RequestView("GET", path, query, {"host": HOST, **headers})


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture()
def store():
    s = identities.IdentityStore(
        ":memory:", root_access_key=ROOT_KEY, root_secret_key=ROOT_SECRET
    )
    yield s
    s.close()


def test_second_use_is_served_from_the_memo_with_the_same_result(store):
    auth = sigv4.Authenticator(store, "us-east-1", clock=Clock(time.time()))
    view = presign(ROOT_KEY, ROOT_SECRET)
    first = auth.authenticate(view)
    assert len(auth._verified) == 1
    second = auth.authenticate(view)
    assert first == second
    assert second.principal.is_root and second.presigned


def test_memo_respects_expiry(store):
    clock = Clock(time.time())
    auth = sigv4.Authenticator(store, "us-east-1", clock=clock)
    view = presign(ROOT_KEY, ROOT_SECRET, expires=60)
    auth.authenticate(view)
    # botocore signed at the wall clock (whole seconds, rounded down).
    clock.now = time.time() + 61
    with pytest.raises(errors.AccessDenied, match="Request has expired"):
        auth.authenticate(view)


def test_memo_respects_unsigned_amz_headers(store):
    auth = sigv4.Authenticator(store, "us-east-1", clock=Clock(time.time()))
    view = presign(ROOT_KEY, ROOT_SECRET)
    auth.authenticate(view)
    view.headers = dict(view.headers, **{"x-amz-acl": "public-read"})
    with pytest.raises(errors.AccessDenied, match="not signed"):
        auth.authenticate(view)


def test_memo_respects_signed_header_values(store):
    auth = sigv4.Authenticator(store, "us-east-1", clock=Clock(time.time()))
    view = presign(ROOT_KEY, ROOT_SECRET, **{"x-amz-meta-a": "1"})
    auth.authenticate(view)
    view.headers = dict(view.headers, **{"x-amz-meta-a": "2"})
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(view)


def test_memo_respects_deleted_and_replaced_keys(store):
    store.create_user("alice")
    store.create_access_key("alice", access_key=USER_KEY, secret_key=ROOT_SECRET[::-1])
    auth = sigv4.Authenticator(store, "us-east-1", clock=Clock(time.time()))
    view = presign(USER_KEY, ROOT_SECRET[::-1])
    assert auth.authenticate(view).principal.name == "alice"
    store.delete_access_key("alice", USER_KEY)
    with pytest.raises(errors.InvalidAccessKeyId):
        auth.authenticate(view)
    # Same key id, another secret: the old URL no longer verifies.
    store.create_access_key("alice", access_key=USER_KEY, secret_key=ROOT_SECRET)
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(view)


def test_memo_is_keyed_by_method_and_path(store):
    auth = sigv4.Authenticator(store, "us-east-1", clock=Clock(time.time()))
    view = presign(ROOT_KEY, ROOT_SECRET)
    auth.authenticate(view)
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(
            sigv4.RequestView("PUT", view.raw_path, view.query, view.headers)
        )
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(
            sigv4.RequestView("GET", "/b/other", view.query, view.headers)
        )
