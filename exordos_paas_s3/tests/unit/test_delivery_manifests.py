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
"""Element manifests: they render as `exordos build` renders them, parse as
YAML, and declare exactly the IAM the controllers enforce."""

import logging
import pathlib
import re

import jinja2
import pytest
import yaml
from restalchemy.api import constants as ra_constants
from restalchemy.api import field_permissions

from exordos_paas_s3 import constants
from exordos_paas_s3.controlplane import iam
from exordos_paas_s3.controlplane.api import controllers

LOG = logging.getLogger(__name__)

ROOT = pathlib.Path(__file__).resolve().parents[3]
MANIFESTS = ROOT / "exordos" / "manifests"
OWNER_ROLE = "726f6c65-0000-0000-0000-000000000002"
RW = field_permissions.Permissions.RW
PERMISSION_REF = r"\$core\.iam\.permissions\.\$(\w+):uuid"

# What `exordos build` passes: version and name always, images/artifacts
# computed from exordos.yaml, plus --manifest-var values.
BUILD_VARS = {
    "version": "0.1.0",
    "images": {"exordos_s3_dp": "urn:images:0b1c"},
    "artifacts": {"pypi_package": "urn:artifacts:77aa"},
}
# make build REPOSITORY=... INDEX_URL=...: `repository` is the CLI's own
# (the repository it validates against), `package_version` the built wheel's.
REPO_VARS = {
    **BUILD_VARS,
    "repository": "http://10.20.0.1:8080/exordos-elements",
    "index_url": "http://10.20.0.1:8080/simple/",
    "package_version": "0.1.0",
}


def render(template: str, **variables) -> dict:
    path = MANIFESTS / template
    name = path.name.removesuffix(".yaml.j2")
    # exordos build renders with plain jinja2.Template (no StrictUndefined).
    text = jinja2.Template(path.read_text()).render(name=name, **variables)
    return yaml.safe_load(text)


def all_templates() -> list[str]:
    return sorted(p.name for p in MANIFESTS.glob("*.yaml.j2"))


def test_there_are_the_s3aas_and_example_templates():
    assert {"s3aas.yaml.j2", "example_s3.yaml.j2"} <= set(all_templates())


@pytest.mark.parametrize("template", all_templates())
@pytest.mark.parametrize("variables", [BUILD_VARS, REPO_VARS], ids=["build", "repo"])
def test_template_renders_to_a_manifest(template, variables):
    manifest = render(template, **variables)
    assert manifest["name"] == template.removesuffix(".yaml.j2")
    assert manifest["version"] == "0.1.0"
    assert manifest["schema_version"] == 1
    assert isinstance(manifest["resources"], dict) and manifest["resources"]


@pytest.mark.parametrize("template", all_templates())
def test_manifest_name_is_one_static_line(template):
    # exordos build reads the element name from the unrendered template and
    # refuses a name that is templated or not on a line of its own.
    source = (MANIFESTS / template).read_text()
    names = re.findall(r"(?m)^name[ \t]*:[^\r\n]*$", source)
    assert names == [f'name: "{template.removesuffix(".yaml.j2")}"']


@pytest.mark.parametrize("template", all_templates())
def test_the_cli_reads_the_element_name_from_the_template(template):
    # The CLI's own reading (exordos.builder.base.Element.name): a statement
    # that eats the newline before `name:` hides the line from it.
    from exordos.builder import base as cli_builder

    element = cli_builder.Element(manifest=pathlib.Path("manifests") / template)
    assert element.name(ROOT / "exordos") == template.removesuffix(".yaml.j2")


def s3aas_iam(manifest: dict) -> tuple[set[str], dict[str, set[str]]]:
    resources = manifest["resources"]
    perms = resources["$core.iam.permissions"]
    declared = {p["name"] for p in perms.values()}
    role_names = {
        f"$core.iam.roles.${key}:uuid": key for key in resources["$core.iam.roles"]
    }
    role_names[OWNER_ROLE] = "owner"
    bound: dict[str, set[str]] = {}
    for binding in resources["$core.iam.permissionbinding"].values():
        ref = re.fullmatch(
            r"\$core\.iam\.permissions\.\$(\w+):uuid", binding["permission"]
        )
        assert ref, binding
        assert binding["project_id"] == "4d657461-0000-0000-0000-000000000002"
        role = role_names[binding["role"]].removeprefix("s3aas_")
        bound.setdefault(role, set()).add(perms[ref.group(1)]["name"])
    return declared, bound


def test_s3aas_declares_exactly_the_permissions_the_controllers_enforce():
    declared, _ = s3aas_iam(render("s3aas.yaml.j2", **BUILD_VARS))
    assert declared == set(iam.all_permissions())


def test_s3aas_binds_each_role_to_exactly_its_permissions():
    _, bound = s3aas_iam(render("s3aas.yaml.j2", **BUILD_VARS))
    assert bound == {role: set(perms) for role, perms in iam.ROLES.items()}


def test_permission_names_follow_the_service_and_policy_names():
    declared, _ = s3aas_iam(render("s3aas.yaml.j2", **BUILD_VARS))
    for name in declared:
        service, policy, action = name.split(".")
        assert service == iam.SERVICE_NAME
        assert action in iam.RESOURCE_POLICIES[policy]


def test_s3aas_registers_the_plugin_under_its_slug_and_element():
    types = render("s3aas.yaml.j2", **BUILD_VARS)["resources"]["$metapaas.types"]
    assert types[constants.PAAS_SLUG]["name"] == constants.PAAS_SLUG
    assert types[constants.PAAS_SLUG]["element_name"] == constants.ELEMENT_NAME


def test_built_manifest_points_at_the_built_wheel_and_image():
    res = render("s3aas.yaml.j2", **BUILD_VARS)["resources"]
    assert res["$metapaas.types"]["s3"]["package"] == "urn:artifacts:77aa"
    version = res["$s3aas.types.s3.versions"]["gateway_1"]
    assert version["image"] == "urn:images:0b1c"


def test_index_url_takes_the_package_by_name_pinned_to_the_built_wheel():
    res = render("s3aas.yaml.j2", **REPO_VARS)["resources"]
    plugin = res["$metapaas.types"]["s3"]
    # MetaPaaS installs `package==version` from index_url.
    assert plugin["package"] == "exordos_paas_s3"
    assert plugin["version"] == "0.1.0"
    assert plugin["index_url"] == "http://10.20.0.1:8080/simple/"


def test_the_image_is_always_the_elements_own_urn():
    # The platform's convention: the version's image is the element's
    # urn:images: index entry, whatever repository serves the element.
    for variables in (BUILD_VARS, REPO_VARS):
        res = render("s3aas.yaml.j2", **variables)["resources"]
        image = res["$s3aas.types.s3.versions"]["gateway_1"]["image"]
        assert image == "urn:images:0b1c"


def test_every_declared_permission_is_bound_to_a_role():
    declared, bound = s3aas_iam(render("s3aas.yaml.j2", **BUILD_VARS))
    assert declared == set().union(*bound.values())
    # Only the platform operator's role writes the version catalog.
    writers = {
        role
        for role, perms in bound.items()
        if iam.permission(iam.POLICY_VERSION, "create") in perms
    }
    assert writers == {iam.ROLE_ADMIN}


EXAMPLE_CONTROLLERS = {
    "$s3aas.types.s3.instances": controllers.InstanceController,
    "buckets": controllers.BucketController,
    "policies": controllers.PolicyController,
    "users": controllers.UserController,
    "keys": controllers.AccessKeyController,
}


def writable_on_create(controller) -> set[str]:
    resource = controller.__resource__
    model = resource._model_class
    rules = resource._fields_permissions.fields
    writable = set()
    for field in model.properties.properties:
        perms = rules.get(field, {})
        perm = perms.get(ra_constants.CREATE, perms.get(ra_constants.ALL, RW))
        if perm == RW:
            writable.add(field)
    return writable


def test_example_manifest_sets_only_fields_the_api_accepts_on_create():
    resources = render("example_s3.yaml.j2", **BUILD_VARS)["resources"]
    checked = 0
    for path, items in resources.items():
        if path.endswith(".users.$example_user.policies"):
            controller = controllers.PolicyAttachmentController
        else:
            last = path.rsplit(".", 1)[-1]
            controller = EXAMPLE_CONTROLLERS.get(path) or EXAMPLE_CONTROLLERS[last]
        fields = writable_on_create(controller)
        for item in items.values():
            assert set(item) <= fields, (path, set(item) - fields)
            checked += 1
    assert checked == 6


def test_example_children_carry_project_instance_and_user_as_the_cli_sends():
    # exordos metapaas s3 ... sends project_id, and the instance and user as
    # URIs under the CLI's collections; the API checks them against the path.
    from exordos import constants as cli

    resources = render("example_s3.yaml.j2", **BUILD_VARS)["resources"]
    instance_ref = "{$s3aas.types.s3.instances.$example_s3:uuid}"
    instance_uri = f'f"{cli.S3_INSTANCE_COLLECTION}{instance_ref}'
    user_ref = "{$s3aas.types.s3.instances.$example_s3.users.$example_user:uuid}"
    user_uri = f"{instance_uri}/users/{user_ref}"
    project = resources["$s3aas.types.s3.instances"]["example_s3"]["project_id"]
    children = 0
    for path, items in resources.items():
        if path == "$s3aas.types.s3.instances":
            continue
        for item in items.values():
            children += 1
            assert item["project_id"] == project, path
            assert item["instance"] == instance_uri + '"', path
            if ".users.$example_user." in path:
                assert item["user"] == user_uri + '"', path
    assert children == 5
    attachment = resources[
        "$s3aas.types.s3.instances.$example_s3.users.$example_user.policies"
    ]["example_user_rw"]
    assert attachment["policy"].startswith(instance_uri + "/policies/{")
