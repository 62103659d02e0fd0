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
"""Delivery with the real exordos CLI (3.2.29), as the README's "Building and
installing" runs it, through everything that needs no live Core:

- `make build` on a copy of this checkout tagged 0.1.0: the CLI validates
  exordos.yaml and the rendered manifests, builds the artifacts and, with a
  stand-in `packer` on PATH that records its calls and writes a raw image,
  the image; with a packer too old for the CLI it stops at the image and says
  so;
- `make publish` into a repository directory, served by http.server on
  127.0.0.1 and read by the CLI's repository client (`repo versions`, the
  inventory, the manifest, the OpenAPI spec, `em manifests validate`);
- `make repo-add`, `make install` and `exordos ee install` against a
  loopback "Core" that records what it is sent and answers an error.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import urllib.parse

import pytest
import yaml
from exordos.builder import base as cli_builder
from exordos.clients import repo as cli_repo
from exordos.spec import schema as cli_schema

from exordos import utils as cli_utils

ROOT = pathlib.Path(__file__).resolve().parents[3]
BIN = pathlib.Path(sys.executable).parent
EXORDOS = BIN / "exordos"
VERSION = "0.1.0"
INDEX_URL = "http://127.0.0.1:9/simple/"
NO_REPOSITORY = "http://127.0.0.1:9/exordos-elements"

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("git") is None,
    reason="needs make and git",
)

# Records every call; `version` answers as packer 1.11 does; `init` keeps a
# copy of the template directory; `build` writes the raw image where the
# CLI's template puts it (output_directory, <source name>.raw).
STAND_IN_PACKER = r"""#!/bin/sh
echo "$*" >>"$PACKER_LOG"
case "$1" in
version) echo "Packer v1.11.2" ;;
init) rm -rf "$PACKER_LOG.template"; cp -r "$2" "$PACKER_LOG.template" ;;
build)
    out=$(sed -n 's/^  default = "\(.*\)"$/\1/p' "$3/main.pkr.hcl" | head -n1)
    name=$(sed -n 's/^    name = "\(.*\)"$/\1/p' "$3/main.pkr.hcl" | head -n1)
    mkdir -p "$out" && head -c 65536 /dev/zero >"$out/$name.raw" ;;
*) exit 1 ;;
esac
"""

OLD_PACKER = """#!/bin/sh
# Debian 12's packer: no `init`.
[ "$1" = version ] && { echo "Packer v1.6.6"; exit 0; }
exit 127
"""


def write_exe(path: pathlib.Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def run(cmd, cwd, env, check=True):
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> pathlib.Path:
    """This checkout's files (as they are in the work tree), committed in a
    fresh repository and tagged 0.1.0: the CLI takes the tag as the
    element's version."""
    dst = tmp_path_factory.mktemp("checkout")
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, names):
        src = ROOT / name.decode()
        if src.is_file():
            (dst / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name.decode())
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dst, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dst, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], cwd=dst, check=True)
    subprocess.run(["git", "tag", VERSION], cwd=dst, check=True)
    return dst


def make_env(tmp: pathlib.Path, packer: str, image_tools: bool) -> dict:
    """PATH with a `packer` (and qemu stand-ins) first, the venv's CLI, a
    HOME without an exordos config."""
    bindir = tmp / "bin"
    bindir.mkdir(parents=True)
    write_exe(bindir / "packer", packer)
    plugins = tmp / "plugins"
    plugins.mkdir()
    kvm = tmp / "kvm"
    if image_tools:
        for tool in ("qemu-system-x86_64", "qemu-img"):
            write_exe(bindir / tool, "#!/bin/sh\nexit 0\n")
        for plugin in ("qemu_v1.1.1_x5.0", "sshkey_v1.1.0_x5.0"):
            (plugins / f"packer-plugin-{plugin}_linux_amd64").write_text("")
        kvm.write_text("")
    (tmp / "home").mkdir()
    return {
        **os.environ,
        "PATH": f"{bindir}:{BIN}:{os.environ['PATH']}",
        "HOME": str(tmp / "home"),
        "PACKER_LOG": str(tmp / "packer.log"),
        "PACKER_PLUGIN_PATH": str(plugins),
        "KVM_DEVICE": str(kvm),
    }


def make(project, env, *targets, check=True):
    # No EXORDOS=: the Makefile finds the CLI in VENV, as for a newcomer.
    # REPOSITORY: the CLI validates requirements against this repository
    # (default: the public one); a closed loopback port fails at once.
    variables = [f"VENV={BIN.parent}", "SSH_KEY=", f"REPOSITORY={NO_REPOSITORY}"]
    return run(
        ["make", "--no-print-directory", *targets, *variables], project, env, check
    )


def elements_dir(project) -> pathlib.Path:
    return project / "output" / "elements" / "exordos-elements"


def files_under(path: pathlib.Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def builds(project, tmp_path_factory):
    """`make build INDEX_URL=...` with Debian's packer (stops at the image),
    then `make elements` (the same `exordos build`, on the payload the first
    made) with the stand-in (the whole element)."""
    old_env = make_env(tmp_path_factory.mktemp("old"), OLD_PACKER, False)
    stopped = make(project, old_env, "build", f"INDEX_URL={INDEX_URL}", check=False)
    stopped_files = files_under(elements_dir(project))
    manifest = elements_dir(project) / "s3aas" / VERSION / "manifests" / "s3aas.yaml"
    stopped_manifest = yaml.safe_load(manifest.read_text())
    env = make_env(tmp_path_factory.mktemp("new"), STAND_IN_PACKER, True)
    built = make(project, env, "elements")
    return {
        "stopped": stopped,
        "stopped_files": stopped_files,
        "stopped_manifest": stopped_manifest,
        "built": built,
        "env": env,
    }


def test_build_with_an_old_packer_stops_at_the_image_and_says_why(builds):
    stopped = builds["stopped"]
    # exit 2 from scripts/build-elements.sh, make reports it.
    assert "Error 2" in stopped.stderr, stopped.stdout + stopped.stderr
    assert "MISSING  packer >= 1.7" in stopped.stderr
    assert "which has no `packer init`" in stopped.stderr
    assert "stopped at the image exordos-s3-dp" in stopped.stderr
    assert "Traceback" not in stopped.stdout + stopped.stderr
    # Everything up to the image: the example element whole, s3aas's
    # artifacts and rendered manifest, no image and no inventory.
    v = VERSION
    assert builds["stopped_files"] == {
        f"example_s3/{v}/manifests/example_s3.yaml",
        f"example_s3/{v}/inventory.json",
        f"s3aas/{v}/manifests/s3aas.yaml",
        f"s3aas/{v}/artifacts/exordos_paas_s3-0.1.0-py3-none-any.whl",
        f"s3aas/{v}/artifacts/openapi_user_s3.yaml",
        f"s3aas/{v}/artifacts/icon.jpg",
        f"s3aas/{v}/artifacts/preview-1.jpg",
        f"s3aas/{v}/artifacts/preview-2.jpg",
    }


def test_build_with_an_index_pins_the_package_to_the_built_wheel(builds):
    plugin = builds["stopped_manifest"]["resources"]["$metapaas.types"]["s3"]
    assert plugin["package"] == "exordos_paas_s3"
    assert plugin["version"] == "0.1.0"  # exordos_paas_s3-0.1.0-py3-none-any.whl
    assert plugin["index_url"] == INDEX_URL
    version = builds["stopped_manifest"]["resources"]["$s3aas.types.s3.versions"]
    assert version["gateway_1"]["image"].startswith("urn:images:")


def test_build_runs_packer_with_the_clis_template_and_makes_the_element(
    builds, project
):
    assert "the data-plane image can be built" in builds["built"].stdout
    calls = pathlib.Path(builds["env"]["PACKER_LOG"]).read_text().splitlines()
    assert calls[0] == "version"  # scripts/check-packer.sh
    assert calls[1].startswith("init /tmp")
    assert calls[2] == "build -parallel-builds=1 " + calls[1].split()[1]
    template = pathlib.Path(builds["env"]["PACKER_LOG"] + ".template")
    main = (template / "main.pkr.hcl").read_text()
    assert 'source "qemu.debian-12"' in main
    assert 'script          = "exordos/images/install.sh"' in main
    assert "sudo mv /tmp/payload_0 /opt/exordos-s3/payload" in main
    assert 'disk_size = "4G"' in (template / "overrides.auto.pkrvars.hcl").read_text()

    inventory = json.loads((elements_dir(project) / "inventory.json").read_text())
    assert {n: list(v) for n, v in inventory["elements"].items()} == {
        "example_s3": [VERSION],
        "s3aas": [VERSION],
    }
    s3aas = inventory["elements"]["s3aas"][VERSION]
    assert s3aas["images"] == ["exordos-s3-dp.raw.zst"]
    assert sorted(s3aas["artifacts"]) == sorted(
        [
            "exordos_paas_s3-0.1.0-py3-none-any.whl",
            "openapi_user_s3.yaml",
            "icon.jpg",
            "preview-1.jpg",
            "preview-2.jpg",
        ]
    )
    image = elements_dir(project) / "s3aas" / VERSION / "images"
    assert (image / "exordos-s3-dp.raw.zst").stat().st_size > 0


def test_built_manifest_refers_to_its_image_and_wheel_by_index_urns(builds, project):
    element = elements_dir(project) / "s3aas" / VERSION
    manifest = yaml.safe_load((element / "manifests" / "s3aas.yaml").read_text())
    index = json.loads((element / "inventory.json").read_text())["index"]
    images = {name: uuid for uuid, name in index["images"].items()}
    artifacts = {name: uuid for uuid, name in index["artifacts"].items()}
    res = manifest["resources"]
    image = res["$s3aas.types.s3.versions"]["gateway_1"]["image"]
    assert image == f"urn:images:{images['exordos-s3-dp.raw.zst']}"
    wheel = "exordos_paas_s3-0.1.0-py3-none-any.whl"
    assert (
        res["$metapaas.types"]["s3"]["package"] == f"urn:artifacts:{artifacts[wheel]}"
    )
    assert manifest["version"] == VERSION


def test_exordos_yaml_and_manifests_pass_the_clis_schemas(builds, project):
    config = yaml.safe_load((project / "exordos" / "exordos.yaml").read_text())
    cli_schema.validate_yaml(config, cli_utils.load_spec())
    with pytest.raises(ValueError):
        cli_schema.validate_yaml({"build": {"elements": "x"}}, cli_utils.load_spec())
    for name in ("s3aas", "example_s3"):
        path = elements_dir(project) / name / VERSION / "manifests" / f"{name}.yaml"
        manifest = yaml.safe_load(path.read_text())
        cli_schema.validate_yaml(manifest, cli_schema.load_base_manifest_schema())


class Repo:
    def __init__(self, directory: pathlib.Path):
        handler = functools.partial(QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/exordos-elements/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def repo(builds, project, tmp_path_factory):
    repo_dir = tmp_path_factory.mktemp("repo")
    published = make(project, builds["env"], "publish", f"REPO_DIR={repo_dir}")
    server = Repo(repo_dir)
    yield {"dir": repo_dir, "url": server.url, "published": published}
    server.close()


def test_publish_lays_out_versions_latest_and_the_top_inventory(repo):
    root = repo["dir"]
    assert (root / "exordos-repo-meta.json").is_file()
    for name in ("s3aas", "example_s3"):
        assert sorted(os.listdir(root / "exordos-elements" / name)) == [
            VERSION,
            "latest",
        ]
        latest = root / "exordos-elements" / name / "latest" / "inventory.json"
        assert json.loads(latest.read_text())["version"] == VERSION
    top = json.loads((root / "exordos-elements" / "inventory.json").read_text())
    assert sorted(top["elements"]) == ["example_s3", "s3aas"]
    assert f"s3aas: {VERSION} (latest: {VERSION})" in repo["published"].stdout


def test_publishing_again_keeps_what_is_published(repo, builds, project):
    again = make(project, builds["env"], "publish", f"REPO_DIR={repo['dir']}")
    assert "already exists" in again.stdout + again.stderr
    top = json.loads((repo["dir"] / "exordos-elements" / "inventory.json").read_text())
    assert list(top["elements"]["s3aas"]) == [VERSION]


def test_cli_repo_versions_lists_the_release_and_its_latest_alias(repo, builds):
    for name in ("s3aas", "example_s3"):
        out = run(
            [
                str(EXORDOS),
                "repo",
                "versions",
                name,
                "--repo-url",
                repo["url"],
                "-o",
                "json",
            ],
            ROOT,
            builds["env"],
        ).stdout
        assert json.loads(out.strip().splitlines()[-1]) == [
            {"version": VERSION, "latest": True}
        ]


def test_cli_repository_client_reads_inventory_manifest_and_openapi(repo):
    client = cli_repo.Repository(repo["url"])
    assert client.get_all_elements() == ["example_s3", "s3aas"]
    assert client.get_element_versions("s3aas") == [VERSION]
    assert client.get_latest_version("s3aas") == VERSION
    manifest, inventory = client.get_element_inventory("s3aas", VERSION)
    assert manifest["name"] == "s3aas" and manifest["version"] == VERSION
    assert inventory["images"] == ["exordos-s3-dp.raw.zst"]
    # Without a version the client takes the highest directory.
    assert client.get_manifest("example_s3")["name"] == "example_s3"
    spec = client.openapi_spec("s3aas", VERSION)
    assert spec["openapi"].startswith("3.")
    for path in (
        "/v1/types/s3/instances/",
        "/v1/types/s3/instances/{InstanceUuid}/buckets/",
    ):
        assert path in spec["paths"], sorted(spec["paths"])
    # Every file the inventory lists is served where the client looks.
    element_url = client.element_url("s3aas")
    for artifact in inventory["artifacts"]:
        url = client._artifact_url(element_url, VERSION, artifact)
        assert cli_repo._http_get(url)


def test_cli_validates_the_published_manifests(repo, builds):
    for name in ("s3aas", "example_s3"):
        out = run(
            [str(EXORDOS), "em", "manifests", "validate", "-r", repo["url"], name],
            ROOT,
            builds["env"],
        ).stdout
        assert f"Manifest {name} ({VERSION}) validated successfully" in out


def test_cli_element_inventory_matches_what_the_builder_computes(repo):
    top = json.loads((repo["dir"] / "exordos-elements" / "inventory.json").read_text())
    data = top["elements"]["s3aas"][VERSION]
    inventory = cli_builder.ElementInventory.from_dict(data)
    assert inventory.index == data["index"]


def test_publish_refuses_a_prerelease_build(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "publish-elements.sh", tmp_path / "scripts")
    build = tmp_path / "output" / "elements" / "exordos-elements"
    build.mkdir(parents=True)
    version = "0.0.1-rc+20261207223655.544c9fa8"
    (build / "inventory.json").write_text(
        json.dumps({"elements": {"s3aas": {version: {}}}})
    )
    env = {**os.environ, "PYTHON": sys.executable, "EXORDOS": str(EXORDOS)}
    result = run(
        ["bash", "scripts/publish-elements.sh", str(tmp_path / "repo")],
        tmp_path,
        env,
        check=False,
    )
    assert result.returncode == 1
    assert f"s3aas {version}" in result.stderr
    assert "git tag 0.1.0 && make build" in result.stderr
    assert not (tmp_path / "repo").exists()


class CoreRecorder(http.server.BaseHTTPRequestHandler):
    """Stands where Core's API would be: a token for the token request, a
    403 in Core's JSON error form for anything else (a 5xx would be retried
    by the CLI's HTTP client); every request kept."""

    requests: list = []
    # path (without query) -> JSON answered with 200 instead of the 403.
    answers: dict = {}

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
            }
        )
        spec = {}
        if self.command == "POST" and body.startswith("{"):
            spec = json.loads(body).get("driver_spec") or {}
        if spec.get("url", "").startswith("http://127.0.0.1:"):
            # What Core does with a repository: read it over HTTP (the tests
            # name loopback repositories only).
            top = cli_repo._http_get(spec["url"] + "inventory.json")
            self.requests[-1]["repository_elements"] = sorted(
                json.loads(top)["elements"]
            )
        if self.path.endswith("/actions/get_token/invoke"):
            code, answer = 200, {"access_token": "at-1", "refresh_token": "rt-1"}
        elif urllib.parse.urlsplit(self.path).path in self.answers:
            code, answer = 200, self.answers[urllib.parse.urlsplit(self.path).path]
        else:
            code = 403
            answer = {"type": "Forbidden", "code": 403, "message": "stand-in Core"}
        data = json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def core():
    CoreRecorder.requests = []
    CoreRecorder.answers = {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CoreRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", CoreRecorder.requests
    server.shutdown()
    server.server_close()


def assert_token_request(request):
    assert request["method"] == "POST"
    assert request["path"].startswith("/v1/iam/clients/")
    assert request["path"].endswith("/actions/get_token/invoke")
    form = urllib.parse.parse_qs(request["body"])
    assert form["grant_type"] == ["password"]
    assert form["username"] == ["admin"]
    assert form["password"] == ["s3cret"]


def test_ee_install_by_version_asks_core_for_that_element(core, builds):
    endpoint, requests = core
    result = run(
        [
            str(EXORDOS),
            "-e",
            endpoint,
            "-u",
            "admin",
            "-p",
            "s3cret",
            "ee",
            "install",
            "s3aas",
            "--version",
            VERSION,
        ],
        ROOT,
        builds["env"],
        check=False,
    )
    assert result.returncode != 0
    assert "403" in result.stderr + result.stdout
    assert len(requests) == 2, requests
    assert_token_request(requests[0])
    query = urllib.parse.urlsplit(requests[1]["path"])
    assert requests[1]["method"] == "GET"
    assert query.path == "/v1/repo/elements/"
    assert urllib.parse.parse_qs(query.query)["name"] == ["s3aas"]
    assert requests[1]["headers"]["Authorization"] == "Bearer at-1"


def test_make_repo_add_registers_the_repository_url(core, repo, builds, project):
    endpoint, requests = core
    url = repo["url"]
    result = make(
        project,
        builds["env"],
        "repo-add",
        f"ENDPOINT={endpoint}",
        "PASSWORD=s3cret",
        f"REPO_URL={url}",
        check=False,
    )
    assert result.returncode != 0
    assert len(requests) == 2, requests
    assert_token_request(requests[0])
    add = requests[1]
    assert (add["method"], add["path"]) == ("POST", "/v1/repo/repositories/")
    body = json.loads(add["body"])
    assert body["driver_spec"] == {"kind": "nginx", "url": url}
    assert body["name"] == "exordos-paas-s3"
    assert body["project_id"] == "00000000-0000-0000-0000-000000000000"
    assert add["repository_elements"] == ["example_s3", "s3aas"]


def test_make_install_refreshes_the_repository_first(core, builds, project):
    endpoint, requests = core
    result = make(
        project,
        builds["env"],
        "install",
        f"ENDPOINT={endpoint}",
        "PASSWORD=s3cret",
        f"VERSION={VERSION}",
        check=False,
    )
    assert result.returncode != 0
    # No "No such option" from the CLI: the options are 3.2.29's.
    assert "No such option" not in result.stderr
    assert_token_request(requests[0])
    query = urllib.parse.urlsplit(requests[1]["path"])
    assert query.path == "/v1/repo/repositories/"
    assert urllib.parse.parse_qs(query.query)["name"] == ["exordos-paas-s3"]


def test_ee_install_without_version_takes_the_newest_stable_release(core, builds):
    # What Core lists for s3aas after reading a repository that has a tagged
    # release, an older one and a build of an untagged commit: the CLI skips
    # the pre-release, however new, and installs the newest stable version.
    endpoint, requests = core
    repo = "/v1/repo/repositories/" + "5" * 8 + "-5555-5555-5555-" + "5" * 12
    listed = {
        "0.0.9": "00000000-0000-0000-0000-000000000009",
        VERSION: "00000000-0000-0000-0000-000000000010",
        "0.1.1-rc+20261207225232.4f52d551": "00000000-0000-0000-0000-000000000011",
    }
    CoreRecorder.answers["/v1/repo/elements/"] = [
        {"uuid": uuid, "name": "s3aas", "version": version, "repository": repo}
        for version, uuid in listed.items()
    ]
    result = run(
        [str(EXORDOS), "-e", endpoint, "-u", "admin", "-p", "s3cret"]
        + ["ee", "install", "s3aas"],
        ROOT,
        builds["env"],
        check=False,
    )
    assert result.returncode != 0  # the install action answers 403
    install = requests[-1]
    assert install["method"] == "POST"
    assert install["path"] == (
        f"/v1/repo/elements/{listed[VERSION]}/actions/install/invoke"
    )


def test_deploy_serves_the_build_and_registers_it_in_core(core, builds, project):
    # `exordos deploy` in a local realm: the CLI serves output/elements
    # itself and registers it as Core's dev repository, which Core reads.
    endpoint, requests = core
    CoreRecorder.answers["/v1/repo/repositories/"] = []  # none registered yet
    home = pathlib.Path(builds["env"]["HOME"])
    config = home / "deploy.yaml"
    realm = {"local": True, "meta": {"cidr": "127.0.0.0/8"}, "endpoint": endpoint}
    config.write_text(
        yaml.safe_dump({"current-realm": "dev", "realms": {"dev": realm}})
    )
    port = free_port()
    result = run(
        [str(EXORDOS), "--config", str(config), "-u", "admin", "-p", "s3cret"]
        + ["deploy", "--element", "s3aas", "-e", "output/elements"]
        + ["-c", str(config), "--port", str(port)],
        project,
        builds["env"],
        check=False,
    )
    assert result.returncode != 0  # Core (the stand-in) refuses the POST
    assert_token_request(requests[0])
    add = requests[-1]
    assert (add["method"], add["path"]) == ("POST", "/v1/repo/repositories/")
    body = json.loads(add["body"])
    url = f"http://127.0.0.1:{port}/exordos-elements/"
    assert body["driver_spec"] == {"kind": "nginx", "url": url}
    assert body["name"] == "exordos-dev-repo"
    assert add["repository_elements"] == ["example_s3", "s3aas"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
