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

from gcl_iam import controllers as iam_controllers
from gcl_iam import exceptions as iam_exc
from gcl_iam import rules as iam_rules
from restalchemy.api import constants as ra_c
from restalchemy.api import controllers as ra_controllers
from restalchemy.api import field_permissions as field_p
from restalchemy.api import packers as ra_packers
from restalchemy.api import resources as ra_resources
from restalchemy.common import exceptions as ra_exc
from restalchemy.dm import types as ra_types
from restalchemy.storage import exceptions as storage_exc
from restalchemy.storage.sql import engines

from exordos_paas_s3.controlplane import iam, validation
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
# Shown once, in the response to the create that generated it.
_CREATE_RESPONSE_ONLY = {ra_c.ALL: HIDDEN, ra_c.CREATE: RO}

_COMMON_READ_ONLY = {
    "uuid": _READ_ONLY,
    "project_id": _READ_ONLY,
    "status": _READ_ONLY,
    "reason": _READ_ONLY,
    "created_at": _READ_ONLY,
    "updated_at": _READ_ONLY,
}

# Fields a change of which means the data plane has something new to apply.
_NOT_DESIRED_STATE = {"name", "description", "force_delete"}


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


class _PolicyMixin:
    __policy_service_name__ = iam.SERVICE_NAME

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
            self._check_body_is_object(content_type)
        return super().get_packer(content_type, resource_type)

    def _check_body_is_object(self, content_type):
        # The JSON packer assumes an object and fails with a TypeError (a
        # 500) on `[]` or `"x"`; a resource body is always an object.
        if self._req.method not in ("POST", "PUT") or not self._req.body:
            return
        if ra_packers.parse_content_type(content_type) != "application/json":
            return
        try:
            body = json.loads(self._req.body)
        except ValueError:
            return  # the packer answers 400 for text that is not JSON
        if not isinstance(body, dict):
            raise validation.InvalidBody(reason="the body must be a JSON object")
        creators = self.model.properties.properties
        for name, value in body.items():
            creator = creators.get(name)
            if creator is None or isinstance(
                creator.get_property_type(), ra_types.BaseType
            ):
                continue
            # A reference is the URI of the resource it refers to.
            if not isinstance(value, str):
                raise validation.InvalidField(
                    field=name, reason="a reference is the URI of a resource"
                )

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
                continue  # a relationship: resolved and checked by RA
            if value is None:
                if isinstance(property_type, ra_types.AllowNone):
                    continue
                raise validation.InvalidField(field=name, reason="must not be null")
            if not property_type.validate(value):
                raise validation.InvalidField(
                    field=name,
                    reason=f"{value!r} is not a valid {type(property_type).__name__}",
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
    _PolicyMixin,
    iam_controllers.PolicyBasedWithoutProjectController,
    ra_controllers.BaseResourceControllerPaginated,
):
    __policy_name__ = iam.POLICY_VERSION
    __resource__ = _resource(models.Version)

    def create(self, **kwargs):
        self._enforce("create")
        self._enforce_field_writes(kwargs)
        return super().create(**kwargs)

    def update(self, uuid, **kwargs):
        self._enforce("update")
        self._enforce_field_writes(kwargs)
        return super().update(uuid, **kwargs)


class InstanceController(
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
        root_secret=_NEVER,
    )

    def create(self, **kwargs):
        self._enforce_field_writes(kwargs)
        instance = super().create(**kwargs)
        if instance.bucket_name:
            models.Bucket(
                name=instance.bucket_name,
                instance=instance,
                project_id=instance.project_id,
            ).insert()
        return instance

    def update(self, uuid, **kwargs):
        self._enforce_field_writes(kwargs)
        filters = {}
        self._enforce_and_override_project_id_in_kwargs("update", filters)
        if "project_id" in kwargs and self._ctx_project_id:
            self._force_project_id(kwargs["project_id"])
        dm = ra_controllers.BaseResourceController.get(self, uuid, **filters)
        return self._apply_update(dm, kwargs)


class _NestedController(
    _PolicyMixin,
    iam_controllers.NestedPolicyBasedController,
    ra_controllers.BaseNestedResourceControllerPaginated,
):
    def create(self, parent_resource, **kwargs):
        self._enforce_field_writes(kwargs)
        return super().create(parent_resource=parent_resource, **kwargs)

    def update(self, parent_resource, uuid, **kwargs):
        self._enforce("update")
        self._enforce_field_writes(kwargs)
        dm = self.get(parent_resource=parent_resource, uuid=uuid)
        return self._apply_update(dm, kwargs)


class BucketController(_NestedController):
    __policy_name__ = iam.POLICY_BUCKET
    __pr_name__ = "instance"
    __resource__ = _resource(
        models.Bucket,
        instance=_READ_ONLY,
        name=_CREATE_ONLY,
        object_lock_enabled=_CREATE_ONLY,
        is_empty=_READ_ONLY,
    )

    def delete(self, parent_resource, uuid):
        self._enforce("delete")
        force = self._req.params.get("force", "").lower() in ("true", "1", "yes")
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
    __resource__ = _resource(models.Policy, instance=_READ_ONLY, name=_CREATE_ONLY)


class UserController(_NestedController):
    __policy_name__ = iam.POLICY_USER
    __pr_name__ = "instance"
    __resource__ = _resource(models.User, instance=_READ_ONLY, name=_CREATE_ONLY)


class AccessKeyController(_NestedController):
    __policy_name__ = iam.POLICY_ACCESS_KEY
    __pr_name__ = "user"
    __resource__ = _resource(
        models.AccessKey,
        instance=_READ_ONLY,
        user=_READ_ONLY,
        access_key=_READ_ONLY,
        secret_key=_CREATE_RESPONSE_ONLY,
    )

    def create(self, parent_resource, **kwargs):
        kwargs["instance"] = parent_resource.instance
        return super().create(parent_resource=parent_resource, **kwargs)


class PolicyAttachmentController(_NestedController):
    __policy_name__ = iam.POLICY_ATTACHMENT
    __pr_name__ = "user"
    __resource__ = _resource(
        models.PolicyAttachment,
        instance=_READ_ONLY,
        user=_READ_ONLY,
        policy=_CREATE_ONLY,
    )

    def create(self, parent_resource, **kwargs):
        kwargs["instance"] = parent_resource.instance
        return super().create(parent_resource=parent_resource, **kwargs)
