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
"""Object Lock: the bucket's lock configuration, per-version retention and
legal hold, and the rule that a locked version cannot be deleted.

Documents: the bucket document ``object-lock`` holds the
ObjectLockConfiguration (its default retention rule); each version may have
the documents ``retention`` (Retention XML) and ``legal-hold`` (LegalHold
XML). The lock state is mirrored into the version's system metadata
(``x-amz-object-lock-*``) so GET and HEAD return it without reading the
documents; enforcement reads the documents.

Rules from the AWS "Using S3 Object Lock" guide: object lock needs a
versioned bucket; COMPLIANCE can be neither shortened nor weakened;
GOVERNANCE can be shortened, removed or changed only with
``x-amz-bypass-governance-retention: true`` (whose s3:BypassGovernanceRetention
permission the authorize step checks); a version under retention or legal
hold cannot be deleted. Deleting without a version id only adds a delete
marker, which the lock does not forbid.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import logging
import time

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import integrity, tagging
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response
from exordos_paas_s3.gateway.storage.base import ObjectInfo, Storage

LOG = logging.getLogger(__name__)

DOC_CONFIG = "object-lock"
DOC_RETENTION = "retention"
DOC_LEGAL_HOLD = "legal-hold"
MODES = ("GOVERNANCE", "COMPLIANCE")
HOLD_STATES = ("ON", "OFF")
MODE_HEADER = "x-amz-object-lock-mode"
UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
HOLD_HEADER = "x-amz-object-lock-legal-hold"
BYPASS_HEADER = "x-amz-bypass-governance-retention"
MAX_DOCUMENT = 64 * 1024
# S3 counts a retention year as 365 days.
_DAY = 86400
_YEAR = 365 * _DAY


@dataclasses.dataclass
class Retention:
    mode: str
    until: float  # epoch seconds

    def active(self, now: float | None = None) -> bool:
        return self.until > (time.time() if now is None else now)


@dataclasses.dataclass
class DefaultRule:
    mode: str
    days: int = 0
    years: int = 0

    def retention(self, now: float) -> Retention:
        return Retention(self.mode, now + self.days * _DAY + self.years * _YEAR)


# --- formats ---------------------------------------------------------------


def parse_date(value: str) -> float | None:
    """An ISO 8601 timestamp -> epoch seconds (None: not a date)."""
    try:
        dt = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def format_date(ts: float) -> str:
    t = time.gmtime(ts)
    ms = int(round((ts - int(ts)) * 1000))
    if ms == 1000:
        t, ms = time.gmtime(int(ts) + 1), 0
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[:6] + (ms,))


def retention_element(retention: Retention) -> s3xml.Element:
    root = s3xml.Element("Retention", [])
    root.add("Mode", retention.mode)
    root.add("RetainUntilDate", format_date(retention.until))
    return root


def parse_retention(data: bytes) -> Retention | None:
    """A Retention document; None for an empty one (removing the retention)."""
    root = s3xml.parse(data, "Retention")
    mode = s3xml.child_text(root, "Mode")
    until = s3xml.child_text(root, "RetainUntilDate")
    if mode is None and until is None:
        return None
    if mode not in MODES or until is None:
        raise errors.MalformedXML()
    ts = parse_date(until)
    if ts is None:
        raise errors.MalformedXML()
    return Retention(mode, ts)


def stored_retention(raw: bytes | None) -> Retention | None:
    if not raw:
        return None
    try:
        return parse_retention(raw)
    except errors.S3Error:
        LOG.error("a stored retention document does not parse")
        return None


def legal_hold_element(status: str) -> s3xml.Element:
    root = s3xml.Element("LegalHold", [])
    root.add("Status", status)
    return root


def parse_legal_hold(data: bytes) -> str:
    root = s3xml.parse(data, "LegalHold")
    status = s3xml.child_text(root, "Status")
    if status not in HOLD_STATES:
        raise errors.MalformedXML()
    return status


def stored_legal_hold(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        return parse_legal_hold(raw)
    except errors.S3Error:
        LOG.error("a stored legal hold document does not parse")
        return None


def parse_configuration(data: bytes) -> DefaultRule | None:
    """ObjectLockConfiguration -> its default rule (None: no rule)."""
    root = s3xml.parse(data, "ObjectLockConfiguration")
    if s3xml.child_text(root, "ObjectLockEnabled") != "Enabled":
        raise errors.MalformedXML()
    rule = root.find("Rule")
    if rule is None:
        return None
    default = rule.find("DefaultRetention")
    if default is None:
        raise errors.MalformedXML()
    mode = s3xml.child_text(default, "Mode")
    days = s3xml.child_text(default, "Days")
    years = s3xml.child_text(default, "Years")
    if mode not in MODES or (days is None) == (years is None):
        raise errors.MalformedXML()
    try:
        period = int((days if days is not None else years or "").strip())
    except ValueError:
        raise errors.MalformedXML() from None
    if period <= 0:
        raise errors.InvalidRetentionPeriod()
    if days is not None:
        return DefaultRule(mode, days=period)
    return DefaultRule(mode, years=period)


def configuration_element(rule: DefaultRule | None) -> s3xml.Element:
    root = s3xml.Element("ObjectLockConfiguration", [])
    root.add("ObjectLockEnabled", "Enabled")
    if rule is not None:
        default = root.add("Rule", []).add("DefaultRetention", [])
        default.add("Mode", rule.mode)
        if rule.days:
            default.add("Days", str(rule.days))
        else:
            default.add("Years", str(rule.years))
    return root


def set_meta(
    system_meta: dict[str, str], retention: Retention | None, hold: str | None
) -> None:
    """Mirror the lock state into system metadata (returned on GET/HEAD)."""
    for name in (MODE_HEADER, UNTIL_HEADER, HOLD_HEADER):
        system_meta.pop(name, None)
    if retention is not None:
        system_meta[MODE_HEADER] = retention.mode
        system_meta[UNTIL_HEADER] = format_date(retention.until)
    if hold is not None:
        system_meta[HOLD_HEADER] = hold


def _mirrored(system_meta: dict[str, str]) -> tuple[Retention | None, str | None]:
    mode = system_meta.get(MODE_HEADER)
    until = parse_date(system_meta.get(UNTIL_HEADER, ""))
    retention = Retention(mode, until) if mode in MODES and until else None
    return retention, system_meta.get(HOLD_HEADER)


# --- the bucket's configuration --------------------------------------------


def _require_lock(req: Request) -> None:
    info = req.bucket_info
    if info is None or not info.object_lock_enabled:
        raise errors.InvalidRequest("Bucket is missing Object Lock Configuration")


async def default_rule(req: Request) -> DefaultRule | None:
    raw = await req.storage.get_bucket_doc(req.bucket, DOC_CONFIG)
    if not raw:
        return None
    try:
        return parse_configuration(raw)
    except errors.S3Error:
        LOG.error("the object lock configuration of %s does not parse", req.bucket)
        return None


async def put_object_lock_configuration(req: Request) -> Response:
    data = await integrity.read_document(req, MAX_DOCUMENT)
    rule = parse_configuration(data)
    info = req.bucket_info
    assert info is not None
    if not info.object_lock_enabled:
        # AWS lets Object Lock be enabled on an existing bucket only while
        # its versioning is Enabled (never on unversioned or suspended ones).
        if info.versioning != "Enabled":
            raise errors.InvalidBucketState(
                "Versioning must be 'Enabled' on the bucket to apply a Object "
                "Lock configuration",
                BucketName=req.bucket,
            )
        await req.storage.update_bucket(req.bucket, object_lock_enabled=True)
    if rule is None:
        await req.storage.delete_bucket_doc(req.bucket, DOC_CONFIG)
    else:
        await req.storage.put_bucket_doc(
            req.bucket, DOC_CONFIG, s3xml.serialize(configuration_element(rule))
        )
    return Response()


async def get_object_lock_configuration(req: Request) -> Response:
    info = req.bucket_info
    if info is None or not info.object_lock_enabled:
        raise errors.ObjectLockConfigurationNotFoundError(BucketName=req.bucket)
    return Response(xml=configuration_element(await default_rule(req)))


# --- retention and legal hold of one version --------------------------------


def bypass_requested(req: Request) -> bool:
    # The authorize step already required s3:BypassGovernanceRetention
    # for a request that carries this header.
    return req.headers.get(BYPASS_HEADER, "").strip().lower() == "true"


async def _version_lock(
    req: Request, info: ObjectInfo
) -> tuple[Retention | None, str | None]:
    storage = req.storage
    retention = stored_retention(
        await storage.get_object_doc(
            info.bucket, info.key, info.version_id, DOC_RETENTION
        )
    )
    hold = stored_legal_hold(
        await storage.get_object_doc(
            info.bucket, info.key, info.version_id, DOC_LEGAL_HOLD
        )
    )
    return retention, hold


async def _addressed(
    req: Request,
) -> tuple[ObjectInfo, Retention | None, str | None]:
    """The version the request addresses, with its retention and legal hold."""
    info = await tagging.lookup(req)
    retention, hold = await _version_lock(req, info)
    return info, retention, hold


async def _put_doc(
    req: Request, info: ObjectInfo, doc: str, element: s3xml.Element
) -> None:
    await req.storage.put_object_doc(
        info.bucket, info.key, info.version_id, doc, s3xml.serialize(element)
    )


async def _mirror(
    req: Request, info: ObjectInfo, retention: Retention | None, hold: str | None
) -> None:
    system = dict(info.system_meta)
    set_meta(system, retention, hold)
    if system != info.system_meta:
        await req.storage.update_object_meta(
            info.bucket, info.key, info.version_id, system_meta=system
        )


def check_retention_change(
    old: Retention | None, new: Retention | None, bypass: bool
) -> None:
    """AccessDenied unless the change keeps or strengthens an active lock."""
    if old is None or not old.active():
        return
    keeps = new is not None and new.until >= old.until
    if old.mode == "COMPLIANCE":
        if not keeps or new is None or new.mode != "COMPLIANCE":
            raise errors.AccessDenied(
                "Object is WORM protected and cannot be overwritten"
            )
        return
    if (not keeps or new is None or new.mode != "GOVERNANCE") and not bypass:
        raise errors.AccessDenied("Object is WORM protected and cannot be overwritten")


async def put_object_retention(req: Request) -> Response:
    _require_lock(req)
    data = await integrity.read_document(req, MAX_DOCUMENT)
    new = parse_retention(data)
    if new is not None and not new.active():
        raise errors.InvalidArgument(
            "The retain until date must be in the future!",
            ArgumentName="RetainUntilDate",
        )
    info, old, hold = await _addressed(req)
    check_retention_change(old, new, bypass_requested(req))
    if new is None:
        await req.storage.delete_object_doc(
            info.bucket, info.key, info.version_id, DOC_RETENTION
        )
    else:
        await _put_doc(req, info, DOC_RETENTION, retention_element(new))
    await _mirror(req, info, new, hold)
    return Response(headers=tagging.version_header(info))


async def get_object_retention(req: Request) -> Response:
    _require_lock(req)
    info, retention, _ = await _addressed(req)
    if retention is None:
        raise errors.NoSuchObjectLockConfiguration()
    return Response(
        headers=tagging.version_header(info), xml=retention_element(retention)
    )


async def put_object_legal_hold(req: Request) -> Response:
    _require_lock(req)
    data = await integrity.read_document(req, MAX_DOCUMENT)
    status = parse_legal_hold(data)
    info, retention, _ = await _addressed(req)
    await _put_doc(req, info, DOC_LEGAL_HOLD, legal_hold_element(status))
    await _mirror(req, info, retention, status)
    return Response(headers=tagging.version_header(info))


async def get_object_legal_hold(req: Request) -> Response:
    _require_lock(req)
    info, _, hold = await _addressed(req)
    if hold is None:
        raise errors.NoSuchObjectLockConfiguration()
    return Response(headers=tagging.version_header(info), xml=legal_hold_element(hold))


# --- enforcement and new versions -------------------------------------------


async def check_delete(req: Request, key: str, version_id: str | None) -> None:
    """Refuse to delete a version under legal hold or active retention.

    Cheap for every bucket without Object Lock and for deletes without a
    version id (those add a delete marker, which a lock allows).
    """
    bucket = req.bucket_info
    if bucket is None or not bucket.object_lock_enabled or version_id is None:
        return
    reason = await delete_refusal(
        req.storage, bucket.name, key, version_id, bypass_requested(req)
    )
    if reason is not None:
        raise errors.AccessDenied(reason)


async def delete_refusal(
    storage: Storage, bucket: str, key: str, version_id: str, bypass: bool = False
) -> str | None:
    """Why one version may not be removed (legal hold, active retention), or
    None. The delete path and the lifecycle executor (which never bypasses)
    share it."""
    try:
        info = await storage.head_object(bucket, key, version_id)
        hold = stored_legal_hold(
            await storage.get_object_doc(bucket, key, version_id, DOC_LEGAL_HOLD)
        )
        retention = stored_retention(
            await storage.get_object_doc(bucket, key, version_id, DOC_RETENTION)
        )
    except errors.S3Error:
        # A missing version (or a delete marker): nothing is locked.
        return None
    # The metadata mirror is committed with the version itself, the documents
    # just after: a version whose documents a crash lost stays locked.
    mirrored = _mirrored(info.system_meta)
    retention = retention or mirrored[0]
    hold = hold or mirrored[1]
    if hold == "ON":
        return "Object is under a legal hold and cannot be deleted"
    if retention is None or not retention.active():
        return None
    if retention.mode == "GOVERNANCE" and bypass:
        return None
    return "Object is WORM protected and cannot be overwritten"


async def for_new_version(req: Request) -> tuple[Retention | None, str | None]:
    """Retention and legal hold a new version gets: from the x-amz-object-lock-*
    headers, else the bucket's default retention. Validated before any body
    is read, so a refused request stores nothing."""
    headers = req.headers
    mode = headers.get(MODE_HEADER)
    until = headers.get(UNTIL_HEADER)
    hold = headers.get(HOLD_HEADER)
    bucket = req.bucket_info
    locked = bucket is not None and bucket.object_lock_enabled
    if not locked:
        if mode is not None or until is not None or hold is not None:
            raise errors.InvalidRequest("Bucket is missing ObjectLockConfiguration")
        return None, None
    retention = None
    if mode is not None or until is not None:
        if mode is None or until is None:
            raise errors.InvalidArgument(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode "
                "must both be supplied",
                ArgumentName=MODE_HEADER if mode is None else UNTIL_HEADER,
            )
        if mode not in MODES:
            raise errors.InvalidArgument(
                "Unknown wormMode directive.",
                ArgumentName=MODE_HEADER,
                ArgumentValue=mode,
            )
        ts = parse_date(until)
        if ts is None:
            raise errors.InvalidArgument(
                "The retain until date is not a valid ISO 8601 date.",
                ArgumentName=UNTIL_HEADER,
                ArgumentValue=until,
            )
        retention = Retention(mode, ts)
        if not retention.active():
            raise errors.InvalidArgument(
                "The retain until date must be in the future!",
                ArgumentName=UNTIL_HEADER,
                ArgumentValue=until,
            )
    else:
        rule = await default_rule(req)
        if rule is not None:
            retention = rule.retention(float(calendar.timegm(time.gmtime())))
    if hold is not None and hold not in HOLD_STATES:
        raise errors.InvalidArgument(
            "Legal Hold must be either of 'ON' or 'OFF'",
            ArgumentName=HOLD_HEADER,
            ArgumentValue=hold,
        )
    return retention, hold


async def store_for_version(
    req: Request, info: ObjectInfo, retention: Retention | None, hold: str | None
) -> None:
    """Attach the lock documents to a just-written version (its system
    metadata already carries the mirror)."""
    if retention is not None:
        await _put_doc(req, info, DOC_RETENTION, retention_element(retention))
    if hold is not None:
        await _put_doc(req, info, DOC_LEGAL_HOLD, legal_hold_element(hold))


HANDLERS = {
    Operation.PutObjectLockConfiguration: put_object_lock_configuration,
    Operation.GetObjectLockConfiguration: get_object_lock_configuration,
    Operation.PutObjectRetention: put_object_retention,
    Operation.GetObjectRetention: get_object_retention,
    Operation.PutObjectLegalHold: put_object_legal_hold,
    Operation.GetObjectLegalHold: get_object_legal_hold,
}
