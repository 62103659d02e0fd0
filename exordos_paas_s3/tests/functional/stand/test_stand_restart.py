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
"""Ctrl-C stops everything the stand started; a restart picks up from there."""

from __future__ import annotations

import socket
import urllib.parse

import pytest

from exordos_paas_s3.tests.functional.stand import conftest
from exordos_paas_s3.tests.functional.stand.test_stand_e2e import (
    READ_WRITE,
    eventually,
    s3_client,
)

pytestmark = pytest.mark.functional


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_ctrl_c_stops_everything_and_a_restart_resumes(stand, api):
    version = api.call("POST", "/v1/types/s3/versions/", {"name": "r", "image": "x"})
    inst = (
        "/v1/types/s3/instances/"
        + api.call(
            "POST",
            "/v1/types/s3/instances/",
            {"name": "resume", "version": f"/v1/types/s3/versions/{version['uuid']}"},
        )["uuid"]
    )
    (endpoint,) = api.wait_active(inst)["endpoints"]
    bucket = api.call("POST", f"{inst}/buckets/", {"name": "kept-data"})
    user = api.call("POST", f"{inst}/users/", {"name": "keeper"})
    key = api.call("POST", f"{inst}/users/{user['uuid']}/keys/", {})
    policy = api.call(
        "POST", f"{inst}/policies/", {"name": "rw", "content": READ_WRITE}
    )
    attachment = api.call(
        "POST",
        f"{inst}/users/{user['uuid']}/policies/",
        {"policy": f"{inst}/policies/{policy['uuid']}"},
    )
    api.wait_active(f"{inst}/users/{user['uuid']}/policies/{attachment['uuid']}")
    api.wait_active(f"{inst}/buckets/{bucket['uuid']}")
    s3_client(endpoint, key).put_object(Bucket="kept-data", Key="k", Body=b"v")

    api_port = urllib.parse.urlsplit(stand.api).port
    s3_port = urllib.parse.urlsplit(endpoint).port
    assert stand.stop() == 0, stand.log()
    assert not listening(api_port)
    assert not listening(s3_port)

    stand.start()
    again = conftest.Api(stand.api, stand.token)
    shown = again.wait_active(inst)
    assert shown["endpoints"] == [endpoint]
    eventually(lambda: listening(s3_port))
    body = s3_client(endpoint, key).get_object(Bucket="kept-data", Key="k")["Body"]
    assert body.read() == b"v"
    assert again.call("GET", f"{inst}/buckets/{bucket['uuid']}")["status"] == "ACTIVE"
