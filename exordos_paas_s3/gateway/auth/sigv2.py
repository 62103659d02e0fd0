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
"""AWS Signature Version 2 verification (the server side).

Follows the S3 document "Signing and authenticating REST requests (AWS
signature version 2)". Two ways a request can carry it:

- ``Authorization: AWS <AccessKeyId>:<Signature>``
- presigned: ``AWSAccessKeyId``, ``Expires`` and ``Signature`` in the query.

The signature is base64(HMAC-SHA1(secret, StringToSign)) with::

    StringToSign = Method \\n Content-MD5 \\n Content-Type \\n Date \\n
                   CanonicalizedAmzHeaders CanonicalizedResource

Date is the ``Expires`` value for presigned URLs. SigV2 signs no body hash,
so a request authenticated here has an unsigned payload (the handlers still
check Content-MD5 and x-amz-checksum-* when sent).

The module knows nothing of SigV4: ``sigv4.Authenticator`` decides which
scheme a request uses and calls :class:`SigV2Verifier`, which returns the
principal and access key.
"""

from __future__ import annotations

import base64
import calendar
import dataclasses
import email.utils
import hmac
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from exordos_paas_s3.gateway import errors

if TYPE_CHECKING:
    from exordos_paas_s3.gateway.auth.identities import IdentityStore, Principal

LOG = logging.getLogger(__name__)

AUTH_PREFIX = "AWS "
PRESIGN_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")

# Query parameters that name a sub-resource and so are part of the
# CanonicalizedResource: the list of the AWS document, the response-* GET
# overrides, and what botocore's HmacV1Auth signs.
SUB_RESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)
# Newer sub-resources that some v2 signers (Ceph's, s3cmd's) include and
# botocore does not: tried only when the standard list does not match.
EXTRA_SUB_RESOURCES = frozenset(
    {
        "attributes",
        "encryption",
        "intelligent-tiering",
        "legal-hold",
        "ownershipControls",
        "policyStatus",
        "publicAccessBlock",
        "retention",
    }
)

_ISO_BASIC_RE = re.compile(r"\d{8}T\d{6}Z\Z")
_FOLD_RE = re.compile(r"[ \t]*\r?\n[ \t]*")


# -- the pure functions of the algorithm (also used by the tests) ----------


def sign(secret: str, string_to_sign: str) -> str:
    digest = hmac.digest(
        secret.encode(), string_to_sign.encode("utf-8", "surrogateescape"), "sha1"
    )
    return base64.b64encode(digest).decode()


def canonical_amz_headers(headers: Mapping[str, str]) -> str:
    """x-amz-* headers, lower-case, sorted, one "name:value\\n" line each.

    ``headers`` has lower-case names with repeats already joined by ",";
    values are trimmed and a folded line break becomes one space, as the AWS
    document asks. Runs of spaces inside a value stay: signers keep them.
    """
    lines = []
    for name in sorted(n for n in headers if n.startswith("x-amz-")):
        value = headers[name].strip()
        if "\n" in value or "\r" in value:
            value = _FOLD_RE.sub(" ", value)
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def canonical_resource(
    raw_path: str,
    query: str,
    bucket: str = "",
    *,
    sub_resources: frozenset[str] = SUB_RESOURCES,
) -> str:
    """``/bucket/path`` plus the signed sub-resources, sorted by name.

    ``raw_path`` is the path as received (still percent-encoded); ``bucket``
    is the bucket named by a virtual-hosted-style Host, "" for path style.
    Sub-resource values are signed decoded, as AWS and botocore do.
    """
    path = raw_path or "/"
    resource = f"/{bucket}{path}" if bucket else path
    if not query:
        return resource
    subs = []
    for part in query.split("&"):
        name, sep, value = part.partition("=")
        if name in sub_resources:
            text = f"{name}={urllib.parse.unquote(value)}" if sep else name
            subs.append((name, text))
    if not subs:
        return resource
    subs.sort(key=lambda item: item[0])
    return resource + "?" + "&".join(text for _, text in subs)


def string_to_sign(
    method: str, headers: Mapping[str, str], date: str, resource: str
) -> str:
    return (
        f"{method}\n"
        f"{headers.get('content-md5', '').strip()}\n"
        f"{headers.get('content-type', '').strip()}\n"
        f"{date}\n"
        f"{canonical_amz_headers(headers)}{resource}"
    )


def parse_http_date(value: str) -> float:
    """Seconds since the epoch of an RFC 1123 (or ISO 8601 basic) timestamp.

    Raises ValueError for anything else, and for dates before 1970 which no
    clock can have signed.
    """
    value = value.strip()
    if _ISO_BASIC_RE.match(value):
        parts = time.strptime(value, "%Y%m%dT%H%M%SZ")
        ts = float(calendar.timegm(parts))
    else:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            raise ValueError(value)
        ts = float(email.utils.mktime_tz(parsed))
    if ts < 0:
        raise ValueError(value)
    return ts


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


# -- the verifier ------------------------------------------------------------


@dataclasses.dataclass
class Verified:
    principal: Principal
    access_key: str


class SigV2Verifier:
    """Verifies SigV2 header and query authentication."""

    def __init__(
        self,
        identities: IdentityStore,
        *,
        max_skew: float = 900.0,
        clock: Callable[[], float] = time.time,
        bucket_from_host: Callable[[str], str] | None = None,
    ) -> None:
        self._identities = identities
        self._max_skew = max_skew
        self._clock = clock
        self._bucket_from_host = bucket_from_host

    def authenticate_header(
        self, method: str, raw_path: str, query: str, headers: Mapping[str, str]
    ) -> Verified:
        authorization = headers["authorization"]
        access_key, sep, signature = authorization[len(AUTH_PREFIX) :].partition(":")
        access_key, signature = access_key.strip(), signature.strip()
        if not sep or not access_key or not signature:
            raise errors.InvalidArgument(
                "AWS authorization header is invalid.  Expected"
                " AwsAccessKeyId:signature",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        # x-amz-date, when sent, is the request time and Date is ignored (the
        # AWS document: such clients sign an empty Date line).
        amz_date = headers.get("x-amz-date")
        date_value = amz_date if amz_date is not None else headers.get("date")
        if not date_value:
            raise errors.AccessDenied(
                "AWS authentication requires a valid Date or x-amz-date header"
            )
        try:
            timestamp = parse_http_date(date_value)
        except (ValueError, OverflowError):
            raise errors.AccessDenied(
                "AWS authentication requires a valid Date or x-amz-date header"
            ) from None
        now = self._clock()
        if abs(now - timestamp) > self._max_skew:
            raise errors.RequestTimeTooSkewed(
                RequestTime=date_value,
                ServerTime=_http_date(now),
                MaxAllowedSkewMilliseconds=str(int(self._max_skew * 1000)),
            )
        # Clients that send x-amz-date put either "" or their Date header in
        # the Date line; try what is on the wire first.
        dates = [headers.get("date", "")]
        if amz_date is not None and dates[0]:
            dates.append("")
        principal = self._verify(
            method, raw_path, query, headers, access_key, signature, dates
        )
        return Verified(principal, access_key)

    def authenticate_query(
        self, method: str, raw_path: str, query: str, headers: Mapping[str, str]
    ) -> Verified:
        params: dict[str, str] = {}
        signed_headers = dict(headers)
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name in PRESIGN_PARAMS:
                params[name] = urllib.parse.unquote(value)
            elif name.lower().startswith("x-amz-") or name.lower() in (
                "content-md5",
                "content-type",
            ):
                # Presigners (botocore's HmacV1QueryAuth) sign these as headers
                # and carry them in the query, so that the URL alone works.
                signed_headers[name.lower()] = urllib.parse.unquote(value)
        if any(not params.get(p) for p in PRESIGN_PARAMS):
            raise errors.AccessDenied(
                "Query-string authentication requires the Signature, Expires and"
                " AWSAccessKeyId parameters"
            )
        expires_text = params["Expires"]
        if not expires_text.isdigit() or len(expires_text) > 12:
            raise errors.AccessDenied(
                "Invalid date (should be seconds since epoch): " + expires_text
            )
        now = self._clock()
        # A URL is valid up to, not including, its Expires second, so that a
        # zero lifetime is never valid.
        if now >= int(expires_text):
            raise errors.AccessDenied(
                "Request has expired",
                Expires=_http_date(int(expires_text)),
                ServerTime=_http_date(now),
            )
        principal = self._verify(
            method,
            raw_path,
            query,
            signed_headers,
            params["AWSAccessKeyId"],
            params["Signature"],
            [expires_text],
        )
        return Verified(principal, params["AWSAccessKeyId"])

    def _verify(
        self,
        method: str,
        raw_path: str,
        query: str,
        headers: Mapping[str, str],
        access_key: str,
        provided: str,
        dates: list[str],
    ) -> Principal:
        secret, principal = self._identities.lookup(access_key)
        bucket = ""
        if self._bucket_from_host is not None:
            bucket = self._bucket_from_host(headers.get("host", ""))
        resource = canonical_resource(raw_path, query, bucket)
        first = string_to_sign(method, headers, dates[0], resource)
        if _matches(provided, sign(secret, first)):
            return principal
        # Clients disagree on what the wire allows either way: a Date line
        # left empty beside x-amz-date, a path character sent raw but signed
        # encoded, newer sub-resources signed or not. Try the evened-out forms
        # before giving up; this only costs on the failure path.
        paths = {raw_path or "/", _even_path(raw_path)}
        if not bucket and raw_path.count("/") == 1 and len(raw_path) > 1:
            # A path-style bucket request: botocore signs "/bucket/" (the AWS
            # document's form of a bucket resource) but sends "/bucket".
            paths.add(raw_path + "/")
        resources = set()
        for path in paths:
            for subs in (SUB_RESOURCES, SUB_RESOURCES | EXTRA_SUB_RESOURCES):
                resources.add(
                    canonical_resource(path, query, bucket, sub_resources=subs)
                )
        for date in dates:
            for candidate in resources:
                sts = string_to_sign(method, headers, date, candidate)
                if sts != first and _matches(provided, sign(secret, sts)):
                    return principal
        raise errors.SignatureDoesNotMatch(
            AWSAccessKeyId=access_key,
            StringToSign=first,
            SignatureProvided=provided,
        )


def _even_path(raw_path: str) -> str:
    """The path with every character but unreserved ones and "/" as %XX."""
    raw = urllib.parse.unquote_to_bytes((raw_path or "/").encode("latin-1", "replace"))
    return urllib.parse.quote_from_bytes(raw, safe="/-_.~")


def _matches(provided: str, expected: str) -> bool:
    return provided.isascii() and hmac.compare_digest(provided, expected)
