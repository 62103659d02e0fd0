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
"""Controllers of /v1/types/s3/: gcl_iam guards every call, field
permissions say which fields each method may read and write.

Permissions follow ``controlplane.iam``: ``<service>.<policy>.<action>``
with actions create/read/update/delete, plus the field-write actions in
``iam.FIELD_WRITE_ACTIONS`` checked whenever a request sets such a field.
"""

import json
import logging
import sys
import uuid as sys_uuid

from gcl_iam import controllers as iam_controllers
from gcl_iam import exceptions as iam_exc
from gcl_iam import rules as iam_rules
from restalchemy.api import constants as ra_c
from restalchemy.api import controllers as ra_controllers
from restalchemy.api import field_permissions as field_p
from restalchemy.api import packers as ra_packers
from restalchemy.api import resources as ra_resources
from restalchemy.common import exceptions as ra_exc
from restalchemy.dm import filters as dm_filters
from restalchemy.dm import types as ra_types
from restalchemy.storage import exceptions as storage_exc
from restalchemy.storage.sql import engines

from exordos_paas_s3.controlplane import iam, input_rules, instance_storage, validation
from exordos_paas_s3.controlplane.dm import models
from exordos_paas_s3.controlplane.paas import models as paas_models

LOG = logging.getLogger(__name__)

RO = field_p.Permissions.RO
RW = field_p.Permissions.RW
HIDDEN = field_p.Permissions.HIDDEN

# Set by the system, never by a request.
_READ_ONLY = {ra_c.ALL: RO}
# Chosen at creation, fixed afterwards.
_CREATE_ONLY = {ra_c.ALL: RO, ra_c.CREATE: RW}
# Never readable through the API.
_NEVER = {ra_c.ALL: HIDDEN}
# Shown once, in the response to the create that generated it (or took it:
# a client may choose it, `exordos ... keys add --secret-key`).
_CREATE_RESPONSE_ONLY = {ra_c.ALL: HIDDEN, ra_c.CREATE: RW}
# Written by a request, never shown: the controller answers such a field
# as null (_WithoutSecrets), the model keeps it sealed.
_WRITE_ONLY = {ra_c.ALL: HIDDEN, ra_c.CREATE: RW, ra_c.UPDATE: RW}

# RestAlchemy clients (the exordos CLI among them) choose the uuid and name
# the project on create; both are checked there (_check_create_identity).
_COMMON_READ_ONLY = {
    "uuid": _CREATE_ONLY,
    "project_id": _CREATE_ONLY,
    "status": _READ_ONLY,
    "reason": _READ_ONLY,
    "created_at": _READ_ONLY,
    "updated_at": _READ_ONLY,
}

# Fields a change of which means the data plane has something new to apply.
# (An instance's `versioning` is only the default of buckets created later.)
_NOT_DESIRED_STATE = {"name", "description", "force_delete", "versioning"}


class UuidInUse(ra_exc.RestAlchemyException):
    """A client-chosen uuid that a resource of the kind already has."""

    message = "Invalid value of field 'uuid': %(uuid)s is already in use."
    code = 409


class ForeignProject(ra_exc.RestAlchemyException):
    """A create that names another project than its own (the token's, or
    the instance's for a nested resource)."""

    message = "Invalid value of field 'project_id': must be %(what)s."
    code = 403


def check_integer_ranges(model, values) -> None:
    """Name the range an integer field allows when a value leaves it.

    RestAlchemy's own message says only that the value is invalid; a client
    (the exordos CLI allows wider ranges than this API) needs the bounds.
    """
    creators = model.properties.properties
    for name, value in values.items():
        creator = creators.get(name)
        if creator is None or type(value) is not int:
            continue
        property_type = creator.get_property_type()
        if isinstance(property_type, ra_types.AllowNone):
            property_type = property_type.nested_type
        if not isinstance(property_type, ra_types.Integer):
            continue
        low, high = property_type.min_value, property_type.max_value
        if low <= value <= high:
            continue
        raise validation.InvalidField(
            field=name, reason=f"{value} is out of range, allowed: {low} to {high}"
        )


class _CreateChecks:
    """What a create may say about itself: its uuid, its project and, for a
    nested resource, the links the URL already gives (the exordos CLI sends
    all of them). Consistent values are accepted, contradicting ones are 4xx.
    """

    def _check_new_uuid(self, kwargs):
        value = kwargs.get("uuid")
        if value is None:
            return
        if not isinstance(value, sys_uuid.UUID):
            raise validation.InvalidField(field="uuid", reason="must be a UUID")
        found = self.model.objects.get_one_or_none(
            filters={"uuid": dm_filters.EQ(value)}
        )
        if found is not None:
            raise UuidInUse(uuid=value)

    @staticmethod
    def _check_same(field, given, want, what):
        if given is None:
            return
        given_id = getattr(given, "uuid", given)
        if given_id == want:
            return
        if field == "project_id":
            raise ForeignProject(what=what)
        raise validation.InvalidField(field=field, reason=f"must be {what}")


def _fields(**fields):
    return field_p.FieldsPermissions(default=RW, fields={**_COMMON_READ_ONLY, **fields})


def _resource(model_class, **fields):
    return ra_resources.ResourceByRAModel(
        model_class=model_class,
        convert_underscore=False,
        process_filters=True,
        fields_permissions=_fields(**fields),
    )


class S3Controller(ra_controllers.RoutesListController):
    """/v1/types/s3/: lists the collections."""

    __TARGET_PATH__ = "/v1/types/s3/"

    def get(self, uuid, **kwargs):
        # RestAlchemy takes /v1/types/s3/<name> (and <name>/...) for a
        # resource of this list and answers 501 with a traceback in the log:
        # it is a path that does not exist.
        raise input_rules.UnknownPath(
            path=f"{self.__TARGET_PATH__}{input_rules.shorten(str(uuid))}"
        )


# A reference is a URI of this API: a few path segments and uuids.
_MAX_URI_CHARS = 1024


def _bound(limit) -> str:
    """A type's limit for a message: RestAlchemy marks "none" with inf or
    sys.maxsize."""
    if isinstance(limit, float) or limit >= sys.maxsize:
        return "unlimited"
    return str(limit)


def _is_uuid_text(value) -> bool:
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        sys_uuid.UUID(value)
    except ValueError:
        return False
    return True


class _PolicyMixin:
    __policy_service_name__ = iam.SERVICE_NAME

    # Any RestAlchemy message that escapes a controller is cut short: some
    # repeat the whole value they refused (input_rules.MAX_MESSAGE_CHARS).
    def do_collection(self, parent_resource=None):
        try:
            return super().do_collection(parent_resource)
        except ra_exc.RestAlchemyException as e:
            input_rules.cap_message(e)
            raise

    def do_resource(self, uuid, parent_resource=None):
        try:
            return super().do_resource(uuid, parent_resource)
        except ra_exc.RestAlchemyException as e:
            input_rules.cap_message(e)
            raise

    def get_resource_by_uuid(self, uuid, parent_resource=None):
        try:
            return super().get_resource_by_uuid(uuid, parent_resource)
        except ra_exc.RestAlchemyException as e:
            input_rules.cap_message(e)
            raise

    def get_packer(self, content_type, resource_type=None):
        # RestAlchemy raises a bare Exception (a 500) for a body in a type
        # it has no packer for, e.g. a POST without Content-Type.
        if self.__packer__ is None:
            try:
                ra_packers.get_packer(content_type)
            except Exception:
                raise validation.UnsupportedContentType(
                    content_type=content_type,
                    supported=", ".join(sorted(ra_packers.packer_mapping)),
                ) from None
            # Called for the request body and again for the answer; the
            # answer's call has nothing to check.
            if not getattr(self, "_body_checked", False):
                self._body_checked = True
                body = self._checked_json_body()
                if body is not None:
                    self._check_raw_fields(body)
        return super().get_packer(content_type, resource_type)

    def _read_body_bounded(self):
        """Make sure the body is at most MAX_BODY_BYTES, reading no more than
        that: a declared Content-Length is judged before anything is read,
        and a body without one (chunked) is read up to the limit only."""
        request = self._req
        limit = input_rules.MAX_BODY_BYTES
        length = request.content_length
        if length is not None:
            if length > limit:
                raise input_rules.BodyTooLarge(limit=limit)
            return
        if not request.is_body_readable or request.is_body_seekable:
            return
        chunks, size = [], 0
        while size <= limit:
            chunk = request.body_file_raw.read(min(64 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise input_rules.BodyTooLarge(limit=limit)
        # The body, now with a length, for whoever reads it next.
        request.body = b"".join(chunks)

    def _checked_json_body(self):
        """The request's JSON body as a dict (None for a method or a content
        type without one), checked for size, syntax, depth and shape."""
        if self._req.method not in ("POST", "PUT", "PATCH"):
            return None
        self._read_body_bounded()
        content_type = ra_packers.get_content_type(self._req.headers)
        if ra_packers.parse_content_type(content_type) != "application/json":
            return None
        raw = self._req.body
        if not raw:
            return None
        body = input_rules.parse_json_body(raw)
        # The JSON packer assumes an object and fails with a TypeError (a
        # 500) on `[]` or `"x"`; a resource body is always an object.
        if not isinstance(body, dict):
            raise validation.InvalidBody(reason="the body must be a JSON object")
        return body

    def _check_raw_fields(self, body):
        """Judge each field by the JSON the client sent, before RestAlchemy
        converts it (it turns "no" into True for a boolean)."""
        known = {
            prop.api_name: name
            for name, prop in self.get_resource().get_fields_by_request(self._req)
        }
        creators = self.model.properties.properties
        for api_name, value in body.items():
            name = known.get(api_name)
            if name is None:
                raise validation.InvalidField(
                    field=input_rules.shorten(api_name),
                    reason=f"a {self.model.__name__} has no such field",
                )
            if name not in creators:
                continue  # a custom property: RestAlchemy's to judge
            problem = self._raw_value_problem(
                name, creators[name].get_property_type(), value
            )
            if problem:
                raise validation.InvalidField(field=name, reason=problem)

    def _raw_value_problem(self, name, property_type, value):
        if not isinstance(property_type, ra_types.BaseType):
            return self._reference_problem(property_type, value)
        if value is None:
            if isinstance(property_type, ra_types.AllowNone):
                return None
            return "must not be null"
        if isinstance(property_type, ra_types.AllowNone):
            property_type = property_type.nested_type
        if isinstance(value, str):
            problem = input_rules.text_problem(value, name)
            if problem:
                return problem
        else:
            problem = input_rules.nested_problem(value)
            if problem:
                return problem
        # Exactly these types (not subclasses with meanings of their own,
        # like a sealed secret): JSON has a type of its own for each.
        kind = type(property_type)
        if kind is ra_types.Boolean and type(value) is not bool:
            return f"{input_rules.preview(value)} is not a JSON boolean (true or false)"
        if kind is ra_types.Integer:
            if type(value) is not int:
                return f"{input_rules.preview(value)} is not a JSON integer"
            if not property_type.validate(value):
                return (
                    f"{value} is out of range, allowed: "
                    f"{_bound(property_type.min_value)} to "
                    f"{_bound(property_type.max_value)}"
                )
        if kind is ra_types.String and not property_type.validate(value):
            if not isinstance(value, str):
                return f"{input_rules.preview(value)} is not a JSON string"
            return (
                f"a text of {len(value)} characters; allowed: "
                f"{property_type.min_length} to {_bound(property_type.max_length)}"
            )
        if kind is ra_types.Enum and not property_type.validate(value):
            allowed = ", ".join(str(v) for v in property_type.values)
            return f"{input_rules.preview(value)} is not one of: {allowed}"
        if kind is ra_types.UUID and not _is_uuid_text(value):
            return f"{input_rules.preview(value)} is not a UUID"
        return None

    def _reference_problem(self, model_class, value):
        # A reference is the URI of the resource it refers to.
        if not isinstance(value, str):
            return "a reference is the URI of a resource"
        problem = input_rules.text_problem(value, "")
        if problem:
            return problem
        if len(value) > _MAX_URI_CHARS:
            return f"a resource URI is at most {_MAX_URI_CHARS} characters"
        # The URI of a resource of another kind would be fetched and then
        # fail the model's type check with a 500 that renders the whole
        # resource; refuse it by its route. A string no route knows is left
        # to RestAlchemy (404) or to a controller that takes names.
        for resource, locator in ra_resources.ResourceMap.resource_map.items():
            if locator.is_your_uri(value):
                if issubclass(resource.get_model(), model_class):
                    return None
                return (
                    f"{input_rules.preview(value)} refers to a resource of type "
                    f"{resource.get_model().__name__}, not {model_class.__name__}"
                )
        return None

    def _prepare_pagination_meta(self):
        super()._prepare_pagination_meta()
        # PostgreSQL takes LIMIT as a bigint: past it the query fails (500).
        if self._pagination_limit > input_rules.MAX_PAGE_LIMIT:
            raise validation.InvalidField(
                field="page_limit",
                reason=f"at most {input_rules.MAX_PAGE_LIMIT} (0: no pages)",
            )

    def _parse_field_value(self, name, value, resource_field):
        # Query filters (plain and `?q=`) compare with text columns, and
        # PostgreSQL refuses NUL in a parameter as in a column.
        if isinstance(value, str) and "\x00" in value:
            raise validation.InvalidField(
                field=input_rules.shorten(name),
                reason="a query value must not contain NUL characters",
            )
        # A boolean takes the same fixed set as query flags (RestAlchemy
        # reads anything but yes/true/1 as false).
        property_type = resource_field.get_type()
        if isinstance(property_type, ra_types.AllowNone):
            property_type = property_type.nested_type
        if type(property_type) is ra_types.Boolean:
            if value.lower() not in input_rules.FLAG_VALUES:
                raise validation.InvalidField(
                    field=name,
                    reason=f"{input_rules.preview(value)} is not one of true, "
                    "false, 1, 0",
                )
            return input_rules.FLAG_VALUES[value.lower()]
        return super()._parse_field_value(name, value, resource_field)

    def _check_field_types(self, values):
        """Name the field whose value its type refuses.

        RestAlchemy checks types when the model is built and then says only
        "Invalid type value '0' for 'Integer'"; a client needs the field.
        """
        creators = self.model.properties.properties
        for name, value in values.items():
            creator = creators.get(name)
            if creator is None:
                continue
            property_type = creator.get_property_type()
            if not isinstance(property_type, ra_types.BaseType):
                # A relationship, resolved by RestAlchemy: a resource of
                # another kind would fail deep in the model with a 500.
                if value is not None and not isinstance(value, property_type):
                    raise validation.InvalidField(
                        field=name,
                        reason=f"must refer to a resource of type "
                        f"{property_type.__name__}",
                    )
                continue
            if value is None:
                if isinstance(property_type, ra_types.AllowNone):
                    continue
                raise validation.InvalidField(field=name, reason="must not be null")
            if not property_type.validate(value):
                raise validation.InvalidField(
                    field=name,
                    reason=f"{input_rules.preview(value)} is not a valid "
                    f"{type(property_type).__name__}",
                )

    def _enforce_field_writes(self, values):
        self._check_field_types(values)
        for field in values:
            action = iam.FIELD_WRITE_ACTIONS.get((self.__policy_name__, field))
            if action is None:
                continue
            rule = iam_rules.Rule(
                self.__policy_service_name__, self.__policy_name__, action
            )
            try:
                self._enforcer.enforce(rule, do_raise=True)
            except iam_exc.PolicyNotAuthorized:
                raise validation.FieldNotAuthorized(
                    field=field, rule=iam.permission(self.__policy_name__, action)
                ) from None

    @staticmethod
    def _changed_desired_state(dm, values):
        for name in values:
            if name in _NOT_DESIRED_STATE or name not in dm.properties:
                continue
            if dm.properties[name].is_dirty():
                return True
        return False

    def _apply_update(self, dm, values):
        values = self._apply_autovalues(values)
        dm.update_dm(values=values)
        if self._changed_desired_state(dm, values):
            # The data plane has not seen this yet: say so, honestly.
            dm.status = models.Status.NEW.value
            dm.reason = ""
        dm.update()
        return dm


class VersionController(
    _CreateChecks,
    _PolicyMixin,
    iam_controllers.PolicyBasedWithoutProjectController,
    ra_controllers.BaseResourceControllerPaginated,
):
    __policy_name__ = iam.POLICY_VERSION
    __resource__ = _resource(models.Version)

    def create(self, **kwargs):
        self._enforce("create")
        self._enforce_field_writes(kwargs)
        self._check_new_uuid(kwargs)
        return super().create(**kwargs)

    def update(self, uuid, **kwargs):
        self._enforce("update")
        self._enforce_field_writes(kwargs)
        return super().update(uuid, **kwargs)

    def delete(self, uuid):
        self._enforce("delete")
        version = ra_controllers.BaseResourceController.get(self, uuid)
        self._refuse_if_in_use(version)
        try:
            version.delete()
        except storage_exc.UnknownStorageException as e:
            # An instance made on the version since the check: the foreign
            # key (PostgreSQL 23503) holds the line, and the answer is the same.
            if getattr(getattr(e, "_caused", None), "code", None) == "23503":
                self._refuse_if_in_use(version)
            raise

    @staticmethod
    def _refuse_if_in_use(version):
        shown = 3
        users = models.Instance.objects.get_all(
            filters={"version": dm_filters.EQ(version)}, limit=shown + 1
        )
        if not users:
            return
        uuids = ", ".join(str(i.uuid) for i in users[:shown])
        more = " and more" if len(users) > shown else ""
        raise input_rules.ResourceInUse(
            what=f"Version '{input_rules.shorten(version.name)}'",
            reason=f"instances {uuids}{more} run it; move them to another "
            "version or delete them first",
        )


VERSIONS_PATH = "/v1/types/s3/versions/"


class InstanceController(
    _CreateChecks,
    _PolicyMixin,
    iam_controllers.PolicyBasedController,
    ra_controllers.BaseResourceControllerPaginated,
):
    __policy_name__ = iam.POLICY_INSTANCE
    __resource__ = _resource(
        models.Instance,
        kind=_CREATE_ONLY,
        bucket_name=_CREATE_ONLY,
        ipsv4=_READ_ONLY,
        endpoints=_READ_ONLY,
        nodes=_READ_ONLY,
        tls_fingerprints=_READ_ONLY,
        root_access_key=_NEVER,
        root_secret=_NEVER,
        sse_master_key=_NEVER,
        blob_store=_CREATE_ONLY,
        upstream_bucket=_CREATE_ONLY,
        upstream_secret_key=_WRITE_ONLY,
        index_url=_CREATE_ONLY,
        index_password=_WRITE_ONLY,
    )

    @staticmethod
    def _seal_storage_secrets(kwargs):
        # The model only ever holds them sealed (as the root secret).
        for field in instance_storage.SECRET_FIELDS:
            value = kwargs.get(field)
            if value is not None:
                kwargs[field] = models.Instance.seal_secret(
                    field, instance_storage.check_secret(field, value)
                )

    def do_collection(self, parent_resource=None):
        if self._req.method == "POST":
            self._version_name_to_uri()
        return super().do_collection(parent_resource)

    def do_resource(self, uuid, parent_resource=None):
        if self._req.method == "PUT":
            self._version_name_to_uri()
        return super().do_resource(uuid, parent_resource)

    def _version_name_to_uri(self):
        """The seed contract names the version ("0.0.1"); RestAlchemy takes a
        reference only as a URI. Put the URI of the version of that name (or
        uuid) in the body before the packer reads it."""
        # Size, syntax and depth first (input rules): a body is read once,
        # bounded, whoever reads it first.
        body = self._checked_json_body()
        if body is None:
            return
        version = body.get("version")
        if not isinstance(version, str) or version.startswith("/"):
            return
        if not version or "\x00" in version or len(version) > 255:
            raise validation.InvalidField(
                field="version", reason="is not a version name, uuid or URI"
            )
        try:
            filters = {"uuid": dm_filters.EQ(sys_uuid.UUID(version))}
        except ValueError:
            filters = {"name": dm_filters.EQ(version)}
        found = models.Version.objects.get_all(filters=filters, limit=2)
        if not found:
            raise validation.InvalidField(
                field="version", reason=f"no version named {version[:64]!r}"
            )
        if len(found) > 1:
            raise validation.InvalidField(
                field="version",
                reason=f"several versions are named {version[:64]!r}: give its URI",
            )
        body["version"] = f"{VERSIONS_PATH}{found[0].uuid}"
        self._req.body = json.dumps(body).encode()

    def create(self, **kwargs):
        # Allowed to create at all before saying anything about a uuid.
        self._enforce("create")
        check_integer_ranges(self.model, kwargs)
        self._check_new_uuid(kwargs)
        project = kwargs.get("project_id")
        if project is not None and self._ctx_project_id:
            self._check_same(
                "project_id",
                project,
                self._ctx_project_id,
                f"the project of the token ({self._ctx_project_id})",
            )
        self._seal_storage_secrets(kwargs)
        self._enforce_field_writes(kwargs)
        instance = super().create(**kwargs)
        if instance.bucket_name:
            models.Bucket(
                name=instance.bucket_name,
                instance=instance,
                project_id=instance.project_id,
                # The instance's defaults, as for any bucket made on it.
                versioning_enabled=bool(instance.versioning),
            ).insert()
        return _WithoutSecrets(instance)

    def update(self, uuid, **kwargs):
        check_integer_ranges(self.model, kwargs)
        self._seal_storage_secrets(kwargs)
        self._enforce_field_writes(kwargs)
        filters = {}
        self._enforce_and_override_project_id_in_kwargs("update", filters)
        if "project_id" in kwargs and self._ctx_project_id:
            self._force_project_id(kwargs["project_id"])
        dm = ra_controllers.BaseResourceController.get(self, uuid, **filters)
        return _WithoutSecrets(self._apply_update(dm, kwargs))


class _WithoutSecrets:
    """What the packer renders for a created or updated instance: its
    fields, the write-only secrets as null (their sealed form is nobody's
    business either). Not a model (``properties`` is None)."""

    properties = None

    def __init__(self, instance):
        self._instance = instance

    def __getattr__(self, name):
        if name in instance_storage.SECRET_FIELDS:
            return None
        return getattr(self._instance, name)

    def __repr__(self):
        return repr(self._instance)


class _NestedController(
    _CreateChecks,
    _PolicyMixin,
    iam_controllers.NestedPolicyBasedController,
    ra_controllers.BaseNestedResourceControllerPaginated,
):
    def create(self, parent_resource, **kwargs):
        # Allowed to create at all before saying anything about a uuid.
        self._enforce("create")
        check_integer_ranges(self.model, kwargs)
        self._check_new_uuid(kwargs)
        self._check_links(parent_resource, kwargs)
        self._enforce_field_writes(kwargs)
        return super().create(parent_resource=parent_resource, **kwargs)

    def _check_links(self, parent_resource, kwargs):
        """Links in the body must be the ones the URL names."""
        pr_name = self.__pr_name__
        self._check_same(
            pr_name,
            kwargs.get(pr_name),
            parent_resource.uuid,
            f"the {pr_name} of the URL ({parent_resource.uuid})",
        )
        instance = parent_resource if pr_name == "instance" else None
        if instance is None:
            instance = parent_resource.instance
            self._check_same(
                "instance",
                kwargs.get("instance"),
                instance.uuid,
                f"the instance of the URL ({instance.uuid})",
            )
        self._check_same(
            "project_id",
            kwargs.get("project_id"),
            instance.project_id,
            f"the project of the instance ({instance.project_id})",
        )

    def update(self, parent_resource, uuid, **kwargs):
        self._enforce("update")
        check_integer_ranges(self.model, kwargs)
        self._enforce_field_writes(kwargs)
        dm = self.get(parent_resource=parent_resource, uuid=uuid)
        return self._apply_update(dm, kwargs)


class BucketController(_NestedController):
    __policy_name__ = iam.POLICY_BUCKET
    __pr_name__ = "instance"
    __resource__ = _resource(
        models.Bucket,
        instance=_CREATE_ONLY,
        name=_CREATE_ONLY,
        object_lock_enabled=_CREATE_ONLY,
        is_empty=_READ_ONLY,
    )

    def create(self, parent_resource, **kwargs):
        # The instance's `versioning` is the default of its buckets.
        kwargs.setdefault("versioning_enabled", bool(parent_resource.versioning))
        return super().create(parent_resource=parent_resource, **kwargs)

    def delete(self, parent_resource, uuid):
        self._enforce("delete")
        force = input_rules.parse_flag("force", self._req.GET.getall("force"))
        try:
            bucket = self.get(parent_resource=parent_resource, uuid=uuid)
        except (ra_exc.NotFoundError, storage_exc.RecordNotFound):
            # Deleted already, but a node may still hold it (a plain delete
            # of a bucket with objects): ?force=true lets it go with them.
            if force and paas_models.upgrade_bucket_deletion_to_force(
                uuid, parent_resource.uuid
            ):
                # A new wish for the builders to carry to the nodes.
                parent_resource.touch()
                return
            raise
        force = force or bool(bucket.force_delete)
        # Only what the data plane reported counts here. A bucket it has not
        # reported on yet (None) is deleted; should it hold objects after all,
        # the node says so and the instance's reason tells how to force it.
        if bucket.is_empty is False and not force:
            raise validation.BucketNotEmpty(name=bucket.name)
        engine = engines.engine_factory.get_engine()
        with engine.session_manager() as session:
            # The delete item carries the force intent to the nodes whatever
            # they saw of the bucket before (docs/decisions/0003-reconcile.md).
            paas_models.record_bucket_deletion(bucket, force, session=session)
            bucket.delete(session=session)


class PolicyController(_NestedController):
    __policy_name__ = iam.POLICY_POLICY
    __pr_name__ = "instance"
    # Renamable (docs/controlplane.md): see models.Policy.update.
    __resource__ = _resource(models.Policy, instance=_CREATE_ONLY)


class UserController(_NestedController):
    __policy_name__ = iam.POLICY_USER
    __pr_name__ = "instance"
    __resource__ = _resource(models.User, instance=_CREATE_ONLY, name=_CREATE_ONLY)


class AccessKeyController(_NestedController):
    __policy_name__ = iam.POLICY_ACCESS_KEY
    __pr_name__ = "user"
    __resource__ = _resource(
        models.AccessKey,
        instance=_CREATE_ONLY,
        user=_CREATE_ONLY,
        access_key=_READ_ONLY,
        secret_key=_CREATE_RESPONSE_ONLY,
    )

    def create(self, parent_resource, **kwargs):
        # A link in the body is checked against the URL's (_check_links).
        kwargs.setdefault("instance", parent_resource.instance)
        secret = kwargs.get("secret_key")
        if secret is not None:
            # A client-chosen secret: the model only ever holds it sealed.
            kwargs["secret_key"] = models.AccessKey.seal_secret(
                "secret_key", _checked_secret(secret)
            )
        key = super().create(parent_resource=parent_resource, **kwargs)
        # The one place the plaintext goes out: this response.
        return _CreatedAccessKey(key, key.open_secret("secret_key"))


def _checked_secret(value):
    if not (
        isinstance(value, str)
        and 16 <= len(value) <= 128
        and all("!" <= c <= "~" for c in value)
    ):
        raise validation.InvalidField(
            field="secret_key",
            reason="a secret key is 16 to 128 printable ASCII characters, no spaces",
        )
    return value


class _CreatedAccessKey:
    """What the packer renders for a created key: the model's fields, with
    the plaintext secret in place of the sealed one. Not a model (``properties``
    is None), so nothing else takes it for one."""

    properties = None

    def __init__(self, key, secret_key):
        self._key = key
        self.secret_key = secret_key

    def __getattr__(self, name):
        return getattr(self._key, name)

    def __repr__(self):
        return f"<created {self._key!r}>"


class PolicyAttachmentController(_NestedController):
    __policy_name__ = iam.POLICY_ATTACHMENT
    __pr_name__ = "user"
    __resource__ = _resource(
        models.PolicyAttachment,
        instance=_CREATE_ONLY,
        user=_CREATE_ONLY,
        policy=_CREATE_ONLY,
    )

    def create(self, parent_resource, **kwargs):
        # A link in the body is checked against the URL's (_check_links).
        kwargs.setdefault("instance", parent_resource.instance)
        return super().create(parent_resource=parent_resource, **kwargs)
