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
"""Control-plane data model: what tenants ask for, kept in PostgreSQL.

Every resource carries an honest ``status`` (NEW until the data plane has
applied it, IN_PROGRESS while it does, ACTIVE once applied, ERROR with a
human-readable ``reason`` when it cannot) that only the builders move.
Secrets stay sealed in the model too (see ``controlplane.secret_box`` and
:class:`SealedSecretsMixin`): RestAlchemy renders models into exception text
and logs, so a model never holds a plaintext secret. Only the code that sends
a secret to a node opens it (:meth:`SealedSecretsMixin.open_secret`).
"""

import base64
import datetime
import enum
import logging
import secrets
import string

from gcl_sdk.agents.universal.dm import models as ua_models
from restalchemy.dm import filters as dm_filters
from restalchemy.dm import models, properties, relationships, types
from restalchemy.storage.sql import orm

from exordos_paas_s3.controlplane import instance_storage, secret_box, validation

LOG = logging.getLogger(__name__)

# AWS access key ids are 20 uppercase alphanumerics; secrets are 40 chars.
ACCESS_KEY_PREFIX = "EXS3"
ACCESS_KEY_LENGTH = 20
SECRET_KEY_LENGTH = 40
ROOT_SECRET_LENGTH = 48
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits


class Status(str, enum.Enum):
    NEW = "NEW"
    IN_PROGRESS = "IN_PROGRESS"
    ACTIVE = "ACTIVE"
    ERROR = "ERROR"


class InstanceKind(str, enum.Enum):
    SINGLE_NODE = "single_node"
    # Several gateways over one upstream S3 engine (see DESIGN §5).
    CLUSTER = "cluster"


class RetentionMode(str, enum.Enum):
    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


class Encryption(str, enum.Enum):
    """Default encryption of an instance's buckets (seed contract)."""

    NONE = "none"
    AES256 = "aes256"


class Compression(str, enum.Enum):
    """Transparent compression of objects at rest (gateway/storage/compressing.py)."""

    NONE = "none"
    ZSTD = "zstd"


STATUSES = [s.value for s in Status]

# Fields the data plane reports rather than the tenant asks for.
OBSERVED_FIELDS = frozenset({"status", "reason", "is_empty", "updated_at"})


def _status_property():
    return properties.property(types.Enum(STATUSES), default=Status.NEW.value)


def _reason_property():
    return properties.property(types.String(max_length=1024), default="")


def generate_access_key() -> str:
    tail = ACCESS_KEY_LENGTH - len(ACCESS_KEY_PREFIX)
    return ACCESS_KEY_PREFIX + "".join(
        secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(tail)
    )


def generate_secret(length: int = SECRET_KEY_LENGTH) -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(length))


class SealedSecret(types.String):
    """A secret in its sealed form (``secret_box``): a plaintext is refused,
    so no code path can put one into a model by mistake."""

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=1024, **kwargs)

    def validate(self, value):
        return super().validate(value) and secret_box.is_sealed(value)


class SealedSecretsMixin:
    """Models whose ``__sealed_fields__`` hold sealed secrets.

    The properties hold the sealed text (what the column stores), never the
    plaintext: RestAlchemy puts whole models into error messages (a 404 of a
    nested resource names its parent with every field) and loggers print
    them. :meth:`open_secret` gives the plaintext to the one caller that
    sends it to a node; :meth:`seal_secret` makes the sealed form.
    """

    __sealed_fields__: tuple[str, ...] = ()
    __tablename__: str

    @classmethod
    def _column(cls, field: str) -> str:
        # The column is bound into the sealed value (associated data).
        return f"{cls.__tablename__}.{field}"

    @classmethod
    def seal_secret(cls, field: str, plaintext: str) -> str:
        sealed = secret_box.seal(plaintext, cls._column(field))
        assert sealed is not None
        return sealed

    def open_secret(self, field: str) -> str:
        assert field in self.__sealed_fields__
        plain = secret_box.open_sealed(getattr(self, field), self._column(field))
        assert plain is not None
        return plain

    def __repr__(self):
        # Even the sealed form stays out of messages: it is nobody's business.
        shown = (
            f"{k}: {'<sealed>' if k in self.__sealed_fields__ else v}"
            for k, v in self.items()
        )
        return f"<{type(self).__name__} {{{', '.join(shown)}}}>"


class Version(
    models.ModelWithUUID,
    models.ModelWithNameDesc,
    models.ModelWithTimestamp,
    ua_models.TargetResourceMixin,
    orm.SQLStorableMixin,
):
    """A data-plane release tenants can run: the VM image to boot."""

    __tablename__ = "s3_versions"

    name = properties.property(
        types.String(min_length=1, max_length=255), required=True
    )
    image = properties.property(types.String(max_length=2048), default="")


class Instance(
    SealedSecretsMixin,
    models.ModelWithUUID,
    models.ModelWithNameDesc,
    models.ModelWithProject,
    models.ModelWithTimestamp,
    orm.SQLStorableWithJSONFieldsMixin,
):
    """One S3 service: a set of gateway nodes with their own data."""

    __tablename__ = "s3_instances"
    __sealed_fields__ = (
        "root_secret",
        "sse_master_key",
        *instance_storage.SECRET_FIELDS,
    )
    __jsonfields__ = ("nodes", "tls_fingerprints")

    name = properties.property(
        types.String(min_length=1, max_length=255), required=True
    )
    status = _status_property()
    reason = _reason_property()
    version = relationships.relationship(Version, required=True)
    cpu = properties.property(types.Integer(min_value=1, max_value=128), default=1)
    # MiB
    ram = properties.property(
        types.Integer(min_value=512, max_value=1024**2), default=1024
    )
    # GiB of the data disk
    disk_size = properties.property(
        types.Integer(min_value=1, max_value=1024**2), default=10
    )
    nodes_number = properties.property(
        types.Integer(min_value=1, max_value=16), default=1
    )
    kind = properties.property(
        types.Enum([k.value for k in InstanceKind]),
        default=InstanceKind.SINGLE_NODE.value,
    )
    # Name of a bucket created together with the instance (seed README).
    bucket_name = properties.property(
        types.AllowNone(types.String(min_length=3, max_length=63)), default=None
    )
    # Default encryption of every bucket of the instance: the gateways store
    # objects put without SSE headers there encrypted (SSE-S3, AES256).
    encryption = properties.property(
        types.Enum([e.value for e in Encryption]), default=Encryption.NONE.value
    )
    # Versioning of a bucket created without saying (the default bucket too).
    versioning = properties.property(types.Boolean(), default=False)
    # Compression of the instance's buckets that do not set their own.
    compression = properties.property(
        types.Enum([c.value for c in Compression]), default=Compression.NONE.value
    )
    # S3 Tables: the gateways vend temporary credentials scoped to a table's
    # location with loadTable (--tables-vending; decision 0014). Off by
    # default: a client without it reads data files with its own S3 key.
    tables_vending = properties.property(types.Boolean(), default=False)
    # MFA delete is not implemented: only false is accepted (validate_shape).
    mfa_delete = properties.property(types.Boolean(), default=False)
    ipsv4 = properties.property(types.TypedList(types.String()), default=list)
    # S3 endpoint URLs, one per node, filled in by the infra builder.
    endpoints = properties.property(types.TypedList(types.String()), default=list)
    # The same nodes as the seed contract shows them: {"id", "ip", "port"}.
    nodes = properties.property(types.List(), default=list)
    # {node uuid: SHA-256 of its S3 listener's TLS certificate, "AB:CD:..."}
    # for the nodes that serve TLS, from their reports: what clients pin.
    tls_fingerprints = properties.property(types.Dict(), default=dict)
    # Root credentials of the gateways; the data plane uses them, nobody reads
    # or writes them through the API. The key id is random (it was once
    # derived from the uuid, which made the uuid half of the credentials);
    # the secret is kept sealed, also in memory.
    # Both are made at insert (generate_root_credentials), not as property
    # defaults: RestAlchemy prints defaults into the OpenAPI document.
    root_access_key = properties.property(
        types.AllowNone(types.String(min_length=16, max_length=128)), default=None
    )
    root_secret = properties.property(types.AllowNone(SealedSecret()), default=None)
    # The SSE master key every gateway of the instance shares (base64 of 32
    # random bytes; decision 0020): SSE-S3/SSE-KMS objects written through
    # one node open on all. Made at insert, kept sealed, never in the API;
    # the builder seals it to each node in gateway.conf.
    sse_master_key = properties.property(types.AllowNone(SealedSecret()), default=None)
    # Where the gateways keep bytes and index (controlplane/instance_storage
    # says the rules): each node's disk by default, else an S3 upstream and
    # a PostgreSQL index. The two secrets are write-only and sealed.
    blob_store = properties.property(
        types.Enum(list(instance_storage.BLOB_STORES)), default="local"
    )
    upstream_endpoint = properties.property(
        types.AllowNone(types.String(min_length=1, max_length=1024)), default=None
    )
    upstream_bucket = properties.property(
        types.AllowNone(types.String(min_length=3, max_length=63)), default=None
    )
    upstream_region = properties.property(
        types.AllowNone(types.String(min_length=1, max_length=64)), default=None
    )
    upstream_access_key = properties.property(
        types.AllowNone(types.String(min_length=3, max_length=128)), default=None
    )
    upstream_secret_key = properties.property(
        types.AllowNone(SealedSecret()), default=None
    )
    index_url = properties.property(
        types.String(min_length=1, max_length=1024), default="sqlite"
    )
    index_password = properties.property(types.AllowNone(SealedSecret()), default=None)

    def generate_root_credentials(self):
        if self.root_access_key is None:
            self.root_access_key = generate_access_key()
        if self.root_secret is None:
            self.root_secret = self.seal_secret(
                "root_secret", generate_secret(ROOT_SECRET_LENGTH)
            )
        if self.sse_master_key is None:
            self.sse_master_key = self.seal_secret(
                "sse_master_key", base64.b64encode(secrets.token_bytes(32)).decode()
            )

    def validate_shape(self):
        if self.mfa_delete:
            raise validation.InvalidField(
                field="mfa_delete",
                reason="MFA delete is not supported (no MFA devices); use false",
            )
        if self.kind == InstanceKind.SINGLE_NODE.value and self.nodes_number != 1:
            raise validation.InvalidField(
                field="nodes_number",
                reason="an instance of kind single_node has exactly 1 node",
            )
        instance_storage.check_shape(self)

    def insert(self, session=None):
        self.generate_root_credentials()
        self.validate_shape()
        if self.bucket_name is not None:
            validation.check_bucket_name(self.bucket_name, field="bucket_name")
        super().insert(session=session)

    def update(self, session=None, force=False):
        self.validate_shape()
        disk = self.properties["disk_size"]
        if disk.is_dirty() and disk.old_value and disk.old_value > self.disk_size:
            raise validation.InvalidField(
                field="disk_size",
                reason=(
                    f"the data disk cannot shrink (from {disk.old_value} "
                    f"to {self.disk_size} GiB)"
                ),
            )
        super().update(session=session, force=force)

    def touch(self, session=None):
        """Mark the instance changed so the builders look at it again."""
        self.properties["updated_at"].set_value_force(
            datetime.datetime.now(datetime.timezone.utc)
        )
        orm.SQLStorableMixin.update(self, session=session, force=True)

    def delete(self, session=None, **kwargs):
        # Children first: foreign keys point at the instance.
        for model in (PolicyAttachment, AccessKey, User, Policy, Bucket):
            for child in model.objects.get_all(
                session=session, filters={"instance": dm_filters.EQ(self)}
            ):
                orm.SQLStorableMixin.delete(child, session=session)
        return super().delete(session=session, **kwargs)


class InstanceChild(
    models.ModelWithUUID,
    models.ModelWithNameDesc,
    models.ModelWithProject,
    models.ModelWithTimestamp,
    ua_models.TargetResourceMixin,
    orm.SQLStorableMixin,
):
    """A resource that lives on an instance's data plane."""

    instance = relationships.relationship(Instance, required=True, read_only=True)
    status = _status_property()
    reason = _reason_property()

    # Human name of the resource kind, for error messages.
    __what__ = "resource"

    def _check_unique_name(self, session=None):
        for other in type(self).objects.get_all(
            session=session,
            filters={
                "instance": dm_filters.EQ(self.instance),
                "name": dm_filters.EQ(self.name),
            },
        ):
            if other.uuid != self.uuid:
                raise validation.DuplicateName(
                    field="name",
                    what=self.__what__,
                    value=self.name,
                    scope=f"instance {self.instance.uuid}",
                )

    def insert(self, session=None):
        super().insert(session=session)
        self.instance.touch(session=session)

    def update(self, session=None, force=False):
        changed = {name for name, prop in self.properties.items() if prop.is_dirty()}
        super().update(session=session, force=force)
        # What the data plane reports back (status, emptiness) is not a new
        # wish: touching the instance for it would wake the builders forever.
        if changed - OBSERVED_FIELDS:
            self.instance.touch(session=session)

    def delete(self, session=None, **kwargs):
        result = super().delete(session=session, **kwargs)
        self.instance.touch(session=session)
        return result


class Bucket(InstanceChild):
    __tablename__ = "s3_buckets"
    __what__ = "bucket"

    name = properties.property(
        types.String(min_length=1, max_length=255), required=True, read_only=True
    )
    versioning_enabled = properties.property(types.Boolean(), default=False)
    object_lock_enabled = properties.property(
        types.Boolean(), default=False, read_only=True
    )
    default_retention_mode = properties.property(
        types.AllowNone(types.Enum([m.value for m in RetentionMode])), default=None
    )
    default_retention_days = properties.property(
        types.AllowNone(types.Integer(min_value=1, max_value=36500)), default=None
    )
    # 0 means no quota.
    quota_bytes = properties.property(
        types.Integer(min_value=0, max_value=2**63 - 1), default=0
    )
    public = properties.property(types.Boolean(), default=False)
    # S3 Tables: the bucket serves an Iceberg REST catalog on its gateways
    # (gateway/tables). One way: see update().
    table_bucket = properties.property(types.Boolean(), default=False)
    # "zstd" or "none"; None (the default): the instance's compression.
    compression = properties.property(
        types.AllowNone(types.Enum([c.value for c in Compression])), default=None
    )
    # Reported by the data plane: None until it has looked.
    is_empty = properties.property(types.AllowNone(types.Boolean()), default=None)
    # Lets a delete remove the objects too (see validation.BucketNotEmpty).
    force_delete = properties.property(types.Boolean(), default=False)

    def _check_settings(self):
        # The gateway's own rules (bucket_rules): a node never refuses what
        # the API accepted.
        validation.check_bucket_settings(
            versioning_enabled=self.versioning_enabled,
            object_lock_enabled=self.object_lock_enabled,
            default_retention_mode=self.default_retention_mode,
            default_retention_days=self.default_retention_days,
            quota_bytes=self.quota_bytes,
        )

    def insert(self, session=None):
        validation.check_bucket_name(self.name)
        if self.object_lock_enabled:
            # S3 turns versioning on with object lock (PutObjectLockConfiguration).
            self.versioning_enabled = True
        self._check_settings()
        self._check_unique_name(session=session)
        super().insert(session=session)

    def update(self, session=None, force=False):
        self._check_settings()
        tables = self.properties["table_bucket"]
        if tables.is_dirty() and tables.old_value and not self.table_bucket:
            # The gateways never drop a bucket's catalog (it names the
            # tables): refusing here keeps the field telling the truth.
            raise validation.InvalidField(
                field="table_bucket",
                reason="a table bucket cannot become a plain bucket again"
                " (its Iceberg catalog would be lost)",
            )
        super().update(session=session, force=force)


class Policy(InstanceChild):
    """An IAM identity policy document users can be attached to."""

    __tablename__ = "s3_policies"
    __jsonfields__ = ("content",)
    __what__ = "policy"

    # Renamable: attachments refer to the policy by uuid, and the gateways
    # replace the policy of the old name with the new one in one cycle.
    name = properties.property(
        types.String(min_length=1, max_length=255), required=True
    )
    content = properties.property(types.Dict(), required=True)

    def insert(self, session=None):
        validation.check_policy_name(self.name)
        validation.check_policy_document(self.content)
        self._check_unique_name(session=session)
        super().insert(session=session)

    def update(self, session=None, force=False):
        validation.check_policy_document(self.content)
        if self.properties["name"].is_dirty():
            validation.check_policy_name(self.name)
            self._check_unique_name(session=session)
            # The name is what the gateways know the policy by: a new wish.
            self.status = Status.NEW.value
            self.reason = ""
        super().update(session=session, force=force)

    def delete(self, session=None, **kwargs):
        for attachment in PolicyAttachment.objects.get_all(
            session=session, filters={"policy": dm_filters.EQ(self)}
        ):
            orm.SQLStorableMixin.delete(attachment, session=session)
        return super().delete(session=session, **kwargs)


class User(InstanceChild):
    __tablename__ = "s3_users"
    __what__ = "user"

    name = properties.property(
        types.String(min_length=1, max_length=255), required=True, read_only=True
    )

    def insert(self, session=None):
        validation.check_user_name(self.name)
        self._check_unique_name(session=session)
        super().insert(session=session)

    def delete(self, session=None, **kwargs):
        for model in (PolicyAttachment, AccessKey):
            for child in model.objects.get_all(
                session=session, filters={"user": dm_filters.EQ(self)}
            ):
                orm.SQLStorableMixin.delete(child, session=session)
        return super().delete(session=session, **kwargs)


class AccessKey(SealedSecretsMixin, InstanceChild):
    __tablename__ = "s3_access_keys"
    __sealed_fields__ = ("secret_key",)
    __what__ = "access key"

    user = relationships.relationship(User, required=True, read_only=True)
    access_key = properties.property(
        types.String(min_length=16, max_length=128),
        default=generate_access_key,
        read_only=True,
    )
    # Sealed (see SealedSecretsMixin): the plaintext goes out once, in the
    # create response the controller builds, and to the nodes sealed to them.
    # Made at insert unless the client chose one (not a default: RestAlchemy
    # prints defaults into the OpenAPI document).
    secret_key = properties.property(
        types.AllowNone(SealedSecret()), default=None, read_only=True
    )
    # A disabled key stays on the node but authenticates nothing.
    enabled = properties.property(types.Boolean(), default=True)

    def insert(self, session=None):
        if self.secret_key is None:
            # Read-only for the API; set once here, before the row exists.
            self.properties["secret_key"].set_value_force(
                self.seal_secret("secret_key", generate_secret())
            )
        if self.user.instance.uuid != self.instance.uuid:
            raise validation.ForeignReference(
                field="user", what="user", instance=self.instance.uuid
            )
        super().insert(session=session)


class PolicyAttachment(InstanceChild):
    __tablename__ = "s3_policy_attachments"
    __what__ = "policy attachment"

    user = relationships.relationship(User, required=True, read_only=True)
    policy = relationships.relationship(Policy, required=True, read_only=True)

    def insert(self, session=None):
        if self.policy.instance.uuid != self.user.instance.uuid:
            raise validation.ForeignReference(
                field="policy", what="policy", instance=self.user.instance.uuid
            )
        existing = PolicyAttachment.objects.get_all(
            session=session,
            filters={
                "user": dm_filters.EQ(self.user),
                "policy": dm_filters.EQ(self.policy),
            },
        )
        if existing:
            raise validation.DuplicateName(
                field="policy",
                what="attachment of policy",
                value=self.policy.name,
                scope=f"user {self.user.name}",
            )
        super().insert(session=session)
