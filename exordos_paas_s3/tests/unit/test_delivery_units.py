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
"""systemd units of the data-plane image: systemd itself parses them, and
they run the commands, configs and paths the rest of the project uses."""

import configparser
import logging
import os
import pathlib
import shutil
import subprocess

import pytest

from exordos_paas_s3 import constants

LOG = logging.getLogger(__name__)

ROOT = pathlib.Path(__file__).resolve().parents[3]
UNITS = ROOT / "etc" / "systemd"
VENV_BIN = "/opt/exordos-s3/venv/bin"


def units() -> list[pathlib.Path]:
    return sorted(UNITS.glob("*.service"))


def parse(unit: pathlib.Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(unit.read_text())
    return parser


def test_units_are_the_gateway_agent_and_data_disk():
    assert [u.name for u in units()] == [
        "exordos-s3-agent.service",
        "exordos-s3-data-disk.service",
        "exordos-s3-gateway.service",
        "exordos-s3-tls-cert.service",
    ]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd")
def test_systemd_analyze_verify_accepts_every_unit(tmp_path):
    # A root with the units installed and stand-ins for their executables, so
    # that systemd checks the units and not this machine's /opt.
    root = tmp_path / "root"
    unit_dir = root / "etc" / "systemd" / "system"
    unit_dir.mkdir(parents=True)
    for path in (
        f"{VENV_BIN}/exordos-s3-gateway",
        f"{VENV_BIN}/exordos-universal-agent",
        "/usr/local/sbin/exordos-s3-data-disk",
        "/usr/local/sbin/exordos-s3-tls-cert",
    ):
        exe = root / path.lstrip("/")
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    for unit in units():
        shutil.copy(unit, unit_dir / unit.name)
    # The targets and system units ours refer to, as on any systemd machine.
    shutil.copytree(
        "/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True
    )
    result = subprocess.run(
        ["systemd-analyze", f"--root={root}", "verify"]
        + [str(unit_dir / u.name) for u in units()],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "exordos-s3" in line
    ]
    assert ours == [], "\n".join(ours)


def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path):
    # Proves the check above can fail: an unknown key is reported.
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd")
    unit = tmp_path / "exordos-s3-broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nExecStrat=/bin/false\n")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True
    )
    assert "ExecStrat" in result.stderr


def test_gateway_unit_runs_the_gateway_with_the_builders_config_path():
    service = parse(UNITS / "exordos-s3-gateway.service")["Service"]
    assert service["ExecStart"].split() == [
        f"{VENV_BIN}/exordos-s3-gateway",
        "--config-file",
        constants.GATEWAY_CONFIG_PATH,
    ]
    assert constants.GATEWAY_DATA_DIR in service["ReadWritePaths"]
    unit = parse(UNITS / "exordos-s3-gateway.service")["Unit"]
    assert unit["ConditionPathExists"] == constants.GATEWAY_CONFIG_PATH
    assert unit["RequiresMountsFor"] == constants.GATEWAY_DATA_DIR


def test_agent_unit_runs_the_universal_agent_of_gcl_sdk():
    from importlib import metadata

    scripts = {
        ep.name: ep.value
        for ep in metadata.distribution("gcl_sdk").entry_points
        if ep.group == "console_scripts"
    }
    exec_start = parse(UNITS / "exordos-s3-agent.service")["Service"]["ExecStart"]
    binary = pathlib.PurePath(exec_start.split()[0]).name
    assert binary in scripts
    assert scripts[binary].endswith("universal_agent:main")


def test_agent_config_loads_our_driver_by_its_entry_point():
    from importlib import metadata

    conf = configparser.ConfigParser()
    conf.read(ROOT / "etc" / "exordos-s3" / "agent.conf")
    drivers = conf["universal_agent"]["caps_drivers"].split(",")
    ours = {
        ep.name
        for ep in metadata.distribution("exordos_paas_s3").entry_points
        if ep.group == "gcl_sdk_universal_agent"
    }
    assert [d.strip() for d in drivers] == sorted(ours)


def test_gateway_config_example_is_read_by_the_gateway_options():
    from oslo_config import cfg

    from exordos_paas_s3.gateway import config

    conf = cfg.ConfigOpts()
    config.register(conf)
    conf(
        ["--config-file", str(ROOT / "etc" / "exordos-s3" / "gateway.conf.example")],
        project="exordos-s3",
        default_config_files=[],
        default_config_dirs=[],
    )
    assert conf.data_dir == constants.GATEWAY_DATA_DIR
    assert conf.admin_listen.startswith("127.0.0.1:")
    # Every option the file sets is one the gateway knows (oslo.config would
    # otherwise ignore a misspelt key silently).
    known = {opt.dest for opt in config.OPTS}
    parser = configparser.ConfigParser()
    parser.read(ROOT / "etc" / "exordos-s3" / "gateway.conf.example")
    assert set(parser["DEFAULT"]) <= known


def test_agent_config_driver_section_matches_the_drivers_arguments():
    # gcl_sdk's agent passes the options of the section named after the driver
    # class as keyword arguments: a misspelt key would crash the agent.
    import inspect
    from importlib import metadata

    (ep,) = [
        ep
        for ep in metadata.distribution("exordos_paas_s3").entry_points
        if ep.group == "gcl_sdk_universal_agent"
    ]
    driver = ep.load()
    conf = configparser.ConfigParser()
    conf.read(ROOT / "etc" / "exordos-s3" / "agent.conf")
    options = set(conf[driver.__name__]) - set(conf.defaults())
    assert options <= set(inspect.signature(driver).parameters)
    assert conf[driver.__name__]["gateway_config"] == constants.GATEWAY_CONFIG_PATH


def test_the_infra_builder_restarts_the_unit_the_image_installs():
    from exordos_paas_s3.controlplane.infra import models as infra_models

    assert (UNITS / f"{infra_models.GATEWAY_UNIT}.service").is_file()


def test_systemd_waits_for_the_gateways_own_shutdown_timeout():
    """SIGTERM lets in-flight requests finish for shutdown_timeout seconds;
    systemd must not SIGKILL before that (TimeoutStopSec larger)."""
    from exordos_paas_s3.gateway import config

    default = next(o for o in config.OPTS if o.dest == "shutdown_timeout").default
    stop = parse(UNITS / "exordos-s3-gateway.service")["Service"]["TimeoutStopSec"]
    assert stop.endswith("s")
    assert float(stop[:-1]) == default + 10


def test_tls_certificate_is_made_before_the_gateway_starts():
    unit = parse(UNITS / "exordos-s3-tls-cert.service")
    assert unit["Service"]["ExecStart"] == "/usr/local/sbin/exordos-s3-tls-cert"
    assert "exordos-s3-gateway.service" in unit["Unit"]["Before"]
    gateway = parse(UNITS / "exordos-s3-gateway.service")["Unit"]
    assert "exordos-s3-tls-cert.service" in gateway["After"]
