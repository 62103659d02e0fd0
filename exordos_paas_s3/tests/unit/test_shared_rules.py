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
"""The rules both sides import (policy_grammar, bucket_rules): standard
library only, and the errors each side renders from them."""

import ast
import pathlib
import sys

import pytest

from exordos_paas_s3 import bucket_rules, policy_grammar
from exordos_paas_s3.controlplane import validation
from exordos_paas_s3.gateway import bucket_settings, errors
from exordos_paas_s3.gateway import policy as policy_lang

PACKAGE = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["policy_grammar.py", "bucket_rules.py"])
def test_shared_modules_import_only_the_standard_library(module):
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module
            names.add(node.module.split(".")[0])
    assert names, module
    assert names <= set(sys.stdlib_module_names) | {"__future__"}, names


def test_one_error_two_renderings():
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3 Get", "Resource": "*"},
        ],
    }
    with pytest.raises(policy_grammar.GrammarError) as info:
        policy_grammar.check_document(document)
    assert info.value.where == "Statement[1].Action"
    # the API names the field and the element
    with pytest.raises(validation.InvalidField) as api:
        validation.check_policy_document(document)
    assert "'content'" in str(api.value) and "Statement[1].Action" in str(api.value)
    # the gateway answers MalformedPolicy with the AWS-style reason
    text = policy_grammar.canonical_text(document)
    with pytest.raises(errors.MalformedPolicy, match="invalid action"):
        policy_lang.parse_policy(text, kind="identity")


def test_error_quotes_only_a_short_prefix():
    action = "s3:" + "A" * 5000 + "!"
    document = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": action, "Resource": "*"},
    }
    problem = validation.policy_document_problem(document)
    assert problem and len(problem) < 200


def test_canonical_text_refuses_what_json_cannot_carry():
    for bad in ({"Version": float("nan")}, {"Statement": {1, 2}}):
        with pytest.raises(policy_grammar.GrammarError):
            policy_grammar.check_document(bad)


@pytest.mark.parametrize(
    "settings, problem",
    [
        ({}, None),
        ({"object_lock": True, "versioning": True}, None),
        ({"object_lock": True}, bucket_rules.VERSIONING),
        ({"versioning": "true"}, bucket_rules.VERSIONING),
        ({"quota_bytes": True}, bucket_rules.QUOTA_BYTES),
        ({"quota_bytes": -1}, bucket_rules.QUOTA_BYTES),
        ({"quota_bytes": 2**63}, bucket_rules.QUOTA_BYTES),
        ({"retention_mode": "GOVERNANCE"}, bucket_rules.RETENTION_DAYS),
        ({"retention_days": 3}, bucket_rules.RETENTION_MODE),
        (
            {"retention_mode": "GOVERNANCE", "retention_days": 3},
            bucket_rules.RETENTION_MODE,
        ),
        (
            {
                "object_lock": True,
                "versioning": True,
                "retention_mode": "COMPLIANCE",
                "retention_days": 36501,
            },
            bucket_rules.RETENTION_DAYS,
        ),
        (
            {
                "object_lock": True,
                "versioning": True,
                "retention_mode": "LEGAL",
                "retention_days": 1,
            },
            bucket_rules.RETENTION_MODE,
        ),
    ],
)
def test_settings_rules_and_both_spellings(settings, problem):
    full = {
        "versioning": False,
        "object_lock": False,
        "retention_mode": None,
        "retention_days": None,
        "quota_bytes": 0,
        **settings,
    }
    found = bucket_rules.settings_problem(**full)
    assert (found and found[0]) == (problem or None)
    api_call = {
        "versioning_enabled": full["versioning"],
        "object_lock_enabled": full["object_lock"],
        "default_retention_mode": full["retention_mode"],
        "default_retention_days": full["retention_days"],
        "quota_bytes": full["quota_bytes"],
    }
    retention = None
    if full["retention_mode"] is not None or full["retention_days"] is not None:
        retention = {"mode": full["retention_mode"], "days": full["retention_days"]}
    body = {
        "versioning": full["versioning"],
        "object_lock": full["object_lock"],
        "retention": retention,
        "quota_bytes": full["quota_bytes"],
    }
    if problem is None:
        validation.check_bucket_settings(**api_call)
        bucket_settings.Settings.from_body(body)
        return
    with pytest.raises(validation.InvalidField) as api:
        validation.check_bucket_settings(**api_call)
    assert f"'{validation.BUCKET_SETTING_FIELDS[problem]}'" in str(api.value)
    with pytest.raises(bucket_settings.InvalidSettings):
        bucket_settings.Settings.from_body(body)
