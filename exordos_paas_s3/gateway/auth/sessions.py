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
"""Temporary credentials: sessions issued and verified by the gateway.

A session is an access key id (``ASIA...``), a secret and a session token,
issued for a key (the *issuing key*) with an expiry and an optional scope
(docs/decisions/0014-sessions.md). Nothing is stored: the token *is* the
session, an AES-GCM sealed statement ``{access key id, secret, issuing key,
a fingerprint of the issuing key's secret, expiry, scope}`` under a key
derived (HKDF) from the instance's root secret, which every gateway of the
instance shares, so any of them verifies any other's tokens.

Verification (``resolve``) opens the token, checks it names the access key
that signed the request, that it has not expired, and that the issuing key
still exists with the same secret: deleting, disabling or replacing that
key revokes all its sessions at once. The principal is the issuing key's,
wrapped as a :class:`SessionPrincipal` carrying the scope, so authorization
is the intersection of the scope and the issuer's own permissions
(``allows``, called by ``authorization.Authorizer``).

The same tokens are the catalog's OAuth2 bearer tokens (``resolve_bearer``):
a ``client_credentials`` exchange issues an unscoped session of the key.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth.identities import (
    Principal,
    generate_secret_key,
)
from exordos_paas_s3.gateway.operations import Operation as Op

if TYPE_CHECKING:
    from exordos_paas_s3.gateway.auth.identities import IdentityStore

# AWS's prefix for temporary access key ids; generated permanent keys start
# with "AK" (identities.generate_access_key).
KEY_PREFIX = "ASIA"
_VERSION = b"\x01"
_INFO = b"exordos-s3 session tokens v1"
_CACHE_MAX = 4096
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

# What a scoped session may do, on keys under its prefix only. Reads:
READ_OPS = frozenset({Op.GetObject, Op.HeadObject, Op.GetObjectAttributes})
# Listing, with a ``prefix`` inside the scope:
LIST_OPS = frozenset({Op.ListObjects, Op.ListObjectsV2})
# And, for a session that may write:
WRITE_OPS = frozenset(
    {
        Op.PutObject,
        Op.DeleteObject,
        Op.DeleteObjects,
        Op.CreateMultipartUpload,
        Op.UploadPart,
        Op.CompleteMultipartUpload,
        Op.AbortMultipartUpload,
        Op.ListParts,
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class Scope:
    """Keys ``prefix...`` of ``bucket``; ``prefix`` ends with "/"."""

    bucket: str
    prefix: str
    write: bool

    def covers(self, bucket: str | None, key: str | None) -> bool:
        return bucket == self.bucket and key is not None and key.startswith(self.prefix)


@dataclasses.dataclass(frozen=True)
class SessionPrincipal(Principal):
    """The issuing key's principal, acting through a session.

    ``access_key`` is the session's key id; ``issuer_key`` the key that
    issued it. ``scope`` None: everything the issuer may do (a bearer
    token); otherwise only ``scope``, intersected with the issuer's rights.
    """

    issuer_key: str = ""
    scope: Scope | None = None
    expires: float = 0.0


@dataclasses.dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = dataclasses.field(repr=False)
    token: str = dataclasses.field(repr=False)
    expires: int  # seconds since the epoch


@dataclasses.dataclass(frozen=True, slots=True)
class _Statement:
    access_key: str
    secret_key: str
    issuer_key: str
    issuer_fingerprint: str
    expires: int
    scope: Scope | None


MIN_TTL = 60
MAX_TTL = 43200  # twelve hours, STS's longest role session


def clamp_ttl(seconds: int) -> int:
    return max(MIN_TTL, min(MAX_TTL, int(seconds)))


def derive_key(root_secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        root_secret.encode()
    )


def _fingerprint(secret: str) -> str:
    # Binds a session to the issuing key's secret as it was: a replaced
    # secret revokes the sessions, and the token does not carry the secret.
    return hashlib.sha256(b"exordos-s3 session issuer\0" + secret.encode()).hexdigest()[
        :16
    ]


def _new_key_id() -> str:
    raw = base64.b32encode(os.urandom(10)).decode()
    return KEY_PREFIX + raw[:16]


def token_of(headers, query: str) -> str | None:
    """The session token of a SigV4 request: header or presigned query."""
    token = headers.get("x-amz-security-token")
    if token is not None:
        return token
    if query and "X-Amz-Security-Token=" in query:
        from urllib.parse import unquote

        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "X-Amz-Security-Token":
                return unquote(value)
    return None


class Sessions:
    """Issues and verifies sessions; one per gateway process."""

    def __init__(
        self,
        identities: IdentityStore,
        root_secret: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._identities = identities
        self._aead = AESGCM(derive_key(root_secret))
        self._clock = clock
        # Opened tokens (they never change): the AEAD open and the JSON
        # parse once per token, not once per request. Bounded.
        self._opened: dict[str, _Statement] = {}
        # And the principal built for a token, reused while its issuer is
        # the same object with the same secret (the store makes a new
        # Principal whenever a user or key changes).
        self._principals: dict[str, tuple[str, Principal, SessionPrincipal]] = {}

    # -- issuing -----------------------------------------------------------

    def issue(
        self, principal: Principal, ttl: float, scope: Scope | None = None
    ) -> Credentials:
        """A session of ``principal``'s key. A session issues sessions of its
        own issuing key, never outliving itself."""
        if isinstance(principal, SessionPrincipal):
            issuer = principal.issuer_key
            expires = min(int(self._clock() + ttl), int(principal.expires))
            if principal.scope is not None:
                # A scoped session only narrows; it never issues.
                raise errors.AccessDenied("a scoped session cannot issue sessions")
        else:
            if principal.access_key is None:
                raise errors.AccessDenied("sessions are issued to signed requests")
            issuer = principal.access_key
            expires = int(self._clock() + ttl)
        issuer_secret, _ = self._identities.lookup(issuer)
        statement = _Statement(
            access_key=_new_key_id(),
            secret_key=generate_secret_key(),
            issuer_key=issuer,
            issuer_fingerprint=_fingerprint(issuer_secret),
            expires=expires,
            scope=scope,
        )
        return Credentials(
            access_key=statement.access_key,
            secret_key=statement.secret_key,
            token=self._seal(statement),
            expires=expires,
        )

    def _seal(self, s: _Statement) -> str:
        doc: dict = {
            "a": s.access_key,
            "s": s.secret_key,
            "i": s.issuer_key,
            "f": s.issuer_fingerprint,
            "e": s.expires,
        }
        if s.scope is not None:
            doc["b"], doc["p"], doc["w"] = s.scope.bucket, s.scope.prefix, s.scope.write
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, orjson.dumps(doc), _VERSION)
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode().rstrip("=")

    def _open(self, token: str) -> _Statement:
        hit = self._opened.get(token)
        if hit is not None:
            return hit
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            if raw[:1] != _VERSION or len(raw) < 13 + 16:
                raise ValueError("version")
            doc = orjson.loads(self._aead.decrypt(raw[1:13], raw[13:], _VERSION))
            scope = None
            if "b" in doc:
                scope = Scope(doc["b"], doc["p"], bool(doc["w"]))
            statement = _Statement(
                access_key=doc["a"],
                secret_key=doc["s"],
                issuer_key=doc["i"],
                issuer_fingerprint=doc["f"],
                expires=int(doc["e"]),
                scope=scope,
            )
        except (ValueError, InvalidTag, KeyError, TypeError):
            raise errors.InvalidToken() from None
        if len(self._opened) >= _CACHE_MAX:
            self._opened.clear()
            self._principals.clear()
        self._opened[token] = statement
        return statement

    # -- verifying ---------------------------------------------------------

    def resolve(self, access_key: str, token: str) -> tuple[str, Principal]:
        """Secret and principal of a session key, for SigV4 verification."""
        statement = self._open(token)
        if statement.access_key != access_key:
            raise errors.InvalidToken()
        return statement.secret_key, self._principal(token, statement)

    def resolve_bearer(self, token: str) -> Principal:
        """The principal of an ``Authorization: Bearer`` token (catalog)."""
        return self._principal(token, self._open(token))

    def _principal(self, token: str, statement: _Statement) -> SessionPrincipal:
        if self._clock() >= statement.expires:
            raise errors.ExpiredToken()
        try:
            issuer_secret, issuer = self._identities.lookup(statement.issuer_key)
        except errors.S3Error:
            raise errors.AccessDenied(
                "The key that issued this session no longer exists or is disabled."
            ) from None
        hit = self._principals.get(token)
        if hit is not None and hit[1] is issuer and hit[0] == issuer_secret:
            return hit[2]
        if _fingerprint(issuer_secret) != statement.issuer_fingerprint:
            raise errors.AccessDenied(
                "The key that issued this session has been replaced."
            )
        principal = SessionPrincipal(
            user_id=issuer.user_id,
            name=issuer.name,
            canonical_id=issuer.canonical_id,
            display_name=issuer.display_name,
            is_root=issuer.is_root,
            access_key=statement.access_key,
            kind=issuer.kind,
            issuer_key=statement.issuer_key,
            scope=statement.scope,
            expires=statement.expires,
        )
        self._principals[token] = (issuer_secret, issuer, principal)
        return principal


def allows(
    scope: Scope,
    operation: Op,
    bucket: str | None,
    key: str | None,
    query: dict[str, str],
) -> bool:
    """Whether a scoped session may attempt ``operation`` at all (the
    issuer's own rights are checked after this)."""
    if operation in READ_OPS or (scope.write and operation in WRITE_OPS):
        if operation is Op.DeleteObjects and not key:
            # The handler authorizes each key it is asked to delete.
            return bucket == scope.bucket
        return scope.covers(bucket, key)
    if operation in LIST_OPS:
        return scope.covers(bucket, query.get("prefix") or "")
    return False
