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
"""Lifecycle and default-encryption configuration documents against the real
gateway process, with boto3: validation and exact round trips."""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError


def _code(exc: ClientError) -> tuple[int, str]:
    meta = exc.response["ResponseMetadata"]
    return meta["HTTPStatusCode"], exc.response["Error"]["Code"]


RULES = [
    {
        "ID": "logs",
        "Filter": {"Prefix": "logs/"},
        "Status": "Enabled",
        "Expiration": {"Days": 30},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
    },
    {
        "ID": "dated",
        "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "t", "Value": "1"}]}},
        "Status": "Disabled",
        "Expiration": {
            "Date": datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
        },
    },
]


def test_lifecycle_round_trip(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc.value) == (404, "NoSuchLifecycleConfiguration")
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": RULES}
    )
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert got == RULES
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _code(exc.value) == (404, "NoSuchLifecycleConfiguration")


def test_lifecycle_rule_without_id_gets_one(s3, bucket):
    rule = {"Filter": {"Prefix": "a/"}, "Status": "Enabled", "Expiration": {"Days": 1}}
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": [rule]}
    )
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert got["ID"]
    assert got["Expiration"] == {"Days": 1}


def _rule(**overrides):
    rule = {"ID": "r", "Filter": {"Prefix": ""}, "Status": "Enabled"}
    rule.update(overrides)
    return rule


@pytest.mark.parametrize(
    "rules,status,code",
    [
        ([_rule(ID="a" * 256, Expiration={"Days": 1})], 400, "InvalidArgument"),
        (
            [_rule(Expiration={"Days": 1}), _rule(Expiration={"Days": 2})],
            400,
            "InvalidArgument",
        ),
        ([_rule(Status="enabled", Expiration={"Days": 1})], 400, "MalformedXML"),
        ([_rule(Expiration={"Days": 0})], 400, "InvalidArgument"),
        ([_rule(Expiration={"Date": "20200101"})], 400, "InvalidArgument"),
        ([_rule(Expiration={"Date": "2020-01-01T10:00:00Z"})], 400, "InvalidArgument"),
        ([_rule()], 400, "InvalidRequest"),
        (
            [_rule(NoncurrentVersionExpiration={"NoncurrentDays": -1})],
            400,
            "InvalidArgument",
        ),
        (
            [_rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0})],
            400,
            "InvalidArgument",
        ),
        (
            [{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1}}],
            400,
            "MalformedXML",
        ),
        (
            [_rule(Expiration={"Days": 1, "Date": "2030-01-01T00:00:00Z"})],
            400,
            "MalformedXML",
        ),
        ([_rule(Expiration={"Days": -3})], 400, "InvalidArgument"),
        (
            [_rule(ID=f"r{i}", Expiration={"Days": 1}) for i in range(1001)],
            400,
            "MalformedXML",
        ),
        (
            [
                _rule(
                    NoncurrentVersionExpiration={
                        "NoncurrentDays": 1,
                        "NewerNoncurrentVersions": 101,
                    }
                )
            ],
            400,
            "InvalidArgument",
        ),
        (
            [
                _rule(
                    Filter={
                        "And": {
                            "ObjectSizeGreaterThan": 100,
                            "ObjectSizeLessThan": 100,
                        }
                    },
                    Expiration={"Days": 1},
                )
            ],
            400,
            "InvalidArgument",
        ),
        (
            [
                _rule(
                    Filter={"Tag": {"Key": "a", "Value": "b"}},
                    AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1},
                )
            ],
            400,
            "InvalidRequest",
        ),
        (
            [
                _rule(
                    Filter={"Tag": {"Key": "a", "Value": "b"}},
                    Expiration={"ExpiredObjectDeleteMarker": True},
                )
            ],
            400,
            "InvalidRequest",
        ),
        (
            [_rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}])],
            501,
            "NotImplemented",
        ),
        (
            [
                _rule(
                    NoncurrentVersionTransitions=[
                        {"NoncurrentDays": 30, "StorageClass": "GLACIER"}
                    ]
                )
            ],
            501,
            "NotImplemented",
        ),
    ],
    ids=[
        "long-id",
        "same-id",
        "status",
        "days0",
        "bad-date",
        "not-midnight",
        "no-action",
        "noncurrent",
        "abort",
        "no-filter",
        "days-and-date",
        "negative-days",
        "too-many-rules",
        "newer-noncurrent-over-100",
        "empty-size-range",
        "abort-with-tags",
        "delete-marker-with-tags",
        "transition",
        "noncurrent-transition",
    ],
)
def test_invalid_lifecycle_is_refused_and_changes_nothing(
    s3, bucket, rules, status, code
):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": RULES}
    )
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )
    assert _code(exc.value) == (status, code)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == RULES


def test_encryption_round_trip_and_validation(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert _code(exc.value) == (404, "ServerSideEncryptionConfigurationNotFoundError")
    conf = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "key-1",
                },
                "BucketKeyEnabled": True,
            }
        ]
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=conf)
    got = s3.get_bucket_encryption(Bucket=bucket)
    assert got["ServerSideEncryptionConfiguration"] == conf
    bad = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "DES"}}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=bad)
    assert _code(exc.value) == (400, "MalformedXML")
    aes_with_key = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "AES256",
                    "KMSMasterKeyID": "k",
                }
            }
        ]
    }
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration=aes_with_key
        )
    assert _code(exc.value) == (400, "InvalidArgument")
    got = s3.get_bucket_encryption(Bucket=bucket)
    assert got["ServerSideEncryptionConfiguration"] == conf
    s3.delete_bucket_encryption(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert _code(exc.value)[0] == 404
