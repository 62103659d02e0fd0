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
"""Every operation has an IAM action, a scope, and a handler or an explicit 501."""

from __future__ import annotations

import inspect
import re

from exordos_paas_s3.gateway import handlers
from exordos_paas_s3.gateway.operations import Operation, Scope

_ACTION_RE = re.compile(r"s3(?:tables)?:[A-Z][A-Za-z]+\Z")

# What this issue requires to be served (not 501).
REQUIRED = {
    "ListBuckets",
    "CreateBucket",
    "HeadBucket",
    "DeleteBucket",
    "GetBucketLocation",
    "PutObject",
    "GetObject",
    "HeadObject",
    "DeleteObject",
    "DeleteObjects",
    "CopyObject",
    "ListObjects",
    "ListObjectsV2",
    "ListObjectVersions",
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "ListParts",
    "ListMultipartUploads",
    "GetBucketVersioning",
    "PutBucketVersioning",
    "GetBucketAcl",
    "GetObjectAcl",
}


def test_every_operation_has_actions_and_a_scope():
    for op in Operation:
        assert op.actions, op
        for action in op.actions:
            assert _ACTION_RE.match(action), (op, action)
        assert isinstance(op.scope, Scope), op


def test_operations_are_distinct_members():
    # Same action and scope (GetObject/HeadObject) must not alias.
    assert Operation.GetObject is not Operation.HeadObject
    assert len({op.name for op in Operation}) == len(list(Operation))
    assert len(list(Operation)) > 80


def test_every_operation_is_handled_or_explicitly_not_implemented():
    for op in Operation:
        assert (op in handlers.HANDLERS) != (op in handlers.NOT_IMPLEMENTED), op


def test_no_two_handler_modules_claim_the_same_operation():
    owners: dict[Operation, list[str]] = {}
    for module in handlers.MODULES:
        for op in module.HANDLERS:
            owners.setdefault(op, []).append(module.__name__)
    shared = {op.name: names for op, names in owners.items() if len(names) > 1}
    assert not shared


def test_handlers_are_coroutines_keyed_by_operation():
    for op, handler in handlers.HANDLERS.items():
        assert isinstance(op, Operation)
        assert inspect.iscoroutinefunction(handler), op


def test_required_operations_have_handlers():
    missing = sorted(
        name for name in REQUIRED if Operation[name] not in handlers.HANDLERS
    )
    assert missing == []


def test_scopes_follow_the_resource():
    assert Operation.ListBuckets.scope is Scope.SERVICE
    assert Operation.CreateBucket.scope is Scope.BUCKET
    assert Operation.ListObjectsV2.scope is Scope.BUCKET
    assert Operation.UploadPartCopy.scope is Scope.OBJECT
    assert Operation.HeadBucket.action == "s3:ListBucket"
    assert Operation.ListObjectVersions.action == "s3:ListBucketVersions"
