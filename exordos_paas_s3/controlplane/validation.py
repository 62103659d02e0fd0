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
"""Checks the API applies before anything reaches the database or a node.

Each failure is an exception that names the field it is about; MetaPaaS's
error middleware renders it as a 4xx JSON body (type, code, message).
"""

import logging
import re

from restalchemy.common import exceptions as ra_exc

from exordos_paas_s3 import bucket_rules, policy_grammar

LOG = logging.getLogger(__name__)


class InvalidField(ra_exc.ValidationErrorException):
    message = "Invalid value of field '%(field)s': %(reason)s"
    code = 400


class DuplicateName(ra_exc.RestAlchemyException):
    message = "Field '%(field)s': %(what)s '%(value)s' already exists in %(scope)s."
    code = 409


class ForeignReference(ra_exc.ValidationErrorException):
    message = (
        "Field '%(field)s' refers to a %(what)s of another instance; "
        "it must belong to instance %(instance)s."
    )
    code = 400


class BucketNotEmpty(ra_exc.RestAlchemyException):
    message = (
        "Bucket '%(name)s' is not empty according to its data plane. Delete its "
        "objects first, or set 'force_delete' to true (PUT) and delete again "
        "to remove the objects with the bucket."
    )
    code = 409


class InvalidBody(ra_exc.ValidationErrorException):
    message = "Invalid request body: %(reason)s."
    code = 400


class UnsupportedContentType(ra_exc.RestAlchemyException):
    message = (
        "Content-Type '%(content_type)s' is not supported; use one of: %(supported)s."
    )
    code = 415


class FieldNotAuthorized(ra_exc.RestAlchemyException):
    message = "Setting field '%(field)s' requires permission %(rule)s."
    code = 403


# --- S3 bucket names and settings ----------------------------------------
# The rules live in bucket_rules, shared with the gateway: the API refuses
# every bucket a node would refuse.


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None if it is."""
    return bucket_rules.bucket_name_problem(name)


def check_bucket_name(name: str, field: str = "name") -> None:
    problem = bucket_name_problem(name)
    if problem:
        raise InvalidField(field=field, reason=problem)


# bucket_rules' setting names as the API's Bucket spells them.
BUCKET_SETTING_FIELDS = {
    bucket_rules.VERSIONING: "versioning_enabled",
    bucket_rules.OBJECT_LOCK: "object_lock_enabled",
    bucket_rules.RETENTION_MODE: "default_retention_mode",
    bucket_rules.RETENTION_DAYS: "default_retention_days",
    bucket_rules.QUOTA_BYTES: "quota_bytes",
}


def check_bucket_settings(
    *,
    versioning_enabled,
    object_lock_enabled,
    default_retention_mode,
    default_retention_days,
    quota_bytes,
) -> None:
    """The gateway's rules for a bucket's settings (bucket_rules)."""
    problem = bucket_rules.settings_problem(
        versioning=versioning_enabled,
        object_lock=object_lock_enabled,
        retention_mode=default_retention_mode,
        retention_days=default_retention_days,
        quota_bytes=quota_bytes,
    )
    if problem is not None:
        setting, reason = problem
        raise InvalidField(field=BUCKET_SETTING_FIELDS[setting], reason=reason)


# --- IAM names -------------------------------------------------------------
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
_IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)


def check_user_name(name: str) -> None:
    if not _IAM_USER_NAME.match(name):
        raise InvalidField(
            field="name",
            reason="a user name is 1 to 64 of letters, digits and +=,.@_-",
        )


def check_policy_name(name: str) -> None:
    problem = policy_grammar.policy_name_problem(name)
    if problem:
        raise InvalidField(field="name", reason=problem)


# --- IAM policy documents --------------------------------------------------
# The grammar lives in policy_grammar, shared with the gateway: the API
# refuses every identity policy a node would refuse (size, elements, actions,
# resources, condition operators and values).


def policy_document_problem(document, field: str = "content") -> str | None:
    """Why ``document`` is not an IAM identity policy, or None if it is."""
    try:
        policy_grammar.check_document(document, kind="identity")
    except policy_grammar.GrammarError as exc:
        return exc.located()
    return None


def check_policy_document(document, field: str = "content") -> None:
    problem = policy_document_problem(document, field)
    if problem:
        raise InvalidField(field=field, reason=problem)
