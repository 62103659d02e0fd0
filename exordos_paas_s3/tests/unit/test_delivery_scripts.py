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
"""Delivery scripts and templates: shellcheck, packer validate, the data-disk
script's format-once rule, and the exordos.yaml build configuration."""

import logging
import os
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

LOG = logging.getLogger(__name__)

ROOT = pathlib.Path(__file__).resolve().parents[3]
IMAGES = ROOT / "exordos" / "images"
DATA_DISK = IMAGES / "data-disk.sh"


def shell_scripts() -> list[pathlib.Path]:
    scripts = sorted((ROOT / "scripts").glob("*.sh")) + sorted(IMAGES.glob("*.sh"))
    return scripts + [ROOT / ".ci" / "run"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="no shellcheck")
def test_shellcheck_is_clean_on_every_script():
    result = subprocess.run(
        ["shellcheck", *map(str, shell_scripts())], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_script_is_executable_and_strict():
    for script in shell_scripts():
        assert os.access(script, os.X_OK), script
        assert "set -euo pipefail" in script.read_text(), script


@pytest.mark.skipif(shutil.which("packer") is None, reason="no packer")
def test_packer_validates_the_image_template(tmp_path):
    # validate stats the payload directory; the real one exists only after
    # scripts/build-image-payload.sh, so an empty stand-in is enough here.
    payload = ["-var", f"payload_dir={tmp_path}"]
    pinned = [
        *payload,
        "-var",
        "base_image_url=https://cloud.debian.org/images/cloud/bookworm/"
        "20250519-2117/debian-12-genericcloud-amd64-20250519-2117.qcow2",
        "-var",
        "base_image_sha512=" + "0" * 128,
    ]
    template = str(IMAGES / "exordos-s3-dp.pkr.hcl")
    ok = subprocess.run(
        ["packer", "validate", *pinned, template], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # The base image must be pinned: without the variables it does not validate.
    unpinned = subprocess.run(
        ["packer", "validate", *payload, template], capture_output=True, text=True
    )
    assert unpinned.returncode != 0


def test_exordos_yaml_builds_the_s3aas_element_with_the_dp_image():
    config = yaml.safe_load((ROOT / "exordos" / "exordos.yaml").read_text())
    build = config["build"]
    elements = {e["manifest"]: e for e in build["elements"]}
    s3aas = elements["manifests/s3aas.yaml.j2"]
    (image,) = s3aas["images"]
    assert image["name"] == "exordos-s3-dp"
    assert (ROOT / "exordos" / image["script"]) == IMAGES / "install.sh"
    artifacts = {a.get("name") or a["path"]: a for a in s3aas["artifacts"]}
    assert set(artifacts) == {
        "pypi_package",
        "openapi",
        "artifacts/icon.jpg",
        "artifacts/preview-1.jpg",
        "artifacts/preview-2.jpg",
    }
    for name in ("pypi_package", "openapi"):
        assert os.access(ROOT / "exordos" / artifacts[name]["script"], os.X_OK)
    for path in ("icon.jpg", "preview-1.jpg", "preview-2.jpg"):
        # JPEG files: they start with the SOI marker.
        assert (ROOT / "exordos" / "artifacts" / path).read_bytes()[:2] == b"\xff\xd8"
    (dep,) = build["deps"]
    assert dep["dst"] == "/opt/exordos-s3/payload"
    for manifest in elements:
        assert (ROOT / "exordos" / manifest).is_file()


def run_data_disk(tmp_path, disk, **env):
    return subprocess.run(
        ["bash", str(DATA_DISK)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DATA_DISK": str(disk),
            "FSTAB": str(tmp_path / "fstab"),
            "MOUNT_POINT": str(tmp_path / "data"),
            "SKIP_MOUNT": "1",
            "DATA_OWNER": "root",
            **env,
        },
    )


def blkid(disk, tag):
    return subprocess.run(
        ["blkid", "-p", "-o", "value", "-s", tag, str(disk)],
        capture_output=True,
        text=True,
    ).stdout.strip()


needs_e2fs = pytest.mark.skipif(
    shutil.which("mkfs.ext4") is None or shutil.which("blkid") is None,
    reason="needs e2fsprogs and util-linux",
)


@needs_e2fs
def test_data_disk_is_formatted_once_and_never_again(tmp_path):
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(64 * 1024 * 1024)

    first = run_data_disk(tmp_path, disk)
    assert first.returncode == 0, first.stderr
    assert "formatting" in first.stderr
    uuid = blkid(disk, "UUID")
    assert blkid(disk, "TYPE") == "ext4" and uuid

    # A reboot: the script runs again and must leave the filesystem alone.
    second = run_data_disk(tmp_path, disk)
    assert second.returncode == 0, second.stderr
    assert "formatting" not in second.stderr
    assert blkid(disk, "UUID") == uuid

    fstab = (tmp_path / "fstab").read_text().splitlines()
    assert fstab == [
        f"UUID={uuid} {tmp_path / 'data'} ext4 "
        "defaults,noatime,nofail,x-systemd.device-timeout=30s 0 2"
    ]


@needs_e2fs
def test_data_disk_with_another_filesystem_is_left_untouched(tmp_path):
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.ext2", "-q", "-F", str(disk)], check=True)
    uuid = blkid(disk, "UUID")

    result = run_data_disk(tmp_path, disk)
    assert result.returncode != 0
    assert "refusing" in result.stderr
    assert blkid(disk, "TYPE") == "ext2" and blkid(disk, "UUID") == uuid
    assert not (tmp_path / "fstab").exists()


def readme_delivery_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Building and installing into Exordos Core")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_delivery_steps_name_existing_make_targets():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"(?m)^([a-z][a-z-]*):", makefile))
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", readme_delivery_section()))
    assert named, "the section names no make target"
    assert named <= targets, named - targets


def test_readme_and_makefile_use_only_options_the_cli_has():
    # CLI 3.2.29: `ee install` has no --repository (the first error).
    # The CLI's modules import each other in the order its entry point does.
    from exordos.cmd import cli  # noqa: F401
    from exordos.cmd.em.elements import commands as ee
    from exordos.cmd.repo import commands as repo

    install = {o for p in ee.install_cmd.params for o in p.opts}
    add = {o for p in repo.repository_add_cmd.params for o in p.opts}
    text = readme_delivery_section() + (ROOT / "Makefile").read_text()
    for line in re.findall(r"ee install [^\n]*", text):
        assert set(re.findall(r"(?<!\S)--?[a-z][a-z-]*", line)) <= install, line
    for line in re.findall(r"repo add [^\n]*", text):
        assert set(re.findall(r"(?<!\S)--?[a-z][a-z-]*", line)) <= add, line
