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
"""Issue 13, finding 6, on a real gateway process: access-key secrets sealed
in iam.sqlite (and plaintext rows of an older gateway sealed at start), every
file 0600 and directory 0700 in a data directory made 0755/0644 beforehand,
failed admin logins slowed down per source and logged."""

import os
import stat
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

from exordos_paas_s3.gateway.auth import identities
from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional


def _client(gw, access_key, secret_key):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=gw.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


def _files_bytes(data_dir: str) -> bytes:
    out = b""
    for name in os.listdir(data_dir):
        if name.startswith("iam.sqlite"):
            with open(os.path.join(data_dir, name), "rb") as f:
                out += f.read()
    return out


def test_secrets_are_sealed_and_old_plaintext_rows_migrated(tmp_path):
    gw = new_gateway(str(tmp_path))
    # An identity store as an older gateway left it: a user key in plaintext.
    old_secret = "plaintext-secret-" + uuid.uuid4().hex
    store = identities.IdentityStore.in_data_dir(
        gw.data_dir, root_access_key=gw.access_key, root_secret_key=gw.secret_key
    )
    store.create_user("olduser")
    store.create_access_key("olduser", access_key="AKOLD0001", secret_key=old_secret)
    store.close()
    assert old_secret.encode() in _files_bytes(gw.data_dir)

    gw.start()
    try:
        admin = (gw.access_key, gw.secret_key)
        url = gw.admin_endpoint
        assert requests.put(f"{url}/v1/users/alice", json={}, auth=admin).ok
        made = requests.post(f"{url}/v1/users/alice/keys", json={}, auth=admin)
        assert made.status_code == 201
        key = made.json()
        # Both keys sign requests (the secrets are opened into memory) ...
        for ak, sk in (
            (key["access_key"], key["secret_key"]),
            ("AKOLD0001", old_secret),
        ):
            _client(gw, ak, sk).list_buckets()
        # ... and neither secret is in the database files any more.
        stored = _files_bytes(gw.data_dir)
        assert key["secret_key"].encode() not in stored
        assert old_secret.encode() not in stored
        assert b"exs3k1:" in stored
    finally:
        assert gw.stop() == 0, gw.log()
    # The key is outside the database file, private, and the gateway opens
    # the sealed rows again after a restart.
    key_file = os.path.join(gw.data_dir, "secrets.key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    gw.start()
    try:
        _client(gw, key["access_key"], key["secret_key"]).list_buckets()
        _client(gw, "AKOLD0001", old_secret).list_buckets()
    finally:
        gw.stop()
    assert old_secret not in gw.log() and key["secret_key"] not in gw.log()


def test_every_file_is_private_in_a_data_dir_made_open_beforehand(tmp_path):
    gw = new_gateway(str(tmp_path))
    os.chmod(gw.data_dir, 0o755)
    os.makedirs(os.path.join(gw.data_dir, "objects", "ab"), mode=0o755)
    os.chmod(os.path.join(gw.data_dir, "objects"), 0o755)
    os.chmod(os.path.join(gw.data_dir, "objects", "ab"), 0o755)
    stray = os.path.join(gw.data_dir, "objects", "ab", "stray")
    with open(stray, "wb") as f:
        f.write(b"x")
    os.chmod(stray, 0o644)
    # A store made by an older gateway (0644 like any file of a 022 umask).
    store = identities.IdentityStore.in_data_dir(
        gw.data_dir, root_access_key=gw.access_key, root_secret_key=gw.secret_key
    )
    store.close()
    os.chmod(os.path.join(gw.data_dir, "iam.sqlite"), 0o644)
    old_umask = os.umask(0o022)  # the caller's umask does not matter
    try:
        gw.start()
    finally:
        os.umask(old_umask)
    try:
        s3 = _client(gw, gw.access_key, gw.secret_key)
        s3.create_bucket(Bucket="modes")
        s3.put_object(Bucket="modes", Key="small", Body=b"s")
        s3.put_object(Bucket="modes", Key="large", Body=os.urandom(300_000))
        up = s3.create_multipart_upload(Bucket="modes", Key="mp")
        s3.upload_part(
            Bucket="modes",
            Key="mp",
            UploadId=up["UploadId"],
            PartNumber=1,
            Body=b"p" * 1000,
        )
        assert requests.get(f"{gw.endpoint}/health?ready", timeout=10).ok
        open_ones = []
        for root, dirs, files in os.walk(gw.data_dir):
            for name in dirs + files + ["."]:
                path = os.path.join(root, name)
                mode = os.lstat(path).st_mode
                want = 0o700 if stat.S_ISDIR(mode) else 0o600
                if stat.S_IMODE(mode) != want:
                    open_ones.append((path, oct(stat.S_IMODE(mode))))
        assert not open_ones
        assert len([f for _r, _d, fs in os.walk(gw.data_dir) for f in fs]) > 5
    finally:
        gw.stop()


def test_failed_admin_logins_back_off_per_source_and_are_logged(tmp_path):
    gw = new_gateway(str(tmp_path))
    gw.start()
    try:
        url = f"{gw.admin_endpoint}/v1/users"
        wrong = (gw.access_key, "wrong-password-" + uuid.uuid4().hex)
        statuses = [
            requests.get(url, auth=wrong, timeout=10).status_code for _ in range(6)
        ]
        assert statuses == [401] * 6
        # Blocked now: even the right password waits, told how long.
        blocked = requests.get(url, auth=(gw.access_key, gw.secret_key), timeout=10)
        assert blocked.status_code == 429, blocked.text
        assert blocked.json()["error"]["code"] == "TooManyRequests"
        retry = int(blocked.headers["retry-after"])
        assert 1 <= retry <= 60
        # A burst of guesses gets nowhere near the password check.
        burst = [
            requests.get(url, auth=wrong, timeout=10).status_code for _ in range(20)
        ]
        assert set(burst) == {429}
        time.sleep(retry + 0.2)
        ok = requests.get(url, auth=(gw.access_key, gw.secret_key), timeout=10)
        assert ok.status_code == 200
        # The health route needs no login and is never blocked.
        assert requests.get(f"{gw.admin_endpoint}/v1/health", timeout=10).ok
    finally:
        gw.stop()
    log = gw.log()
    assert log.count("admin API: failed login from 127.0.0.1") == 6
    assert wrong[1] not in log and gw.secret_key not in log
