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
"""The per-node desired-state document and the report that answers it.

The PaaS builder writes one desired document per gateway node; the data-plane
driver applies it and answers with a report. Neither side may import the other
(DESIGN §2), so the shape both agree on lives here, with no dependencies.

Desired document (the value of a target resource of kind ``KIND``)::

    {"uuid": <node-state uuid>, "instance": <instance uuid>,
     "node": <node uuid>  (uuid is agent_uuid_for_node(node)),
     "buckets":     {<uuid>: {"name", "versioning", "object_lock",
                              "retention_mode", "retention_days",
                              "quota_bytes", "public", "force_delete",
                              "encryption"?, "compression"?}},
     "users":       {<uuid>: {"name"}},
     "access_keys": {<uuid>: {"user": <user uuid>, "access_key",
                              "secret_key", "enabled"}},
     "policies":    {<uuid>: {"name", "document"}},
     "attachments": {<uuid>: {"user": <user uuid>, "policy": <policy uuid>}},
     "deleted_buckets": {<bucket uuid>: {"name", "force"}}}

``secret_key`` is sealed to the node (``node_seal``: the node's encryption
key, the node uuid and the item bound in); the driver opens it on the node.

``deleted_buckets`` are buckets deleted through the API that a node may still
hold: explicit delete items (with the tenant's force intent) that stay in the
document until every node reports the bucket gone.

Report (the value of the actual resource; never holds a secret)::

    {"uuid", "instance", "status": ACTIVE | IN_PROGRESS | ERROR, "reason",
     "<section>": {<uuid>: {"status", "reason", "digest", ...facts}}}

``digest`` is :func:`item_digest` of the desired item the status is about, so
the control plane never takes an ACTIVE for an older spec as ACTIVE for the
current one.
"""

from __future__ import annotations

import hashlib
import json
import typing as tp
import uuid as sys_uuid

# The universal-agent capability (and target resource kind) of node states.
KIND = "s3_gateway"
# The agent of a gateway node has uuid5(node uuid, AGENT_UUID5_NAME); its
# config sets ``uuid5_name`` to the same string.
AGENT_UUID5_NAME = "s3aas"

BUCKETS = "buckets"
USERS = "users"
ACCESS_KEYS = "access_keys"
POLICIES = "policies"
ATTACHMENTS = "attachments"
# Apply order: what is referenced comes first; deletes go the other way.
SECTIONS = (POLICIES, USERS, ACCESS_KEYS, ATTACHMENTS, BUCKETS)
# Delete items, not desired objects: reported as ACTIVE once the bucket is gone.
DELETED_BUCKETS = "deleted_buckets"

ACTIVE = "ACTIVE"
IN_PROGRESS = "IN_PROGRESS"
ERROR = "ERROR"

# Fields of a desired item that are secret: kept out of digests and reports.
SECRET_FIELDS = frozenset({"secret_key"})
# Fields that steer how a change is applied, not what the result looks like.
_NOT_DIGESTED = SECRET_FIELDS | {"force_delete"}


def agent_uuid_for_node(node_uuid: sys_uuid.UUID | str) -> sys_uuid.UUID:
    return sys_uuid.uuid5(sys_uuid.UUID(str(node_uuid)), AGENT_UUID5_NAME)


def item_digest(spec: tp.Mapping[str, tp.Any]) -> str:
    """A short stable digest of a desired item, secrets excluded."""
    public = {k: v for k, v in spec.items() if k not in _NOT_DIGESTED}
    raw = json.dumps(public, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def without_secrets(doc: tp.Mapping[str, tp.Any]) -> dict[str, tp.Any]:
    """A copy of a desired document safe to store or log."""
    out = dict(doc)
    for section in SECTIONS:
        items = doc.get(section) or {}
        out[section] = {
            uid: {k: v for k, v in spec.items() if k not in SECRET_FIELDS}
            for uid, spec in items.items()
        }
    return out
