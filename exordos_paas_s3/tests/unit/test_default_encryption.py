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
"""An instance's default encryption on its way to the gateway: the bucket
item, the admin call the driver plans, the gateway's settings and document.
(End to end, with boto3, in tests/functional/stand/test_seed_contract.py.)"""

from __future__ import annotations

import asyncio

import pytest

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import state_diff
from exordos_paas_s3.gateway import bucket_settings, sse
from exordos_paas_s3.gateway.handlers import bucket_config

BUCKET = {
    "name": "data-bucket",
    "versioning": True,
    "object_lock": False,
    "retention_mode": None,
    "retention_days": None,
    "quota_bytes": 0,
    "public": False,
    "force_delete": False,
}
UID = "6f2a9c3e-0000-4000-8000-000000000001"


def actual_bucket(**fields):
    return {
        "name": "data-bucket",
        "versioning": "Enabled",
        "object_lock": False,
        "retention": None,
        "quota_bytes": 0,
        "public": False,
        **fields,
    }


def put_bucket_body(name, settings):
    return settings


def put_body(op) -> dict:
    """The settings a planned put_bucket call sends."""

    class Client:
        put_bucket = staticmethod(put_bucket_body)

    return op.call(Client())


def test_the_setting_travels_only_when_set():
    assert "encryption" not in state_diff.bucket_settings(BUCKET)
    spec = {**BUCKET, "encryption": "AES256"}
    assert state_diff.bucket_settings(spec)["encryption"] == "AES256"


def test_the_driver_puts_the_bucket_until_the_gateway_reports_it():
    desired = {ns.BUCKETS: {UID: {**BUCKET, "encryption": "AES256"}}}
    plain = {"buckets": [actual_bucket(encryption=None)]}
    (op,) = state_diff.plan(desired, plain)
    assert op.action == "put" and put_body(op)["encryption"] == "AES256"
    done = {"buckets": [actual_bucket(encryption="AES256")]}
    assert state_diff.plan(desired, done) == []
    # Turned off: the bucket is put again, without it.
    (op,) = state_diff.plan({ns.BUCKETS: {UID: BUCKET}}, done)
    assert op.action == "put" and "encryption" not in put_body(op)


def test_the_gateway_takes_aes256_or_nothing():
    assert bucket_settings.Settings.from_body({}).encryption is None
    body = {"encryption": "AES256"}
    assert bucket_settings.Settings.from_body(body).encryption == "AES256"
    for bad in ("aes256", "aws:kms", 1, True):
        with pytest.raises(bucket_settings.InvalidSettings):
            bucket_settings.Settings.from_body({"encryption": bad})


def test_the_document_is_what_put_bucket_encryption_stores():
    document = bucket_settings.default_encryption_document()
    # The S3 handler's own parser takes it, and SSE reads it as SSE-S3.
    root = bucket_config.parse_encryption(document)
    assert bucket_config._stored(root) == document
    spec = sse.default_spec(document, None)
    assert spec is not None and spec.kind == sse.KIND_S3


def test_apply_writes_and_removes_only_the_operators_document(tmp_path):
    from exordos_paas_s3.gateway.storage import local

    async def run():
        storage = local.LocalStorage(str(tmp_path), fsync=False)
        await storage.start()
        try:
            on = bucket_settings.Settings(versioning=True, encryption="AES256")
            off = bucket_settings.Settings(versioning=True)
            where = {"owner_id": "o", "region": "us-east-1"}
            doc, changed = await bucket_settings.apply(storage, "b", on, **where)
            assert changed and doc["encryption"] == "AES256"
            raw = await storage.get_bucket_doc("b", bucket_settings.DOC_ENCRYPTION)
            assert raw == bucket_settings.default_encryption_document()
            assert (await bucket_settings.apply(storage, "b", on, **where))[1] is False
            doc, changed = await bucket_settings.apply(storage, "b", off, **where)
            assert changed and doc["encryption"] is None
            assert await storage.get_bucket_doc("b", "encryption") is None
            # A tenant's own configuration (with a bucket key) is theirs:
            # "none" leaves it, "AES256" replaces it with the operator's.
            tenant = raw.replace(
                b"</Rule>", b"<BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
            )
            await storage.put_bucket_doc("b", "encryption", tenant)
            doc, changed = await bucket_settings.apply(storage, "b", off, **where)
            assert not changed and doc["encryption"] is None
            assert await storage.get_bucket_doc("b", "encryption") == tenant
            doc, changed = await bucket_settings.apply(storage, "b", on, **where)
            assert changed and doc["encryption"] == "AES256"
        finally:
            await storage.close()

    asyncio.run(run())
