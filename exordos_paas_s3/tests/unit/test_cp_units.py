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
"""Unit tests of the control plane's pure parts: validation, IAM
declarations, secret sealing, local tokens, the definition and its spec."""

import importlib
import importlib.metadata
import inspect
import pathlib
import re

import pytest
from gcl_iam import algorithms, tokens
from gcl_iam import exceptions as iam_exc

from exordos_paas_s3 import definition
from exordos_paas_s3.controlplane import iam, local_iam, secret_box, validation
from exordos_paas_s3.controlplane.api import controllers, openapi

# --- bucket names (AWS general purpose bucket naming rules) ----------------


@pytest.mark.parametrize(
    "name",
    ["abc", "a" * 63, "my-bucket", "my.bucket", "0bucket9", "docexamplebucket1"],
)
def test_valid_bucket_names(name):
    assert validation.bucket_name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "doc_example_bucket",
        "DocExampleBucket",
        "doc-example-bucket-",
        "-bucket",
        ".bucket",
        "my..bucket",
        "my.-bucket",
        "my-.bucket",
        "192.168.5.4",
        "xn--bucket",
        "sthree-bucket",
        "amzn-s3-demo-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bucket.mrap",
        "bucket--x-s3",
        "bucket--table-s3",
    ],
)
def test_invalid_bucket_names(name):
    assert validation.bucket_name_problem(name)
    with pytest.raises(validation.InvalidField) as error:
        validation.check_bucket_name(name)
    assert error.value.code == 400
    assert "'name'" in str(error.value)


# --- IAM policy documents ---------------------------------------------------

GOOD = {
    "Version": "2012-10-17",
    "Id": "x",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:List*"],
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"StringLike": {"s3:prefix": ["home/*"]}},
        },
        {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "*"},
    ],
}


def test_policy_document_accepts_the_grammar():
    assert validation.policy_document_problem(GOOD) is None
    single = {
        "Version": "2008-10-17",
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    }
    assert validation.policy_document_problem(single) is None


@pytest.mark.parametrize(
    "mutate,needle",
    [
        # (no Version reads as 2008-10-17, as IAM and the gateway read it)
        (lambda d: d.update(Version="2020-01-01"), "Version"),
        (lambda d: d.update(Extra=1), "Extra"),
        (lambda d: d["Statement"][0].update(Effect="allow"), "Effect"),
        (lambda d: d["Statement"][0].update(NotAction="s3:*"), "Action"),
        (lambda d: d["Statement"][1].update(Resource="*"), "Resource"),
        (lambda d: d["Statement"][0].update(Action=["s3:GetObject", 3]), "Action"),
        (lambda d: d["Statement"][0].update(Action="s3 GetObject"), "Action"),
        (lambda d: d["Statement"][0].update(Resource="b/*"), "Resource"),
        (lambda d: d["Statement"][0].update(Condition=[]), "Condition"),
        (lambda d: d["Statement"][0].update(Sid=5), "Sid"),
        (lambda d: d["Statement"][0].update(Principal={"AWS": "*"}), "Principal"),
        (lambda d: d.update(Statement=[]), "Statement"),
    ],
)
def test_policy_document_rejects(mutate, needle):
    import copy

    document = copy.deepcopy(GOOD)
    mutate(document)
    problem = validation.policy_document_problem(document)
    assert problem and needle in problem


def test_user_and_policy_names():
    validation.check_user_name("alice+ops@example.com")
    validation.check_policy_name("read-only_v2")
    for bad in ("", "a b", "x" * 65, "слово"):
        with pytest.raises(validation.InvalidField):
            validation.check_user_name(bad)


# --- IAM declarations ---------------------------------------------------------


def _controllers():
    return [
        obj
        for _, obj in inspect.getmembers(controllers, inspect.isclass)
        if obj.__module__ == controllers.__name__ and getattr(obj, "__resource__", None)
    ]


def test_every_enforced_permission_is_declared():
    declared = set(iam.all_permissions())
    seen = set()
    for controller in _controllers():
        assert controller.__policy_service_name__ == iam.SERVICE_NAME
        for action in iam.CRUD_ACTIONS:
            permission = iam.permission(controller.__policy_name__, action)
            assert permission in declared, permission
            seen.add(permission)
    for (policy, _field), action in iam.FIELD_WRITE_ACTIONS.items():
        seen.add(iam.permission(policy, action))
    # Nothing declared that no controller enforces.
    assert seen == declared


def test_one_policy_name_per_resource():
    names = [c.__policy_name__ for c in _controllers()]
    assert len(names) == len(set(names)) == len(iam.RESOURCE_POLICIES)


def test_permission_names_have_the_enforcer_shape():
    for permission in iam.all_permissions():
        assert re.fullmatch(r"exordos_s3\.[a-z0-9_]+\.[a-z_]+", permission)


def test_roles_are_nested_and_declared():
    owner = set(iam.ROLES[iam.ROLE_OWNER])
    operator = set(iam.ROLES[iam.ROLE_OPERATOR])
    viewer = set(iam.ROLES[iam.ROLE_VIEWER])
    assert viewer < operator < owner <= set(iam.all_permissions())
    assert all(p.endswith(".read") for p in viewer)
    assert iam.permission(iam.POLICY_INSTANCE, iam.ACTION_RESIZE) not in operator
    assert iam.permission(iam.POLICY_BUCKET, iam.ACTION_MAKE_PUBLIC) not in operator
    tables = iam.permission(iam.POLICY_BUCKET, iam.ACTION_ENABLE_TABLES)
    assert tables in owner and tables not in operator
    assert iam.permission(iam.POLICY_VERSION, "create") not in owner


# --- secrets at rest --------------------------------------------------------------


@pytest.fixture
def secrets_key(monkeypatch):
    monkeypatch.setenv(secret_box.KEY_ENV, secret_box.generate_key())
    monkeypatch.delenv(secret_box.KEY_FILE_ENV, raising=False)


def test_seal_round_trip_hides_plaintext(secrets_key):
    sealed = secret_box.seal("s3cr3t-value", "t.c")
    assert secret_box.is_sealed(sealed) and "s3cr3t" not in sealed
    assert secret_box.seal("s3cr3t-value", "t.c") != sealed  # fresh nonce
    assert secret_box.open_sealed(sealed, "t.c") == "s3cr3t-value"
    assert secret_box.seal(None, "t.c") is None


def test_sealed_value_is_bound_to_its_column_and_key(secrets_key, monkeypatch):
    sealed = secret_box.seal("value", "t.a")
    with pytest.raises(secret_box.SealedSecretUnreadable) as error:
        secret_box.open_sealed(sealed, "t.b")
    assert "value" not in str(error.value).replace("t.b", "")
    with pytest.raises(secret_box.SealedSecretUnreadable):
        secret_box.open_sealed("plaintext", "t.a")
    monkeypatch.setenv(secret_box.KEY_ENV, secret_box.generate_key())
    with pytest.raises(secret_box.SealedSecretUnreadable):
        secret_box.open_sealed(sealed, "t.a")


def test_key_from_file_and_missing_key(tmp_path, monkeypatch):
    monkeypatch.delenv(secret_box.KEY_ENV, raising=False)
    monkeypatch.delenv(secret_box.KEY_FILE_ENV, raising=False)
    with pytest.raises(secret_box.SecretsKeyNotConfigured):
        secret_box.seal("x", "t.c")
    key_file = tmp_path / "key"
    key_file.write_text(secret_box.generate_key() + "\n")
    monkeypatch.setenv(secret_box.KEY_FILE_ENV, str(key_file))
    assert secret_box.open_sealed(secret_box.seal("x", "t.c"), "t.c") == "x"
    monkeypatch.setenv(secret_box.KEY_ENV, "too-short")
    with pytest.raises(secret_box.SecretsKeyNotConfigured):
        secret_box.seal("x", "t.c")


# --- local tokens -----------------------------------------------------------------


def test_local_token_carries_project_and_permissions():
    secret = "k" * 32
    token = local_iam.issue_token(secret, ["a.b.c"], project_id="p-1")
    driver = local_iam.LocalTokenDriver(secret)
    unverified = tokens.UnverifiedToken(token)
    verified = tokens.AuthToken(
        token, driver.get_algorithm(unverified), ignore_audience=True
    )
    info = driver.get_introspection_info(verified)
    assert info["project_id"] == "p-1"
    assert info["permissions"] == ["a.b.c"]


def test_local_token_with_wrong_secret_or_audience_fails():
    token = local_iam.issue_token("k" * 32, ["*.*.*"])
    driver = local_iam.LocalTokenDriver("other" * 8)
    algorithm = driver.get_algorithm(tokens.UnverifiedToken(token))
    with pytest.raises(iam_exc.CredentialsAreInvalidError):
        tokens.AuthToken(token, algorithm, ignore_audience=True)
    foreign = algorithms.HS256(key="k" * 32).encode({"aud": "someone-else", "sub": "x"})
    with pytest.raises(ValueError):
        local_iam.LocalTokenDriver("k" * 32).get_algorithm(
            tokens.UnverifiedToken(foreign)
        )


# --- the definition, migrations and the spec ----------------------------------------


def test_definition_is_the_registered_entry_point():
    (entry,) = [
        ep
        for ep in importlib.metadata.entry_points(group="exordos_metapaas_paas")
        if ep.name == "s3"
    ]
    assert entry.load() is definition.S3PaaSDefinition
    paas = definition.S3PaaSDefinition()
    assert (paas.slug, paas.element_name) == ("s3", "s3aas")
    assert pathlib.Path(paas.get_migrations_path()).is_dir()
    assert set(paas.get_agent_models()) == set(paas.get_agent_filters())
    for target in paas.get_agent_models().values():
        module, _, name = target.partition(":")
        assert getattr(importlib.import_module(module), name)


def test_migration_files_and_ids_are_plugin_unique():
    import exordos_metapaas

    ours = pathlib.Path(definition.S3PaaSDefinition().get_migrations_path())
    files = sorted(ours.glob("[0-9]*.py"))
    assert files and all("exordos-paas-s3" in f.name for f in files)
    metapaas = pathlib.Path(exordos_metapaas.__file__).parent / "migrations"
    ids = []
    for path in files + sorted(metapaas.glob("[0-9]*.py")):
        ids += re.findall(r'return "([0-9a-f-]{36})"', path.read_text())
    assert len(ids) == len(set(ids))


def test_openapi_spec_has_every_plugin_route_and_validates():
    from openapi_spec_validator import validate

    spec = openapi.build()
    validate(spec)
    base = "/v1/types/s3/instances/{InstanceUuid}"
    user = base + "/users/{UserUuid}"
    # Every PUT is also a PATCH (the seed contract's update).
    resource = {"get", "put", "patch", "delete"}
    expected = {
        "/v1/types/s3/": {"get"},
        "/v1/types/s3/versions/": {"get", "post"},
        "/v1/types/s3/versions/{VersionUuid}": resource,
        "/v1/types/s3/instances/": {"get", "post"},
        base: resource,
        base + "/buckets/": {"get", "post"},
        base + "/buckets/{BucketUuid}": resource,
        base + "/policies/": {"get", "post"},
        base + "/policies/{PolicyUuid}": resource,
        base + "/users/": {"get", "post"},
        user: resource,
        user + "/keys/": {"get", "post"},
        user + "/keys/{AccessKeyUuid}": resource,
        # The seed contract's name of the same collection.
        user + "/access-keys/": {"get", "post"},
        user + "/access-keys/{AccessKeyUuid}": resource,
        user + "/policies/": {"get", "post"},
        user + "/policies/{PolicyAttachmentUuid}": resource,
    }
    for path, methods in expected.items():
        assert set(spec["paths"][path]) == methods, path
    schemas = spec["components"]["schemas"]
    text = str(schemas)
    assert "root_secret" not in text
