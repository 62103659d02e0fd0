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
"""A node's gateway dies or hangs on the stand: the stand restarts a dead one
(as systemd does on a VM) and says so; while one does not answer, the
instance is ERROR naming the node and a new bucket says what it waits for;
then everything is ACTIVE again."""

from __future__ import annotations

import json
import os
import signal
import urllib.parse
import urllib.request

import pytest

from exordos_paas_s3.tests.functional.stand.test_stand_e2e import (
    READ_WRITE,
    eventually,
    s3_client,
)

pytestmark = pytest.mark.functional


class Deployed:
    """One instance with a bucket holding an object, a user and a key."""

    def __init__(self, stand, api) -> None:
        version = api.call(
            "POST", "/v1/types/s3/versions/", {"name": "h", "image": "x"}
        )
        self.path = (
            "/v1/types/s3/instances/"
            + api.call(
                "POST",
                "/v1/types/s3/instances/",
                {
                    "name": "health",
                    "version": f"/v1/types/s3/versions/{version['uuid']}",
                },
            )["uuid"]
        )
        (self.endpoint,) = api.wait_active(self.path)["endpoints"]
        self.bucket = api.call("POST", f"{self.path}/buckets/", {"name": "kept"})
        user = api.call("POST", f"{self.path}/users/", {"name": "keeper"})
        self.key = api.call("POST", f"{self.path}/users/{user['uuid']}/keys/", {})
        policy = api.call(
            "POST", f"{self.path}/policies/", {"name": "rw", "content": READ_WRITE}
        )
        attachment = api.call(
            "POST",
            f"{self.path}/users/{user['uuid']}/policies/",
            {"policy": f"{self.path}/policies/{policy['uuid']}"},
        )
        api.wait_active(
            f"{self.path}/users/{user['uuid']}/policies/{attachment['uuid']}"
        )
        api.wait_active(f"{self.path}/buckets/{self.bucket['uuid']}")
        self.s3().put_object(Bucket="kept", Key="k", Body=b"still here")
        self.node_dir = self._node_dir(stand.state_dir)
        self.node = os.path.basename(self.node_dir)

    def s3(self):
        return s3_client(self.endpoint, self.key)

    def _node_dir(self, state_dir: str) -> str:
        port = urllib.parse.urlsplit(self.endpoint).port
        root = os.path.join(state_dir, "nodes")
        for name in os.listdir(root):
            with open(os.path.join(root, name, "ports.json"), encoding="utf-8") as f:
                if json.load(f)["s3"] == port:
                    return os.path.join(root, name)
        raise AssertionError(f"no node serves {self.endpoint}")

    def pid(self) -> int:
        with open(os.path.join(self.node_dir, "gateway.pid"), encoding="utf-8") as f:
            return int(f.read())


@pytest.fixture(scope="module")
def deployed(stand, api):
    return Deployed(stand, api)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_health_answers_on_the_node_s3_port(deployed):
    # curl http://<ip>:9000/health, as the seed's troubleshooting says.
    with urllib.request.urlopen(f"{deployed.endpoint}/health", timeout=10) as got:
        assert got.status == 200
        assert json.loads(got.read())["status"] == "ok"  # and the disk state


def test_killed_gateway_is_restarted_and_logged_and_keeps_its_data(
    stand, api, deployed
):
    pid = deployed.pid()
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: deployed.pid() != pid and alive(deployed.pid()))
    restarted = f"node {deployed.node}: gateway restarted (pid {deployed.pid()}"
    eventually(lambda: restarted in stand.log())
    killed = f"node {deployed.node}: gateway (pid {pid}) was killed by SIGKILL"
    assert killed in stand.log()
    body = deployed.s3().get_object(Bucket="kept", Key="k")["Body"].read()
    assert body == b"still here"
    # It may have been seen down for a moment (ERROR, honestly): not for long.
    api.wait(
        deployed.path,
        lambda d: isinstance(d, dict) and d.get("status") == "ACTIVE",
        timeout=30,
    )


def test_hung_gateway_takes_the_instance_out_of_active_until_it_answers(api, deployed):
    pid = deployed.pid()
    kept = f"{deployed.path}/buckets/{deployed.bucket['uuid']}"
    os.kill(pid, signal.SIGSTOP)  # alive to the supervisor, silent to clients
    try:
        shown = api.wait(
            deployed.path,
            lambda d: isinstance(d, dict) and d.get("status") == "ERROR",
        )
        assert shown["reason"].startswith(
            f"node {deployed.node} (127.0.0.1): gateway not answering since "
        ), shown["reason"]
        new = api.call("POST", f"{deployed.path}/buckets/", {"name": "later"})
        new_path = f"{deployed.path}/buckets/{new['uuid']}"
        waiting = api.wait(
            new_path,
            lambda d: isinstance(d, dict) and bool(d.get("reason")),
        )
        assert waiting["status"] == "IN_PROGRESS"
        assert waiting["reason"].startswith(
            f"waiting for node {deployed.node} (127.0.0.1): gateway not answering"
        ), waiting["reason"]
        # What the node applied before stays as it was.
        assert api.call("GET", kept)["status"] == "ACTIVE"
    finally:
        os.kill(pid, signal.SIGCONT)
    # ERROR until the next report says it answers again: wait it out.
    back = api.wait(
        deployed.path,
        lambda d: isinstance(d, dict) and d.get("status") == "ACTIVE",
    )
    assert back["reason"] == ""
    done = api.wait_active(new_path)
    assert done["reason"] == ""
    assert deployed.pid() == pid  # hung, not dead: nothing was restarted
    deployed.s3().put_object(Bucket="later", Key="k", Body=b"v")
