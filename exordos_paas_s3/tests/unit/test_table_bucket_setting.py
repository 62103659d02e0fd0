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
"""The bucket field ``table_bucket`` on its way to the gateway: the item,
the admin call the driver plans, the gateway's settings and catalog. (End to
end through the driver in tests/functional/test_driver_reconcile.py.)"""

from __future__ import annotations

import asyncio

import pytest

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import state_diff
from exordos_paas_s3.gateway import bucket_settings
from exordos_paas_s3.gateway.tables import catalog
from exordos_paas_s3.tests.unit.test_default_encryption import (
    BUCKET,
    UID,
    actual_bucket,
    put_body,
)


def test_the_setting_travels_only_when_set():
    assert "table_bucket" not in state_diff.bucket_settings(BUCKET)
    spec = {**BUCKET, "table_bucket": True}
    assert state_diff.bucket_settings(spec)["table_bucket"] is True


def test_the_driver_puts_it_until_reported_and_never_takes_it_back():
    desired = {ns.BUCKETS: {UID: {**BUCKET, "table_bucket": True}}}
    (op,) = state_diff.plan(desired, {"buckets": [actual_bucket()]})
    assert op.action == "put" and put_body(op)["table_bucket"] is True
    done = {"buckets": [actual_bucket(table_bucket=True)]}
    assert state_diff.plan(desired, done) == []
    # Not wanted (any more, or enabled by a tenant): nothing to do.
    assert state_diff.plan({ns.BUCKETS: {UID: BUCKET}}, done) == []


def test_the_gateway_takes_a_bool():
    assert bucket_settings.Settings.from_body({}).table_bucket is False
    assert bucket_settings.Settings.from_body({"table_bucket": True}).table_bucket
    for bad in ("true", 1, None):
        with pytest.raises(bucket_settings.InvalidSettings):
            bucket_settings.Settings.from_body({"table_bucket": bad})
    # The same document the catalog keeps (not imported by bucket_settings).
    assert bucket_settings.DOC_TABLES == catalog.DOC_CATALOG


def test_apply_enables_the_catalog_and_never_removes_it(tmp_path):
    from exordos_paas_s3.gateway.storage import local

    async def run():
        storage = local.LocalStorage(str(tmp_path), fsync=False)
        await storage.start()
        try:
            on = bucket_settings.Settings(table_bucket=True)
            off = bucket_settings.Settings()
            where = {"owner_id": "o", "region": "us-east-1"}
            doc, changed = await bucket_settings.apply(storage, "b", off, **where)
            assert changed and doc["table_bucket"] is False
            doc, changed = await bucket_settings.apply(storage, "b", on, **where)
            assert changed and doc["table_bucket"] is True
            tables = catalog.shared(storage)
            await tables.create_namespace("b", ("ns",), {})
            assert (await bucket_settings.apply(storage, "b", on, **where))[1] is False
            doc, changed = await bucket_settings.apply(storage, "b", off, **where)
            assert not changed and doc["table_bucket"] is True
            names, _ = await tables.list_namespaces("b", None, None, None)
            assert names == [["ns"]]
        finally:
            await storage.close()

    asyncio.run(run())
