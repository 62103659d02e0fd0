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
"""One grammar: the API refuses exactly what a gateway would refuse (issue 10).

The same documents go to the real control-plane API (tests/functional/cp
fixtures, real PostgreSQL) and to a real gateway process's admin API, the way
the data-plane driver hands them over (``{"document": <the stored JSON>}``,
bucket settings as the PaaS builder spells them). Both must accept, or both
refuse: before ``policy_grammar`` the API took a 9 KB identity policy the
gateway refused, and the bucket ended as a data-plane ERROR.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

V12 = "2012-10-17"


def _doc(*statements, version=V12, **top):
    body = {"Version": version, "Statement": list(statements), **top}
    if version is None:
        body.pop("Version")
    return body


def _st(effect="Allow", action="s3:GetObject", resource="*", **extra):
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    statement.update(extra)
    return statement


def _cond(operator, key, value):
    return _st(Condition={operator: {key: value}})


def _sized(chars: int) -> dict:
    """An otherwise valid identity policy of about ``chars`` significant
    characters (its canonical text, as the gateway is given it)."""
    resources = []
    document = _doc(_st(resource=resources))
    while True:
        size = len(json.dumps(document, separators=(",", ":")))
        if size >= chars:
            return document
        resources.append(f"arn:aws:s3:::b/{len(resources):0{min(60, chars)}d}")


# A 9 KB identity policy: the regression of issue 10.
NINE_KB = _sized(9 * 1024)

DOCUMENTS = [
    # accepted by both
    ("good", _doc(_st())),
    ("no-version", _doc(_st(), version=None)),
    ("version-2008", _doc(_st(resource="arn:aws:s3:::b/${x}"), version="2008-10-17")),
    ("single-statement", {"Version": V12, "Statement": _st()}),
    ("not-action", _doc({"Effect": "Deny", "NotAction": "s3:*", "NotResource": "*"})),
    ("id", _doc(_st(), Id="my-policy")),
    ("sid", _doc(_st(Sid="Read Only_1-a"), _st(Sid="Two"))),
    ("actions", _doc(_st(action=["s3:Get*", "s3:?ist*", "*", "iam:Foo"]))),
    ("variable", _doc(_st(resource="arn:aws:s3:::b/home/${aws:username}/*"))),
    (
        "variable-default",
        _doc(_st(resource="arn:aws:s3:::b/${aws:username, 'anon'}/${*}")),
    ),
    ("string-like", _cond("StringLike", "s3:prefix", ["home/*", ""])),
    ("ip", _cond("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "2001:db8::/32"])),
    ("not-ip", _cond("NotIpAddress", "aws:SourceIp", "192.0.2.1")),
    ("numeric", _cond("NumericLessThanEquals", "s3:max-keys", 10)),
    ("numeric-text", _cond("NumericGreaterThan", "s3:max-keys", "1.5")),
    ("date", _cond("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z")),
    ("date-epoch", _cond("DateLessThan", "aws:EpochTime", 1700000000)),
    ("bool", _cond("Bool", "aws:SecureTransport", True)),
    ("bool-text", _cond("Bool", "aws:SecureTransport", "FALSE")),
    ("null", _cond("Null", "s3:x-amz-server-side-encryption", "true")),
    ("arn", _cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*")),
    ("binary", _cond("BinaryEquals", "aws:UserAgent", "QUJD")),
    ("for-any", _cond("ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", "a")),
    ("if-exists", _cond("StringEqualsIfExists", "s3:x-amz-acl", "private")),
    ("tag-key", _cond("StringEquals", "s3:ExistingObjectTag/Team A", "x")),
    ("at-limit", _sized(6000)),
    ("huge-int", _cond("NumericEquals", "s3:max-keys", 2**64)),
    ("unicode", _cond("StringEquals", "aws:username", "пользователь é")),
    # refused by both
    ("nine-kb", NINE_KB),
    ("over-limit", _sized(6145)),
    ("version-bad", _doc(_st(), version="2020-01-01")),
    ("version-number", _doc(_st(), version=2012)),
    ("id-number", _doc(_st(), Id=5)),
    ("unknown-top", _doc(_st(), Extra=1)),
    ("no-statement", {"Version": V12}),
    ("empty-statement", _doc()),
    ("statement-text", {"Version": V12, "Statement": "x"}),
    ("statement-item-text", {"Version": V12, "Statement": ["x"]}),
    ("unknown-element", _doc(_st(Bogus=1))),
    ("sid-dot", _doc(_st(Sid="a.b"))),
    ("sid-number", _doc(_st(Sid=5))),
    ("sid-duplicate", _doc(_st(Sid="A"), _st(Sid="A"))),
    ("effect-case", _doc(_st(effect="allow"))),
    ("action-and-not", _doc(_st(NotAction="s3:*"))),
    ("no-action", _doc({"Effect": "Allow", "Resource": "*"})),
    ("action-space", _doc(_st(action="s3 GetObject"))),
    ("action-empty", _doc(_st(action=""))),
    ("action-empty-list", _doc(_st(action=[]))),
    ("action-number", _doc(_st(action=5))),
    ("action-long", _doc(_st(action="s3:" + "x" * 300 + "!"))),
    ("resource-not-arn", _doc(_st(resource="bucket/*"))),
    ("resource-and-not", _doc(_st(NotResource="*"))),
    ("no-resource", _doc({"Effect": "Allow", "Action": "s3:*"})),
    ("principal", _doc(_st(Principal="*"))),
    ("not-principal", _doc(_st(NotPrincipal={"AWS": "*"}))),
    ("bad-variable", _doc(_st(resource="arn:aws:s3:::b/${nokey}"))),
    ("operator", _cond("StringEqualz", "aws:username", "a")),
    ("null-if-exists", _cond("NullIfExists", "aws:username", "true")),
    ("null-qualified", _cond("ForAnyValue:Null", "aws:username", "true")),
    ("null-value", _cond("Null", "aws:username", "maybe")),
    ("ip-value", _cond("IpAddress", "aws:SourceIp", "300.1.2.3")),
    ("numeric-value", _cond("NumericEquals", "s3:max-keys", "ten")),
    ("date-value", _cond("DateLessThan", "aws:CurrentTime", "soon")),
    ("bool-value", _cond("Bool", "aws:SecureTransport", "yes")),
    ("arn-value", _cond("ArnLike", "aws:PrincipalArn", "arn:aws")),
    ("binary-value", _cond("BinaryEquals", "aws:UserAgent", "not base64!")),
    ("condition-key", _cond("StringEquals", "nokey", "x")),
    ("condition-object-value", _cond("StringEquals", "aws:username", {"a": 1})),
    ("condition-null-value", _cond("StringEquals", "aws:username", None)),
    ("condition-no-values", _cond("StringEquals", "aws:username", [])),
    ("condition-text", _doc(_st(Condition={"StringEquals": "x"}))),
    ("condition-list", _doc(_st(Condition=["x"]))),
    ("condition-empty-operator", _doc(_st(Condition={"StringEquals": {}}))),
]


class Sides:
    """The control-plane API and a gateway's admin API, side by side."""

    def __init__(self, cp_owner, cp_instance, gateway) -> None:
        self.cp = cp_owner
        self.policies = cp_instance + "/policies/"
        self.buckets = cp_instance + "/buckets/"
        self.admin = gateway.admin_endpoint + "/v1"
        self.auth = (gateway.access_key, gateway.secret_key)

    def api_policy(self, document) -> tuple[bool, requests.Response]:
        name = "p-" + uuid.uuid4().hex[:12]
        response = self.cp.post(self.policies, {"name": name, "content": document})
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201:
            stored = response.json()["content"]
            assert stored == document
            self.cp.delete(self.policies + response.json()["uuid"])
        return response.status_code == 201, response

    def gateway_policy(self, document) -> bool:
        name = "p-" + uuid.uuid4().hex[:12]
        response = requests.put(
            f"{self.admin}/policies/{name}",
            json={"document": document},
            auth=self.auth,
            timeout=10,
        )
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201:
            requests.delete(f"{self.admin}/policies/{name}", auth=self.auth, timeout=10)
        return response.status_code == 201

    def gateway_bucket(self, name: str, body: dict) -> bool:
        response = requests.put(
            f"{self.admin}/buckets/{urllib.parse.quote(name, safe='')}",
            json=body,
            auth=self.auth,
            timeout=10,
        )
        assert response.status_code in (200, 201, 400, 409), response.text
        if response.status_code in (200, 201):
            requests.delete(
                f"{self.admin}/buckets/{urllib.parse.quote(name, safe='')}",
                auth=self.auth,
                timeout=10,
            )
        return response.status_code in (200, 201)


@pytest.fixture
def sides(cp_owner, cp_instance, gateway):
    return Sides(cp_owner, cp_instance, gateway)


@pytest.mark.parametrize("name, document", DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_api_and_gateway_agree_on_policy_documents(sides, name, document):
    api_ok, response = sides.api_policy(document)
    assert api_ok == sides.gateway_policy(document), (name, response.text)
    if not api_ok:
        message = response.json()["message"]
        assert "'content'" in message, message
        # an error quotes a short prefix of a value, never a whole document
        assert len(message) < 400, message


def test_nine_kb_identity_policy_is_refused_by_the_api(sides):
    # Issue 10: it used to be accepted and then fail on every node.
    size = len(json.dumps(NINE_KB, separators=(",", ":")))
    assert 9 * 1024 <= size < 20 * 1024
    api_ok, response = sides.api_policy(NINE_KB)
    assert not api_ok and response.status_code == 400
    body = response.json()
    assert "'content'" in body["message"] and "6144" in body["message"], body
    assert not sides.gateway_policy(NINE_KB)


# -- generated documents ----------------------------------------------------

_ACTIONS = st.sampled_from(
    ["s3:GetObject", "s3:*", "*", "s3:Get*", "s3 Get", "", "iam:CreateUser", "s3:"]
)
_RESOURCES = st.sampled_from(
    ["*", "arn:aws:s3:::b/*", "b/*", "", "arn:aws:s3:::b/${aws:username}", "arn:x"]
)
_OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringNotLike",
        "IpAddress",
        "NumericLessThan",
        "DateGreaterThan",
        "Bool",
        "Null",
        "ArnEquals",
        "BinaryEquals",
        "ForAllValues:StringLike",
        "NumericEqualsIfExists",
        "NullIfExists",
        "Frobnicate",
    ]
)
_KEYS = st.sampled_from(["aws:SourceIp", "s3:prefix", "aws:username", "nokey", "a:b"])
_VALUES = st.one_of(
    st.sampled_from(
        ["10.0.0.0/8", "true", "5", "2020-01-01", "QUJD", "arn:aws:s3:::b", "x*"]
    ),
    st.integers(-5, 5),
    st.booleans(),
    st.lists(st.sampled_from(["a", "1", "true"]), max_size=2),
    st.none(),
)


@st.composite
def _statements(draw):
    statement = {
        "Effect": draw(st.sampled_from(["Allow", "Deny", "allow"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.one_of(_ACTIONS, st.lists(_ACTIONS, max_size=3))
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(
            st.one_of(_RESOURCES, st.lists(_RESOURCES, max_size=3))
        ),
    }
    if draw(st.booleans()):
        statement["Condition"] = {
            draw(_OPERATORS): {draw(_KEYS): draw(_VALUES)}
            for _ in range(draw(st.integers(1, 2)))
        }
    if draw(st.integers(0, 9)) == 0:
        statement[draw(st.sampled_from(["Principal", "Sid", "Bogus"]))] = "*"
    return statement


@st.composite
def _documents(draw):
    document = {"Statement": draw(st.lists(_statements(), min_size=1, max_size=3))}
    version = draw(st.sampled_from([V12, "2008-10-17", None, "2019-01-01"]))
    if version is not None:
        document["Version"] = version
    return document


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=_documents())
def test_generated_documents_get_the_same_answer(sides, document):
    api_ok, response = sides.api_policy(copy.deepcopy(document))
    assert api_ok == sides.gateway_policy(document), (document, response.text)


# -- bucket names and settings ----------------------------------------------

BUCKET_NAMES = [
    ("ok", "abc", True),
    ("dots", "my.bucket-1", True),
    ("long", "a" * 63, True),
    ("short", "ab", False),
    ("too-long", "a" * 64, False),
    ("upper", "Upper", False),
    ("underscore", "under_score", False),
    ("edge-hyphen", "-abc", False),
    ("trailing-newline", "abc\n", False),
    ("two-dots", "a..b", False),
    ("dot-hyphen", "a.-b", False),
    ("ip", "192.168.1.1", False),
    ("prefix", "xn--abc", False),
    ("suffix", "abc--table-s3", False),
    ("unicode", "bücket", False),
]


@pytest.mark.parametrize(
    "label, name, valid", BUCKET_NAMES, ids=[n[0] for n in BUCKET_NAMES]
)
def test_api_and_gateway_agree_on_bucket_names(sides, label, name, valid):
    unique = name  # the names are fixed: each instance is fresh
    response = sides.cp.post(sides.buckets, {"name": unique})
    assert response.status_code in (201, 400), response.text
    api_ok = response.status_code == 201
    assert api_ok == valid, response.text
    assert sides.gateway_bucket(unique, {}) == valid
    if not api_ok:
        assert "'name'" in response.json()["message"]


SETTINGS = [
    {},
    {"versioning_enabled": True, "quota_bytes": 1024},
    {"object_lock_enabled": True},
    {
        "object_lock_enabled": True,
        "default_retention_mode": "GOVERNANCE",
        "default_retention_days": 36500,
    },
    {
        "object_lock_enabled": True,
        "default_retention_mode": "COMPLIANCE",
        "default_retention_days": 36501,
    },
    {
        "object_lock_enabled": True,
        "default_retention_mode": "COMPLIANCE",
        "default_retention_days": 0,
    },
    {
        "object_lock_enabled": True,
        "default_retention_mode": "LEGAL",
        "default_retention_days": 1,
    },
    {"object_lock_enabled": True, "default_retention_mode": "GOVERNANCE"},
    {"default_retention_mode": "GOVERNANCE", "default_retention_days": 1},
    {"quota_bytes": -1},
    {"quota_bytes": 2**63 - 1},
    {"quota_bytes": 2**63},
    {"quota_bytes": True},
    {"versioning_enabled": "false"},
]


def _builder_body(bucket: dict) -> dict:
    """A bucket as the PaaS builder and the driver hand it to a gateway."""
    mode, days = (
        bucket.get("default_retention_mode"),
        bucket.get("default_retention_days"),
    )
    return {
        "versioning": bucket.get("versioning_enabled", False),
        "object_lock": bucket.get("object_lock_enabled", False),
        "retention": None
        if mode is None and days is None
        else {"mode": mode, "days": days},
        "quota_bytes": bucket.get("quota_bytes", 0),
        "public": bucket.get("public", False),
    }


@pytest.mark.parametrize("body", SETTINGS, ids=[json.dumps(s) for s in SETTINGS])
def test_what_the_api_accepts_as_bucket_settings_a_gateway_applies(sides, body):
    name = "s-" + uuid.uuid4().hex[:12]
    response = sides.cp.post(sides.buckets, {"name": name, **body})
    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        # what the API stored, as a node gets it, applies
        assert sides.gateway_bucket(name, _builder_body(response.json()))
    else:
        # what it refused, a node would have refused too
        assert not sides.gateway_bucket(name, _builder_body(body))


POLICY_NAMES = [
    ("ok", "read-only_v2+=,.@", True),
    ("longest", "p" * 128, True),
    ("too-long", "p" * 129, False),
    ("space", "a b", False),
    ("trailing-newline", "name\n", False),
    ("slash", "a/b", False),
    ("unicode", "слово", False),
]


@pytest.mark.parametrize(
    "label, name, valid", POLICY_NAMES, ids=[n[0] for n in POLICY_NAMES]
)
def test_api_and_gateway_agree_on_policy_names(sides, label, name, valid):
    document = _doc(_st())
    response = sides.cp.post(sides.policies, {"name": name, "content": document})
    assert response.status_code in (201, 400), response.text
    assert (response.status_code == 201) == valid, response.text
    if not valid:
        assert "'name'" in response.json()["message"]
    gateway = requests.put(
        f"{sides.admin}/policies/{urllib.parse.quote(name, safe='')}",
        json={"document": document},
        auth=sides.auth,
        timeout=10,
    )
    assert gateway.status_code in (201, 400, 404), gateway.text
    assert (gateway.status_code == 201) == valid, gateway.text
