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
"""The secrets key a MetaPaaS host makes for itself when none is configured.

The user API and the gservice run on one host and must agree on one key even
when they start at the same moment; real processes race for it here.
"""

import os
import stat
import subprocess
import sys

import pytest

from exordos_paas_s3.controlplane import secret_box

_PROVISION = (
    "import sys; from exordos_paas_s3.controlplane import secret_box as b; "
    "k = b.provision_key_file(sys.argv[1]); "
    "print(__import__('base64').b64encode(k).decode())"
)


def _provision_in_processes(path: str, count: int) -> set[str]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PROVISION, path], stdout=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]
    keys = set()
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        keys.add(out.strip())
    return keys


def test_services_starting_together_agree_on_one_private_key(tmp_path):
    path = str(tmp_path / "metapaas" / "exordos_paas_s3" / "secrets.key")
    os.makedirs(tmp_path / "metapaas")
    keys = _provision_in_processes(path, 6)
    assert len(keys) == 1
    with open(path) as f:
        assert f.read().strip() == keys.pop()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    # Nothing half-written is left next to it.
    assert os.listdir(os.path.dirname(path)) == ["secrets.key"]


def test_a_provisioned_key_is_kept_across_restarts(tmp_path):
    path = str(tmp_path / "exordos_paas_s3" / "secrets.key")
    first = secret_box.provision_key_file(path)
    assert secret_box.provision_key_file(path) == first


def test_key_is_provisioned_only_on_a_metapaas_host(tmp_path, monkeypatch):
    monkeypatch.delenv(secret_box.KEY_ENV, raising=False)
    monkeypatch.delenv(secret_box.KEY_FILE_ENV, raising=False)
    work_dir = tmp_path / "exordos_metapaas"
    path = str(work_dir / "exordos_paas_s3" / "secrets.key")
    monkeypatch.setattr(secret_box, "PROVISIONED_KEY_FILE", path)
    # No MetaPaaS state directory: not configured, as before.
    with pytest.raises(secret_box.SecretsKeyNotConfigured):
        secret_box.seal("x", "t.c")
    assert not os.path.exists(path)

    work_dir.mkdir()
    sealed = secret_box.seal("x", "t.c")
    assert os.path.exists(path)
    assert secret_box.open_sealed(sealed, "t.c") == "x"
    # A configured key still wins over the provisioned one.
    monkeypatch.setenv(secret_box.KEY_ENV, secret_box.generate_key())
    with pytest.raises(secret_box.SealedSecretUnreadable):
        secret_box.open_sealed(sealed, "t.c")
