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
"""IAM of the control plane: the service name, one policy name per resource,
the permissions the controllers enforce and the roles that bundle them.

The element manifest (exordos/manifests) declares exactly ``all_permissions()``
and binds ``ROLES`` to the project's roles; a test keeps the two in step.
A permission is ``<service>.<policy>.<action>`` as gcl_iam's enforcer reads it.
"""

import logging

LOG = logging.getLogger(__name__)

# Kept equal to the original product's service name so that role bindings
# made for it keep working after an upgrade.
SERVICE_NAME = "exordos_s3"

# One policy name per resource.
POLICY_VERSION = "s3_version"
POLICY_INSTANCE = "s3_instance"
POLICY_BUCKET = "bucket"
POLICY_POLICY = "policy"
POLICY_USER = "user"
POLICY_ACCESS_KEY = "access_key"
POLICY_ATTACHMENT = "policy_attachment"

CRUD_ACTIONS = ("create", "read", "update", "delete")

# Actions beyond CRUD that guard writing particular fields: resizing an
# instance costs money and a public bucket exposes data to anyone, so an
# operator may manage an instance's content without being allowed either.
ACTION_RESIZE = "resize"
ACTION_MAKE_PUBLIC = "make_public"
# Pointing an instance's gateways at an S3 upstream and a database (and
# handing them credentials for both) is the owner's call, not an operator's.
ACTION_CONFIGURE_STORAGE = "configure_storage"
STORAGE_FIELDS = (
    "blob_store",
    "upstream_endpoint",
    "upstream_bucket",
    "upstream_region",
    "upstream_access_key",
    "upstream_secret_key",
    "index_url",
    "index_password",
)
# Turning a bucket into a table bucket (an Iceberg catalog over it) is its
# own decision too: it cannot be undone without losing the catalog.
ACTION_ENABLE_TABLES = "enable_tables"

# (policy, field) -> action that must be granted to set the field, on create
# and on update. Fields not listed follow the resource's create/update action.
FIELD_WRITE_ACTIONS = {
    (POLICY_INSTANCE, "cpu"): ACTION_RESIZE,
    (POLICY_INSTANCE, "ram"): ACTION_RESIZE,
    (POLICY_INSTANCE, "disk_size"): ACTION_RESIZE,
    (POLICY_INSTANCE, "nodes_number"): ACTION_RESIZE,
    (POLICY_BUCKET, "public"): ACTION_MAKE_PUBLIC,
    **{(POLICY_INSTANCE, field): ACTION_CONFIGURE_STORAGE for field in STORAGE_FIELDS},
    (POLICY_BUCKET, "table_bucket"): ACTION_ENABLE_TABLES,
}

RESOURCE_POLICIES = {
    POLICY_VERSION: CRUD_ACTIONS,
    POLICY_INSTANCE: CRUD_ACTIONS + (ACTION_RESIZE, ACTION_CONFIGURE_STORAGE),
    POLICY_BUCKET: CRUD_ACTIONS + (ACTION_MAKE_PUBLIC, ACTION_ENABLE_TABLES),
    POLICY_POLICY: CRUD_ACTIONS,
    POLICY_USER: CRUD_ACTIONS,
    POLICY_ACCESS_KEY: CRUD_ACTIONS,
    POLICY_ATTACHMENT: CRUD_ACTIONS,
}

ROLE_ADMIN = "admin"
ROLE_OWNER = "owner"
ROLE_OPERATOR = "operator"
ROLE_VIEWER = "viewer"


def permission(policy: str, action: str) -> str:
    return f"{SERVICE_NAME}.{policy}.{action}"


def all_permissions() -> list[str]:
    """Every permission some controller enforces, sorted."""
    return sorted(
        permission(policy, action)
        for policy, actions in RESOURCE_POLICIES.items()
        for action in actions
    )


def _role_permissions() -> dict[str, list[str]]:
    owner = [
        p
        for p in all_permissions()
        # Versions are published by the element manifest (the platform
        # operator), tenants only pick one.
        if not p.startswith(permission(POLICY_VERSION, ""))
        or p == permission(POLICY_VERSION, "read")
    ]
    operator = [permission(POLICY_VERSION, "read")]
    operator += [
        permission(POLICY_INSTANCE, "read"),
        permission(POLICY_INSTANCE, "update"),
    ]
    for policy in (
        POLICY_BUCKET,
        POLICY_POLICY,
        POLICY_USER,
        POLICY_ACCESS_KEY,
        POLICY_ATTACHMENT,
    ):
        operator += [permission(policy, action) for action in CRUD_ACTIONS]
    viewer = [permission(policy, "read") for policy in RESOURCE_POLICIES]
    # The platform operator's role: everything, including writing the
    # data-plane version catalog (normally written only by the s3aas element
    # itself, e.g. to withdraw a broken image by hand). Without it
    # s3_version.create/update/delete would be declared but bound to no role.
    admin = all_permissions()
    return {
        ROLE_ADMIN: admin,
        ROLE_OWNER: sorted(owner),
        ROLE_OPERATOR: sorted(operator),
        ROLE_VIEWER: sorted(viewer),
    }


# role name -> the permissions the element manifest binds to it.
ROLES = _role_permissions()
