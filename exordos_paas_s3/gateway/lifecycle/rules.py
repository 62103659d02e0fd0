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
"""Lifecycle rules as the executor and the x-amz-expiration header read them.

The stored document is the LifecycleConfiguration PutBucketLifecycle
accepted (handlers/bucket_config.py validates it); this module turns it into
plain values once, so neither the worker nor the hot path parses XML.

Time: a rule's day lasts ``day_seconds`` (86400 unless the gateway runs
with ``--lifecycle-day-seconds``, the testing knob modelled on Ceph RGW's
``rgw_lc_debug_interval``). With the real day, AWS's arithmetic applies: an
object expires at the first midnight UTC after its creation plus ``Days``
days. With a shortened day there is no rounding: creation plus ``Days`` x
``day_seconds`` (as RGW does in debug mode).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import xml.etree.ElementTree as ET  # noqa: N817 - reading a stored document

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml

LOG = logging.getLogger(__name__)

DOC = "lifecycle"
DAY = 86400

Tags = tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    id: str
    enabled: bool
    prefix: str = ""
    tags: Tags = ()
    size_gt: int | None = None
    size_lt: int | None = None
    expiration_days: int | None = None
    expiration_date: float | None = None  # epoch seconds (midnight UTC)
    expired_object_delete_marker: bool = False
    noncurrent_days: int | None = None
    newer_noncurrent: int = 0
    abort_days: int | None = None

    def matches_key(self, key: str) -> bool:
        return key.startswith(self.prefix)

    def matches_object(
        self, key: str, size: int, tags: dict[str, str] | None = None
    ) -> bool:
        """Prefix, size and tag filters against one version (``tags`` are
        only needed when the rule has a tag filter)."""
        return self.matches_untagged(key, size) and self.matches_tags(tags)

    def matches_untagged(self, key: str, size: int) -> bool:
        """The prefix and size filters."""
        if not key.startswith(self.prefix):
            return False
        if self.size_gt is not None and not size > self.size_gt:
            return False
        return self.size_lt is None or size < self.size_lt

    def matches_tags(self, tags: dict[str, str] | None) -> bool:
        have = tags or {}
        return all(have.get(k) == v for k, v in self.tags)

    @property
    def expires_current(self) -> bool:
        return self.expiration_days is not None or self.expiration_date is not None


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    rules: tuple[Rule, ...]

    @property
    def active(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    @property
    def expires_current(self) -> bool:
        return any(r.expires_current for r in self.active)

    @property
    def needs_tags(self) -> bool:
        return any(r.tags for r in self.active)


def _int(el: ET.Element | None, tag: str) -> int | None:
    if el is None:
        return None
    text = s3xml.child_text(el, tag)
    return int(text.strip()) if text is not None and text.strip() else None


def _date(text: str) -> float:
    day = datetime.date.fromisoformat(text.strip()[:10])
    return datetime.datetime(
        day.year, day.month, day.day, tzinfo=datetime.UTC
    ).timestamp()


def _tag(el: ET.Element) -> tuple[str, str]:
    return (s3xml.child_text(el, "Key") or "", s3xml.child_text(el, "Value") or "")


def _rule(el: ET.Element) -> Rule:
    prefix = s3xml.child_text(el, "Prefix") or ""
    tags: list[tuple[str, str]] = []
    size_gt = size_lt = None
    filt = el.find("Filter")
    if filt is not None:
        cond = filt.find("And")
        if cond is None:
            cond = filt
        prefix = s3xml.child_text(cond, "Prefix") or ""
        tags = [_tag(t) for t in cond.findall("Tag")]
        size_gt = _int(cond, "ObjectSizeGreaterThan")
        size_lt = _int(cond, "ObjectSizeLessThan")
    expiration = el.find("Expiration")
    date = None
    marker = False
    if expiration is not None:
        text = s3xml.child_text(expiration, "Date")
        date = _date(text) if text else None
        marker = (
            s3xml.child_text(expiration, "ExpiredObjectDeleteMarker") or ""
        ).strip() == "true"
    noncurrent = el.find("NoncurrentVersionExpiration")
    return Rule(
        id=s3xml.child_text(el, "ID") or "",
        enabled=s3xml.child_text(el, "Status") == "Enabled",
        prefix=prefix,
        tags=tuple(tags),
        size_gt=size_gt,
        size_lt=size_lt,
        expiration_days=_int(expiration, "Days"),
        expiration_date=date,
        expired_object_delete_marker=marker,
        noncurrent_days=_int(noncurrent, "NoncurrentDays"),
        newer_noncurrent=_int(noncurrent, "NewerNoncurrentVersions") or 0,
        abort_days=_int(
            el.find("AbortIncompleteMultipartUpload"), "DaysAfterInitiation"
        ),
    )


def parse(raw: bytes | None) -> Config | None:
    """The stored document as a Config; None when absent or unreadable (a
    stored document was validated when put: one that no longer parses is
    logged and executes nothing)."""
    if not raw:
        return None
    try:
        root = s3xml.parse(raw, "LifecycleConfiguration")
        return Config(tuple(_rule(r) for r in root.findall("Rule")))
    except (errors.S3Error, ValueError) as exc:
        LOG.error("a stored lifecycle configuration does not parse: %s", exc)
        return None


def after_days(start: float, days: int, day_seconds: int = DAY) -> float:
    """When ``days`` lifecycle days after ``start`` are over."""
    if day_seconds == DAY:
        # AWS: the next midnight UTC after start + days.
        end = start + days * DAY
        return (int(end) // DAY + (1 if end % DAY else 0)) * DAY
    return start + days * day_seconds


def current_expiry(
    rule: Rule, last_modified: float, day_seconds: int = DAY
) -> float | None:
    """When ``rule`` expires a current version written at ``last_modified``."""
    if rule.expiration_date is not None:
        return rule.expiration_date
    if rule.expiration_days is not None:
        return after_days(last_modified, rule.expiration_days, day_seconds)
    return None


def first_expiry(
    config: Config,
    key: str,
    size: int,
    last_modified: float,
    tags: dict[str, str] | None,
    day_seconds: int = DAY,
) -> tuple[float, str] | None:
    """(when, rule id) of the earliest expiration of a current version."""
    best: tuple[float, str] | None = None
    for rule in config.active:
        if not rule.expires_current or not rule.matches_object(key, size, tags):
            continue
        when = current_expiry(rule, last_modified, day_seconds)
        if when is not None and (best is None or when < best[0]):
            best = (when, rule.id)
    return best


def header_value(when: float, rule_id: str) -> str:
    """The x-amz-expiration value: ``expiry-date="<HTTP date>", rule-id="ID"``."""
    stamp = datetime.datetime.fromtimestamp(when, datetime.UTC)
    text = stamp.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return f'expiry-date="{text}", rule-id="{rule_id}"'
