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
"""The access log, /metrics and readiness of a real gateway process, driven
by boto3 (issue 13: "Metrics", "Access log", "Health and readiness")."""

import json
import os
import signal
import time
import uuid

import boto3
import pytest
import requests
from botocore import exceptions as boto_exc
from botocore.config import Config
from prometheus_client.parser import text_string_to_metric_families

from exordos_paas_s3.tests.functional.conftest import (
    empty_and_delete,
    free_port,
    new_gateway,
)

pytestmark = pytest.mark.functional

LOG_FLUSH = 1.5  # the access log flushes within a second


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("observe"))
    log = os.path.join(tmp, "access.log")
    metrics_port = free_port()
    gateway = new_gateway(
        tmp,
        "--access-log",
        log,
        "--metrics-listen",
        f"127.0.0.1:{metrics_port}",
    )
    gateway.start()
    gateway.access_log = log  # type: ignore[attr-defined]
    gateway.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"  # type: ignore[attr-defined]
    yield gateway
    assert gateway.stop() == 0, gateway.log()


@pytest.fixture(scope="module")
def client(gw):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            user_agent_extra="observe-test",
        ),
    )


@pytest.fixture
def bkt(client):
    name = "obs-" + uuid.uuid4().hex[:16]
    client.create_bucket(Bucket=name)
    yield name
    empty_and_delete(client, name)


def _lines(path: str) -> list[dict]:
    time.sleep(LOG_FLUSH)
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _by_id(path: str) -> dict[str, dict]:
    return {line["request_id"]: line for line in _lines(path)}


def test_access_log_lines_match_requests(gw, client, bkt):
    put = client.put_object(Bucket=bkt, Key="dir/a.txt", Body=b"x" * 1000)
    got = client.get_object(Bucket=bkt, Key="dir/a.txt")
    assert got["Body"].read() == b"x" * 1000
    with pytest.raises(boto_exc.ClientError) as err:
        client.get_object(Bucket=bkt, Key="missing")
    ids = {
        "put": put["ResponseMetadata"]["RequestId"],
        "get": got["ResponseMetadata"]["RequestId"],
        "404": err.value.response["ResponseMetadata"]["RequestId"],
    }
    # x-amz-request-id is the line's request id.
    assert ids["put"] == put["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    lines = _by_id(gw.access_log)
    line = lines[ids["put"]]
    assert line["operation"] == "PutObject"
    assert (line["bucket"], line["key"]) == (bkt, "dir/a.txt")
    assert line["status"] == 200 and line["error"] is None
    assert line["bytes_in"] == 1000 and line["bytes_out"] == 0
    assert line["access_key"] == gw.access_key and line["user"] == "root"
    assert line["client"] == "127.0.0.1"
    assert "observe-test" in line["user_agent"]
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("Z") and line["time"][:2] == "20"
    line = lines[ids["get"]]
    assert line["operation"] == "GetObject" and line["status"] == 200
    assert line["bytes_out"] == 1000 and line["bytes_in"] == 0
    line = lines[ids["404"]]
    assert line["operation"] == "GetObject"
    assert (line["status"], line["error"]) == (404, "NoSuchKey")


def test_access_log_holds_no_secret_and_is_private(gw, client, bkt):
    client.put_object(Bucket=bkt, Key="k", Body=b"v")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bkt, "Key": "k"}, ExpiresIn=60
    )
    assert requests.get(url, timeout=10).status_code == 200
    time.sleep(LOG_FLUSH)
    with open(gw.access_log, encoding="utf-8") as f:
        text = f.read()
    assert text
    assert gw.secret_key not in text
    for marker in (
        "AWS4-HMAC-SHA256",
        "Signature=",
        "X-Amz-Signature",
        "authorization",
    ):
        assert marker.lower() not in text.lower()
    assert os.stat(gw.access_log).st_mode & 0o777 == 0o600


def test_access_log_reopens_on_sighup(gw, client, bkt):
    rotated = gw.access_log + ".1"
    os.rename(gw.access_log, rotated)
    gw.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not os.path.exists(gw.access_log) and time.monotonic() < deadline:
        time.sleep(0.05)
    rid = client.head_bucket(Bucket=bkt)["ResponseMetadata"]["RequestId"]
    assert rid in _by_id(gw.access_log)
    assert gw.proc.poll() is None


def _scrape(url: str) -> dict[str, list]:
    got = requests.get(url, timeout=10)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/plain")
    return {
        family.name: family.samples
        for family in text_string_to_metric_families(got.text)
    }


def _value(families, name, **labels) -> float:
    for family in families.values():
        for sample in family:
            if sample.name == name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return 0.0


@pytest.mark.parametrize("where", ["admin", "metrics-listen"])
def test_metrics_move_with_traffic(gw, client, bkt, where):
    url = (
        gw.metrics_url if where == "metrics-listen" else gw.admin_endpoint + "/metrics"
    )
    before = _scrape(url)
    for i in range(3):
        client.put_object(Bucket=bkt, Key=f"k{i}", Body=b"y" * 100)
    for i in range(3):
        client.get_object(Bucket=bkt, Key=f"k{i}")["Body"].read()
    for _ in range(2):
        with pytest.raises(boto_exc.ClientError):
            client.get_object(Bucket=bkt, Key="nope")
    after = _scrape(url)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("exordos_s3_requests_total", operation="PutObject") == 3
    assert delta("exordos_s3_requests_total", operation="GetObject") == 5
    assert (
        delta("exordos_s3_errors_total", operation="GetObject", code="NoSuchKey") == 2
    )
    assert delta("exordos_s3_request_bytes_total", operation="PutObject") == 300
    assert delta("exordos_s3_response_bytes_total", operation="GetObject") >= 300
    assert (
        delta(
            "exordos_s3_request_duration_seconds_bucket",
            operation="GetObject",
            le="+Inf",
        )
        == 5
    )
    assert (
        delta("exordos_s3_request_duration_seconds_count", operation="PutObject") == 3
    )
    assert _value(after, "exordos_s3_bucket_objects", bucket=bkt) == 3
    assert _value(after, "exordos_s3_bucket_bytes", bucket=bkt) == 300
    assert _value(after, "exordos_s3_disk_free_bytes") > 0
    assert delta("exordos_s3_index_commit_duration_seconds_count") >= 1
    assert delta("exordos_s3_index_commit_batch_size_sum") >= 3
    # The scrape itself is no S3 request; boto3's pool holds a connection.
    assert _value(after, "exordos_s3_open_connections") >= 1
    assert _value(after, "exordos_s3_in_flight_requests") == 0


def test_metrics_listener_serves_only_metrics(gw):
    other = requests.get(gw.metrics_url.replace("/metrics", "/v1/state"), timeout=10)
    assert other.status_code == 404


def test_readiness_on_both_listeners(gw):
    got = requests.get(f"{gw.endpoint}/health?ready", timeout=10)
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["ready"] is True and doc["status"] == "ready"
    assert doc["checks"] == {"disk": "ok", "index_read": "ok", "index_write": "ok"}
    admin = requests.get(f"{gw.admin_endpoint}/v1/ready", timeout=10)
    assert admin.status_code == 200 and admin.json()["ready"] is True
    # Liveness is unchanged.
    assert requests.get(f"{gw.endpoint}/health", timeout=10).json()["status"] == "ok"


def test_readiness_fails_when_the_disk_cannot_be_written(gw):
    # A directory where the probe writes its file: the write fails as a
    # read-only or broken disk would (root ignores mode bits).
    probe = os.path.join(gw.data_dir, ".ready-probe")
    time.sleep(2.1)  # past the cached result
    os.mkdir(probe)
    try:
        got = requests.get(f"{gw.endpoint}/health?ready", timeout=10)
        assert got.status_code == 503, got.text
        doc = got.json()
        assert doc["ready"] is False and "ready-probe" in doc["reason"]
        # Liveness stays up: the process answers.
        assert requests.get(f"{gw.endpoint}/health", timeout=10).status_code == 200
    finally:
        os.rmdir(probe)
    time.sleep(2.1)
    assert requests.get(f"{gw.endpoint}/health?ready", timeout=10).status_code == 200
