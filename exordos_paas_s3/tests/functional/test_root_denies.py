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
"""The gateway's root obeys an explicit Deny of a bucket policy (issue 10).

On AWS an explicit Deny in a bucket policy binds the account's root user too;
only reading, replacing and deleting the bucket policy stay the root's, so it
can never lock itself out. A real gateway process, driven with boto3 signed
as the root.
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from exordos_paas_s3.gateway import authorization


def _code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def _denied(call) -> None:
    with pytest.raises(ClientError) as e:
        call()
    assert _code(e.value) in ("AccessDenied", "403"), e.value.response  # HEAD: no body
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _sse_and_secret(bucket: str, principal="*") -> str:
    """The issue's policy: no unencrypted puts, no reads under secret/."""
    return _policy(
        {
            "Sid": "DenyUnencryptedPuts",
            "Effect": "Deny",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        },
        {
            "Sid": "DenySecretReads",
            "Effect": "Deny",
            "Principal": principal,
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/secret/*",
        },
    )


@pytest.fixture
def root_bucket(s3):
    """A bucket of the root's with secret/y and public/x, policy-free at
    the end (so it can be emptied)."""
    name = "root-deny-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="secret/y", Body=b"secret")
    s3.put_object(Bucket=name, Key="public/x", Body=b"public")
    yield name
    s3.delete_bucket_policy(Bucket=name)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=name)


def test_root_obeys_the_issue_policy(s3, root_bucket):
    bucket = root_bucket
    s3.put_bucket_policy(Bucket=bucket, Policy=_sse_and_secret(bucket))
    # the unencrypted put is refused, the encrypted one goes through
    _denied(lambda: s3.put_object(Bucket=bucket, Key="a", Body=b"plain"))
    s3.put_object(Bucket=bucket, Key="a", Body=b"sealed", ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"sealed"
    # secret/ is closed to the root too, for GET and HEAD and as a copy source
    _denied(lambda: s3.get_object(Bucket=bucket, Key="secret/y"))
    _denied(lambda: s3.head_object(Bucket=bucket, Key="secret/y"))
    _denied(
        lambda: s3.copy_object(
            Bucket=bucket,
            Key="copy",
            CopySource={"Bucket": bucket, "Key": "secret/y"},
            ServerSideEncryption="AES256",
        )
    )
    assert s3.get_object(Bucket=bucket, Key="public/x")["Body"].read() == b"public"
    # what no Deny names stays the root's: listing, deleting
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "secret/y" in keys
    s3.delete_object(Bucket=bucket, Key="a")


def test_root_keeps_the_bucket_policy_whatever_it_denies(s3, root_bucket):
    bucket = root_bucket
    deny_all = _policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=deny_all)
    _denied(lambda: s3.get_object(Bucket=bucket, Key="public/x"))
    _denied(lambda: s3.list_objects_v2(Bucket=bucket))
    _denied(lambda: s3.put_object(Bucket=bucket, Key="b", Body=b"x"))
    _denied(lambda: s3.get_bucket_versioning(Bucket=bucket))
    # ... but it still reads, replaces and deletes the policy: no lock-out
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(
        deny_all
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=_sse_and_secret(bucket))
    _denied(lambda: s3.get_object(Bucket=bucket, Key="secret/y"))
    assert s3.get_object(Bucket=bucket, Key="public/x")["Body"].read() == b"public"
    s3.put_bucket_policy(Bucket=bucket, Policy=deny_all)
    s3.delete_bucket_policy(Bucket=bucket)
    # without the policy the root's fast path is back: everything goes
    assert s3.get_object(Bucket=bucket, Key="secret/y")["Body"].read() == b"secret"
    s3.put_object(Bucket=bucket, Key="b", Body=b"x")


def test_root_denied_key_in_delete_objects_is_an_error_entry(s3, root_bucket):
    bucket = root_bucket
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteObject",
                "Resource": f"arn:aws:s3:::{bucket}/secret/*",
            }
        ),
    )
    result = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "secret/y"}, {"Key": "public/x"}]},
    )
    assert [d["Key"] for d in result.get("Deleted", [])] == ["public/x"]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [
        ("secret/y", "AccessDenied")
    ]
    _denied(lambda: s3.delete_object(Bucket=bucket, Key="secret/y"))
    assert s3.get_object(Bucket=bucket, Key="secret/y")["Body"].read() == b"secret"


def test_a_deny_binds_the_root_when_it_names_the_account(s3, root_bucket):
    bucket = root_bucket
    owner = s3.list_buckets()["Owner"]["ID"]
    account = authorization.account_id_for(owner)
    for principal in (
        {"AWS": account},
        {"AWS": f"arn:aws:iam::{account}:root"},
    ):
        s3.put_bucket_policy(
            Bucket=bucket, Policy=_sse_and_secret(bucket, principal=principal)
        )
        _denied(lambda: s3.get_object(Bucket=bucket, Key="secret/y"))


def test_a_deny_of_someone_else_does_not_touch_the_root(s3, root_bucket):
    bucket = root_bucket
    owner = s3.list_buckets()["Owner"]["ID"]
    account = authorization.account_id_for(owner)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=_sse_and_secret(
            bucket, principal={"AWS": f"arn:aws:iam::{account}:user/alice"}
        ),
    )
    assert s3.get_object(Bucket=bucket, Key="secret/y")["Body"].read() == b"secret"
    s3.put_object(Bucket=bucket, Key="c", Body=b"plain")
    s3.delete_object(Bucket=bucket, Key="c")


def test_an_allow_only_policy_changes_nothing_for_the_root(s3, root_bucket):
    bucket = root_bucket
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/public/*",
            }
        ),
    )
    assert s3.get_object(Bucket=bucket, Key="secret/y")["Body"].read() == b"secret"
    s3.put_object(Bucket=bucket, Key="d", Body=b"plain")
    s3.delete_object(Bucket=bucket, Key="d")
