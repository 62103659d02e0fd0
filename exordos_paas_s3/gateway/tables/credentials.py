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
"""The catalog's credentials: vended table credentials and OAuth2 tokens.

Both are sessions of ``auth/sessions.py`` (decision 0014):

- **vending** (``--tables-vending``): a LoadTableResult (load, create,
  register) and ``GET .../tables/{t}/credentials`` carry a session of the
  caller's key scoped to exactly the table's location (``s3://b/tables/x``
  -> keys ``tables/x/...`` of ``b``), read-write when the caller may commit
  to the table (``s3tables:UpdateTableMetadataLocation``), read-only
  otherwise; lifetime ``--tables-vending-ttl``.
- **bearer tokens**: ``POST /iceberg/v1/oauth/tokens`` with
  ``grant_type=client_credentials``, ``client_id`` = an access key id and
  ``client_secret`` = its secret (form fields or HTTP Basic) answers an
  ``access_token`` that is an unscoped session token of that key; the
  catalog routes accept it as ``Authorization: Bearer <token>``. For clients
  that cannot SigV4-sign to a non-AWS host (DuckDB). Lifetime
  ``--tables-token-ttl``.
"""

from __future__ import annotations

import base64
import hmac
from typing import TYPE_CHECKING, Any
from urllib import parse as urlparse

import orjson

from exordos_paas_s3.gateway import errors as s3_errors
from exordos_paas_s3.gateway.auth import sessions
from exordos_paas_s3.gateway.auth.sigv4 import UNSIGNED_PAYLOAD, AuthResult
from exordos_paas_s3.gateway.operations import Operation as Op
from exordos_paas_s3.gateway.request import Request, Response
from exordos_paas_s3.gateway.tables import catalog as cat

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

TOKEN_PATHS = ("/iceberg/v1/oauth/tokens", "/_iceberg/v1/oauth/tokens")
BEARER = "bearer "
_NO_STORE = {"content-type": "application/json", "cache-control": "no-store"}


def vending_on(req: Request) -> bool:
    return req.settings.tables_vending and req.services.sessions is not None


def location_scope(bucket: str, location: str) -> sessions.Scope | None:
    """The session scope of a table location inside ``bucket``."""
    head = f"s3://{bucket}/"
    if not location.startswith(head):
        return None
    prefix = location[len(head) :].rstrip("/")
    if not prefix:
        return None
    return sessions.Scope(bucket=bucket, prefix=prefix + "/", write=False)


async def vend(
    req: Request, bucket: str, resource: str, metadata: TableMetadata
) -> dict[str, Any] | None:
    """The vended credentials of a table as Iceberg REST config, or None
    (vending off, or a location this bucket cannot scope)."""
    sessions_ = req.services.sessions
    if not vending_on(req) or sessions_ is None or req.principal is None:
        return None
    location = metadata.location
    scope = location_scope(bucket, location)
    if scope is None:
        return None
    try:
        await req.authorize(Op.TablesUpdateTable, req.bucket_info, key=resource)
        write = True
    except s3_errors.S3Error as exc:
        if exc.code != "AccessDenied":
            raise
        write = False
    scope = sessions.Scope(scope.bucket, scope.prefix, write)
    creds = sessions_.issue(req.principal, req.settings.tables_vending_ttl, scope)
    config = {
        "s3.access-key-id": creds.access_key,
        "s3.secret-access-key": creds.secret_key,
        "s3.session-token": creds.token,
        "s3.session-token-expires-at-ms": str(creds.expires * 1000),
        "s3.region": req.settings.region,
    }
    endpoint = _endpoint(req)
    if endpoint:
        config["s3.endpoint"] = endpoint
        config["s3.path-style-access"] = "true"
    return {
        "config": config,
        "storage-credentials": [{"prefix": location, "config": config}],
    }


def _endpoint(req: Request) -> str:
    host = req.headers.get("host", "")
    if not host:
        return ""
    scheme = (req.scope or {}).get("scheme", "http")
    return f"{scheme}://{host}"


def with_credentials(response: Response, vended: dict[str, Any] | None) -> Response:
    """A LoadTableResult with the vended ``config`` and
    ``storage-credentials`` spliced in (never cached by a proxy)."""
    if vended is None:
        return response
    body = response.body
    assert isinstance(body, bytes) and body.endswith(b',"config":{}}')
    response.body = (
        body[: -len(b'"config":{}}')]
        + b'"config":'
        + orjson.dumps(vended["config"])
        + b',"storage-credentials":'
        + orjson.dumps(vended["storage-credentials"])
        + b"}"
    )
    response.headers["cache-control"] = "no-store"
    return response


def credentials_response(vended: dict[str, Any] | None) -> Response:
    """``GET .../tables/{t}/credentials`` (LoadCredentialsResponse)."""
    if vended is None:
        raise cat.BadRequest(
            "credential vending is off on this gateway (--tables-vending)"
        )
    return Response(
        status=200,
        headers=dict(_NO_STORE),
        body=orjson.dumps({"storage-credentials": vended["storage-credentials"]}),
    )


# --- bearer tokens --------------------------------------------------------------


def bearer_auth(req: Request, authorization: str) -> AuthResult:
    """The principal of ``Authorization: Bearer <token>``; 401 otherwise."""
    sessions_ = req.services.sessions
    if sessions_ is None:
        raise cat.NotAuthorized("bearer tokens are not accepted here")
    token = authorization[len(BEARER) :].strip()
    try:
        principal = sessions_.resolve_bearer(token)
    except s3_errors.S3Error as exc:
        # 401 whatever the cause, so that an OAuth2 client fetches a new one.
        raise cat.NotAuthorized(f"bearer token refused: {exc.message}") from None
    return AuthResult(
        principal=principal,
        access_key=principal.access_key,
        payload_hash=UNSIGNED_PAYLOAD,
    )


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(
        status=status,
        headers=dict(_NO_STORE),
        body=orjson.dumps({"error": error, "error_description": description}),
    )


def token_response(req: Request, body: bytes) -> Response:
    """``POST /iceberg/v1/oauth/tokens``: the client_credentials grant."""
    if req.method != "POST":
        return _oauth_error(405, "invalid_request", "use POST")
    sessions_ = req.services.sessions
    identities = req.services.identities
    if sessions_ is None or identities is None:
        return _oauth_error(400, "unsupported_grant_type", "no tokens here")
    try:
        form = dict(
            urlparse.parse_qsl(
                body.decode(), keep_blank_values=True, strict_parsing=bool(body)
            )
        )
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "the body is not a form")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(
            400, "unsupported_grant_type", "only grant_type=client_credentials"
        )
    client_id = form.get("client_id", "")
    client_secret = form.get("client_secret", "")
    basic = req.headers.get("authorization", "")
    if basic[:6].lower() == "basic " and not client_id:
        try:
            decoded = base64.b64decode(basic[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return _oauth_error(400, "invalid_request", "malformed Basic credentials")
        client_id, _, client_secret = decoded.partition(":")
        client_id = urlparse.unquote(client_id)
        client_secret = urlparse.unquote(client_secret)
    if not client_id or not client_secret:
        return _oauth_error(
            400, "invalid_request", "client_id and client_secret are required"
        )
    try:
        secret, principal = identities.lookup(client_id)
    except s3_errors.S3Error:
        secret, principal = "", None
    # The same comparison either way: whether a key exists is not told.
    if not hmac.compare_digest(
        client_secret.encode(), (secret or "\0" * 40).encode()
    ) or (principal is None):
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    ttl = req.settings.tables_token_ttl
    creds = sessions_.issue(principal, ttl)
    return Response(
        status=200,
        headers=dict(_NO_STORE),
        body=orjson.dumps(
            {
                "access_token": creds.token,
                "token_type": "bearer",
                "expires_in": ttl,
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            }
        ),
    )
