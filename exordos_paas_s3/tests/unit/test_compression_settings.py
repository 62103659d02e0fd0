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
"""Compression from the control plane to the gateway: the bucket item, the
driver's plan and the gateway's bucket setting."""

from __future__ import annotations

import pytest

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import state_diff
from exordos_paas_s3.gateway import bucket_settings
from exordos_paas_s3.tests.unit.test_default_encryption import (
    BUCKET,
    UID,
    actual_bucket,
    put_body,
)


def test_the_setting_travels_only_when_on():
    assert "compression" not in state_diff.bucket_settings(BUCKET)
    spec = {**BUCKET, "compression": "zstd"}
    assert state_diff.bucket_settings(spec)["compression"] == "zstd"


def test_the_driver_puts_the_bucket_until_the_gateway_reports_it():
    desired = {ns.BUCKETS: {UID: {**BUCKET, "compression": "zstd"}}}
    (op,) = state_diff.plan(desired, {"buckets": [actual_bucket(compression=None)]})
    assert op.action == "put" and put_body(op)["compression"] == "zstd"
    done = {"buckets": [actual_bucket(compression="zstd")]}
    assert state_diff.plan(desired, done) == []
    (op,) = state_diff.plan({ns.BUCKETS: {UID: BUCKET}}, done)
    assert op.action == "put" and "compression" not in put_body(op)


def test_the_gateway_takes_zstd_none_or_nothing():
    for value in ("zstd", "none", None):
        body = {} if value is None else {"compression": value}
        assert bucket_settings.Settings.from_body(body).compression == value
    for bad in ("gzip", "ZSTD", 1, True):
        with pytest.raises(bucket_settings.InvalidSettings):
            bucket_settings.Settings.from_body({"compression": bad})
