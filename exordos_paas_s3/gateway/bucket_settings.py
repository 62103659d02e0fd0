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
"""A bucket's operator settings, as the admin API declares and reports them.

The settings are versioning, object lock with a default retention, a quota
and the "public read" flag. They live where the S3 API already looks:
versioning and object lock in ``BucketInfo``, the rest as bucket documents
of the storage contract, so an S3 client sees the same thing the operator
set (a public bucket has a bucket policy GetBucketPolicy returns).

Bucket documents written here (JSON text unless said otherwise):

- ``policy``: the bucket policy text; "public" means it is exactly
  :func:`policy.public_read_policy` of the bucket.
- ``object-lock``: the ObjectLockConfiguration XML (handlers/object_lock.py),
  whose default retention rule ``{"mode", "days"}`` sets here; the S3 API
  applies it to new object versions and shows it in
  GetObjectLockConfiguration.
- ``quota``: ``{"quota_bytes": N}``; absent means no quota.
- ``encryption``: the PutBucketEncryption document (handlers/bucket_config.py);
  the operator's ``encryption: "AES256"`` is exactly
  :func:`default_encryption_document`, so GetBucketEncryption shows it and new
  objects put without SSE headers are stored encrypted (SSE-S3).
- ``iceberg-catalog``: the bucket's Iceberg catalog (gateway/tables); its
  presence makes the bucket a table bucket. ``table_bucket: true`` creates
  an empty one if absent (as ``PUT /iceberg/v1/buckets/{bucket}`` does);
  ``false`` never removes one: the catalog names the tables, and dropping
  it would lose them (the control plane refuses turning the field off).
- ``compression``: ``{"algorithm": "zstd"|"none"}``; absent means the
  gateway's ``--default-compression`` (storage/compressing.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import typing as tp
import xml.etree.ElementTree as ET

from exordos_paas_s3 import bucket_rules
from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy as policy_lang
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import object_lock
from exordos_paas_s3.gateway.storage import base as storage_base

LOG = logging.getLogger(__name__)

DOC_POLICY = "policy"
DOC_DEFAULT_RETENTION = object_lock.DOC_CONFIG
DOC_QUOTA = "quota"
# The same document PutBucketEncryption stores (sse.DOC_ENCRYPTION).
DOC_ENCRYPTION = "encryption"
# The table bucket's catalog (tables.catalog.DOC_CATALOG, not imported here:
# the catalog module brings PyIceberg, which only table buckets need).
DOC_TABLES = "iceberg-catalog"
# The default encryptions the operator can set (SSE-S3; KMS stays per bucket).
ENCRYPTIONS = ("AES256",)
DOC_COMPRESSION = "compression"
COMPRESSIONS = ("none", "zstd")


class InvalidSettings(ValueError):
    """A settings document that can never be applied (a 400)."""


class SettingsConflict(ValueError):
    """Settings the existing bucket cannot take (a 409)."""


@dataclasses.dataclass(frozen=True)
class Settings:
    versioning: bool = False
    object_lock: bool = False
    retention: dict[str, tp.Any] | None = None
    quota_bytes: int = 0
    public: bool = False
    # Default encryption of the bucket: "AES256", or None for none.
    encryption: str | None = None
    # S3 Tables: the bucket serves an Iceberg catalog (gateway/tables).
    table_bucket: bool = False
    # "zstd" or "none"; None: the gateway's --default-compression.
    compression: str | None = None

    @classmethod
    def from_body(cls, body: tp.Mapping[str, tp.Any]) -> Settings:
        """Validate the JSON body of ``PUT /v1/buckets/{name}``.

        The rules are ``bucket_rules``: the control plane checks a bucket
        with the same function, so it never sends what this refuses.
        """
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise InvalidSettings(f"unknown field(s): {', '.join(unknown)}")
        public = body.get("public", False)
        if type(public) is not bool:
            raise InvalidSettings("field public must be a bool")
        retention = body.get("retention")
        if retention is not None and (
            not isinstance(retention, dict) or set(retention) != {"mode", "days"}
        ):
            raise InvalidSettings(
                'retention must be {"mode": ..., "days": ...} or null'
            )
        problem = bucket_rules.settings_problem(
            versioning=body.get("versioning", False),
            object_lock=body.get("object_lock", False),
            retention_mode=retention["mode"] if retention else None,
            retention_days=retention["days"] if retention else None,
            quota_bytes=body.get("quota_bytes", 0),
        )
        if problem is not None:
            setting, reason = problem
            raise InvalidSettings(f"{_BODY_FIELDS[setting]}: {reason}")
        encryption = body.get("encryption")
        if encryption is not None and encryption not in ENCRYPTIONS:
            raise InvalidSettings(f"encryption must be one of {ENCRYPTIONS} or null")
        table_bucket = body.get("table_bucket", False)
        if type(table_bucket) is not bool:
            raise InvalidSettings("field table_bucket must be a bool")
        compression = body.get("compression")
        if compression is not None and compression not in COMPRESSIONS:
            raise InvalidSettings(f"compression must be one of {COMPRESSIONS} or null")
        return cls(
            versioning=body.get("versioning", False),
            object_lock=body.get("object_lock", False),
            retention=dict(retention) if retention else None,
            quota_bytes=body.get("quota_bytes", 0),
            public=public,
            encryption=encryption,
            table_bucket=table_bucket,
            compression=compression,
        )


# bucket_rules' setting names as this body spells them.
_BODY_FIELDS = {
    bucket_rules.VERSIONING: "versioning",
    bucket_rules.OBJECT_LOCK: "object_lock",
    bucket_rules.RETENTION_MODE: "retention.mode",
    bucket_rules.RETENTION_DAYS: "retention.days",
    bucket_rules.QUOTA_BYTES: "quota_bytes",
}


def default_encryption_document(algorithm: str = "AES256") -> bytes:
    """The ServerSideEncryptionConfiguration the operator's setting stands
    for, byte for byte as PutBucketEncryption would store it."""
    root = ET.Element("ServerSideEncryptionConfiguration", xmlns=s3xml.S3_NS)
    rule = ET.SubElement(root, "Rule")
    default = ET.SubElement(rule, "ApplyServerSideEncryptionByDefault")
    ET.SubElement(default, "SSEAlgorithm").text = algorithm
    return s3xml.DECLARATION.encode() + ET.tostring(root, encoding="utf-8")


async def _operator_encryption(
    storage: storage_base.Storage, bucket: str
) -> str | None:
    """The algorithm of the operator's default encryption, or None (no
    default encryption, or one a tenant set through S3 themselves)."""
    raw = await storage.get_bucket_doc(bucket, DOC_ENCRYPTION)
    for algorithm in ENCRYPTIONS:
        if raw == default_encryption_document(algorithm):
            return algorithm
    return None


async def _doc_json(storage: storage_base.Storage, bucket: str, name: str) -> tp.Any:
    raw = await storage.get_bucket_doc(bucket, name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        LOG.error("bucket %s: document %s is not JSON", bucket, name)
        return None


async def _default_retention(
    storage: storage_base.Storage, bucket: str
) -> dict[str, tp.Any] | None:
    raw = await storage.get_bucket_doc(bucket, DOC_DEFAULT_RETENTION)
    if not raw:
        return None
    try:
        rule = object_lock.parse_configuration(raw)
    except errors.S3Error:
        LOG.error("bucket %s: the object lock configuration does not parse", bucket)
        return None
    if rule is None:
        return None
    # S3 counts a retention year as 365 days; the control plane speaks days.
    return {"mode": rule.mode, "days": rule.days or rule.years * 365}


async def _compression(storage: storage_base.Storage, bucket: str) -> str | None:
    doc = await _doc_json(storage, bucket, DOC_COMPRESSION) or {}
    algorithm = doc.get("algorithm")
    return algorithm if algorithm in COMPRESSIONS else None


async def is_empty(storage: storage_base.Storage, bucket: str) -> bool:
    """No object version, delete marker or multipart upload left."""
    versions = await storage.list_object_versions(bucket, max_keys=1)
    if versions.versions:
        return False
    uploads = await storage.list_multipart_uploads(bucket, max_uploads=1)
    return not uploads.uploads


async def report(
    storage: storage_base.Storage, info: storage_base.BucketInfo
) -> dict[str, tp.Any]:
    """One bucket as ``GET /v1/state`` shows it."""
    policy_text = await storage.get_bucket_doc(info.name, DOC_POLICY)
    public_text = policy_lang.public_read_policy(info.name)
    quota = await _doc_json(storage, info.name, DOC_QUOTA) or {}
    return {
        "name": info.name,
        "owner_id": info.owner_id,
        "created": info.created,
        "versioning": info.versioning,
        "object_lock": info.object_lock_enabled,
        "retention": await _default_retention(storage, info.name),
        "quota_bytes": int(quota.get("quota_bytes") or 0),
        "public": policy_text is not None and policy_text.decode() == public_text,
        "encryption": await _operator_encryption(storage, info.name),
        "table_bucket": await storage.get_bucket_doc(info.name, DOC_TABLES) is not None,
        "compression": await _compression(storage, info.name),
        "has_policy": policy_text is not None,
        "empty": await is_empty(storage, info.name),
    }


async def apply(
    storage: storage_base.Storage,
    name: str,
    settings: Settings,
    *,
    owner_id: str,
    region: str,
) -> tuple[dict[str, tp.Any], bool]:
    """Create the bucket or bring it to ``settings``: ``(report, changed)``.

    Writes only what differs, so a repeated PUT changes nothing on disk.
    """
    changed = False
    try:
        info = await storage.get_bucket(name)
    except errors.NoSuchBucket:
        info = await storage.create_bucket(
            name, owner_id, region, object_lock=settings.object_lock
        )
        changed = True
    if info.object_lock_enabled != settings.object_lock:
        # S3 cannot turn object lock off, and turning it on later is not
        # something the control plane offers: a new bucket is the way.
        raise SettingsConflict(
            f"bucket {name!r} exists with object_lock={info.object_lock_enabled};"
            " object lock cannot change on an existing bucket"
        )
    # Disabling versioning on S3 means suspending it; "" stays "" (never on).
    want = "Enabled" if settings.versioning else info.versioning and "Suspended"
    if info.versioning != want:
        info = await storage.update_bucket(name, versioning=want)
        changed = True

    retention = await _default_retention(storage, name)
    if retention != settings.retention:
        if settings.retention is None:
            await storage.delete_bucket_doc(name, DOC_DEFAULT_RETENTION)
        else:
            rule = object_lock.DefaultRule(
                mode=settings.retention["mode"], days=settings.retention["days"]
            )
            document = s3xml.serialize(object_lock.configuration_element(rule))
            await storage.put_bucket_doc(name, DOC_DEFAULT_RETENTION, document)
        changed = True

    quota = (await _doc_json(storage, name, DOC_QUOTA) or {}).get("quota_bytes", 0)
    if quota != settings.quota_bytes:
        if settings.quota_bytes:
            doc = json.dumps({"quota_bytes": settings.quota_bytes}).encode()
            await storage.put_bucket_doc(name, DOC_QUOTA, doc)
        else:
            await storage.delete_bucket_doc(name, DOC_QUOTA)
        changed = True

    policy_text = await storage.get_bucket_doc(name, DOC_POLICY)
    public_text = policy_lang.public_read_policy(name)
    is_public = policy_text is not None and policy_text.decode() == public_text
    if settings.public and not is_public:
        # A tenant's own bucket policy is replaced: the operator's flag wins.
        await storage.put_bucket_doc(name, DOC_POLICY, public_text.encode())
        changed = True
    elif not settings.public and is_public:
        # Only the policy this flag made is removed, never a tenant's own.
        await storage.delete_bucket_doc(name, DOC_POLICY)
        changed = True

    encryption = await _operator_encryption(storage, name)
    if settings.encryption and encryption != settings.encryption:
        # A tenant's own default encryption is replaced: the operator's wins.
        document = default_encryption_document(settings.encryption)
        await storage.put_bucket_doc(name, DOC_ENCRYPTION, document)
        changed = True
    elif not settings.encryption and encryption:
        # Only the document this setting made is removed, never a tenant's own.
        await storage.delete_bucket_doc(name, DOC_ENCRYPTION)
        changed = True

    if settings.table_bucket:
        from exordos_paas_s3.gateway.tables import catalog

        _, enabled = await catalog.shared(storage).enable_bucket(name)
        changed = changed or enabled
    if await _compression(storage, name) != settings.compression:
        if settings.compression is None:
            await storage.delete_bucket_doc(name, DOC_COMPRESSION)
        else:
            doc = json.dumps({"algorithm": settings.compression}).encode()
            await storage.put_bucket_doc(name, DOC_COMPRESSION, doc)
        changed = True

    if changed:
        LOG.info("bucket %s set to %s", name, settings)
    return await report(storage, await storage.get_bucket(name)), changed


async def delete(storage: storage_base.Storage, name: str, *, force: bool) -> None:
    """Delete a bucket; with ``force``, every version and upload in it first.

    Raises NoSuchBucket, or BucketNotEmpty without ``force``.
    """
    await storage.get_bucket(name)
    if force:
        await _purge(storage, name)
    await storage.delete_bucket(name)
    LOG.info("deleted bucket %s%s", name, " (forced)" if force else "")


async def _purge(storage: storage_base.Storage, name: str) -> None:
    while True:
        uploads = await storage.list_multipart_uploads(name)
        for upload in uploads.uploads:
            try:
                await storage.abort_multipart_upload(name, upload.key, upload.upload_id)
            except errors.NoSuchUpload:
                pass
        if not uploads.is_truncated:
            break
    while True:
        page = await storage.list_object_versions(name)
        if not page.versions:
            return
        for version in page.versions:
            await storage.delete_object(name, version.key, version.version_id)
