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
"""A bucket's access documents, parsed once and kept in memory.

The documents (bucket documents of the storage contract):

- ``policy``: the bucket policy JSON text (also written by the admin API's
  ``public`` flag, see ``bucket_settings.py``);
- ``public-access-block``: PublicAccessBlockConfiguration XML;
- ``ownership-controls``: OwnershipControls XML;
- ``acl``: the bucket's AccessControlPolicy XML (absent: owner FULL_CONTROL);
- ``lifecycle``: the LifecycleConfiguration, kept here parsed because GET,
  HEAD and PUT answer ``x-amz-expiration`` from it (gateway/lifecycle/).

``AccessCache`` holds them compiled per bucket so that authorization never
reads the disk on the hot path. Every writer goes through
``AccessTrackingStorage`` (the storage wrapper the composition root installs),
which drops a bucket's entry when one of its documents changes, whoever wrote
it: the S3 handlers or the admin API. Gateways that share a PostgreSQL
index also drop an entry when another gateway changes the bucket (the
backend's ``watch_buckets``, fed by NOTIFY); the TTL is a last resort.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from exordos_paas_s3.gateway import acl as acl_rules
from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy as policy_lang
from exordos_paas_s3.gateway.lifecycle import rules as lifecycle_rules
from exordos_paas_s3.gateway.storage import base as storage_base

LOG = logging.getLogger(__name__)

DOC_POLICY = "policy"
DOC_PUBLIC_ACCESS_BLOCK = "public-access-block"
DOC_OWNERSHIP = "ownership-controls"
DOC_ACL = "acl"
DOC_LIFECYCLE = lifecycle_rules.DOC
ACCESS_DOCS = frozenset(
    {DOC_POLICY, DOC_PUBLIC_ACCESS_BLOCK, DOC_OWNERSHIP, DOC_ACL, DOC_LIFECYCLE}
)

DEFAULT_TTL = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class BucketAccess:
    """Everything authorization needs to know about one bucket."""

    bucket: str
    owner_id: str
    policy: policy_lang.Policy | None
    public_access_block: acl_rules.PublicAccessBlock
    has_public_access_block: bool
    ownership: acl_rules.ObjectOwnership
    has_ownership_controls: bool
    grants: tuple[acl_rules.Grant, ...]
    # The policy reads s3:ExistingObjectTag/*: fetch the object's tags.
    needs_object_tags: bool
    loaded_at: float
    # Only rules that expire current versions (what x-amz-expiration tells).
    lifecycle: lifecycle_rules.Config | None = None

    @property
    def acls_enabled(self) -> bool:
        return acl_rules.acls_enabled(self.ownership)

    @property
    def policy_is_public(self) -> bool:
        return policy_lang.is_public(self.policy)


def references_existing_tags(policy: policy_lang.Policy | None) -> bool:
    if policy is None:
        return False
    for statement in policy.statements:
        for condition in statement.conditions:
            if condition.key.startswith("s3:existingobjecttag/"):
                return True
    return False


def owner_grants(owner_id: str) -> tuple[acl_rules.Grant, ...]:
    return (
        acl_rules.Grant(
            acl_rules.Grantee.user(owner_id), acl_rules.Permission.FULL_CONTROL
        ),
    )


def parse_stored_acl(raw: bytes | None, owner_id: str) -> tuple[acl_rules.Grant, ...]:
    """Grants of a stored ACL document; the owner's full control when absent."""
    if raw is None:
        return owner_grants(owner_id)
    try:
        return acl_rules.parse_access_control_policy(raw).grants
    except errors.S3Error:
        LOG.error("stored ACL no longer parses; treating it as private")
        return owner_grants(owner_id)


async def load(
    storage: Any, info: storage_base.BucketInfo, default_ownership
) -> BucketAccess:
    """Read and compile a bucket's access documents (the slow path)."""
    name = info.name
    raw_policy = await storage.get_bucket_doc(name, DOC_POLICY)
    policy = None
    if raw_policy is not None:
        try:
            policy = policy_lang.parse_policy(raw_policy, kind="bucket", bucket=name)
        except errors.S3Error as exc:
            # Validated when put; a stricter parser must not open the bucket
            # up, so a policy that no longer parses denies through its absence
            # of Allows and is logged.
            LOG.error("bucket %s: stored policy no longer parses: %s", name, exc)
    raw_pab = await storage.get_bucket_doc(name, DOC_PUBLIC_ACCESS_BLOCK)
    pab = acl_rules.NO_PUBLIC_ACCESS_BLOCK
    if raw_pab is not None:
        try:
            pab = acl_rules.parse_public_access_block(raw_pab)
        except errors.S3Error:
            LOG.error("bucket %s: stored public access block is invalid", name)
            pab = acl_rules.PublicAccessBlock(True, True, True, True)
    raw_ownership = await storage.get_bucket_doc(name, DOC_OWNERSHIP)
    ownership = default_ownership
    if raw_ownership is not None:
        try:
            ownership = acl_rules.parse_ownership_controls(raw_ownership)
        except errors.S3Error:
            LOG.error("bucket %s: stored ownership controls are invalid", name)
    grants = parse_stored_acl(
        await storage.get_bucket_doc(name, DOC_ACL), info.owner_id
    )
    lifecycle = lifecycle_rules.parse(await storage.get_bucket_doc(name, DOC_LIFECYCLE))
    return BucketAccess(
        lifecycle=lifecycle
        if lifecycle is not None and lifecycle.expires_current
        else None,
        bucket=name,
        owner_id=info.owner_id,
        policy=policy,
        public_access_block=pab,
        has_public_access_block=raw_pab is not None,
        ownership=ownership,
        has_ownership_controls=raw_ownership is not None,
        grants=grants,
        needs_object_tags=references_existing_tags(policy),
        loaded_at=time.monotonic(),
    )


class AccessCache:
    """Bucket name -> BucketAccess; filled on first use, dropped on change."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        default_ownership: acl_rules.ObjectOwnership = (
            acl_rules.DEFAULT_OBJECT_OWNERSHIP
        ),
    ) -> None:
        self.ttl = ttl
        self.default_ownership = default_ownership
        self._entries: dict[str, BucketAccess] = {}
        # Bumped by every invalidation: a load that raced with a write is not
        # stored (it may hold the old document).
        self._generation = 0

    def __repr__(self) -> str:
        return f"<AccessCache buckets={len(self._entries)}>"

    async def get(self, storage: Any, info: storage_base.BucketInfo) -> BucketAccess:
        entry = self._entries.get(info.name)
        if (
            entry is not None
            and entry.owner_id == info.owner_id
            and time.monotonic() - entry.loaded_at < self.ttl
        ):
            return entry
        generation = self._generation
        entry = await load(storage, info, self.default_ownership)
        if generation == self._generation:
            self._entries[info.name] = entry
        return entry

    def peek(self, bucket: str) -> BucketAccess | None:
        return self._entries.get(bucket)

    def invalidate(self, bucket: str) -> None:
        self._generation += 1
        self._entries.pop(bucket, None)

    def forget(self, bucket: str | None) -> None:
        """A change made elsewhere (another gateway on a shared index):
        one bucket's entry, or every entry for None."""
        if bucket is not None:
            self.invalidate(bucket)
        else:
            self._generation += 1
            self._entries.clear()


class AccessTrackingStorage(storage_base.StorageWrapper):
    """A storage that tells the AccessCache when access documents change.

    Delegates everything to the wrapped backend; only the writes that can
    change a bucket's access (its documents, its creation and deletion) are
    intercepted. Installed once by the composition root, so the S3 handlers
    and the admin API share it.
    """

    def __init__(self, storage: storage_base.Storage, cache: AccessCache) -> None:
        super().__init__(storage)
        self._storage = storage
        self.access_cache = cache

    async def create_bucket(
        self, name: str, owner_id: str, region: str, object_lock: bool = False
    ) -> storage_base.BucketInfo:
        self.access_cache.invalidate(name)
        try:
            return await self._storage.create_bucket(
                name, owner_id, region, object_lock
            )
        finally:
            self.access_cache.invalidate(name)

    async def delete_bucket(self, name: str) -> None:
        try:
            await self._storage.delete_bucket(name)
        finally:
            self.access_cache.invalidate(name)

    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None:
        try:
            await self._storage.put_bucket_doc(bucket, name, value)
        finally:
            if name in ACCESS_DOCS:
                self.access_cache.invalidate(bucket)

    async def delete_bucket_doc(self, bucket: str, name: str) -> None:
        try:
            await self._storage.delete_bucket_doc(bucket, name)
        finally:
            if name in ACCESS_DOCS:
                self.access_cache.invalidate(bucket)
