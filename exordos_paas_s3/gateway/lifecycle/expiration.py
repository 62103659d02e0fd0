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
"""``x-amz-expiration`` on GET, HEAD and PUT of an object a rule will expire.

Cheap on the hot path: the bucket's rules come parsed from the access cache
authorization has just used (bucket_access.py); a bucket without rules that
expire current versions costs one dict lookup and one attribute test. Tags
are read only when a matching rule filters by tags and the version has any.

The date is AWS's arithmetic (the midnight UTC after creation + Days, or the
rule's Date) whatever ``--lifecycle-day-seconds`` says: the short day is a
testing clock for the executor, as RGW's ``rgw_lc_debug_interval`` is, and
the header keeps the date a production gateway applies.
"""

from __future__ import annotations

from exordos_paas_s3.gateway import authorization
from exordos_paas_s3.gateway.handlers import tagging
from exordos_paas_s3.gateway.lifecycle import rules as lc
from exordos_paas_s3.gateway.request import Request
from exordos_paas_s3.gateway.storage.base import ObjectInfo

HEADER = "x-amz-expiration"


def rules_of(req: Request) -> lc.Config | None:
    """The bucket's rules that expire current versions, from the access
    cache entry authorization has just used; None (the common case) when it
    has none. Synchronous: the hot path pays no coroutine for it."""
    authorize = req.services.authorize
    if not isinstance(authorize, authorization.Authorizer):
        return None
    access = authorize.cache.peek(req.bucket)
    return access.lifecycle if access is not None else None


async def add_header(
    req: Request,
    config: lc.Config,
    info: ObjectInfo,
    headers: dict[str, str],
    tags: tagging.Tags | None = None,
) -> None:
    """Set ``x-amz-expiration`` when a rule of ``config`` will expire this
    current version; ``tags``: the version's tags when the caller knows
    them."""
    if info.is_delete_marker or not info.is_latest:
        return
    known = dict(tags) if tags is not None else None
    if (
        known is None
        and config.needs_tags
        and info.system_meta.get(tagging.COUNT_HEADER)
    ):
        known = dict(await tagging.object_tags(req, info))
    hit = lc.first_expiry(config, info.key, info.size, info.last_modified, known)
    if hit is not None:
        headers[HEADER] = lc.header_value(*hit)
