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
"""Catalog requests signed as botocore's generic SigV4Auth signs them
(PyIceberg's ``rest.sigv4-enabled``): body hash signed but not sent, the
path encoded twice, service s3tables or s3."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import identities, sigv4

KEY, SECRET = "AKIDCATALOG", "catalog-secret-0000000000000000000000000"
HOST = "127.0.0.1:9000"


@pytest.fixture
def auth():
    store = identities.IdentityStore(
        ":memory:", root_access_key=KEY, root_secret_key=SECRET
    )
    return sigv4.Authenticator(store, "us-east-1")


def _view(method, path, body, *, service="s3tables", secret=SECRET, tamper=None):
    url = f"http://{HOST}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers={})
    SigV4Auth(Credentials(KEY, secret), service, "us-east-1").add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = HOST
    parts = urllib.parse.urlsplit(url)
    sent = tamper if tamper is not None else body
    return sigv4.RequestView(method, parts.path, parts.query, headers), sent


@pytest.mark.parametrize("service", ["s3tables", "s3"])
def test_generic_sigv4_with_body_and_encoded_namespace(auth, service):
    body = b'{"namespace": ["a", "b"]}'
    view, sent = _view(
        "POST", "/iceberg/v1/wh/namespaces/a%1Fb/tables", body, service=service
    )
    assert "x-amz-content-sha256" not in view.headers
    result = auth.authenticate_catalog(view, sent)
    assert result.principal is not None and result.principal.is_root


def test_get_with_query_and_empty_body(auth):
    view, sent = _view("GET", "/iceberg/v1/wh/namespaces?parent=a%1Fb&pageSize=2", b"")
    assert auth.authenticate_catalog(view, sent).principal is not None


def test_changed_body_does_not_match(auth):
    view, _ = _view("POST", "/iceberg/v1/wh/namespaces", b'{"namespace":["a"]}')
    with pytest.raises(errors.S3Error) as exc:
        auth.authenticate_catalog(view, b'{"namespace":["evil"]}')
    assert exc.value.code == "SignatureDoesNotMatch"


def test_wrong_secret_and_wrong_service(auth):
    view, sent = _view("GET", "/iceberg/v1/config", b"", secret="nope")
    with pytest.raises(errors.S3Error) as exc:
        auth.authenticate_catalog(view, sent)
    assert exc.value.code == "SignatureDoesNotMatch"
    view, sent = _view("GET", "/iceberg/v1/config", b"", service="execute-api")
    with pytest.raises(errors.S3Error) as exc:
        auth.authenticate_catalog(view, sent)
    assert exc.value.code == "AuthorizationHeaderMalformed"


def test_declared_body_hash_must_match(auth):
    view, sent = _view("POST", "/iceberg/v1/wh/namespaces", b"{}")
    view.headers["x-amz-content-sha256"] = "0" * 64
    with pytest.raises(errors.S3Error) as exc:
        auth.authenticate_catalog(view, sent)
    assert exc.value.code == "XAmzContentSHA256Mismatch"


def test_unsigned_is_anonymous_and_s3_requests_keep_service_s3(auth):
    view = sigv4.RequestView("GET", "/iceberg/v1/config", "", {"host": HOST})
    assert auth.authenticate_catalog(view, b"").principal is None
    # The S3 path still refuses a credential scoped to s3tables.
    view, _ = _view("GET", "/bucket/key", b"")
    view.headers["x-amz-content-sha256"] = sigv4.EMPTY_SHA256
    with pytest.raises(errors.S3Error) as exc:
        auth.authenticate(view)
    assert exc.value.code == "AuthorizationHeaderMalformed"


def test_clock_skew_still_applies(auth):
    store = identities.IdentityStore(
        ":memory:", root_access_key=KEY, root_secret_key=SECRET
    )
    late = sigv4.Authenticator(store, "us-east-1", clock=lambda: time.time() + 3600)
    view, sent = _view("GET", "/iceberg/v1/config", b"")
    with pytest.raises(errors.S3Error) as exc:
        late.authenticate_catalog(view, sent)
    assert exc.value.code == "RequestTimeTooSkewed"
