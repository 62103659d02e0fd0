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
"""Bucket quotas: the operator's byte limit, enforced on every object write.

The admin API stores the limit as the bucket document ``quota``
(``{"quota_bytes": N}``, gateway/bucket_settings.py). A write that would take
the bucket's stored bytes (every object version, delete markers and
unfinished multipart uploads excluded) above N is refused with
``403 QuotaExceeded`` (Ceph RGW's answer; AWS has no bucket quotas) before
the new object becomes visible, so nothing is stored.

The used bytes come from ``Storage.bucket_usage`` (a counter in the
index), read once per write. A write with a body (``Expected.quota``) is
checked again inside its commit against the usage as it is then, the
counter row locked on a shared index (storage/local.py ``_check_quota``):
concurrent writers, on one gateway or several, stay within the limit.
CompleteMultipartUpload is checked before its commit only: concurrent
completions may overshoot by what is in flight, as in RGW.
"""

from __future__ import annotations

import json
import logging

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage import base as storage_base

LOG = logging.getLogger(__name__)

DOC_QUOTA = "quota"


async def limit_of(storage: storage_base.Storage, bucket: str) -> int:
    """The bucket's quota in bytes; 0 when it has none."""
    raw = await storage.get_bucket_doc(bucket, DOC_QUOTA)
    if not raw:
        return 0
    try:
        value = json.loads(raw).get("quota_bytes", 0)
    except (ValueError, AttributeError):
        LOG.error("bucket %s: the quota document does not parse", bucket)
        return 0
    return value if type(value) is int and value > 0 else 0


async def prepare(
    storage: storage_base.Storage,
    bucket: storage_base.BucketInfo,
    key: str | None,
) -> storage_base.QuotaRoom | None:
    """The room left for one write of an object named ``key`` (None for a
    write that replaces nothing), or None when the bucket has no quota:
    ``room.check(size)`` raises QuotaExceeded; storage checks it again with
    the received size (``Expected.quota``).

    Outside a versioning-enabled bucket the write replaces the key's "null"
    version, whose bytes are freed by the same commit.
    """
    limit = await limit_of(storage, bucket.name)
    if not limit:
        return None
    _objects, used = await storage.bucket_usage(bucket.name)
    replaced = 0
    if key is not None and bucket.versioning != "Enabled":
        try:
            old = await storage.head_object(bucket.name, key, "null")
        except (errors.NoSuchKey, errors.NoSuchVersion):
            old = None
        if old is not None and not old.is_delete_marker:
            replaced = old.size
    return storage_base.QuotaRoom(bucket.name, limit, used, replaced)
