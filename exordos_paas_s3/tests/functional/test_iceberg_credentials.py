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
"""Vended table credentials and OAuth2 bearer tokens of the Iceberg catalog,
against a real gateway process started with ``--tables-vending``.

Stock PyIceberg writes and reads a table with no S3 credentials of its own
(a bearer token for the catalog, the vended session for the files); boto3
with the vended credentials probes the scope: the table's prefix only, not
its sibling, not another bucket, not after expiry or once the issuing key is
gone.
"""

from __future__ import annotations

import time
import uuid

import boto3
import pyarrow as pa
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from pyiceberg import exceptions as ice_exc
from pyiceberg.catalog.rest import RestCatalog

from exordos_paas_s3.gateway.auth import identities, sessions
from exordos_paas_s3.tests.functional.conftest import new_gateway
from exordos_paas_s3.tests.functional.test_authorization import Admin
from exordos_paas_s3.tests.functional.test_iceberg_catalog import (
    SCHEMA,
    _catalog,
    _signed,
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = new_gateway(str(tmp_path_factory.mktemp("vending")), "--tables-vending")
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


def _s3(gateway, access, secret, token=None):
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=gateway.region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


@pytest.fixture
def s3(gateway):
    return _s3(gateway, gateway.access_key, gateway.secret_key)


@pytest.fixture
def table_bucket(gateway, s3):
    name = "tb-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    r = _signed(gateway, "PUT", f"/iceberg/v1/buckets/{name}")
    assert r.status_code == 200, r.text
    return name


def _token(gateway, access, secret) -> str:
    r = requests.post(
        gateway.endpoint + "/iceberg/v1/oauth/tokens",
        data={
            "grant_type": "client_credentials",
            "client_id": access,
            "client_secret": secret,
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    return body["access_token"]


def _bearer_catalog(gateway, bucket, token) -> RestCatalog:
    # No S3 credentials at all: file IO can only use what the catalog vends.
    return RestCatalog(
        "bearer-" + uuid.uuid4().hex[:6],
        **{"uri": gateway.endpoint + "/iceberg", "warehouse": bucket, "token": token},
    )


def _load(gateway, bucket, ns, table, key=None):
    r = _signed(
        gateway, "GET", f"/iceberg/v1/{bucket}/namespaces/{ns}/tables/{table}", key=key
    )
    assert r.status_code == 200, r.text
    return r


def _code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_load_table_vends_credentials_scoped_to_the_table(gateway, table_bucket):
    cat = _catalog(gateway, table_bucket)
    cat.create_namespace("v")
    table = cat.create_table("v.t", schema=SCHEMA)
    before = time.time()
    r = _load(gateway, table_bucket, "v", "t")
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    config = body["config"]
    for name in ("s3.access-key-id", "s3.secret-access-key", "s3.session-token"):
        assert config[name], name
    assert config["s3.access-key-id"].startswith("ASIA")
    expires_ms = int(config["s3.session-token-expires-at-ms"])
    assert before + 890 <= expires_ms / 1000 <= time.time() + 910
    assert body["storage-credentials"] == [
        {"prefix": table.metadata.location, "config": config}
    ]
    # The credentials route answers the same shape, never cached.
    r = _signed(
        gateway, "GET", f"/iceberg/v1/{table_bucket}/namespaces/v/tables/t/credentials"
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    creds = r.json()["storage-credentials"]
    assert creds[0]["prefix"] == table.metadata.location
    assert creds[0]["config"]["s3.access-key-id"] != config["s3.access-key-id"]
    # /config lists both routes now that they work.
    r = _signed(gateway, "GET", f"/iceberg/v1/config?warehouse={table_bucket}")
    endpoints = r.json()["endpoints"]
    assert "POST /v1/oauth/tokens" in endpoints
    assert (
        "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials"
        in endpoints
    )


def test_pyiceberg_writes_and_reads_through_vended_credentials(
    gateway, table_bucket, s3
):
    token = _token(gateway, gateway.access_key, gateway.secret_key)
    cat = _bearer_catalog(gateway, table_bucket, token)
    cat.create_namespace("bearer")
    table = cat.create_table("bearer.t", schema=SCHEMA)
    table.append(pa.table({"id": [1, 2], "name": ["a", "b"]}, schema=SCHEMA))
    table.append(pa.table({"id": [3], "name": ["c"]}, schema=SCHEMA))
    rows = cat.load_table("bearer.t").scan().to_arrow().sort_by("id")
    assert rows.column("id").to_pylist() == [1, 2, 3]
    # The data files are where the table says, written by the vended session.
    prefix = table.metadata.location.split("/", 3)[3] + "/data/"
    listed = s3.list_objects_v2(Bucket=table_bucket, Prefix=prefix)
    assert listed["KeyCount"] == 2


def test_vended_credentials_reach_only_the_table_prefix(gateway, table_bucket, s3):
    cat = _catalog(gateway, table_bucket)
    cat.create_namespace("scope")
    table = cat.create_table("scope.t", schema=SCHEMA)
    config = _load(gateway, table_bucket, "scope", "t").json()["config"]
    vended = _s3(
        gateway,
        config["s3.access-key-id"],
        config["s3.secret-access-key"],
        config["s3.session-token"],
    )
    prefix = table.metadata.location.split("/", 3)[3]  # tables/<uuid>
    inside = prefix + "/data/x.parquet"
    vended.put_object(Bucket=table_bucket, Key=inside, Body=b"in")
    assert vended.get_object(Bucket=table_bucket, Key=inside)["Body"].read() == b"in"
    assert vended.head_object(Bucket=table_bucket, Key=inside)["ContentLength"] == 2
    listed = vended.list_objects_v2(Bucket=table_bucket, Prefix=prefix + "/")
    assert inside in [o["Key"] for o in listed["Contents"]]
    # A presigned URL made with the session works too (token in the query).
    url = vended.generate_presigned_url(
        "get_object", Params={"Bucket": table_bucket, "Key": inside}, ExpiresIn=60
    )
    assert "X-Amz-Security-Token" in url
    assert requests.get(url, timeout=10).content == b"in"
    # The sibling prefix, the bucket root, a listing wider than the table,
    # another bucket, bucket-level calls, the catalog: all refused.
    s3.put_object(Bucket=table_bucket, Key=prefix + "-x/secret", Body=b"no")
    other = "other-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=other, Key=inside, Body=b"no")
    refused = [
        lambda: vended.get_object(Bucket=table_bucket, Key=prefix + "-x/secret"),
        lambda: vended.put_object(Bucket=table_bucket, Key=prefix + "-x/y", Body=b""),
        lambda: vended.put_object(Bucket=table_bucket, Key="top", Body=b""),
        lambda: vended.list_objects_v2(Bucket=table_bucket, Prefix=prefix),
        lambda: vended.list_objects_v2(Bucket=table_bucket),
        lambda: vended.get_object(Bucket=other, Key=inside),
        lambda: vended.delete_bucket(Bucket=table_bucket),
        lambda: vended.list_buckets(),
    ]
    for call in refused:
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "AccessDenied"
    key = (config["s3.access-key-id"], config["s3.secret-access-key"])
    r = requests.get(
        gateway.endpoint + f"/iceberg/v1/{table_bucket}/namespaces",
        headers=_session_headers(gateway, key, config["s3.session-token"]),
        timeout=10,
    )
    assert r.status_code == 403, r.text
    # Without its token the session key is unknown; with a tampered one,
    # refused.
    with pytest.raises(ClientError) as exc:
        _s3(gateway, *key).get_object(Bucket=table_bucket, Key=inside)
    assert _code(exc) == "InvalidAccessKeyId"
    tampered = config["s3.session-token"][:-4] + "AAAA"
    with pytest.raises(ClientError) as exc:
        _s3(gateway, *key, tampered).get_object(Bucket=table_bucket, Key=inside)
    assert _code(exc) == "InvalidToken"
    s3.delete_object(Bucket=other, Key=inside)
    s3.delete_bucket(Bucket=other)


def _session_headers(gateway, key, token):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = gateway.endpoint + "/iceberg/v1/x/namespaces"
    request = AWSRequest(method="GET", url=url, headers={})
    SigV4Auth(Credentials(*key, token), "s3tables", gateway.region).add_auth(request)
    return dict(request.headers)


def test_expired_and_foreign_sessions_are_refused(gateway, table_bucket, tmp_path):
    """A token sealed by another gateway of the same instance (same root
    secret) is honoured until its expiry; one of another instance never."""
    store = identities.IdentityStore.in_data_dir(
        str(tmp_path),
        root_access_key=gateway.access_key,
        root_secret_key=gateway.secret_key,
    )
    s3 = _s3(gateway, gateway.access_key, gateway.secret_key)
    s3.put_object(Bucket=table_bucket, Key="tables/k/f", Body=b"f")
    scope = sessions.Scope(table_bucket, "tables/k/", write=False)
    live = sessions.Sessions(store, gateway.secret_key).issue(store.root, 900, scope)
    client = _s3(gateway, live.access_key, live.secret_key, live.token)
    assert client.get_object(Bucket=table_bucket, Key="tables/k/f")["Body"].read()
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=table_bucket, Key="tables/k/g", Body=b"")
    assert _code(exc) == "AccessDenied"  # a read-only scope
    past = sessions.Sessions(store, gateway.secret_key, clock=lambda: time.time() - 901)
    old = past.issue(store.root, 900, scope)
    with pytest.raises(ClientError) as exc:
        _s3(gateway, old.access_key, old.secret_key, old.token).get_object(
            Bucket=table_bucket, Key="tables/k/f"
        )
    assert _code(exc) == "ExpiredToken"
    foreign = sessions.Sessions(store, "another instance's root secret")
    alien = foreign.issue(store.root, 900, scope)
    with pytest.raises(ClientError) as exc:
        _s3(gateway, alien.access_key, alien.secret_key, alien.token).get_object(
            Bucket=table_bucket, Key="tables/k/f"
        )
    assert _code(exc) == "InvalidToken"
    store.close()


def _user(admin, *actions):
    name = "u" + uuid.uuid4().hex[:10]
    admin.call("PUT", f"/v1/users/{name}", {"kind": "iam"})
    key = admin.call("POST", f"/v1/users/{name}/keys", {}).json()
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }
    admin.call("PUT", f"/v1/policies/{name}-p", {"document": doc})
    admin.call("PUT", f"/v1/users/{name}/policies/{name}-p", {})
    return name, (key["access_key"], key["secret_key"])


def test_removing_the_issuing_key_revokes_its_sessions(gateway, table_bucket):
    admin = Admin(gateway)
    cat = _catalog(gateway, table_bucket)
    cat.create_namespace("rev")
    table = cat.create_table("rev.t", schema=SCHEMA)
    name, key = _user(admin, "s3tables:*", "s3:*")
    config = _load(gateway, table_bucket, "rev", "t", key=key).json()["config"]
    vended = _s3(
        gateway,
        config["s3.access-key-id"],
        config["s3.secret-access-key"],
        config["s3.session-token"],
    )
    inside = table.metadata.location.split("/", 3)[3] + "/data/r"
    vended.put_object(Bucket=table_bucket, Key=inside, Body=b"r")
    token = _token(gateway, *key)
    catalog_url = gateway.endpoint + f"/iceberg/v1/{table_bucket}/namespaces"
    bearer = {"authorization": "Bearer " + token}
    assert requests.get(catalog_url, headers=bearer, timeout=10).status_code == 200
    admin.call("DELETE", f"/v1/users/{name}/keys/{key[0]}")
    with pytest.raises(ClientError) as exc:
        vended.get_object(Bucket=table_bucket, Key=inside)
    assert _code(exc) == "AccessDenied"
    r = requests.get(catalog_url, headers=bearer, timeout=10)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["type"] == "NotAuthorizedException"


def test_vended_credentials_follow_the_callers_rights(gateway, table_bucket):
    """Read-only for a caller that may not commit; and never more than the
    caller's own S3 rights."""
    admin = Admin(gateway)
    cat = _catalog(gateway, table_bucket)
    cat.create_namespace("ro")
    table = cat.create_table("ro.t", schema=SCHEMA)
    table.append(pa.table({"id": [1], "name": ["a"]}, schema=SCHEMA))
    _, reader = _user(admin, "s3tables:GetTable", "s3:GetObject", "s3:PutObject")
    config = _load(gateway, table_bucket, "ro", "t", key=reader).json()["config"]
    vended = _s3(
        gateway,
        config["s3.access-key-id"],
        config["s3.secret-access-key"],
        config["s3.session-token"],
    )
    loaded = _catalog(gateway, table_bucket).load_table("ro.t")
    manifest_list = loaded.metadata.snapshots[0].manifest_list.split("/", 3)[3]
    assert vended.get_object(Bucket=table_bucket, Key=manifest_list)["Body"].read()
    with pytest.raises(ClientError) as exc:
        vended.put_object(Bucket=table_bucket, Key=manifest_list + ".x", Body=b"")
    assert _code(exc) == "AccessDenied"
    _, no_s3 = _user(admin, "s3tables:*")
    config = _load(gateway, table_bucket, "ro", "t", key=no_s3).json()["config"]
    vended = _s3(
        gateway,
        config["s3.access-key-id"],
        config["s3.secret-access-key"],
        config["s3.session-token"],
    )
    with pytest.raises(ClientError) as exc:
        vended.get_object(Bucket=table_bucket, Key=manifest_list)
    assert _code(exc) == "AccessDenied"


def test_token_exchange_errors(gateway, table_bucket):
    url = gateway.endpoint + "/iceberg/v1/oauth/tokens"
    cases = [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, 400, "invalid_request"),
        (
            {
                "grant_type": "client_credentials",
                "client_id": gateway.access_key,
                "client_secret": "wrong",
            },
            401,
            "invalid_client",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "AKNOSUCHKEY",
                "client_secret": "x",
            },
            401,
            "invalid_client",
        ),
    ]
    for form, status, error in cases:
        r = requests.post(url, data=form, timeout=10)
        assert r.status_code == status, (form, r.text)
        assert r.json()["error"] == error
        assert gateway.secret_key not in r.text
    # HTTP Basic client authentication works too.
    r = requests.post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(gateway.access_key, gateway.secret_key),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    ns = gateway.endpoint + f"/iceberg/v1/{table_bucket}/namespaces"
    ok = requests.get(ns, headers={"authorization": "Bearer " + token}, timeout=10)
    assert ok.status_code == 200, ok.text
    bad = requests.get(ns, headers={"authorization": "Bearer garbage"}, timeout=10)
    assert bad.status_code == 401
    # A bearer token is not an S3 credential: S3 requests are signed.
    r = requests.get(
        gateway.endpoint + f"/{table_bucket}",
        headers={"authorization": "Bearer " + token},
        timeout=10,
    )
    assert r.status_code == 400 and b"InvalidArgument" in r.content
    # PyIceberg's own OAuth2 flow (credential=id:secret) gets a token the
    # same way.
    cat = RestCatalog(
        "oauth",
        **{
            "uri": gateway.endpoint + "/iceberg",
            "warehouse": table_bucket,
            "credential": f"{gateway.access_key}:{gateway.secret_key}",
            "oauth2-server-uri": gateway.endpoint + "/iceberg/v1/oauth/tokens",
        },
    )
    cat.create_namespace("oauth")
    assert ("oauth",) in cat.list_namespaces()
    with pytest.raises(ice_exc.OAuthError):
        RestCatalog(
            "oauth-bad",
            **{
                "uri": gateway.endpoint + "/iceberg",
                "warehouse": table_bucket,
                "credential": f"{gateway.access_key}:nope",
                "oauth2-server-uri": gateway.endpoint + "/iceberg/v1/oauth/tokens",
            },
        )


# --- IAM: s3tables actions in identity and bucket policies ------------------------


def test_get_table_without_create_table_is_refused_create(gateway, table_bucket):
    cat = _catalog(gateway, table_bucket)
    cat.create_namespace("iam")
    cat.create_table("iam.t", schema=SCHEMA)
    _, key = _user(
        Admin(gateway),
        "s3tables:GetTableBucket",
        "s3tables:GetTable",
        "s3tables:ListTables",
    )
    reader = _catalog(gateway, table_bucket, key=key)
    assert reader.load_table("iam.t").metadata.location
    assert ("iam", "t") in reader.list_tables("iam")
    with pytest.raises(ice_exc.ForbiddenError):
        reader.create_table("iam.other", schema=SCHEMA)
    assert not cat.table_exists("iam.other")


def test_a_bucket_policy_grants_catalog_actions(gateway, table_bucket, s3):
    """A user with no identity policy at all, allowed by the table bucket's
    own policy (s3tables actions on its s3tables ARNs)."""
    import json

    cat = _catalog(gateway, table_bucket)
    cat.create_namespace("bp")
    cat.create_table("bp.t", schema=SCHEMA)
    admin = Admin(gateway)
    name = "bp" + uuid.uuid4().hex[:8]
    admin.call("PUT", f"/v1/users/{name}", {"kind": "iam"})
    raw = admin.call("POST", f"/v1/users/{name}/keys", {}).json()
    key = (raw["access_key"], raw["secret_key"])
    tables_arn = f"arn:aws:s3tables:*:*:bucket/{table_bucket}"
    s3.put_bucket_policy(
        Bucket=table_bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3tables:Get*", "s3tables:List*"],
                        "Resource": [tables_arn, tables_arn + "/table/*"],
                    }
                ],
            }
        ),
    )
    reader = _catalog(gateway, table_bucket, key=key)
    assert reader.load_table("bp.t").metadata.location
    with pytest.raises(ice_exc.ForbiddenError):
        reader.create_table("bp.other", schema=SCHEMA)
    # An S3 action with only s3tables resources is refused as AWS refuses it.
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(
            Bucket=table_bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": tables_arn + "/*",
                        }
                    ],
                }
            ),
        )
    assert _code(exc) == "MalformedPolicy"
    s3.delete_bucket_policy(Bucket=table_bucket)
    with pytest.raises(ice_exc.ForbiddenError):
        reader.load_table("bp.t")
