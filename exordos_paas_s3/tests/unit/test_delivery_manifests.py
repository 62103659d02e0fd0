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
REPO_VARS = {
    "version": "0.1.0",
    "repository": "http://10.20.0.1:8080/exordos-elements",
    "index_url": "http://10.20.0.1:8080/simple/",
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


def test_repository_and_index_url_variables_are_honoured():
    res = render("s3aas.yaml.j2", **REPO_VARS)["resources"]
    plugin = res["$metapaas.types"]["s3"]
    assert plugin["package"] == "exordos_paas_s3"
    assert plugin["index_url"] == "http://10.20.0.1:8080/simple/"
    image = res["$s3aas.types.s3.versions"]["gateway_1"]["image"]
    assert image == (
        "http://10.20.0.1:8080/exordos-elements/s3aas/0.1.0/images/exordos-s3-dp.raw.zst"
    )


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
