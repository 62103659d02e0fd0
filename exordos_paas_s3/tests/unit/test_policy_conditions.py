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
"""Every condition operator, its IfExists form and the set qualifiers.

Each case runs a one-statement identity policy whose only condition is the
operator under test, so the decision is ALLOW exactly when the condition holds.
"""

import json

import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy as p
from exordos_paas_s3.gateway import policy_conditions as pc

ABSENT = object()


def holds(operator, key, policy_values, request_value=ABSENT, extra_keys=None):
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {operator: {key: policy_values}},
                }
            ],
        }
    )
    policy = p.parse_policy(document, kind="identity")
    keys = dict(extra_keys or {})
    if request_value is not ABSENT:
        keys[key] = request_value
    ctx = p.RequestContext(
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        canonical_id="c",
        username="alice",
        userid="AIDAALICE",
        keys=keys,
    )
    return p.evaluate([policy], None, ctx) is p.Decision.ALLOW


K = "aws:UserAgent"

CASES = [
    # String
    ("StringEquals", K, "curl", "curl", True),
    ("StringEquals", K, "curl", "Curl", False),
    ("StringEquals", K, ["wget", "curl"], "curl", True),
    ("StringEquals", K, "curl", ABSENT, False),
    ("StringEquals", K, "cu*", "curl", False),  # no wildcards in Equals
    ("StringNotEquals", K, "curl", "wget", True),
    ("StringNotEquals", K, "curl", "curl", False),
    ("StringNotEquals", K, ["curl", "wget"], "wget", False),  # NOR of values
    ("StringNotEquals", K, "curl", ABSENT, True),  # negated: absent key is true
    ("StringEqualsIgnoreCase", K, "CURL", "curl", True),
    ("StringEqualsIgnoreCase", K, "curl", "wget", False),
    ("StringEqualsIgnoreCase", K, "Straße", "STRASSE", True),
    ("StringNotEqualsIgnoreCase", K, "CURL", "curl", False),
    ("StringNotEqualsIgnoreCase", K, "CURL", "wget", True),
    ("StringNotEqualsIgnoreCase", K, "CURL", ABSENT, True),
    ("StringLike", K, "cu*", "curl/8.0", True),
    ("StringLike", K, "cu?l*", "curl/8.0", True),
    ("StringLike", K, "cu?l", "cuurl", False),
    ("StringLike", K, "*", "", True),
    ("StringLike", K, "", "", True),
    ("StringLike", K, "Cu*", "curl", False),
    ("StringLike", K, "cu*", ABSENT, False),
    ("StringNotLike", K, "cu*", "wget", True),
    ("StringNotLike", K, "cu*", "curl", False),
    ("StringNotLike", K, "cu*", ABSENT, True),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", "10", True),
    ("NumericEquals", "s3:max-keys", 10, "10.0", True),
    ("NumericEquals", "s3:max-keys", "10", "11", False),
    ("NumericEquals", "s3:max-keys", "10", "ten", False),
    ("NumericEquals", "s3:max-keys", "10", ABSENT, False),
    ("NumericNotEquals", "s3:max-keys", "10", "11", True),
    ("NumericNotEquals", "s3:max-keys", "10", "10", False),
    ("NumericNotEquals", "s3:max-keys", "10", ABSENT, True),
    ("NumericLessThan", "s3:max-keys", "10", "9", True),
    ("NumericLessThan", "s3:max-keys", "10", "10", False),
    ("NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    ("NumericLessThanEquals", "s3:max-keys", "10", "11", False),
    ("NumericGreaterThan", "s3:max-keys", "10", "11", True),
    ("NumericGreaterThan", "s3:max-keys", "10", "10", False),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", "10", True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", "9", False),
    ("NumericGreaterThanEquals", "s3:max-keys", "-1.5", "-1", True),
    # Date (ISO 8601 and epoch seconds on either side)
    (
        "DateEquals",
        "aws:CurrentTime",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z",
        True,
    ),
    (
        "DateEquals",
        "aws:CurrentTime",
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00+01:00",
        True,
    ),
    ("DateEquals", "aws:EpochTime", "1704067200", "2024-01-01T00:00:00Z", True),
    ("DateEquals", "aws:CurrentTime", "2024-01-01T00:00:00Z", "1704067201", False),
    (
        "DateNotEquals",
        "aws:CurrentTime",
        "2024-01-01T00:00:00Z",
        "2024-01-02T00:00:00Z",
        True,
    ),
    ("DateNotEquals", "aws:CurrentTime", "2024-01-01T00:00:00Z", ABSENT, True),
    (
        "DateLessThan",
        "aws:CurrentTime",
        "2024-01-01T00:00:00Z",
        "2023-12-31T23:59:59Z",
        True,
    ),
    (
        "DateLessThan",
        "aws:CurrentTime",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z",
        False,
    ),
    (
        "DateLessThanEquals",
        "aws:CurrentTime",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        True,
    ),
    ("DateGreaterThan", "aws:EpochTime", "1704067200", 1704067201, True),
    ("DateGreaterThan", "aws:EpochTime", "1704067200", 1704067200, False),
    (
        "DateGreaterThanEquals",
        "aws:EpochTime",
        "2024-01-01T00:00:00Z",
        1704067200,
        True,
    ),
    ("DateGreaterThan", "aws:CurrentTime", "2024-01-01T00:00:00Z", "garbage", False),
    ("DateGreaterThan", "aws:CurrentTime", "2024-01-01T00:00:00Z", ABSENT, False),
    # Bool
    ("Bool", "aws:SecureTransport", "true", True, True),
    ("Bool", "aws:SecureTransport", "true", "TRUE", True),
    ("Bool", "aws:SecureTransport", True, "true", True),
    ("Bool", "aws:SecureTransport", "true", False, False),
    ("Bool", "aws:SecureTransport", "false", ABSENT, False),
    # IpAddress
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.77", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.114.1", False),
    ("IpAddress", "aws:SourceIp", "127.0.0.1", "127.0.0.1", True),  # bare address
    ("IpAddress", "aws:SourceIp", "203.0.113.5/24", "203.0.113.9", True),  # host bits
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", True),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", "203.0.113.1", False),
    ("IpAddress", "aws:SourceIp", "127.0.0.0/8", "::ffff:127.0.0.1", True),
    ("IpAddress", "aws:SourceIp", "127.0.0.0/8", "not-an-ip", False),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "127.0.0.1/32"], "127.0.0.1", True),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "127.0.0.1", True),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "10.1.2.3", False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    # ARN: each colon-separated component matched on its own
    ("ArnEquals", "aws:SourceArn", "arn:aws:s3:::src", "arn:aws:s3:::src", True),
    ("ArnEquals", "aws:SourceArn", "arn:aws:s3:::src", "arn:aws:s3:::SRC", False),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::src*", "arn:aws:s3:::src-2", True),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:iam::*:user/x",
        "arn:aws:iam::1:user/x",
        True,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:iam::*:*", "arn:aws:iam::1:user/x", True),
    # a whole-string glob would let '1*' swallow "1:2"; per component it cannot
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:iam::1*:user/x",
        "arn:aws:iam::1:2:user/x",
        False,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::*", "not-an-arn", False),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:s3:::src", "arn:aws:s3:::other", True),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:s3:::src", "arn:aws:s3:::src", False),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::s*", "arn:aws:s3:::other", True),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::s*", "arn:aws:s3:::src", False),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::s*", ABSENT, True),
    # Binary (base64 on both sides)
    (
        "BinaryEquals",
        "s3:x-amz-meta-blob",
        "QmluYXJ5VmFsdWU=",
        "QmluYXJ5VmFsdWU=",
        True,
    ),
    ("BinaryEquals", "s3:x-amz-meta-blob", "QmluYXJ5VmFsdWU=", "QmluYXJ5", False),
    ("BinaryEquals", "s3:x-amz-meta-blob", "QmluYXJ5VmFsdWU=", "%%%", False),
    # Null
    ("Null", "s3:x-amz-server-side-encryption", "true", ABSENT, True),
    ("Null", "s3:x-amz-server-side-encryption", "true", "AES256", False),
    ("Null", "s3:x-amz-server-side-encryption", "false", "AES256", True),
    ("Null", "s3:x-amz-server-side-encryption", False, ABSENT, False),
    ("Null", "s3:RequestObjectTagKeys", "true", [], True),  # empty list is absent
    # ...IfExists: absent key -> true, present key -> the plain operator
    ("StringEqualsIfExists", K, "curl", ABSENT, True),
    ("StringEqualsIfExists", K, "curl", "curl", True),
    ("StringEqualsIfExists", K, "curl", "wget", False),
    ("StringNotEqualsIfExists", K, "curl", ABSENT, True),
    ("StringLikeIfExists", K, "c*", "wget", False),
    ("NumericLessThanIfExists", "s3:max-keys", "10", ABSENT, True),
    ("NumericLessThanIfExists", "s3:max-keys", "10", "100", False),
    ("DateLessThanIfExists", "aws:CurrentTime", "2024-01-01T00:00:00Z", ABSENT, True),
    ("BoolIfExists", "aws:SecureTransport", "true", ABSENT, True),
    ("BoolIfExists", "aws:SecureTransport", "true", "false", False),
    ("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    ("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "11.0.0.1", False),
    ("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "10.0.0.1", False),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::x", ABSENT, True),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::x", "arn:aws:s3:::y", False),
    ("BinaryEqualsIfExists", "s3:x-amz-meta-blob", "QQ==", ABSENT, True),
]

T = "aws:TagKeys"
SET_CASES = [
    # ForAnyValue: one request value matching one policy value
    ("ForAnyValue:StringEquals", T, ["a", "b"], ["c", "a"], True),
    ("ForAnyValue:StringEquals", T, ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", T, ["a"], ABSENT, False),
    ("ForAnyValue:StringEquals", T, ["a"], [], False),
    ("ForAnyValue:StringLike", T, ["a*"], ["x", "abc"], True),
    ("ForAnyValue:StringNotEquals", T, ["a"], ["a", "b"], True),
    ("ForAnyValue:StringNotEquals", T, ["a"], ["a"], False),
    ("ForAnyValue:StringEqualsIgnoreCase", T, ["A"], ["a"], True),
    # ForAllValues: every request value matching a policy value; vacuous truth
    ("ForAllValues:StringEquals", T, ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", T, ["a", "b"], ["a"], True),
    ("ForAllValues:StringEquals", T, ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", T, ["a"], ABSENT, True),
    ("ForAllValues:StringEquals", T, ["a"], [], True),
    ("ForAllValues:StringLike", T, ["a*", "b*"], ["ax", "by"], True),
    ("ForAllValues:StringNotEquals", T, ["secret"], ["a", "b"], True),
    ("ForAllValues:StringNotEquals", T, ["secret"], ["a", "secret"], False),
    ("ForAllValues:StringEqualsIfExists", T, ["a"], ["b"], False),
    ("ForAnyValue:StringEqualsIfExists", T, ["a"], ABSENT, True),
    ("ForAnyValue:NumericLessThan", "s3:max-keys", "5", ["10", "3"], True),
    ("ForAllValues:NumericLessThan", "s3:max-keys", "5", ["10", "3"], False),
    (
        "ForAnyValue:IpAddress",
        "aws:SourceIp",
        "10.0.0.0/8",
        ["1.1.1.1", "10.0.0.1"],
        True,
    ),
    (
        "ForAllValues:ArnLike",
        "aws:SourceArn",
        "arn:aws:s3:::a*",
        ["arn:aws:s3:::ab"],
        True,
    ),
    # single-valued operator against a multi-valued key: any value matches
    ("StringEquals", T, "a", ["b", "a"], True),
    ("StringNotEquals", T, "a", ["b", "a"], False),
]


@pytest.mark.parametrize(
    "operator, key, policy_values, request_value, expected", CASES + SET_CASES
)
def test_condition_operator(operator, key, policy_values, request_value, expected):
    assert holds(operator, key, policy_values, request_value) is expected


def test_every_operator_is_covered_by_the_matrix():
    covered = {pc.split_operator(case[0])[1] for case in CASES}
    assert covered == set(pc.OPERATOR_NAMES)
    if_exists = {
        pc.split_operator(case[0])[1] for case in CASES if case[0].endswith("IfExists")
    }
    # one IfExists case per family at least
    for family in ("String", "Numeric", "Date", "Bool", "Ip", "Arn", "Binary"):
        assert any(name.startswith(family) for name in if_exists), family


def test_operators_in_a_block_and_keys_under_one_are_anded():
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"s3:prefix": "docs/", "s3:delimiter": "/"},
                    "NumericLessThanEquals": {"s3:max-keys": "100"},
                },
            },
        }
    )
    policy = p.parse_policy(document, kind="identity")

    full = {"s3:prefix": "docs/", "s3:delimiter": "/", "s3:max-keys": "50"}
    ctx = p.RequestContext("s3:ListBucket", "arn:aws:s3:::b", keys=full)
    assert p.evaluate([policy], None, ctx) is p.Decision.ALLOW
    for missing in full:
        partial = {k: v for k, v in full.items() if k != missing}
        ctx = p.RequestContext("s3:ListBucket", "arn:aws:s3:::b", keys=partial)
        assert p.evaluate([policy], None, ctx) is p.Decision.IMPLICIT_DENY, missing
    too_many = dict(full, **{"s3:max-keys": "1000"})
    ctx = p.RequestContext("s3:ListBucket", "arn:aws:s3:::b", keys=too_many)
    assert p.evaluate([policy], None, ctx) is p.Decision.IMPLICIT_DENY


def test_condition_key_names_are_case_insensitive():
    assert holds(
        "StringEquals", "AWS:UserAgent", "curl", ABSENT, {"aws:useragent": "curl"}
    )
    assert holds("StringEquals", "s3:Prefix", "x", ABSENT, {"S3:PREFIX": "x"})


def test_variables_in_condition_values():
    assert holds("StringEquals", "s3:prefix", "home/${aws:username}/", "home/alice/")
    assert not holds("StringEquals", "s3:prefix", "home/${aws:username}/", "home/bob/")
    assert holds("StringLike", "s3:prefix", "home/${aws:username}/*", "home/alice/x")
    # a substituted value never acts as a wildcard
    assert not holds(
        "StringLike",
        "s3:prefix",
        "${aws:UserAgent}",
        "anything",
        extra_keys={"aws:UserAgent": "*"},
    )
    assert holds("StringLike", "s3:prefix", "a${*}", "a*")
    assert not holds("StringLike", "s3:prefix", "a${*}", "ab")
    # absent variable: that value cannot match, other values still can
    assert holds("StringEquals", "s3:prefix", ["${aws:SourceVpc}", "x"], "x")
    assert not holds(
        "StringEquals", "s3:prefix", ["${aws:SourceVpc}"], "${aws:SourceVpc}"
    )
    assert holds(
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:iam::1:user/${aws:username}",
        "arn:aws:iam::1:user/alice",
    )


@pytest.mark.parametrize(
    "operator",
    [
        "StringEqualsX",
        "stringequals",
        "ForSomeValues:StringEquals",
        "ForAnyValue:Null",
        "NullIfExists",
        "IfExists",
        "StringEqualsIfExistsIfExists",
        "NumericBetween",
    ],
)
def test_unknown_operator_makes_the_policy_malformed(operator):
    with pytest.raises(errors.MalformedPolicy, match="Condition"):
        holds(operator, K, "x", "x")


@pytest.mark.parametrize(
    "operator, value",
    [
        ("NumericLessThan", "1e"),
        ("DateLessThan", "2024-13-01"),
        ("IpAddress", "10.0.0.0/33"),
        ("IpAddress", "ten"),
        ("ArnLike", "arn:aws:s3"),
        ("BinaryEquals", "not base64!"),
        ("Bool", "maybe"),
        ("Null", "maybe"),
        ("StringEquals", None),
    ],
)
def test_bad_condition_values_make_the_policy_malformed(operator, value):
    with pytest.raises(errors.MalformedPolicy):
        holds(operator, "aws:SourceIp", value, "x")


def test_template_resolution():
    template = pc.parse_template("a/${aws:username}/${s3:prefix, 'none'}/${$}")
    assert isinstance(template, pc.Template)
    lookup = {"aws:username": ("alice",)}
    assert template.resolve(lookup) == "a/alice/none/$"
    assert template.resolve({}) is None
    assert template.resolve({"aws:username": ("a", "b")}) is None  # multi-valued
    assert pc.parse_template("plain*") == "plain*"
