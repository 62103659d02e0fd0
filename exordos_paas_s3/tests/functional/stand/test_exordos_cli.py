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
"""The official ``exordos`` CLI (3.2.29, unmodified, in a subprocess) against
the stand: the whole journey a new user takes, and a key it made used with
boto3 on the instance's endpoint.

The CLI sends what RestAlchemy clients send: a generated ``uuid`` and the
``project_id`` on every add, the ``instance``/``user`` links in the bodies of
``keys add`` and ``user-policies add``; all of them used to be refused (403
FieldPermissionError).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import uuid as sys_uuid

import boto3
import pytest
from botocore.config import Config

pytestmark = pytest.mark.functional

EXORDOS = os.path.join(os.path.dirname(sys.executable), "exordos")
READ_WRITE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def token_project(token: str) -> str:
    """The project the stand's token is scoped to (its JWT claim)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["project_id"]


class Cli:
    def __init__(self, stand, home: str) -> None:
        self.api, self.token = stand.api, stand.token
        # Wide, so rich never wraps a value of the tables add/update print.
        self.env = dict(os.environ, COLUMNS="500", HOME=home)

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        command = [EXORDOS, "-e", self.api, "-a", self.token, "metapaas"]
        command += ["--metapaas-endpoint", self.api, "s3", *args]
        done = subprocess.run(
            command, capture_output=True, text=True, env=self.env, timeout=60
        )
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        else:
            assert done.returncode != 0, (args, done.stdout)
        return done

    def fields(self, *args: str) -> dict[str, str]:
        """The Field/Value table add and update print, as a dict."""
        out = {}
        for line in self.run(*args).stdout.splitlines():
            cells = [c.strip() for c in line.split("│")]
            if len(cells) == 4 and cells[1]:
                out[cells[1]] = cells[2]
        return out

    def json(self, *args: str):
        out = self.run(*args, "-o", "json").stdout
        # The CLI first says it has no configuration file (on stdout).
        start = min(i for i in (out.find("["), out.find("{")) if i >= 0)
        return json.loads(out[start:])

    def show(self, *args: str) -> dict[str, str]:
        return {row["field"]: row["value"] for row in self.json(*args)}


def new_uuid() -> str:
    return str(sys_uuid.uuid4())


def test_cli_journey(stand, api, tmp_path):
    cli = Cli(stand, str(tmp_path))
    project = token_project(stand.token)
    # Versions are published by the platform; the CLI only reads them.
    version = api.call(
        "POST", "/v1/types/s3/versions/", {"name": "cli-0.0.1", "image": "x"}
    )
    listed = cli.json("versions", "list")
    assert version["uuid"] in {row["uuid"] for row in listed}
    assert cli.show("versions", "show", version["uuid"])["name"] == "cli-0.0.1"

    # -- instance: add (by version name), list, show, update ------------------
    inst = new_uuid()
    name = "cli-" + secrets.token_hex(3)
    added = cli.fields(
        "instances", "add", "-u", inst, "-p", project, "-n", name,
        "-v", "cli-0.0.1", "--cpu", "1", "--ram", "1024", "--disk-size", "10",
    )  # fmt: skip
    assert added["uuid"] == inst and added["project_id"] == project
    assert added["version"] == f"/v1/types/s3/versions/{version['uuid']}"
    ipath = f"/v1/types/s3/instances/{inst}"
    endpoint = api.wait_active(ipath)["endpoints"][0]
    assert name in {row["name"] for row in cli.json("instances", "list")}
    assert cli.show("instances", "show", inst)["status"] == "ACTIVE"
    updated = cli.fields(
        "instances", "update", inst, "--description", "from the CLI", "--ram", "2048"
    )
    assert updated["description"] == "from the CLI" and updated["ram"] == "2048"
    api.wait_active(ipath)

    # The same uuid twice, another project: 4xx, said plainly.
    again = cli.run(
        "instances", "add", "-u", inst, "-p", project, "-n", name + "x",
        "-v", "cli-0.0.1", "--cpu", "1", "--ram", "1024", "--disk-size", "10",
        ok=False,
    )  # fmt: skip
    assert "Already exists" in again.stderr  # the CLI's word for a 409
    other = cli.run(
        "instances", "add", "-p", new_uuid(), "-n", name + "y",
        "-v", "cli-0.0.1", "--cpu", "1", "--ram", "1024", "--disk-size", "10",
        ok=False,
    )  # fmt: skip
    assert "403" in other.stderr and "project_id" in other.stderr
    # The CLI allows up to 1024**3; the API says its own range.
    too_big = cli.run("instances", "update", inst, "--ram", str(1024**3), ok=False)
    assert "ram" in too_big.stderr and "512 to 1048576" in too_big.stderr

    # -- bucket --------------------------------------------------------------
    bucket = new_uuid()
    bname = "cli-bucket-" + secrets.token_hex(3)
    added = cli.fields(
        "buckets", "add", "-u", bucket, "-p", project, "-i", inst, "-n", bname,
        "--versioning", "--quota-bytes", "1000000",
    )  # fmt: skip
    assert added["uuid"] == bucket and added["versioning_enabled"] == "True"
    bpath = f"{ipath}/buckets/{bucket}"
    api.wait_active(bpath)
    rows = cli.json("buckets", "list", "--instance-uuid", inst)
    assert bname in {row["name"] for row in rows}
    assert cli.show("buckets", "show", bucket, "--instance-uuid", inst)["name"] == bname
    updated = cli.fields(
        "buckets", "update", bucket, "-i", inst, "--quota-bytes", "2000000"
    )
    assert updated["quota_bytes"] == "2000000"
    days = cli.run(
        "buckets", "update", bucket, "-i", inst,
        "--default-retention-mode", "GOVERNANCE",
        "--default-retention-days", "365000",
        ok=False,
    )  # fmt: skip
    assert "default_retention_days" in days.stderr and "1 to 36500" in days.stderr
    api.wait_active(bpath)

    # -- user ----------------------------------------------------------------
    user = new_uuid()
    added = cli.fields(
        "users", "add", "-u", user, "-p", project, "-i", inst, "-n", "alice"
    )
    assert added["uuid"] == user
    upath = f"{ipath}/users/{user}"
    rows = cli.json("users", "list", "--instance-uuid", inst)
    assert "alice" in {row["name"] for row in rows}
    assert cli.show("users", "show", user, "--instance-uuid", inst)["name"] == "alice"
    updated = cli.fields("users", "update", user, "-i", inst, "--description", "A")
    assert updated["description"] == "A"

    # -- keys: one generated, one with a secret the client chose --------------
    key = new_uuid()
    added = cli.fields(
        "keys", "add", "-u", key, "-p", project, "-i", inst, "--user-uuid", user
    )
    assert added["uuid"] == key and len(added["secret_key"]) == 40
    generated = {"access_key": added["access_key"], "secret_key": added["secret_key"]}
    chosen_secret = "Chosen+Secret/" + secrets.token_hex(12)
    chosen = new_uuid()
    added = cli.fields(
        "keys", "add", "-u", chosen, "-p", project, "-i", inst,
        "--user-uuid", user, "--secret-key", chosen_secret,
    )  # fmt: skip
    assert added["secret_key"] == chosen_secret
    short = cli.run(
        "keys", "add", "-p", project, "-i", inst, "--user-uuid", user,
        "--secret-key", "short", ok=False,
    )  # fmt: skip
    assert "400" in short.stderr and "secret_key" in short.stderr
    rows = cli.json("keys", "list", "--instance-uuid", inst, "--user-uuid", user)
    assert {key, chosen} <= {row["uuid"] for row in rows}
    shown = cli.show("keys", "show", key, "--instance-uuid", inst, "--user-uuid", user)
    assert shown["access_key"] == generated["access_key"]
    # Shown once: never again, neither by show nor by list.
    assert "secret_key" not in shown
    listed = cli.run("keys", "list", "--instance-uuid", inst, "--user-uuid", user)
    assert generated["secret_key"] not in listed.stdout
    assert chosen_secret not in listed.stdout

    # -- policy: add, list, show, update (rename and content) -----------------
    policy = new_uuid()
    added = cli.fields(
        "policies", "add", "-u", policy, "-p", project, "-i", inst, "-n", "ro",
        "--content", json.dumps(READ_WRITE),
    )  # fmt: skip
    assert added["uuid"] == policy
    ppath = f"{ipath}/policies/{policy}"
    rows = cli.json("policies", "list", "--instance-uuid", inst)
    assert "ro" in {row["name"] for row in rows}
    assert cli.show("policies", "show", policy, "--instance-uuid", inst)["name"] == "ro"
    updated = cli.fields(
        "policies", "update", policy, "-i", inst, "--name", "read-write",
        "--content", json.dumps(READ_WRITE), "--description", "all of S3",
    )  # fmt: skip
    assert updated["name"] == "read-write"
    api.wait_active(ppath)

    # -- user-policies -------------------------------------------------------
    attachment = new_uuid()
    added = cli.fields(
        "user-policies", "add", "-u", attachment, "-p", project, "-i", inst,
        "--user-uuid", user, "--policy", "read-write",
    )  # fmt: skip
    assert added["uuid"] == attachment and added["policy"].endswith(policy)
    apath = f"{upath}/policies/{attachment}"
    rows = cli.json(
        "user-policies", "list", "--instance-uuid", inst, "--user-uuid", user
    )
    assert attachment in {row["uuid"] for row in rows}
    shown = cli.show(
        "user-policies", "show", attachment, "--instance-uuid", inst,
        "--user-uuid", user,
    )  # fmt: skip
    assert shown["uuid"] == attachment

    # -- the keys at work, with boto3 on the instance's endpoint ---------------
    api.wait_active(apath)
    api.wait_active(f"{upath}/keys/{key}")
    api.wait_active(f"{upath}/keys/{chosen}")
    api.wait_active(bpath)
    for access_key, secret_key in (
        (generated["access_key"], generated["secret_key"]),
        (
            cli.show(
                "keys", "show", chosen, "--instance-uuid", inst, "--user-uuid", user
            )["access_key"],
            chosen_secret,
        ),
    ):
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )
        body = secrets.token_bytes(64)
        s3.put_object(Bucket=bname, Key=f"by-{access_key}", Body=body)
        got = s3.get_object(Bucket=bname, Key=f"by-{access_key}")["Body"].read()
        assert got == body

    # Empty the (versioned) bucket, so the CLI can delete it further down once
    # the nodes have reported it empty.
    for version in s3.list_object_versions(Bucket=bname).get("Versions", []):
        s3.delete_object(
            Bucket=bname, Key=version["Key"], VersionId=version["VersionId"]
        )

    # -- delete everything, children first ------------------------------------
    parents = ("--instance-uuid", inst, "--user-uuid", user)
    cli.run("user-policies", "delete", attachment, *parents, "-y")
    cli.run("keys", "delete", chosen, *parents, "-y")
    cli.run("keys", "delete", key, *parents, "-y")
    cli.run("policies", "delete", policy, "--instance-uuid", inst, "-y")
    cli.run("users", "delete", user, "--instance-uuid", inst, "-y")
    rows = cli.json("users", "list", "--instance-uuid", inst)
    assert user not in {row["uuid"] for row in rows}
    api.wait(bpath, lambda d: isinstance(d, dict) and d.get("is_empty") is True)
    cli.run("buckets", "delete", bucket, "--instance-uuid", inst, "-y")
    cli.run("buckets", "show", bucket, "--instance-uuid", inst, ok=False)
    cli.run("instances", "delete", inst, "-y")
    assert inst not in {row["uuid"] for row in cli.json("instances", "list")}
    cli.run("instances", "show", inst, ok=False)
