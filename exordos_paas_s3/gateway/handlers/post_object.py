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
"""PostObject: browser-based uploads with an HTML form (multipart/form-data).

The form's fields come first and the ``file`` field last (AWS "Browser-based
uploads using POST"). The body is parsed as a stream with python-multipart:
the fields are read (bounded), the policy and signature checked, and then the
file part streams into storage without being buffered.

Credentials are form fields, not headers, so the pipeline hands this
operation over before its authorize step; the handler verifies the signature
(SigV4: ``x-amz-credential``/``x-amz-signature`` over the base64 policy;
legacy SigV2: ``AWSAccessKeyId``/``signature``), checks the policy's
conditions and authorizes s3:PutObject for the principal it found (or for
an anonymous request without a policy).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from urllib import parse as urlparse

from python_multipart import multipart as form_parser

from exordos_paas_s3.gateway import errors, quota, sse
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.auth import sigv4
from exordos_paas_s3.gateway.handlers import (
    access_control,
    integrity,
    object_lock,
    tagging,
    version_docs,
)
from exordos_paas_s3.gateway.handlers import object as object_handlers
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response, quote_etag
from exordos_paas_s3.gateway.router import MAX_KEY_BYTES
from exordos_paas_s3.gateway.storage.base import PutRequest

LOG = logging.getLogger(__name__)

MAX_FIELDS_BYTES = 1024 * 1024
# ISO 8601 as the POST policy requires it ("2007-12-01T12:00:00.000Z"): a
# "T" between date and time; str(datetime)'s space form is refused, as S3 does.
_EXPIRATION_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?"
)
# Fields the policy need not mention (AWS: "except x-amz-signature, file,
# policy, and field names that have an x-ignore- prefix").
_UNCHECKED = frozenset(
    {"x-amz-signature", "file", "policy", "signature", "awsaccesskeyid"}
)
# Form fields that become the object's headers.
_HEADER_FIELDS = (
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
    "acl",
    object_lock.MODE_HEADER,
    object_lock.UNTIL_HEADER,
    object_lock.HOLD_HEADER,
    *sse.REQUEST_HEADERS,
)
# What the form's fields that become the object's headers may add up to:
# the header section a PUT may send (the listener's default limit), so an
# object made by a POST can always be read back by a client with AWS's.
MAX_HEADER_FIELDS_BYTES = 8192


def _check_header_fields(fields: dict[str, str]) -> None:
    """Refuse form fields that would make a header no PUT could send (a
    70,000-byte Content-Type, stored, breaks clients reading it back)."""
    total = sum(
        len(name) + len(value.encode())
        for name, value in fields.items()
        if name in _HEADER_FIELDS or name.startswith("x-amz-meta-")
    )
    if total > MAX_HEADER_FIELDS_BYTES:
        raise errors.RequestHeaderSectionTooLarge(
            "The form fields that become object headers exceed "
            f"{MAX_HEADER_FIELDS_BYTES} bytes."
        )


# Form fields the file is checked against (BadDigest on a mismatch, nothing
# stored). Like every field, they must be covered by the policy.
_INTEGRITY_FIELDS = ("content-md5", *integrity.HEADERS.values())
# Headers of the POST request that describe its multipart body.
_FORM_BODY_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-md5",
        "x-amz-trailer",
        "x-amz-sdk-checksum-algorithm",
    }
)


class _Form:
    """Push parser state: fields so far, then the file's bytes as they come."""

    def __init__(self, boundary: bytes) -> None:
        self.fields: dict[str, str] = {}
        self.field_bytes = 0
        self.file_started = False
        self.file_done = False
        self.filename = ""
        self.pending: list[bytes] = []
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value: list[bytes] = []
        self._in_file = False
        self.parser = form_parser.MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_cb,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = []
        self._name = ""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"")
        _, params = form_parser.parse_options_header(disposition)
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if self._name.lower() == "file" and not self.file_started:
            self.file_started = True
            self._in_file = True
            self.filename = params.get(b"filename", b"").decode("utf-8", "replace")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.pending.append(data[start:end])
            return
        if self.file_done:
            return  # fields after the file are ignored, as S3 does
        self.field_bytes += end - start
        if self.field_bytes > MAX_FIELDS_BYTES:
            raise errors.MaxPostPreDataLengthExceeded()
        self._value.append(data[start:end])

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.file_done = True
        elif not self.file_done and self._name:
            # Field names are case-insensitive (s3-tests
            # test_post_object_case_insensitive_condition_fields).
            value = b"".join(self._value).decode("utf-8", "replace")
            self.fields.setdefault(self._name.lower(), value)


async def _read_fields(req: Request, form: _Form) -> AsyncIterator[bytes]:
    """Feed the body until the file part starts; the rest as a generator."""
    body = req.body
    async for chunk in body:
        form.parser.write(chunk)
        if form.file_started:
            break
    if not form.file_started:
        raise errors.InvalidArgument(
            "POST requires exactly one file upload per request.",
            ArgumentName="file",
            ArgumentValue="0",
        )

    async def file_bytes() -> AsyncIterator[bytes]:
        while True:
            while form.pending:
                yield form.pending.pop(0)
            if form.file_done:
                break
            try:
                chunk = await body.__anext__()
            except StopAsyncIteration:
                raise errors.IncompleteBody() from None
            form.parser.write(chunk)
        async for chunk in body:  # drain what follows the file
            form.parser.write(chunk)

    return file_bytes()


# --- policy and signature ----------------------------------------------------


def _policy_error(detail: str) -> errors.S3Error:
    return errors.AccessDenied(f"Invalid according to Policy: {detail}")


def _authenticate(req: Request, fields: dict[str, str]):
    """The principal the form's signature proves (None: anonymous)."""
    policy = fields.get("policy")
    identities = req.services.identities
    if "x-amz-signature" in fields or "x-amz-credential" in fields:
        if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
            raise errors.InvalidArgument(
                "Only AWS4-HMAC-SHA256 is supported as x-amz-algorithm.",
                ArgumentName="x-amz-algorithm",
                ArgumentValue=fields.get("x-amz-algorithm", ""),
            )
        if "x-amz-signature" not in fields:
            raise errors.InvalidArgument(
                "Bucket POST must contain a field named 'x-amz-signature'.",
                ArgumentName="x-amz-signature",
            )
        credential = fields.get("x-amz-credential", "")
        parts = credential.split("/")
        if (
            len(parts) != 5
            or parts[2] != req.settings.region
            or parts[3] != "s3"
            or parts[4] != "aws4_request"
        ):
            raise errors.InvalidArgument(
                "The x-amz-credential is malformed.",
                ArgumentName="x-amz-credential",
                ArgumentValue=credential,
            )
        amz_date = fields.get("x-amz-date", "")
        if amz_date[:8] != parts[1]:
            raise errors.InvalidArgument(
                "The x-amz-date does not match the credential's date.",
                ArgumentName="x-amz-date",
                ArgumentValue=amz_date,
            )
        if not policy or identities is None:
            raise errors.AccessDenied("A signed POST needs a policy.")
        secret, principal = identities.lookup(parts[0])
        key = sigv4.derive_signing_key(secret, parts[1], parts[2], "s3")
        expected = sigv4.sign(key, policy)
        provided = fields.get("x-amz-signature", "")
        if not (provided.isascii() and hmac.compare_digest(provided.lower(), expected)):
            raise errors.SignatureDoesNotMatch(AWSAccessKeyId=parts[0])
        return principal
    if "awsaccesskeyid" in fields or "signature" in fields:
        # Legacy SigV2 POST: base64(HMAC-SHA1(secret, policy)).
        access_key = fields.get("awsaccesskeyid", "")
        if "signature" not in fields:
            raise errors.InvalidArgument(
                "Bucket POST must contain a field named 'Signature'.",
                ArgumentName="Signature",
            )
        if not policy or identities is None or not access_key:
            raise errors.AccessDenied("A signed POST needs a policy.")
        secret, principal = identities.lookup(access_key)
        expected_v2 = base64.b64encode(
            hmac.digest(secret.encode(), policy.encode(), "sha1")
        ).decode()
        provided = fields.get("signature", "")
        if not (provided.isascii() and hmac.compare_digest(provided, expected_v2)):
            raise errors.SignatureDoesNotMatch(AWSAccessKeyId=access_key)
        return principal
    if policy:
        raise errors.AccessDenied("A POST with a policy must be signed.")
    return None


def _decode_policy(policy: str) -> dict:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError):
        raise errors.InvalidPolicyDocument() from None
    if not isinstance(document, dict):
        raise errors.InvalidPolicyDocument()
    expiration = document.get("expiration")
    if not isinstance(expiration, str):
        raise errors.InvalidPolicyDocument("Invalid Policy: Policy missing expiration.")
    try:
        if not _EXPIRATION_RE.fullmatch(expiration):
            raise ValueError(expiration)
        expires = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        raise errors.InvalidPolicyDocument(
            "Invalid Policy: Invalid 'expiration' value."
        ) from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=datetime.timezone.utc)
    if expires <= datetime.datetime.now(datetime.timezone.utc):
        raise _policy_error("Policy expired.")
    if not isinstance(document.get("conditions"), list):
        raise errors.InvalidPolicyDocument("Invalid Policy: Policy missing conditions.")
    return document


def check_policy(
    document: dict, fields: dict[str, str], bucket: str
) -> tuple[int, int] | None:
    """Every condition holds and every field is covered; the
    content-length-range, if any."""
    values = dict(fields)
    values["bucket"] = bucket
    covered = {"bucket"}
    length_range = None
    for cond in document["conditions"]:
        if isinstance(cond, dict):
            if len(cond) != 1:
                raise errors.InvalidPolicyDocument()
            ((name, expected),) = cond.items()
            name = name.lower()
            covered.add(name)
            if values.get(name) != str(expected):
                raise _policy_error(f'Policy Condition failed: ["eq", "${name}", ...]')
            continue
        if not isinstance(cond, list) or len(cond) != 3:
            raise errors.InvalidPolicyDocument()
        op = str(cond[0]).lower()
        if op == "content-length-range":
            try:
                length_range = (int(cond[1]), int(cond[2]))
            except (TypeError, ValueError):
                raise errors.InvalidPolicyDocument() from None
            continue
        target = cond[1]
        if not isinstance(target, str) or not target.startswith("$"):
            raise errors.InvalidPolicyDocument()
        name = target[1:].lower()
        covered.add(name)
        actual = values.get(name, "")
        if op == "eq":
            ok = actual == str(cond[2])
        elif op == "starts-with":
            prefix = str(cond[2])
            if name == "content-type" and "," in actual:
                ok = all(v.strip().startswith(prefix) for v in actual.split(","))
            else:
                ok = actual.startswith(prefix)
        else:
            raise errors.InvalidPolicyDocument()
        if not ok:
            raise _policy_error(f'Policy Condition failed: ["{op}", "${name}", ...]')
    extra = [
        name
        for name in fields
        if name not in covered
        and name not in _UNCHECKED
        and not name.startswith("x-ignore-")
    ]
    if extra:
        raise _policy_error(f"Extra input fields: {', '.join(sorted(extra))}")
    return length_range


# --- the handler -----------------------------------------------------------


def _boundary(req: Request) -> bytes:
    ctype, params = form_parser.parse_options_header(
        req.headers.get("content-type", "")
    )
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise errors.PreconditionFailed(
            "Bucket POST must be of the enclosure-type multipart/form-data",
            Condition="Bucket POST must be of the enclosure-type multipart/form-data",
        )
    return boundary


async def post_object(req: Request) -> Response:
    req.bucket_info = await req.storage.get_bucket(req.bucket)
    form = _Form(_boundary(req))
    file_stream = await _read_fields(req, form)
    fields = form.fields
    principal = _authenticate(req, fields)
    if "key" in fields:
        # The policy's conditions see the key the object will have.
        fields["key"] = fields["key"].replace("${filename}", form.filename)
    length_range = None
    if "policy" in fields:
        length_range = check_policy(
            _decode_policy(fields["policy"]), fields, req.bucket
        )
    key = fields.get("key")
    if key is None:
        raise errors.InvalidArgument(
            "Bucket POST must contain a field named 'key'.  If it is specified, "
            "please check the order of the fields.",
            ArgumentName="key",
            ArgumentValue="",
        )
    key = key.replace("${filename}", form.filename)
    if not key:
        raise errors.InvalidArgument("User key must have a length greater than 0.")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise errors.KeyTooLongError()
    status = fields.get("success_action_status", "")
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    # The form's fields stand for the headers of an ordinary PutObject.
    req.key = key
    req.principal = principal
    # The request's own integrity headers describe the form, not the file:
    # only the form's Content-MD5 / x-amz-checksum-* fields speak for it.
    headers = {
        name: value
        for name, value in req.headers.items()
        if name not in _FORM_BODY_HEADERS and not name.startswith("x-amz-checksum-")
    }
    for name in _HEADER_FIELDS:
        if name in fields:
            headers["x-amz-acl" if name == "acl" else name] = fields[name]
    for name in _INTEGRITY_FIELDS:
        if name in fields:
            headers[name] = fields[name]
    for name, value in fields.items():
        if name.startswith("x-amz-meta-"):
            headers[name] = value
    _check_header_fields(fields)
    req.headers = headers
    await req.authorize(Operation.PutObject, req.bucket_info, key=key)
    # No Authorization header, so no payload hash: only the declared digests.
    check = integrity.BodyCheck(req, None)
    encryption = sse.request_spec(req)
    docs = await version_docs.from_request(req)
    if "tagging" in fields:
        docs.tags = tagging.validate(
            tagging.parse_document(fields["tagging"].encode()), tagging.MAX_OBJECT_TAGS
        )
    content_type, system, user, storage_class = object_handlers.metadata_from_headers(
        req
    )
    docs.apply_meta(system)
    new = PutRequest(
        bucket=req.bucket,
        key=key,
        owner_id=await access_control.new_object_owner(req),
        content_type=content_type,
        system_meta=system,
        user_meta=user,
        storage_class=storage_class,
        checksum_algorithms=check.algorithms,
        encryption=encryption,
    )
    low, high = length_range or (0, req.settings.max_single_put)
    high = min(high, req.settings.max_single_put)
    expected = check.expected
    expected.quota = await quota.prepare(req.storage, req.bucket_info, key)
    info = await req.storage.put_object(
        new, check.body(object_handlers.capped(file_stream, high, low)), expected
    )
    await version_docs.store(req, info, docs)
    await access_control.store_new_object_acl(req, info)
    etag = quote_etag(info.etag)
    location = f"/{req.bucket}/{urlparse.quote(key)}"
    out = {"etag": etag, "location": location}
    out.update(sse.public_headers(info.system_meta))
    if info.version_id and info.version_id != "null":
        out["x-amz-version-id"] = info.version_id
    if redirect:
        query = urlparse.urlencode({"bucket": req.bucket, "key": key, "etag": etag})
        sep = "&" if "?" in redirect else "?"
        out["location"] = f"{redirect}{sep}{query}"
        return Response(status=303, headers=out)
    if status == "201":
        root = s3xml.Element("PostResponse", [])
        root.add("Location", location)
        root.add("Bucket", req.bucket)
        root.add("Key", key)
        root.add("ETag", etag)
        # S3's PostResponse carries no namespace (clients look up bare tags).
        out["content-type"] = "application/xml"
        return Response(
            status=201, headers=out, body=s3xml.serialize(root, namespace=None)
        )
    if status == "200":
        return Response(status=200, headers=out)
    return Response(status=204, headers=out)


HANDLERS = {Operation.PostObject: post_object}
