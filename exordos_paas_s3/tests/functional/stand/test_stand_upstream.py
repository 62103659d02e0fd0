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
"""An instance of the stand told to keep its bytes in a real Ceph RGW
(issue 11, item 8): the API call, the builders (gateway.conf with the
upstream's secret sealed to the node), the node's gateway opening it, and
boto3 at the end of the line, the bytes landing in the RGW bucket."""

from __future__ import annotations

import os

import pytest

from exordos_paas_s3.tests import rgw
from exordos_paas_s3.tests.functional.stand.test_stand_e2e import (
    READ_WRITE,
    s3_client,
)

pytestmark = pytest.mark.functional


def test_an_instance_over_rgw_serves_from_it(stand, api):
    upstream = rgw.new_bucket("stand")
    version = api.call("POST", "/v1/types/s3/versions/", {"name": "up", "image": "x"})
    instance = api.call(
        "POST",
        "/v1/types/s3/instances/",
        {
            "name": "over-rgw",
            "version": f"/v1/types/s3/versions/{version['uuid']}",
            "blob_store": "s3",
            "upstream_endpoint": upstream.endpoint,
            "upstream_bucket": upstream.bucket,
            "upstream_region": upstream.region,
            "upstream_access_key": upstream.access_key,
            "upstream_secret_key": upstream.secret_key,
        },
    )
    assert "upstream_secret_key" not in {
        k for k, v in instance.items() if v is not None
    }
    inst = f"/v1/types/s3/instances/{instance['uuid']}"
    (endpoint,) = api.wait_active(inst)["endpoints"]
    bucket = api.call("POST", f"{inst}/buckets/", {"name": "on-rgw"})
    user = api.call("POST", f"{inst}/users/", {"name": "writer"})
    key = api.call("POST", f"{inst}/users/{user['uuid']}/keys/", {})
    policy = api.call(
        "POST", f"{inst}/policies/", {"name": "rw", "content": READ_WRITE}
    )
    att = api.call(
        "POST",
        f"{inst}/users/{user['uuid']}/policies/",
        {"policy": f"{inst}/policies/{policy['uuid']}"},
    )
    for path in (
        f"{inst}/buckets/{bucket['uuid']}",
        f"{inst}/users/{user['uuid']}/keys/{key['uuid']}",
        f"{inst}/users/{user['uuid']}/policies/{att['uuid']}",
    ):
        api.wait_active(path)
    s3 = s3_client(endpoint, key)
    data = os.urandom(100_000)
    s3.put_object(Bucket="on-rgw", Key="photo.jpg", Body=data)
    assert s3.get_object(Bucket="on-rgw", Key="photo.jpg")["Body"].read() == data
    (blob,) = rgw.keys(rgw.client(), upstream.bucket)
    assert rgw.client().get_object(Bucket=upstream.bucket, Key=blob)["Body"].read() == (
        data
    )
    assert upstream.secret_key not in stand.log()
    api.call("DELETE", f"{inst}/buckets/{bucket['uuid']}", status=None)
