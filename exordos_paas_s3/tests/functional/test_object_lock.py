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
"""Object Lock (configuration, retention, legal hold, enforcement) against the
real gateway process, with boto3."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from botocore.exceptions import ClientError

FAR = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)


def _code(exc: ClientError) -> tuple[int, str]:
    meta = exc.response["ResponseMetadata"]
    return meta["HTTPStatusCode"], exc.response["Error"]["Code"]


def _soon(seconds: float) -> datetime.datetime:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (now + datetime.timedelta(seconds=seconds)).replace(microsecond=0)


@pytest.fixture
def lock_bucket(s3):
    name = "lock-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    yield name
    # Best effort: lift holds and bypass GOVERNANCE; COMPLIANCE versions of
    # these tests expire within seconds.
    page = s3.list_object_versions(Bucket=name)
    for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
        try:
            s3.put_object_legal_hold(
                Bucket=name,
                Key=v["Key"],
                VersionId=v["VersionId"],
                LegalHold={"Status": "OFF"},
            )
        except ClientError:
            pass
        for _ in range(40):
            try:
                s3.delete_object(
                    Bucket=name,
                    Key=v["Key"],
                    VersionId=v["VersionId"],
                    BypassGovernanceRetention=True,
                )
                break
            except ClientError:
                time.sleep(0.25)
    s3.delete_bucket(Bucket=name)


def test_lock_configuration_round_trip(s3, lock_bucket):
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)
    assert got["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    conf = {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}},
    }
    s3.put_object_lock_configuration(Bucket=lock_bucket, ObjectLockConfiguration=conf)
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)
    assert got["ObjectLockConfiguration"] == conf
    status = s3.get_bucket_versioning(Bucket=lock_bucket)["Status"]
    assert status == "Enabled"


@pytest.mark.parametrize(
    "rule,code",
    [
        ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
        ({"Mode": "GOVERNANCE", "Days": 0}, "InvalidRetentionPeriod"),
        ({"Mode": "GOVERNANCE", "Years": -1}, "InvalidRetentionPeriod"),
        ({"Mode": "governance", "Days": 1}, "MalformedXML"),
    ],
)
def test_invalid_lock_configuration_is_refused(s3, lock_bucket, rule, code):
    conf = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}}
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(
            Bucket=lock_bucket, ObjectLockConfiguration=conf
        )
    assert _code(exc.value) == (400, code)
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)
    assert "Rule" not in got["ObjectLockConfiguration"]


def test_lock_needs_enabled_versioning(s3, bucket):
    conf = {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
    }
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert _code(exc.value) == (404, "ObjectLockConfigurationNotFoundError")
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=conf)
    assert _code(exc.value) == (409, "InvalidBucketState")
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=conf)
    assert _code(exc.value) == (409, "InvalidBucketState")
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=conf)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
        )
    assert _code(exc.value) == (409, "InvalidBucketState")


def test_retention_and_legal_hold_need_a_lock_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    for call in (
        lambda: s3.get_object_retention(Bucket=bucket, Key="o"),
        lambda: s3.get_object_legal_hold(Bucket=bucket, Key="o"),
        lambda: s3.put_object_retention(
            Bucket=bucket,
            Key="o",
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": FAR},
        ),
        lambda: s3.put_object_legal_hold(
            Bucket=bucket, Key="o", LegalHold={"Status": "ON"}
        ),
        lambda: s3.put_object(
            Bucket=bucket, Key="p", Body=b"x", ObjectLockLegalHoldStatus="ON"
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc.value) == (400, "InvalidRequest")


def test_governance_retention_blocks_delete_until_bypass(s3, lock_bucket):
    v = s3.put_object(Bucket=lock_bucket, Key="o", Body=b"x")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=lock_bucket, Key="o")
    assert _code(exc.value) == (404, "NoSuchObjectLockConfiguration")
    retention = {"Mode": "GOVERNANCE", "RetainUntilDate": FAR}
    s3.put_object_retention(Bucket=lock_bucket, Key="o", Retention=retention)
    assert s3.get_object_retention(Bucket=lock_bucket, Key="o")["Retention"] == (
        retention
    )
    head = s3.head_object(Bucket=lock_bucket, Key="o")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] == FAR
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=lock_bucket, Key="o", VersionId=v)
    assert _code(exc.value) == (403, "AccessDenied")
    # A plain delete only adds a delete marker.
    marker = s3.delete_object(Bucket=lock_bucket, Key="o")
    assert marker["DeleteMarker"] is True
    result = s3.delete_objects(
        Bucket=lock_bucket, Delete={"Objects": [{"Key": "o", "VersionId": v}]}
    )
    assert result["Errors"][0]["Code"] == "AccessDenied"
    # Shortening GOVERNANCE needs the bypass.
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": FAR.replace(year=2098)}
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(
            Bucket=lock_bucket, Key="o", VersionId=v, Retention=shorter
        )
    assert _code(exc.value) == (403, "AccessDenied")
    s3.put_object_retention(
        Bucket=lock_bucket,
        Key="o",
        VersionId=v,
        Retention=shorter,
        BypassGovernanceRetention=True,
    )
    s3.delete_object(
        Bucket=lock_bucket, Key="o", VersionId=v, BypassGovernanceRetention=True
    )
    versions = s3.list_object_versions(Bucket=lock_bucket).get("Versions", [])
    assert versions == []


def test_compliance_cannot_be_shortened_or_bypassed(s3, lock_bucket):
    until = _soon(3)
    v = s3.put_object(
        Bucket=lock_bucket,
        Key="o",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )["VersionId"]
    for retention in (
        {"Mode": "COMPLIANCE", "RetainUntilDate": until - datetime.timedelta(1)},
        {"Mode": "GOVERNANCE", "RetainUntilDate": until},
    ):
        with pytest.raises(ClientError) as exc:
            s3.put_object_retention(
                Bucket=lock_bucket,
                Key="o",
                Retention=retention,
                BypassGovernanceRetention=True,
            )
        assert _code(exc.value)[1] in ("AccessDenied", "InvalidArgument")
    with pytest.raises(ClientError) as exc:
        s3.delete_object(
            Bucket=lock_bucket, Key="o", VersionId=v, BypassGovernanceRetention=True
        )
    assert _code(exc.value) == (403, "AccessDenied")
    got = s3.get_object_retention(Bucket=lock_bucket, Key="o")["Retention"]
    assert got == {"Mode": "COMPLIANCE", "RetainUntilDate": until}
    time.sleep(max(0.0, (until - _soon(0)).total_seconds()) + 1.2)
    s3.delete_object(Bucket=lock_bucket, Key="o", VersionId=v)


def test_legal_hold_blocks_delete(s3, lock_bucket):
    v = s3.put_object(
        Bucket=lock_bucket, Key="o", Body=b"x", ObjectLockLegalHoldStatus="ON"
    )["VersionId"]
    assert s3.get_object_legal_hold(Bucket=lock_bucket, Key="o")["LegalHold"] == {
        "Status": "ON"
    }
    assert s3.head_object(Bucket=lock_bucket, Key="o")["ObjectLockLegalHoldStatus"] == (
        "ON"
    )
    with pytest.raises(ClientError) as exc:
        s3.delete_object(
            Bucket=lock_bucket, Key="o", VersionId=v, BypassGovernanceRetention=True
        )
    assert _code(exc.value) == (403, "AccessDenied")
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(
            Bucket=lock_bucket, Key="o", LegalHold={"Status": "MAYBE"}
        )
    assert _code(exc.value) == (400, "MalformedXML")
    s3.put_object_legal_hold(Bucket=lock_bucket, Key="o", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=lock_bucket, Key="o", VersionId=v)


def test_default_retention_applies_to_new_versions(s3, lock_bucket):
    s3.put_object_lock_configuration(
        Bucket=lock_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}},
        },
    )
    before = datetime.datetime.now(datetime.timezone.utc)
    v = s3.put_object(Bucket=lock_bucket, Key="o", Body=b"x")["VersionId"]
    got = s3.get_object_retention(Bucket=lock_bucket, Key="o", VersionId=v)
    until = got["Retention"]["RetainUntilDate"]
    assert got["Retention"]["Mode"] == "GOVERNANCE"
    assert abs((until - before).total_seconds() - 2 * 86400) < 60
    up = s3.create_multipart_upload(Bucket=lock_bucket, Key="mp")
    part = s3.upload_part(
        Bucket=lock_bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"a"
    )
    done = s3.complete_multipart_upload(
        Bucket=lock_bucket,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=lock_bucket, Key="mp", VersionId=done["VersionId"])
    assert _code(exc.value) == (403, "AccessDenied")


def test_bad_lock_headers_store_nothing(s3, lock_bucket):
    cases = [
        {"ObjectLockMode": "GOVERNANCE"},
        {"ObjectLockMode": "FOREVER", "ObjectLockRetainUntilDate": FAR},
        {
            "ObjectLockMode": "GOVERNANCE",
            "ObjectLockRetainUntilDate": datetime.datetime(
                2001, 1, 1, tzinfo=datetime.timezone.utc
            ),
        },
    ]
    for extra in cases:
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=lock_bucket, Key="o", Body=b"x", **extra)
        assert _code(exc.value)[0] == 400
    assert s3.list_object_versions(Bucket=lock_bucket).get("Versions", []) == []


def test_lock_put_needs_a_digest(s3, lock_bucket, gateway):
    import requests
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{gateway.endpoint}/{lock_bucket}/o"
    headers = {
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z",
    }
    request = AWSRequest(method="PUT", url=url, data=b"x", headers=headers)
    S3SigV4Auth(
        Credentials(gateway.access_key, gateway.secret_key), "s3", gateway.region
    ).add_auth(request)
    response = requests.put(url, data=b"x", headers=dict(request.headers), timeout=10)
    assert response.status_code == 400
    assert b"<Code>InvalidRequest</Code>" in response.content
    assert s3.list_object_versions(Bucket=lock_bucket).get("Versions", []) == []
