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
"""Object and bucket tagging against the real gateway process, with boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _code(exc: ClientError) -> tuple[int, str]:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"][
        "Code"
    ]


def _tagset(n: int) -> list[dict[str, str]]:
    return [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(n)]


def test_object_tagging_round_trip_and_count_header(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"] == []
    tags = [{"Key": "b", "Value": ""}, {"Key": "a", "Value": "ünï cødé"}]
    s3.put_object_tagging(Bucket=bucket, Key="o", Tagging={"TagSet": tags})
    got = s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"]
    assert got == sorted(tags, key=lambda t: t["Key"])
    head = s3.head_object(Bucket=bucket, Key="o")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    get = s3.get_object(Bucket=bucket, Key="o")
    assert get["TagCount"] == 2
    s3.delete_object_tagging(Bucket=bucket, Key="o")
    assert s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"] == []
    head = s3.head_object(Bucket=bucket, Key="o")
    assert "x-amz-tagging-count" not in head["ResponseMetadata"]["HTTPHeaders"]


def test_put_object_with_tagging_header(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", Tagging="foo=bar&empty&sp=a%20b")
    got = s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"]
    assert got == [
        {"Key": "empty", "Value": ""},
        {"Key": "foo", "Value": "bar"},
        {"Key": "sp", "Value": "a b"},
    ]


@pytest.mark.parametrize(
    "tagset",
    [
        _tagset(11),
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": "aws:reserved", "Value": "v"}],
        [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}],
        [{"Key": "bad<>chars", "Value": "v"}],
    ],
    ids=["too-many", "long-key", "long-value", "aws-prefix", "dup", "chars"],
)
def test_invalid_object_tags_are_refused_and_change_nothing(s3, bucket, tagset):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", Tagging="keep=me")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="o", Tagging={"TagSet": tagset})
    assert _code(exc.value) == (400, "InvalidTag")
    got = s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"]
    assert got == [{"Key": "keep", "Value": "me"}]


def test_limits_are_inclusive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    tags = [{"Key": f"{i}" + "k" * 127, "Value": "v" * 256} for i in range(10)]
    s3.put_object_tagging(Bucket=bucket, Key="o", Tagging={"TagSet": tags})
    assert len(s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"]) == 10


def test_invalid_tagging_header_stores_no_object(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="o", Body=b"x", Tagging="aws:x=1")
    assert _code(exc.value) == (400, "InvalidTag")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="o")
    assert _code(exc.value)[0] == 404


def test_malformed_tagging_document(s3, bucket, gateway):
    import requests
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    body = b"<Tagging><Tag><Key>a</Key><Value>b</Value></Tag></Tagging>"
    url = f"{gateway.endpoint}/{bucket}/o?tagging"
    request = AWSRequest(method="PUT", url=url, data=body)
    S3SigV4Auth(
        Credentials(gateway.access_key, gateway.secret_key), "s3", gateway.region
    ).add_auth(request)
    response = requests.put(url, data=body, headers=dict(request.headers), timeout=10)
    assert response.status_code == 400
    assert b"<Code>MalformedXML</Code>" in response.content


def test_tags_are_per_version(s3, bucket):
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    v1 = s3.put_object(Bucket=bucket, Key="o", Body=b"1", Tagging="v=1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="o", Body=b"2")["VersionId"]
    assert s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"] == []
    got = s3.get_object_tagging(Bucket=bucket, Key="o", VersionId=v1)
    assert got["TagSet"] == [{"Key": "v", "Value": "1"}]
    assert got["VersionId"] == v1
    s3.put_object_tagging(
        Bucket=bucket,
        Key="o",
        VersionId=v2,
        Tagging={"TagSet": [{"Key": "v", "Value": "2"}]},
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="o", VersionId=v1)["TagSet"] == [
        {"Key": "v", "Value": "1"}
    ]
    s3.delete_object_tagging(Bucket=bucket, Key="o", VersionId=v1)
    assert s3.get_object_tagging(Bucket=bucket, Key="o", VersionId=v1)["TagSet"] == []
    assert s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"] == [
        {"Key": "v", "Value": "2"}
    ]


def test_tagging_of_missing_object(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key="nope")
    assert _code(exc.value) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="nope", Tagging={"TagSet": _tagset(1)})
    assert _code(exc.value) == (404, "NoSuchKey")


def test_copy_object_tagging_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="a=1")
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=f"{bucket}/src")
    assert s3.get_object_tagging(Bucket=bucket, Key="copied")["TagSet"] == [
        {"Key": "a", "Value": "1"}
    ]
    s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource=f"{bucket}/src",
        TaggingDirective="REPLACE",
        Tagging="b=2",
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="replaced")["TagSet"] == [
        {"Key": "b", "Value": "2"}
    ]
    head = s3.head_object(Bucket=bucket, Key="replaced")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "1"
    s3.copy_object(
        Bucket=bucket,
        Key="untagged",
        CopySource=f"{bucket}/src",
        TaggingDirective="REPLACE",
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="untagged")["TagSet"] == []
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket,
            Key="bad",
            CopySource=f"{bucket}/src",
            TaggingDirective="REPLACE",
            Tagging="aws:no=1",
        )
    assert _code(exc.value) == (400, "InvalidTag")


def test_multipart_upload_with_tagging(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="Hello=World&x=y")
    part = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"abc"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="mp")["TagSet"] == [
        {"Key": "Hello", "Value": "World"},
        {"Key": "x", "Value": "y"},
    ]
    head = s3.head_object(Bucket=bucket, Key="mp")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"


def test_bucket_tagging_round_trip(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(exc.value) == (404, "NoSuchTagSet")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tagset(50)})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == _tagset(50)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tagset(51)})
    assert _code(exc.value) == (400, "InvalidTag")
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    response = s3.delete_bucket_tagging(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(exc.value) == (404, "NoSuchTagSet")
