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
"""Where an instance's gateways keep object bytes and their index (issue 11,
item 8): the instance's storage fields and their rules.

``blob_store``: ``local`` (each node's data disk, the default) or ``s3`` (an
upstream S3 engine: ``upstream_endpoint``, ``upstream_bucket``,
``upstream_region``, ``upstream_access_key``, ``upstream_secret_key``).
``index_url``: ``sqlite`` (each node's own file, the default) or
``postgresql://USER@HOST[:PORT]/DB`` shared by every node, its password in
``index_password``. The two secrets are write-only and sealed like the root
secret; the URL may not carry a password itself (it is shown).

The pairs a node set can run: local + sqlite (one namespace per node, as
before), s3 + sqlite on one node (a gateway in front of an existing
cluster), s3 + postgresql on any number of nodes (one namespace). Several
nodes over one upstream bucket with an index each are refused: each node's
blob GC would take the others' blobs for orphans.
"""

from __future__ import annotations

import re
from urllib import parse as urlparse

from exordos_paas_s3 import bucket_rules
from exordos_paas_s3.controlplane import validation

BLOB_STORES = ("local", "s3")
UPSTREAM_FIELDS = (
    "upstream_endpoint",
    "upstream_bucket",
    "upstream_region",
    "upstream_access_key",
    "upstream_secret_key",
)
SECRET_FIELDS = ("upstream_secret_key", "index_password")
# What the storage of an instance is made of, secrets excepted: what the
# builders look at.
PLAIN_FIELDS = ("blob_store", *UPSTREAM_FIELDS[:-1], "index_url")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
_ACCESS_KEY = re.compile(r"[\x21-\x7e]{3,128}\Z")


def _invalid(field: str, reason: str) -> validation.InvalidField:
    return validation.InvalidField(field=field, reason=reason)


def check_secret(field: str, value: object) -> str:
    """A plaintext secret as a request gives it (before it is sealed)."""
    if not (
        isinstance(value, str)
        and 1 <= len(value) <= 256
        and all("!" <= c <= "~" for c in value)
    ):
        raise _invalid(field, "must be 1 to 256 printable ASCII characters, no spaces")
    return value


def check_endpoint(value: str) -> None:
    parts = urlparse.urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or len(value) > 1024
        # gateway.conf is read by oslo.config, which expands "$name".
        or "$" in value
    ):
        raise _invalid(
            "upstream_endpoint",
            "must be an http:// or https:// URL with a host and no credentials, "
            "query or fragment (e.g. http://rgw.example:7480)",
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise _invalid("upstream_endpoint", "has an invalid port") from None


def check_index_url(value: str) -> None:
    if value == "sqlite":
        return
    parts = urlparse.urlsplit(value)
    reason = None
    if parts.scheme not in ("postgresql", "postgres"):
        reason = "must be 'sqlite' or a postgresql://USER@HOST[:PORT]/DB URL"
    elif parts.password is not None or "password" in parts.query.lower():
        reason = "may not carry a password: give it in index_password (write-only)"
    elif not parts.hostname or not parts.path.strip("/"):
        reason = "needs a host and a database: postgresql://USER@HOST[:PORT]/DB"
    elif len(value) > 1024:
        reason = "is longer than 1024 characters"
    if reason is None:
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            reason = "has an invalid port"
    if reason is not None:
        raise _invalid("index_url", reason)


def check_shape(instance) -> None:
    """The storage fields of an instance, together (InvalidField: a 400)."""
    given = {
        name: getattr(instance, name)
        for name in UPSTREAM_FIELDS
        if getattr(instance, name) is not None
    }
    index = instance.index_url
    check_index_url(index)
    postgres = index != "sqlite"
    if instance.blob_store == "local":
        if given:
            raise _invalid(
                sorted(given)[0], "applies to blob_store s3 only (this one is local)"
            )
        if postgres:
            raise _invalid(
                "index_url",
                "a shared index over each node's own disk is no namespace: "
                "use blob_store s3 with a postgresql index",
            )
    else:
        for name in UPSTREAM_FIELDS:
            if name != "upstream_region" and name not in given:
                raise _invalid(name, "is required with blob_store s3")
        check_endpoint(instance.upstream_endpoint)
        problem = bucket_rules.bucket_name_problem(instance.upstream_bucket)
        if problem or "." in instance.upstream_bucket:
            raise _invalid(
                "upstream_bucket",
                problem or "dots are not allowed (path-style and TLS)",
            )
        region = instance.upstream_region
        if region is not None and not _REGION.match(region):
            raise _invalid("upstream_region", "must be a region name like us-east-1")
        if not _ACCESS_KEY.match(instance.upstream_access_key):
            raise _invalid(
                "upstream_access_key", "must be 3 to 128 printable characters"
            )
        if not postgres and instance.nodes_number > 1:
            raise _invalid(
                "index_url",
                "several nodes over one upstream bucket need one shared index "
                "(postgresql://…): with an index each, every node's blob GC "
                "would delete the others' blobs",
            )
    if instance.index_password is not None and not postgres:
        raise _invalid("index_password", "applies to a postgresql index_url only")


def index_with_password(index_url: str, password: str | None) -> str:
    """The URL the gateway connects with: the password put in its userinfo."""
    if password is None:
        return index_url
    parts = urlparse.urlsplit(index_url)
    user = urlparse.quote(parts.username or "", safe="")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:{urlparse.quote(password, safe='')}@{host}"
    return urlparse.urlunsplit(
        (parts.scheme, netloc, parts.path, parts.query, parts.fragment)
    )
