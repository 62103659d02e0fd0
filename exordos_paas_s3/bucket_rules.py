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
"""Bucket names and bucket settings: the rules the API and the gateway share.

The control plane checks a bucket (``controlplane/validation.py``) with the
same functions the gateway applies to CreateBucket and to the admin API's
bucket settings (``gateway/bucket_settings.py``), so the API never accepts a
bucket a node would refuse. Standard library only (DESIGN §2).
"""

from __future__ import annotations

import ipaddress
import typing as tp

# -- names ------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
MIN_NAME_LENGTH = 3
MAX_NAME_LENGTH = 63
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_EDGE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: tp.Any) -> str | None:
    """Why ``name`` is not a valid S3 general purpose bucket name, or None."""
    if not isinstance(name, str):
        return "a bucket name is a string"
    if not MIN_NAME_LENGTH <= len(name) <= MAX_NAME_LENGTH:
        return (
            f"a bucket name must be {MIN_NAME_LENGTH} to {MAX_NAME_LENGTH} "
            "characters long"
        )
    if (
        not set(name) <= _NAME_CHARS
        or name[0] not in _EDGE_CHARS
        or name[-1] not in _EDGE_CHARS
    ):
        return (
            "a bucket name may hold only lowercase letters, digits, dots and "
            "hyphens, and must begin and end with a letter or digit"
        )
    if ".." in name:
        return "a bucket name must not contain two adjacent dots"
    if ".-" in name or "-." in name:
        return "a bucket name must not have a dot next to a hyphen"
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"the prefix '{prefix}' is reserved"
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"the suffix '{suffix}' is reserved"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return None
    return "a bucket name must not be formatted as an IP address"


# -- settings ---------------------------------------------------------------

RETENTION_MODES = ("GOVERNANCE", "COMPLIANCE")
# S3 caps a default retention period at 100 years (PutObjectLockConfiguration).
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 36500
# 0 means no quota; the upper end is what a signed 64-bit counter holds.
MAX_QUOTA_BYTES = 2**63 - 1

# The neutral names of :func:`settings_problem`; each side maps them to its
# own field names (the API's ``default_retention_days``, the admin API's
# ``retention.days``...).
VERSIONING = "versioning"
OBJECT_LOCK = "object_lock"
RETENTION_MODE = "retention_mode"
RETENTION_DAYS = "retention_days"
QUOTA_BYTES = "quota_bytes"


def _is_int(value: tp.Any) -> bool:
    return type(value) is int  # a bool is not a number here


def settings_problem(
    *,
    versioning: tp.Any,
    object_lock: tp.Any,
    retention_mode: tp.Any,
    retention_days: tp.Any,
    quota_bytes: tp.Any,
) -> tuple[str, str] | None:
    """(setting, reason) for the first rule these settings break, or None.

    ``retention_mode``/``retention_days`` are both None for no default
    retention.
    """
    for name, value in ((VERSIONING, versioning), (OBJECT_LOCK, object_lock)):
        if type(value) is not bool:
            return name, "must be true or false"
    if not _is_int(quota_bytes) or not 0 <= quota_bytes <= MAX_QUOTA_BYTES:
        return (
            QUOTA_BYTES,
            f"must be an integer from 0 (no quota) to {MAX_QUOTA_BYTES}",
        )
    if (retention_mode is None) != (retention_days is None):
        missing = RETENTION_DAYS if retention_days is None else RETENTION_MODE
        return missing, "a default retention needs both a mode and a number of days"
    if retention_mode is not None:
        if retention_mode not in RETENTION_MODES:
            return RETENTION_MODE, f"must be one of {', '.join(RETENTION_MODES)}"
        if (
            not _is_int(retention_days)
            or not MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS
        ):
            return (
                RETENTION_DAYS,
                f"must be an integer from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}",
            )
        if not object_lock:
            return RETENTION_MODE, "a default retention needs object lock"
    if object_lock and not versioning:
        return VERSIONING, "object lock needs versioning enabled (it cannot be off)"
    return None
