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
"""CORS: Put/Get/DeleteBucketCors, the OPTIONS preflight, and the
Access-Control-* headers of actual requests from a browser.

The configuration is the bucket document ``cors`` (the CORSConfiguration XML
as validated and normalised here). Matching follows the AWS "Configuring
cross-origin resource sharing" guide: the first rule whose AllowedOrigin
matches the Origin (one ``*`` wildcard allowed per pattern), whose
AllowedMethod has the (requested) method, and whose AllowedHeader patterns
cover every header of Access-Control-Request-Headers.

Requests without an Origin header never reach this module (server.py checks
the header first), so ordinary S3 traffic pays nothing for CORS.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import integrity
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response

LOG = logging.getLogger(__name__)

DOC = "cors"
MAX_RULES = 100
MAX_DOCUMENT = 64 * 1024
METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")


@dataclasses.dataclass
class Rule:
    origins: list[str]
    methods: list[str]
    headers: list[str] = dataclasses.field(default_factory=list)
    expose: list[str] = dataclasses.field(default_factory=list)
    max_age: int | None = None
    rule_id: str | None = None

    def matches(self, origin: str, method: str, requested: list[str]) -> bool:
        if method not in self.methods:
            return False
        if not any(_wildcard(p).fullmatch(origin) for p in self.origins):
            return False
        patterns = [_wildcard(h.lower()) for h in self.headers]
        return all(any(p.fullmatch(h) for p in patterns) for h in requested)


def _wildcard(pattern: str) -> re.Pattern[str]:
    # Only "*" is special (fnmatch would also treat "?" and "[").
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.S)


def _one_wildcard(kind: str, value: str) -> None:
    if value.count("*") > 1:
        raise errors.InvalidRequest(
            f'{kind} "{value}" can not have more than one wildcard.'
        )


def parse_configuration(data: bytes) -> list[Rule]:
    root = s3xml.parse(data, "CORSConfiguration")
    rules: list[Rule] = []
    for el in root:
        if el.tag != "CORSRule":
            raise errors.MalformedXML()
        rule = Rule(origins=[], methods=[])
        for child in el:
            text = (child.text or "").strip()
            if child.tag == "AllowedOrigin":
                _one_wildcard("AllowedOrigin", text)
                rule.origins.append(text)
            elif child.tag == "AllowedMethod":
                if text not in METHODS:
                    raise errors.InvalidRequest(
                        "Found unsupported HTTP method in CORS config. "
                        f"Unsupported method is {text}"
                    )
                rule.methods.append(text)
            elif child.tag == "AllowedHeader":
                _one_wildcard("AllowedHeader", text)
                rule.headers.append(text)
            elif child.tag == "ExposeHeader":
                if "*" in text:
                    raise errors.InvalidRequest(
                        f'ExposeHeader "{text}" contains wildcard. We currently '
                        "do not support wildcard for ExposeHeader."
                    )
                rule.expose.append(text)
            elif child.tag == "MaxAgeSeconds":
                if rule.max_age is not None or not text.isdigit():
                    raise errors.MalformedXML()
                rule.max_age = int(text)
            elif child.tag == "ID":
                if rule.rule_id is not None or len(text) > 255:
                    raise errors.MalformedXML()
                rule.rule_id = text
            else:
                raise errors.MalformedXML()
        if not rule.origins or not rule.methods:
            raise errors.MalformedXML()
        rules.append(rule)
    if not rules or len(rules) > MAX_RULES:
        raise errors.MalformedXML()
    return rules


def render(rules: list[Rule]) -> s3xml.Element:
    root = s3xml.Element("CORSConfiguration", [])
    for rule in rules:
        el = root.add("CORSRule", [])
        if rule.rule_id is not None:
            el.add("ID", rule.rule_id)
        for value in rule.headers:
            el.add("AllowedHeader", value)
        for value in rule.methods:
            el.add("AllowedMethod", value)
        for value in rule.origins:
            el.add("AllowedOrigin", value)
        for value in rule.expose:
            el.add("ExposeHeader", value)
        if rule.max_age is not None:
            el.add("MaxAgeSeconds", str(rule.max_age))
    return root


async def bucket_rules(req: Request) -> list[Rule]:
    raw = await req.storage.get_bucket_doc(req.bucket, DOC)
    if not raw:
        return []
    try:
        return parse_configuration(raw)
    except errors.S3Error:
        LOG.error("the stored CORS configuration of %s does not parse", req.bucket)
        return []


def _requested_headers(req: Request) -> list[str]:
    raw = req.headers.get("access-control-request-headers", "")
    return [h.strip().lower() for h in raw.split(",") if h.strip()]


def _find(rules: list[Rule], origin: str, method: str, requested: list[str]):
    for rule in rules:
        if rule.matches(origin, method, requested):
            return rule
    return None


def _allow_headers(rule: Rule, origin: str) -> dict[str, str]:
    wildcard = "*" in rule.origins
    headers = {
        "access-control-allow-origin": "*" if wildcard else origin,
        "access-control-allow-methods": ", ".join(rule.methods),
        "vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }
    if not wildcard:
        headers["access-control-allow-credentials"] = "true"
    if rule.expose:
        headers["access-control-expose-headers"] = ", ".join(rule.expose)
    if rule.max_age is not None:
        headers["access-control-max-age"] = str(rule.max_age)
    return headers


# --- handlers --------------------------------------------------------------


async def put_bucket_cors(req: Request) -> Response:
    data = await integrity.read_document(req, MAX_DOCUMENT)
    rules = parse_configuration(data)
    await req.storage.put_bucket_doc(req.bucket, DOC, s3xml.serialize(render(rules)))
    return Response()


async def get_bucket_cors(req: Request) -> Response:
    rules = await bucket_rules(req)
    if not rules:
        raise errors.NoSuchCORSConfiguration(BucketName=req.bucket)
    return Response(xml=render(rules))


async def delete_bucket_cors(req: Request) -> Response:
    await req.storage.delete_bucket_doc(req.bucket, DOC)
    return Response(status=204)


async def preflight(req: Request) -> Response:
    """OPTIONS object: answered before authentication (browsers send no
    credentials on a preflight); the bucket's rules decide."""
    origin = req.headers.get("origin")
    if not origin:
        raise errors.BadRequest(
            "Insufficient information. Origin request header needed."
        )
    method = req.headers.get("access-control-request-method")
    if not method:
        raise errors.BadRequest("Invalid Access-Control-Request-Method: null")
    try:
        rules = await bucket_rules(req)
    except errors.NoSuchBucket:
        rules = []
    rule = _find(rules, origin, method, _requested_headers(req))
    if rule is None:
        raise errors.AccessForbidden(Method=method, ResourceType="OBJECT")
    headers = _allow_headers(rule, origin)
    requested = req.headers.get("access-control-request-headers")
    if requested:
        headers["access-control-allow-headers"] = requested
    return Response(headers=headers)


async def add_response_headers(req: Request, response: Response) -> None:
    """Access-Control-* on an actual request that carried Origin (also on
    error answers, as S3 does). Never fails the request."""
    if req.operation is Operation.OptionsObject:
        return
    origin = req.headers["origin"]
    method = req.headers.get("access-control-request-method") or req.method
    try:
        rules = await bucket_rules(req)
    except errors.S3Error:
        return
    rule = _find(rules, origin, method, [])
    if rule is not None:
        response.headers.update(_allow_headers(rule, origin))


HANDLERS = {
    Operation.PutBucketCors: put_bucket_cors,
    Operation.GetBucketCors: get_bucket_cors,
    Operation.DeleteBucketCors: delete_bucket_cors,
    Operation.OptionsObject: preflight,
}
