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
"""The lifecycle executor against a real gateway process on a short day.

The gateway runs with ``--lifecycle-day-seconds 2 --lifecycle-interval 0.3``:
a rule's day lasts two seconds, so every rule kind runs against real time in
a few seconds. Clients are boto3 and plain HTTP to the admin API.
"""

from __future__ import annotations

import datetime
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from exordos_paas_s3.tests.functional.conftest import empty_and_delete, new_gateway

DAY = 2  # seconds, --lifecycle-day-seconds
ARGS = ("--lifecycle-interval", "0.3", "--lifecycle-day-seconds", str(DAY))


def _client(gw):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def lc_gateway(tmp_path_factory):
    gw = new_gateway(str(tmp_path_factory.mktemp("lifecycle")), *ARGS)
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


@pytest.fixture
def s3(lc_gateway):
    return _client(lc_gateway)


@pytest.fixture
def bucket(s3):
    name = "lc-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete(s3, name)


def _versioned(s3, bucket):
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )


def _lifecycle(s3, bucket, *rules):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)}
    )


def _keys(s3, bucket):
    return sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    )


def _versions(s3, bucket):
    page = s3.list_object_versions(Bucket=bucket)
    return (
        [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])],
        [(m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers", [])],
    )


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_expiration_days_removes_matching_objects_only(s3, bucket):
    for key in ("old/a", "old/b", "keep/a"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "old",
            "Filter": {"Prefix": "old/"},
            "Status": "Enabled",
            "Expiration": {"Days": 1},
        },
        {
            "ID": "off",
            "Filter": {"Prefix": "keep/"},
            "Status": "Disabled",
            "Expiration": {"Days": 1},
        },
    )
    assert _wait(lambda: _keys(s3, bucket) == ["keep/a"])
    # A disabled rule never runs: keep/a outlives several days.
    time.sleep(3 * DAY)
    assert _keys(s3, bucket) == ["keep/a"]


def test_expiration_date_in_the_past(s3, bucket):
    s3.put_object(Bucket=bucket, Key="past/a", Body=b"x")
    s3.put_object(Bucket=bucket, Key="future/a", Body=b"x")
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "past",
            "Filter": {"Prefix": "past/"},
            "Status": "Enabled",
            "Expiration": {"Date": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)},
        },
        {
            "ID": "future",
            "Filter": {"Prefix": "future/"},
            "Status": "Enabled",
            "Expiration": {"Date": datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)},
        },
    )
    assert _wait(lambda: _keys(s3, bucket) == ["future/a"])


def test_versioned_expiration_writes_a_delete_marker(s3, bucket):
    _versioned(s3, bucket)
    vid = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["VersionId"]
    _lifecycle(
        s3,
        bucket,
        {"ID": "r", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}},
    )
    assert _wait(lambda: _versions(s3, bucket)[1])
    versions, markers = _versions(s3, bucket)
    assert versions == [("k", vid)] and len(markers) == 1
    # The data is still there under its version; only one marker is added.
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=vid)["Body"].read() == b"v1"
    time.sleep(3 * DAY)
    assert len(_versions(s3, bucket)[1]) == 1


def test_noncurrent_expiration_keeps_newer_noncurrent(s3, bucket):
    _versioned(s3, bucket)
    ids = [
        s3.put_object(Bucket=bucket, Key="k", Body=b"%d" % i)["VersionId"]
        for i in range(6)
    ]
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "nc",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {
                "NoncurrentDays": 1,
                "NewerNoncurrentVersions": 2,
            },
        },
    )
    # Current + the 2 newest noncurrent ones stay.
    want = sorted(ids[-3:])
    assert _wait(lambda: sorted(v for _, v in _versions(s3, bucket)[0]) == want)
    time.sleep(2 * DAY)
    assert sorted(v for _, v in _versions(s3, bucket)[0]) == want


def test_expired_object_delete_marker_goes_after_its_versions(s3, bucket):
    _versioned(s3, bucket)
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="gone")
    s3.put_object(Bucket=bucket, Key="live", Body=b"x")
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "dm",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "Expiration": {"ExpiredObjectDeleteMarker": True},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    )

    def state():
        versions, markers = _versions(s3, bucket)
        return [k for k, _ in versions], markers

    assert _wait(lambda: state() == (["live"], []))
    assert _keys(s3, bucket) == ["live"]


def test_size_and_tag_filters(s3, bucket):
    s3.put_object(Bucket=bucket, Key="small", Body=b"x" * 10)
    s3.put_object(Bucket=bucket, Key="big", Body=b"x" * 5000)
    s3.put_object(Bucket=bucket, Key="t/tagged", Body=b"x", Tagging="team=a&tmp=1")
    s3.put_object(Bucket=bucket, Key="t/half", Body=b"x", Tagging="team=a")
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "big",
            "Filter": {"ObjectSizeGreaterThan": 1000},
            "Status": "Enabled",
            "Expiration": {"Days": 1},
        },
        {
            "ID": "tags",
            "Filter": {
                "And": {
                    "Prefix": "t/",
                    "Tags": [
                        {"Key": "team", "Value": "a"},
                        {"Key": "tmp", "Value": "1"},
                    ],
                }
            },
            "Status": "Enabled",
            "Expiration": {"Days": 1},
        },
    )
    assert _wait(lambda: _keys(s3, bucket) == ["small", "t/half"])


def test_abort_incomplete_multipart_upload(s3, bucket):
    old = s3.create_multipart_upload(Bucket=bucket, Key="up/a")["UploadId"]
    other = s3.create_multipart_upload(Bucket=bucket, Key="other/a")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="up/a", UploadId=old, PartNumber=1, Body=b"p")
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "mpu",
            "Filter": {"Prefix": "up/"},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    )

    def uploads():
        return [
            u["UploadId"]
            for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        ]

    assert _wait(lambda: uploads() == [other])


def test_object_lock_wins(s3):
    name = "lc-lock-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    held = s3.put_object(Bucket=name, Key="held", Body=b"h")["VersionId"]
    s3.put_object_legal_hold(
        Bucket=name, Key="held", VersionId=held, LegalHold={"Status": "ON"}
    )
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
    kept = s3.put_object(
        Bucket=name,
        Key="kept",
        Body=b"k",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )["VersionId"]
    free = s3.put_object(Bucket=name, Key="free", Body=b"f")["VersionId"]
    # Make all three noncurrent; a rule then expires noncurrent versions.
    for key in ("held", "kept", "free"):
        s3.put_object(Bucket=name, Key=key, Body=b"new")
    _lifecycle(
        s3,
        name,
        {
            "ID": "nc",
            "Filter": {},
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    )
    assert _wait(lambda: free not in {v for _, v in _versions(s3, name)[0]})
    time.sleep(2 * DAY)
    left = {v for _, v in _versions(s3, name)[0]}
    assert held in left and kept in left
    s3.put_object_legal_hold(
        Bucket=name, Key="held", VersionId=held, LegalHold={"Status": "OFF"}
    )
    assert _wait(lambda: held not in {v for _, v in _versions(s3, name)[0]})
    assert kept in {v for _, v in _versions(s3, name)[0]}


def _expiration(headers):
    return headers["ResponseMetadata"]["HTTPHeaders"].get("x-amz-expiration")


def test_expiration_header_on_put_head_get(s3, bucket):
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "tmp-rule",
            "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "k", "Value": "v"}]}},
            "Status": "Enabled",
            "Expiration": {"Days": 3},
        },
        {
            "ID": "never",
            "Filter": {"Prefix": "no/"},
            "Status": "Disabled",
            "Expiration": {"Days": 1},
        },
    )
    put = s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"x", Tagging="k=v")
    value = _expiration(put)
    assert value is not None and 'rule-id="tmp-rule"' in value
    # AWS arithmetic: the midnight UTC after creation + 3 days.
    expiry = datetime.datetime.strptime(
        value.split('"')[1], "%a, %d %b %Y %H:%M:%S GMT"
    ).replace(tzinfo=datetime.UTC)
    today = datetime.datetime.now(datetime.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    assert expiry == today + datetime.timedelta(days=4)
    assert _expiration(s3.head_object(Bucket=bucket, Key="tmp/a")) == value
    assert _expiration(s3.get_object(Bucket=bucket, Key="tmp/a")) == value
    assert (
        _expiration(s3.get_object(Bucket=bucket, Key="tmp/a", Range="bytes=0-0"))
        == value
    )
    # CopyObject (with the tags of the source) and CompleteMultipartUpload too.
    copied = s3.copy_object(
        Bucket=bucket, Key="tmp/copy", CopySource={"Bucket": bucket, "Key": "tmp/a"}
    )
    assert _expiration(copied) == value
    up = s3.create_multipart_upload(Bucket=bucket, Key="tmp/mp", Tagging="k=v")
    part = s3.upload_part(
        Bucket=bucket, Key="tmp/mp", UploadId=up["UploadId"], PartNumber=1, Body=b"x"
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="tmp/mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert _expiration(done) == value
    # No header: tag missing, or only a disabled rule matches.
    assert _expiration(s3.put_object(Bucket=bucket, Key="tmp/b", Body=b"x")) is None
    assert _expiration(s3.head_object(Bucket=bucket, Key="tmp/b")) is None
    assert _expiration(s3.put_object(Bucket=bucket, Key="no/a", Body=b"x")) is None


def test_admin_reports_progress(s3, bucket, lc_gateway):
    s3.put_object(Bucket=bucket, Key="x/a", Body=b"x")
    _lifecycle(
        s3,
        bucket,
        {
            "ID": "x",
            "Filter": {"Prefix": "x/"},
            "Status": "Enabled",
            "Expiration": {"Days": 1},
        },
    )
    assert _wait(lambda: _keys(s3, bucket) == [])
    r = requests.get(
        lc_gateway.admin_endpoint + "/v1/lifecycle",
        auth=(lc_gateway.access_key, lc_gateway.secret_key),
        timeout=5,
    )
    assert r.status_code == 200
    doc = r.json()
    assert doc["enabled"] is True and doc["day_seconds"] == DAY
    assert doc["passes"] >= 1 and doc["lease_held"] is True
    assert doc["totals"]["expired"] >= 1
    scraped = requests.get(lc_gateway.admin_endpoint + "/metrics", timeout=5).text
    line = next(
        x
        for x in scraped.splitlines()
        if x.startswith('exordos_s3_lifecycle_actions_total{action="expired"}')
    )
    assert float(line.split()[-1]) >= 1
    assert "exordos_s3_lifecycle_passes_total" in scraped


def _count(s3, bucket, prefix):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sum(page.get("KeyCount", 0) for page in pages)


def test_kill_mid_pass_loses_nothing_and_resumes(tmp_path):
    old = 800
    gw = new_gateway(str(tmp_path), "--lifecycle-interval", "0")
    gw.start()
    try:
        s3 = _client(gw)
        s3.create_bucket(Bucket="crash")
        for i in range(40):
            s3.put_object(Bucket="crash", Key=f"keep/{i:03d}", Body=b"keep %d" % i)
        for i in range(old):
            s3.put_object(Bucket="crash", Key=f"old/{i:04d}", Body=b"x")
        _lifecycle(
            s3,
            "crash",
            {
                "ID": "old",
                "Filter": {"Prefix": "old/"},
                "Status": "Enabled",
                "Expiration": {
                    "Date": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
                },
            },
        )
    finally:
        gw.stop()
    # Small batches: the position is saved every 5 versions.
    gw.extra_args = ("--lifecycle-interval", "0.1", "--lifecycle-batch", "5")
    gw.start()
    s3 = _client(gw)
    deadline = time.monotonic() + 60
    left = old
    while left == old and time.monotonic() < deadline:
        left = _count(s3, "crash", "old/")
    gw.kill()
    assert 0 < left < old, f"not killed mid-pass ({left} of {old} left)"
    gw.extra_args = ("--lifecycle-interval", "0.2")
    gw.start()
    try:
        s3 = _client(gw)
        assert _wait(lambda: _count(s3, "crash", "old/") == 0, 60)
        assert _keys(s3, "crash") == [f"keep/{i:03d}" for i in range(40)]
        for i in range(40):
            body = s3.get_object(Bucket="crash", Key=f"keep/{i:03d}")["Body"].read()
            assert body == b"keep %d" % i
        status = requests.get(
            gw.admin_endpoint + "/v1/lifecycle",
            auth=(gw.access_key, gw.secret_key),
            timeout=5,
        ).json()
        # The first pass after the restart continued at the saved cursor.
        assert status["totals"]["resumed"] >= 1
    finally:
        gw.stop()


def test_transitions_are_refused(s3, bucket):
    with pytest.raises(ClientError) as exc:
        _lifecycle(
            s3,
            bucket,
            {
                "ID": "t",
                "Filter": {},
                "Status": "Enabled",
                "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
            },
        )
    assert exc.value.response["Error"]["Code"] == "NotImplemented"
