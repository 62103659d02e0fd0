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
"""AWS Signature Version 4 verification (the server side).

No library verifies SigV4 on the server, so this module does it, following the
AWS documents "Create a canonical request for Signature Version 4" and, for S3,
"Signature Calculations for the Authorization Header" and "Authenticating
Requests: Using Query Parameters". Three ways a request can arrive:

- ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``
- presigned: ``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
  ``X-Amz-Expires``, ``X-Amz-SignedHeaders`` and ``X-Amz-Signature`` in the query
- anonymous: neither (the principal is ``None``; authorization decides).

Legacy SigV2 (``Authorization: AWS ...`` or ``AWSAccessKeyId``/``Signature``
in the query) is handed to ``sigv2.py`` when enabled (``allow_sigv2``).

The body is not read here: the declared ``x-amz-content-sha256`` goes into the
canonical request and is returned in :class:`AuthResult` so that the handler
checks the body against it (or decodes aws-chunked, see ``chunked.py``).
"""

from __future__ import annotations

import calendar
import dataclasses
import email.utils
import hashlib
import hmac
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import sessions as sessions_mod
from exordos_paas_s3.gateway.auth import sigv2
from exordos_paas_s3.gateway.auth.identities import Principal

if TYPE_CHECKING:
    from exordos_paas_s3.gateway.auth.identities import IdentityStore
    from exordos_paas_s3.gateway.auth.sessions import Sessions

LOG = logging.getLogger(__name__)

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_PAYLOADS = frozenset(
    {STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER}
)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_PRESIGNED_EXPIRES = 604800  # one week, per "Authenticating Requests: ..."
# The services a catalog request may be signed for (authenticate_catalog).
CATALOG_SERVICES = ("s3tables", "s3")

_AUTH_PREFIX = ALGORITHM + " "
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}\Z")
_EXPIRES_RE = re.compile(r"-?\d{1,12}\Z")
_AMZ_DATE_RE = re.compile(r"\d{8}T\d{6}Z\Z")
# RFC 3986 unreserved characters never need percent-encoding; a component made
# of them only (the common case) is already canonical.
_UNRESERVED_RE = re.compile(r"[A-Za-z0-9\-_.~]*\Z")
_CANONICAL_PATH_RE = re.compile(r"(?:[A-Za-z0-9\-_.~/]|%[0-9A-F]{2})*\Z")
_SIGNING_KEY_CACHE_MAX = 4096
# _encode's memo: component -> canonical form, bounded in count and length.
_ENCODED: dict[str, str] = {}
_ENCODED_MAX = 4096
_ENCODED_LEN_MAX = 256
# Presigned URLs that verified, by (method, raw path, query): a URL handed
# out once is often fetched many times (a download link, a media segment).
# Bounded in count and length like the memos above.
_VERIFIED_MAX = 4096
_VERIFIED_LEN_MAX = 2048


@dataclasses.dataclass
class RequestView:
    """What SigV4 needs of a request, transport-neutral."""

    method: str
    raw_path: str  # percent-encoded path as received (ASGI raw_path, latin-1)
    query: str  # raw query string as received, without '?'
    headers: Mapping[str, str]  # lower-case names; repeats joined with ","


@dataclasses.dataclass
class AuthResult:
    principal: Principal | None  # None: anonymous request
    access_key: str | None
    # The declared x-amz-content-sha256: 64 hex, UNSIGNED-PAYLOAD or one of
    # STREAMING_PAYLOADS. Presigned requests: always UNSIGNED-PAYLOAD.
    payload_hash: str
    presigned: bool = False
    signing_key: bytes | None = dataclasses.field(default=None, repr=False)
    seed_signature: str | None = None
    amz_date: str = ""  # yyyymmddThhmmssZ
    scope: str = ""  # yyyymmdd/region/s3/aws4_request


# -- the pure functions of the algorithm (also used by the tests) ----------


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.digest(("AWS4" + secret).encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def sign(signing_key: bytes, string_to_sign: str) -> str:
    return hmac.digest(signing_key, string_to_sign.encode(), "sha256").hex()


def _encode(component: str) -> str:
    """Percent-encode a query name or value per SigV4 (RFC 3986, uppercase hex).

    Input is the raw, possibly already encoded text (latin-1 decoded bytes).
    It is decoded first so that "%7e", "~" and "%7E" all canonicalise to "~".
    """
    if _UNRESERVED_RE.match(component):
        return component
    # Encoded components repeat from request to request (a presigned URL's
    # X-Amz-Credential is the same for a client all day): remember them.
    encoded = _ENCODED.get(component)
    if encoded is None:
        raw = urllib.parse.unquote_to_bytes(component.encode("latin-1", "replace"))
        encoded = urllib.parse.quote_from_bytes(raw, safe="-_.~")
        if len(component) <= _ENCODED_LEN_MAX:
            if len(_ENCODED) >= _ENCODED_MAX:
                _ENCODED.clear()
            _ENCODED[component] = encoded
    return encoded


def canonical_path(raw_path: str) -> str:
    """Re-encode each path segment consistently: unreserved kept, rest %XX.

    S3 neither normalises ("." and ".." segments, "//") nor double-encodes the
    path (botocore's S3SigV4Auth signs the URL path as is); this only evens out
    encodings, e.g. a client that sent "!" but signed "%21".
    """
    if not raw_path:
        return "/"
    if _CANONICAL_PATH_RE.match(raw_path):
        return raw_path
    raw = urllib.parse.unquote_to_bytes(raw_path.encode("latin-1", "replace"))
    return urllib.parse.quote_from_bytes(raw, safe="/-_.~")


def canonical_query(query: str, *, skip: str | None = None, plus_as_space=False) -> str:
    """Sorted, re-encoded query; parameters without '=' get an empty value."""
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if plus_as_space:
            name, value = name.replace("+", "%20"), value.replace("+", "%20")
        name = _encode(name)
        if name == skip:
            continue
        pairs.append((name, _encode(value)))
    pairs.sort()
    return "&".join([f"{n}={v}" for n, v in pairs])


def canonical_headers(headers: Mapping[str, str], signed_headers: list[str]) -> str:
    lines = []
    for name in signed_headers:
        value = headers.get(name, "")
        # Trim and collapse runs of whitespace, as botocore does.
        if "  " in value or "\t" in value or "\n" in value:
            value = " ".join(value.split())
        else:
            value = value.strip()
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: list[str],
    payload_hash: str,
) -> str:
    """The canonical request; ``path`` and ``query`` already canonical."""
    return "\n".join(
        (
            method,
            path,
            query,
            canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        )
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def parse_amz_date(value: str) -> float:
    """Seconds since the epoch of an ISO 8601 basic timestamp (yyyymmddThhmmssZ)."""
    if not _AMZ_DATE_RE.match(value):
        raise ValueError(value)
    parts = (
        int(value[0:4]),
        int(value[4:6]),
        int(value[6:8]),
        int(value[9:11]),
        int(value[11:13]),
        int(value[13:15]),
    )
    if not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31):
        raise ValueError(value)
    if parts[3] > 23 or parts[4] > 59 or parts[5] > 60:
        raise ValueError(value)
    return float(calendar.timegm(parts + (0, 0, 0)))


def format_amz_date(ts: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


# -- the verifier ------------------------------------------------------------


@dataclasses.dataclass
class _Signed:
    """The parts of a signed request, from the header or the query."""

    access_key: str
    date: str  # yyyymmdd of the credential scope
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str
    timestamp: float


@dataclasses.dataclass(slots=True)
class _VerifiedQuery:
    """What a verified presigned URL's signature depended on."""

    signed: _Signed
    expires: int
    expires_text: str
    secret: str
    header_values: tuple[str | None, ...]
    scope: str


class Authenticator:
    """Verifies SigV4 requests against an :class:`IdentityStore`."""

    def __init__(
        self,
        identities: IdentityStore,
        region: str,
        *,
        max_skew: float = 900.0,
        clock: Callable[[], float] = time.time,
        service: str = "s3",
        allow_sigv2: bool = True,
        bucket_from_host: Callable[[str], str] | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        self._identities = identities
        # Temporary credentials (auth/sessions.py): consulted only for a key
        # the identity store does not know, so permanent keys pay nothing.
        self._sessions = sessions
        self._region = region
        self._max_skew = max_skew
        self._clock = clock
        self._service = service
        self._keys: dict[tuple[str, str, str], bytes] = {}
        self._verified: dict[tuple[str, str, str], _VerifiedQuery] = {}
        # SigV2 names the virtual-hosted bucket in its signed resource, so it
        # needs the router's view of the Host header.
        self._sigv2 = (
            sigv2.SigV2Verifier(
                identities,
                max_skew=max_skew,
                clock=clock,
                bucket_from_host=bucket_from_host,
            )
            if allow_sigv2
            else None
        )

    def authenticate(self, req: RequestView) -> AuthResult:
        headers = req.headers
        authorization = headers.get("authorization")
        query = req.query
        presigned = bool(query) and (
            "X-Amz-Credential" in query or "X-Amz-Algorithm" in query
        )
        presigned_v2 = (
            not presigned
            and bool(query)
            and "AWSAccessKeyId=" in query
            and "Signature=" in query
        )
        if authorization and authorization.strip():
            if presigned or presigned_v2:
                raise errors.InvalidArgument(
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query"
                    " parameter, Signature query string parameter or the"
                    " Authorization header should be specified",
                    ArgumentName="Authorization",
                    ArgumentValue=authorization,
                )
            return self._authenticate_header(req, authorization)
        if presigned:
            return self._authenticate_query(req)
        if presigned_v2:
            if self._sigv2 is None:
                raise _sigv2_error()
            verified = self._sigv2.authenticate_query(
                req.method, req.raw_path, query, headers
            )
            return _sigv2_result(verified, presigned=True)
        return AuthResult(
            principal=None,
            access_key=None,
            payload_hash=headers.get("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        )

    def authenticate_catalog(self, req: RequestView, body: bytes) -> AuthResult:
        """A catalog (Iceberg REST) request, signed as AWS clients sign
        non-S3 services: botocore's generic ``SigV4Auth``, which PyIceberg's
        ``rest.sigv4-enabled`` uses as it is.

        It differs from S3 signing in three ways, each accepted here: the
        service is ``s3tables`` (or ``s3``, as some clients configure it); the
        body hash is signed but not sent (no ``x-amz-content-sha256``), so it
        is computed from ``body``; and the canonical URI is the request path
        percent-encoded once more (``%1F`` signed as ``%251F``). Only the
        Authorization header is accepted: no presigned catalog URLs, no SigV2.
        """
        headers = req.headers
        authorization = headers.get("authorization", "")
        if not authorization.strip():
            return AuthResult(
                principal=None, access_key=None, payload_hash=UNSIGNED_PAYLOAD
            )
        if not authorization.startswith(_AUTH_PREFIX):
            raise errors.InvalidArgument(
                "Unsupported Authorization Type: the catalog takes AWS4-HMAC-SHA256",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        signed = self._signed_header(req, authorization, CATALOG_SERVICES)
        actual = hashlib.sha256(body).hexdigest()
        declared = headers.get("x-amz-content-sha256")
        if declared is None or declared == actual:
            payload_hash = actual
        elif declared == UNSIGNED_PAYLOAD:
            payload_hash = declared
        else:
            raise errors.XAmzContentSHA256Mismatch(
                ClientComputedContentSHA256=declared,
                S3ComputedContentSHA256=actual,
            )
        raw_path = req.raw_path or "/"
        double = urllib.parse.quote(raw_path, safe="/~")
        principal, signing_key = self._verify(
            req, signed, payload_hash, skip=None, extra_paths=(double,)
        )
        return AuthResult(
            principal=principal,
            access_key=signed.access_key,
            payload_hash=payload_hash,
            signing_key=signing_key,
            amz_date=signed.amz_date,
            scope=self._scope(signed),
        )

    # -- Authorization header ----------------------------------------------

    def _authenticate_header(self, req: RequestView, authorization: str) -> AuthResult:
        if not authorization.startswith(_AUTH_PREFIX):
            if authorization.startswith(sigv2.AUTH_PREFIX):
                if self._sigv2 is None:
                    raise _sigv2_error()
                verified = self._sigv2.authenticate_header(
                    req.method, req.raw_path, req.query, req.headers
                )
                return _sigv2_result(verified, presigned=False)
            raise errors.InvalidArgument(
                "Unsupported Authorization Type",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        signed = self._signed_header(req, authorization)
        headers = req.headers
        payload_hash = headers.get("x-amz-content-sha256")
        if payload_hash is None:
            raise errors.InvalidRequest(
                "Missing required header for this request: x-amz-content-sha256"
            )
        if not (
            payload_hash == UNSIGNED_PAYLOAD
            or payload_hash in STREAMING_PAYLOADS
            or _HEX64_RE.match(payload_hash)
        ):
            if payload_hash.startswith("STREAMING-"):
                raise errors.NotImplemented_(
                    f"x-amz-content-sha256 {payload_hash} is not supported",
                    Header="x-amz-content-sha256",
                )
            raise errors.InvalidArgument(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-"
                "PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid "
                "sha256 value.",
                ArgumentName="x-amz-content-sha256",
                ArgumentValue=payload_hash,
            )
        principal, signing_key = self._verify(req, signed, payload_hash, skip=None)
        return AuthResult(
            principal=principal,
            access_key=signed.access_key,
            payload_hash=payload_hash,
            signing_key=signing_key,
            seed_signature=signed.signature,
            amz_date=signed.amz_date,
            scope=self._scope(signed),
        )

    def _signed_header(
        self,
        req: RequestView,
        authorization: str,
        services: tuple[str, ...] | None = None,
    ) -> _Signed:
        """The parsed, in-window AWS4-HMAC-SHA256 Authorization header."""
        fields: dict[str, str] = {}
        for item in authorization[len(_AUTH_PREFIX) :].split(","):
            name, sep, value = item.strip().partition("=")
            if not sep:
                raise errors.AuthorizationHeaderMalformed(
                    f"The authorization header is malformed; the authorization"
                    f' component "{item.strip()}" is malformed.'
                )
            fields[name] = value
        try:
            credential = fields["Credential"]
            signed_headers = fields["SignedHeaders"]
            signature = fields["Signature"]
        except KeyError as exc:
            raise errors.AuthorizationHeaderMalformed(
                f"The authorization header is malformed; missing {exc.args[0]}."
            ) from None
        headers = req.headers
        amz_date = headers.get("x-amz-date")
        if amz_date is None:
            date_header = headers.get("date")
            if date_header is None:
                raise errors.AccessDenied(
                    "AWS authentication requires a valid Date or x-amz-date header"
                )
            parsed = email.utils.parsedate_tz(date_header)
            if parsed is None:
                raise errors.AccessDenied(
                    "AWS authentication requires a valid Date or x-amz-date header"
                )
            timestamp = float(email.utils.mktime_tz(parsed))
            amz_date = format_amz_date(timestamp)
        else:
            try:
                timestamp = parse_amz_date(amz_date)
            except ValueError:
                raise errors.AccessDenied(
                    "AWS authentication requires a valid Date or x-amz-date header"
                ) from None
        signed = self._parse_credential(
            credential,
            signed_headers,
            signature,
            amz_date,
            timestamp,
            errors.AuthorizationHeaderMalformed,
            services,
        )
        now = self._clock()
        if abs(now - timestamp) > self._max_skew:
            raise errors.RequestTimeTooSkewed(
                RequestTime=amz_date,
                ServerTime=format_amz_date(now),
                MaxAllowedSkewMilliseconds=str(int(self._max_skew * 1000)),
            )
        return signed

    # -- presigned query ---------------------------------------------------

    def _authenticate_query(self, req: RequestView) -> AuthResult:
        memo_key = (req.method, req.raw_path, req.query)
        hit = self._verified.get(memo_key)
        if hit is not None:
            result = self._reverify_query(req, hit)
            if result is not None:
                return result
        params: dict[str, str] = {}
        for part in req.query.split("&"):
            name, _, value = part.partition("=")
            if name in _PRESIGN_PARAMS:
                params[name] = urllib.parse.unquote(value)
        missing = [p for p in _PRESIGN_PARAMS if p not in params]
        if missing:
            raise errors.AuthorizationQueryParametersError(
                "Query-string authentication version 4 requires the X-Amz-Algorithm,"
                " X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders,"
                " and X-Amz-Expires parameters."
            )
        if params["X-Amz-Algorithm"] != ALGORITHM:
            raise errors.AuthorizationQueryParametersError(
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
            )
        amz_date = params["X-Amz-Date"]
        try:
            timestamp = parse_amz_date(amz_date)
        except ValueError:
            raise errors.AuthorizationQueryParametersError(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            ) from None
        expires_text = params["X-Amz-Expires"]
        if not _EXPIRES_RE.match(expires_text):
            raise errors.AuthorizationQueryParametersError(
                "X-Amz-Expires should be a number"
            )
        expires = int(expires_text)
        # A URL that was never valid (zero or negative lifetime) or claims more
        # than the week SigV4 allows is refused as access denied (403), as
        # Ceph RGW does and as the s3-tests suite expects; only a value that
        # is not a number at all is a malformed (400) request.
        if expires < 1:
            raise _with_extra(
                errors.AccessDenied("Request has expired"),
                {"X-Amz-Expires": expires_text},
            )
        if expires > MAX_PRESIGNED_EXPIRES:
            raise errors.AccessDenied(
                "X-Amz-Expires must be less than a week (in seconds); that is, the"
                " given X-Amz-Expires must be less than 604800 seconds"
            )
        signed = self._parse_credential(
            params["X-Amz-Credential"],
            params["X-Amz-SignedHeaders"],
            params["X-Amz-Signature"],
            amz_date,
            timestamp,
            errors.AuthorizationQueryParametersError,
        )
        self._check_query_window(req, signed, expires, expires_text)
        principal, signing_key = self._verify(
            req, signed, UNSIGNED_PAYLOAD, skip="X-Amz-Signature"
        )
        scope = self._scope(signed)
        if len(req.raw_path) + len(req.query) <= _VERIFIED_LEN_MAX:
            if len(self._verified) >= _VERIFIED_MAX:
                self._verified.clear()
            self._verified[memo_key] = _VerifiedQuery(
                signed=signed,
                expires=expires,
                expires_text=expires_text,
                secret=self._lookup(signed.access_key, req)[0],
                header_values=tuple(
                    req.headers.get(name) for name in signed.signed_headers
                ),
                scope=scope,
            )
        return AuthResult(
            principal=principal,
            access_key=signed.access_key,
            payload_hash=UNSIGNED_PAYLOAD,
            presigned=True,
            signing_key=signing_key,
            seed_signature=signed.signature,
            amz_date=amz_date,
            scope=scope,
        )

    def _check_query_window(
        self, req: RequestView, signed: _Signed, expires: int, expires_text: str
    ) -> None:
        """The checks of a presigned URL that depend on the clock or on the
        request's headers rather than on the URL itself."""
        timestamp, amz_date = signed.timestamp, signed.amz_date
        now = self._clock()
        if timestamp - now > self._max_skew:
            raise _with_extra(
                errors.AccessDenied("Request is not valid yet"),
                {"X-Amz-Date": amz_date, "ServerTime": format_amz_date(now)},
            )
        if now > timestamp + expires:
            raise _with_extra(
                errors.AccessDenied("Request has expired"),
                {
                    "X-Amz-Expires": expires_text,
                    "Expires": format_amz_date(timestamp + expires),
                    "ServerTime": format_amz_date(now),
                },
            )
        unsigned = _unsigned_amz_headers(req.headers, signed.signed_headers)
        if unsigned:
            # Whoever holds a presigned URL must not add what its signer did
            # not grant: an x-amz-acl, metadata, a copy source ...
            raise errors.AccessDenied(
                "There were headers present in the request which were not signed",
                HeadersNotSigned=", ".join(unsigned),
            )

    def _reverify_query(
        self, req: RequestView, hit: _VerifiedQuery
    ) -> AuthResult | None:
        """A presigned URL seen before: the signature covers the method, path,
        query, signed header values and the key's secret, so when all of them
        are unchanged it is still valid; the clock and unsigned-header checks
        run again. None: something differs, verify from scratch."""
        signed = hit.signed
        headers = req.headers
        names = signed.signed_headers
        for i, name in enumerate(names):
            if headers.get(name) != hit.header_values[i]:
                return None
        self._check_query_window(req, signed, hit.expires, hit.expires_text)
        secret, principal = self._lookup(signed.access_key, req)
        if secret != hit.secret:
            # Rotated or replaced key: the full path decides (and re-caches).
            return None
        return AuthResult(
            principal=principal,
            access_key=signed.access_key,
            payload_hash=UNSIGNED_PAYLOAD,
            presigned=True,
            signing_key=self._signing_key(secret, signed.date),
            seed_signature=signed.signature,
            amz_date=signed.amz_date,
            scope=hit.scope,
        )

    # -- shared --------------------------------------------------------------

    def _parse_credential(
        self,
        credential: str,
        signed_headers: str,
        signature: str,
        amz_date: str,
        timestamp: float,
        malformed: type[errors.S3Error],
        services: tuple[str, ...] | None = None,
    ) -> _Signed:
        parts = credential.split("/")
        if len(parts) != 5 or not parts[0] or parts[4] != "aws4_request":
            raise malformed(
                "Error parsing the X-Amz-Credential parameter; the Credential is"
                ' mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
                'aws4_request".'
            )
        access_key, date, region, service, _ = parts
        if region != self._region:
            raise malformed(
                f"The authorization header is malformed; the region '{region}' is"
                f" wrong; expecting '{self._region}'",
                Region=self._region,
            )
        if service != self._service and (services is None or service not in services):
            allowed = "/".join(services or (self._service,))
            raise malformed(
                f"The authorization header is malformed; incorrect service"
                f" '{service}'. This endpoint belongs to '{allowed}'."
            )
        if date != amz_date[:8]:
            raise malformed(
                f"The authorization header is malformed; Invalid credential date"
                f" '{date}'. This date is not the same as X-Amz-Date:"
                f" '{amz_date[:8]}'."
            )
        names = signed_headers.split(";")
        if "host" not in names:
            raise malformed(
                "The authorization header is malformed; SignedHeaders must include"
                " host."
            )
        for name in names:
            if not name or name != name.lower():
                raise malformed(
                    f"The authorization header is malformed; invalid SignedHeaders"
                    f" '{signed_headers}'."
                )
        return _Signed(
            access_key=access_key,
            date=date,
            region=region,
            service=service,
            signed_headers=names,
            signature=signature,
            amz_date=amz_date,
            timestamp=timestamp,
        )

    def _lookup(self, access_key: str, req: RequestView) -> tuple[str, Principal]:
        """Secret and principal of a key: a session's (an ``ASIA`` key id
        with its token in ``x-amz-security-token`` or the query), else the
        identity store's. One prefix compare for a permanent key."""
        if self._sessions is not None and access_key.startswith(
            sessions_mod.KEY_PREFIX
        ):
            token = sessions_mod.token_of(req.headers, req.query)
            if token is not None:
                return self._sessions.resolve(access_key, token)
        return self._identities.lookup(access_key)

    @staticmethod
    def _scope(signed: _Signed) -> str:
        return f"{signed.date}/{signed.region}/{signed.service}/aws4_request"

    def _signing_key(self, secret: str, date: str, service: str = "") -> bytes:
        service = service or self._service
        cache_key = (secret, date, service)
        key = self._keys.get(cache_key)
        if key is None:
            if len(self._keys) >= _SIGNING_KEY_CACHE_MAX:
                self._keys.clear()
            key = derive_signing_key(secret, date, self._region, service)
            self._keys[cache_key] = key
        return key

    def _verify(
        self,
        req: RequestView,
        signed: _Signed,
        payload_hash: str,
        *,
        skip: str | None,
        extra_paths: tuple[str, ...] = (),
    ) -> tuple[Principal, bytes]:
        secret, principal = self._lookup(signed.access_key, req)
        signing_key = self._signing_key(secret, signed.date, signed.service)
        scope = self._scope(signed)
        provided = signed.signature
        method = req.method
        query = canonical_query(req.query, skip=skip)
        canonical = canonical_request(
            method, req.raw_path or "/", query, req.headers,
            signed.signed_headers, payload_hash,
        )  # fmt: skip
        sts = string_to_sign(signed.amz_date, scope, canonical)
        expected = sign(signing_key, sts)
        if provided.isascii() and hmac.compare_digest(provided, expected):
            return principal, signing_key
        # Clients disagree on a few encodings the wire allows either way: a
        # path character sent raw but signed encoded, or "+" meaning a space in
        # the query. Try the evened-out forms before giving up; this only costs
        # on the failure path.
        paths = {req.raw_path or "/", canonical_path(req.raw_path), *extra_paths}
        queries = {query}
        if "+" in req.query:
            queries.add(canonical_query(req.query, skip=skip, plus_as_space=True))
        for path in paths:
            for q in queries:
                if path == (req.raw_path or "/") and q == query:
                    continue
                alt = canonical_request(
                    method, path, q, req.headers, signed.signed_headers, payload_hash
                )
                if provided.isascii() and hmac.compare_digest(
                    provided,
                    sign(signing_key, string_to_sign(signed.amz_date, scope, alt)),
                ):
                    return principal, signing_key
        raise errors.SignatureDoesNotMatch(
            AWSAccessKeyId=signed.access_key,
            StringToSign=sts,
            SignatureProvided=provided,
            CanonicalRequest=canonical,
        )


def _sigv2_error() -> errors.S3Error:
    return errors.InvalidRequest(
        "The authorization mechanism you have provided is not supported. Please use"
        " AWS4-HMAC-SHA256."
    )


# Integrity headers a presigned request may carry unsigned: they only narrow
# what is accepted (the body must match them), never widen it.
_UNSIGNED_ALLOWED = frozenset(
    {"x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer"}
)


def _unsigned_amz_headers(
    headers: Mapping[str, str], signed_headers: list[str]
) -> list[str]:
    unsigned = []
    for name in headers:
        if (
            name.startswith("x-amz-")
            and name not in _UNSIGNED_ALLOWED
            and not name.startswith("x-amz-checksum-")
            and name not in signed_headers
        ):
            unsigned.append(name)
    return sorted(unsigned)


def _sigv2_result(verified: sigv2.Verified, *, presigned: bool) -> AuthResult:
    # SigV2 signs no body hash: the payload is unsigned (Content-MD5 and
    # x-amz-checksum-* are still checked by the handlers when sent).
    return AuthResult(
        principal=verified.principal,
        access_key=verified.access_key,
        payload_hash=UNSIGNED_PAYLOAD,
        presigned=presigned,
    )


def _with_extra(exc: errors.S3Error, extra: dict[str, str]) -> errors.S3Error:
    # AWS puts elements such as <X-Amz-Expires> into these error documents;
    # their names are not Python identifiers, so they cannot be keywords.
    exc.extra.update(extra)
    return exc
