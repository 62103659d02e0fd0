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

import ipaddress
import logging
import re

from restalchemy.common import exceptions as ra_exc

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


# --- S3 bucket names -------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None if it is."""
    if not 3 <= len(name) <= 63:
        return "a bucket name must be 3 to 63 characters long"
    if not _BUCKET_CHARS.match(name):
        return (
            "a bucket name may hold only lowercase letters, digits, dots and "
            "hyphens, and must begin and end with a letter or digit"
        )
    if ".." in name:
        return "a bucket name must not contain two adjacent dots"
    if ".-" in name or "-." in name:
        return "a bucket name must not have a dot next to a hyphen"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "a bucket name must not be formatted as an IP address"
    for prefix in _BUCKET_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"the prefix '{prefix}' is reserved"
    for suffix in _BUCKET_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"the suffix '{suffix}' is reserved"
    return None


def check_bucket_name(name: str, field: str = "name") -> None:
    problem = bucket_name_problem(name)
    if problem:
        raise InvalidField(field=field, reason=problem)


# --- IAM names -------------------------------------------------------------
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
_IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
_IAM_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$", re.ASCII)


def check_user_name(name: str) -> None:
    if not _IAM_USER_NAME.match(name):
        raise InvalidField(
            field="name",
            reason="a user name is 1 to 64 of letters, digits and +=,.@_-",
        )


def check_policy_name(name: str) -> None:
    if not _IAM_POLICY_NAME.match(name):
        raise InvalidField(
            field="name",
            reason="a policy name is 1 to 128 of letters, digits and +=,.@_-",
        )


# --- IAM policy documents --------------------------------------------------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_ACTION = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")
MAX_POLICY_DOCUMENT_BYTES = 20 * 1024


def _string_list_problem(value, name: str) -> str | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        return f"{name} must be a string or a non-empty list of strings"
    for item in items:
        if not isinstance(item, str) or not item:
            return f"{name} must be a string or a non-empty list of strings"
    return None


def policy_document_problem(document, field: str = "content") -> str | None:
    """Why ``document`` is not an IAM identity policy, or None if it is."""
    if not isinstance(document, dict):
        return "a policy document is a JSON object"
    if len(repr(document)) > MAX_POLICY_DOCUMENT_BYTES:
        return f"a policy document is at most {MAX_POLICY_DOCUMENT_BYTES} bytes"
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        return f"unknown top-level element(s): {', '.join(sorted(unknown))}"
    if document.get("Version") not in POLICY_VERSIONS:
        return f"Version must be one of {', '.join(POLICY_VERSIONS)}"
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return "Statement must be an object or a non-empty list of objects"
    for number, statement in enumerate(statements):
        where = f"Statement[{number}]"
        if not isinstance(statement, dict):
            return f"{where} must be an object"
        unknown = set(statement) - _STATEMENT_KEYS
        if unknown:
            return f"{where} has unknown element(s): {', '.join(sorted(unknown))}"
        if statement.get("Effect") not in ("Allow", "Deny"):
            return f"{where}.Effect must be Allow or Deny"
        if ("Action" in statement) == ("NotAction" in statement):
            return f"{where} needs exactly one of Action and NotAction"
        if ("Resource" in statement) == ("NotResource" in statement):
            return f"{where} needs exactly one of Resource and NotResource"
        if "Principal" in statement or "NotPrincipal" in statement:
            return f"{where}: an identity policy must not name a Principal"
        action_key = "Action" if "Action" in statement else "NotAction"
        problem = _string_list_problem(statement[action_key], f"{where}.{action_key}")
        if problem:
            return problem
        actions = statement[action_key]
        for action in [actions] if isinstance(actions, str) else actions:
            if not _ACTION.match(action):
                return f"{where}.{action_key} '{action}' is not service:action"
        resource_key = "Resource" if "Resource" in statement else "NotResource"
        problem = _string_list_problem(
            statement[resource_key], f"{where}.{resource_key}"
        )
        if problem:
            return problem
        resources = statement[resource_key]
        for resource in [resources] if isinstance(resources, str) else resources:
            if resource != "*" and not resource.startswith("arn:"):
                return f"{where}.{resource_key} '{resource}' is not an ARN or '*'"
        if "Condition" in statement and not isinstance(statement["Condition"], dict):
            return f"{where}.Condition must be an object"
        if "Sid" in statement and not isinstance(statement["Sid"], str):
            return f"{where}.Sid must be a string"
    return None


def check_policy_document(document, field: str = "content") -> None:
    problem = policy_document_problem(document, field)
    if problem:
        raise InvalidField(field=field, reason=problem)
