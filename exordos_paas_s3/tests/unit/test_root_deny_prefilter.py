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
"""The root's Deny pre-filter (``deny_may_apply``) never rules out a Deny
that the full evaluation would match: it may only say "maybe"."""

import itertools
import json

from exordos_paas_s3.gateway import policy as p

ROOT = "arn:aws:iam::123456789012:root"


def _policy(*statements):
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return p.parse_policy(text, kind="bucket", bucket="b")


def _ctx(action, resource, **keys):
    return p.RequestContext(
        action=action,
        resource=resource,
        principal_arn=ROOT,
        account_id="123456789012",
        userid="123456789012",
        keys=keys,
    )


DENIES = [
    {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"},
    {"NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
    {"Action": "s3:*", "NotResource": "arn:aws:s3:::b/public/*"},
    {
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
    },
    {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${s3:prefix}*"},
    {"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
]
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::b/secret/y", {}),
    ("s3:GetObject", "arn:aws:s3:::b/public/x", {}),
    ("s3:PutObject", "arn:aws:s3:::b/public/x", {}),
    (
        "s3:PutObject",
        "arn:aws:s3:::b/public/x",
        {"s3:x-amz-server-side-encryption": "AES256"},
    ),
    ("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "se"}),
    ("s3:GetObject", "arn:aws:s3:::b/sec", {"s3:prefix": "se"}),
]


def test_prefilter_is_conservative():
    for statement, (action, resource, keys) in itertools.product(DENIES, REQUESTS):
        policy = _policy({"Effect": "Deny", "Principal": "*", **statement})
        full = p.denies(policy, _ctx(action, resource, **keys))
        maybe = p.deny_may_apply(policy, _ctx(action, resource))
        assert maybe or not full, (statement, action, resource)


def test_prefilter_rules_out_by_action_and_resource():
    policy = _policy(
        {"Effect": "Deny", "Principal": "*", **DENIES[0]},
        {"Effect": "Deny", "Principal": "*", **DENIES[3]},
    )
    assert not p.deny_may_apply(policy, _ctx("s3:GetObject", "arn:aws:s3:::b/x"))
    assert p.deny_may_apply(policy, _ctx("s3:PutObject", "arn:aws:s3:::b/x"))
    other = _policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
            "Action": "s3:*",
            "Resource": "*",
        }
    )
    assert not p.deny_may_apply(other, _ctx("s3:GetObject", "arn:aws:s3:::b/x"))
