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
"""Browser POST uploads (PostObject) against the real gateway process: forms
signed by boto3's generate_presigned_post (SigV4), sent with requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError


@pytest.fixture
def signer(gateway):
    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def _post(form, data: bytes, filename: str = "f.bin", **extra_fields):
    fields = dict(form["fields"])
    fields.update(extra_fields)
    return requests.post(
        form["url"],
        data=fields,
        files={"file": (filename, data)},
        timeout=30,
        allow_redirects=False,
    )


def test_signed_post_uploads_the_file(s3, signer, bucket):
    form = signer.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-who": "browser"},
        Conditions=[
            ["starts-with", "$key", "uploads/"],
            {"Content-Type": "text/plain"},
            {"x-amz-meta-who": "browser"},
            ["content-length-range", 1, 1024 * 1024],
        ],
    )
    r = _post(form, b"hello post", filename="a.txt")
    assert r.status_code == 204, r.text
    got = s3.get_object(Bucket=bucket, Key="uploads/a.txt")
    assert got["Body"].read() == b"hello post"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"who": "browser"}
    assert r.headers["etag"] == '"%s"' % hashlib.md5(b"hello post").hexdigest()


def test_large_file_streams_through(s3, signer, bucket):
    data = bytes(range(256)) * (12 * 1024 * 4)  # 12 MiB
    form = signer.generate_presigned_post(bucket, "big")
    r = _post(form, data)
    assert r.status_code == 204, r.text
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()


def test_success_action_status_201_and_redirect(signer, bucket):
    form = signer.generate_presigned_post(
        bucket,
        "k",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}],
    )
    r = _post(form, b"x")
    assert r.status_code == 201
    assert "<PostResponse" in r.text and "<Key>k</Key>" in r.text
    # No namespace on PostResponse, as S3 answers (clients find bare tags).
    assert ElementTree.fromstring(r.content).find("Key").text == "k"
    form = signer.generate_presigned_post(
        bucket,
        "k2",
        Fields={"success_action_redirect": "http://example.test/done"},
        Conditions=[{"success_action_redirect": "http://example.test/done"}],
    )
    r = _post(form, b"x")
    assert r.status_code == 303
    assert r.headers["location"].startswith("http://example.test/done?bucket=")


def test_tagging_field(s3, signer, bucket):
    tagging = (
        "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    )
    form = signer.generate_presigned_post(
        bucket, "t", Fields={"tagging": tagging}, Conditions=[{"tagging": tagging}]
    )
    assert _post(form, b"x").status_code == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "a", "Value": "1"}
    ]


def _assert_nothing_stored(s3, bucket, key):
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=key)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_bad_signature_is_refused(s3, signer, bucket):
    form = signer.generate_presigned_post(bucket, "k")
    form["fields"]["x-amz-signature"] = "0" * 64
    r = _post(form, b"x")
    assert r.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text
    _assert_nothing_stored(s3, bucket, "k")


def test_condition_failures_are_refused(s3, signer, bucket):
    form = signer.generate_presigned_post(
        bucket, "k", Conditions=[["content-length-range", 0, 10]]
    )
    r = _post(form, b"x" * 11)
    assert r.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in r.text
    _assert_nothing_stored(s3, bucket, "k")
    form = signer.generate_presigned_post(
        bucket, "k", Conditions=[["starts-with", "$key", "only/"]]
    )
    r = _post(form, b"x")
    assert r.status_code == 403
    assert "<Code>AccessDenied</Code>" in r.text
    # A field the policy does not mention.
    form = signer.generate_presigned_post(bucket, "k")
    r = _post(form, b"x", **{"x-amz-meta-sneaky": "1"})
    assert r.status_code == 403
    _assert_nothing_stored(s3, bucket, "k")


def test_expired_policy_and_missing_file(s3, signer, bucket):
    form = signer.generate_presigned_post(bucket, "k", ExpiresIn=-10)
    r = _post(form, b"x")
    assert r.status_code == 403
    form = signer.generate_presigned_post(bucket, "k")
    r = requests.post(form["url"], files={**form["fields"]}, timeout=10)
    assert r.status_code == 400
    _assert_nothing_stored(s3, bucket, "k")


def test_anonymous_post_without_policy_is_denied(s3, gateway, bucket):
    r = requests.post(
        f"{gateway.endpoint}/{bucket}",
        data={"key": "anon"},
        files={"file": ("f", b"x")},
        timeout=10,
    )
    assert r.status_code == 403
    _assert_nothing_stored(s3, bucket, "anon")


def test_unsigned_policy_is_refused(s3, gateway, bucket):
    policy = base64.b64encode(
        json.dumps(
            {"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": bucket}]}
        ).encode()
    ).decode()
    r = requests.post(
        f"{gateway.endpoint}/{bucket}",
        data={"key": "k", "policy": policy},
        files={"file": ("f", b"x")},
        timeout=10,
    )
    assert r.status_code == 403
    _assert_nothing_stored(s3, bucket, "k")


def test_anonymous_post_with_acl_into_a_public_read_write_bucket(
    s3, gateway, bucket_name
):
    # ACLs are on by default: the bucket's WRITE grant to AllUsers lets an
    # anonymous form write, and the writer may set its new object's ACL.
    s3.create_bucket(Bucket=bucket_name, ACL="public-read-write")
    try:
        r = requests.post(
            f"{gateway.endpoint}/{bucket_name}",
            data={"key": "anon.txt", "acl": "public-read", "Content-Type": "text/a"},
            files={"file": ("f", b"from a browser")},
            timeout=10,
        )
        assert r.status_code == 204, r.text
        got = requests.get(f"{gateway.endpoint}/{bucket_name}/anon.txt", timeout=10)
        assert got.status_code == 200
        assert got.content == b"from a browser"
    finally:
        s3.delete_object(Bucket=bucket_name, Key="anon.txt")
        s3.delete_bucket(Bucket=bucket_name)


def test_policy_expiration_must_be_iso8601(s3, gateway, bucket):
    secret = gateway.secret_key.encode()

    def post(expiration: str) -> requests.Response:
        policy = base64.b64encode(
            json.dumps(
                {
                    "expiration": expiration,
                    "conditions": [{"bucket": bucket}, {"key": "k"}],
                }
            ).encode()
        )
        signature = base64.b64encode(
            hmac.digest(secret, policy, "sha1")  # legacy SigV2 form
        )
        return requests.post(
            f"{gateway.endpoint}/{bucket}",
            data={
                "key": "k",
                "AWSAccessKeyId": gateway.access_key,
                "policy": policy,
                "signature": signature,
            },
            files={"file": ("f", b"x")},
            timeout=10,
        )

    # str(datetime): a space instead of "T" is not the format S3 accepts.
    r = post("2099-01-01 00:00:00+00:00")
    assert r.status_code == 400, r.text
    assert b"InvalidPolicyDocument" in r.content
    _assert_nothing_stored(s3, bucket, "k")
    r = post("2099-01-01T00:00:00.000Z")
    assert r.status_code == 204, r.text


def test_filename_key_is_checked_after_substitution(s3, signer, bucket):
    # "${filename}" becomes the file's name before the policy's conditions
    # are checked: a starts-with on the key sees the final key.
    form = signer.generate_presigned_post(
        bucket, "${filename}", Conditions=[["starts-with", "$key", "foo"]]
    )
    r = _post(form, b"bar", filename="foo.txt")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="foo.txt")["Body"].read() == b"bar"
    r = _post(form, b"bar", filename="other.txt")
    assert r.status_code == 403
    _assert_nothing_stored(s3, bucket, "other.txt")


def test_checksum_and_md5_fields_are_verified(s3, signer, bucket):
    data = b"x" * 70000
    sha256 = base64.b64encode(hashlib.sha256(data).digest()).decode()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    form = signer.generate_presigned_post(
        bucket,
        "ck",
        Conditions=[
            ["starts-with", "$x-amz-checksum-sha256", ""],
            ["starts-with", "$Content-MD5", ""],
        ],
    )
    r = _post(form, data, **{"x-amz-checksum-sha256": sha256, "Content-MD5": md5})
    assert r.status_code == 204, r.text
    got = s3.get_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumSHA256"] == sha256

    # A checksum of other bytes, one that cannot be a digest, a wrong MD5:
    # BadDigest (InvalidDigest for a malformed MD5), and nothing is stored.
    other = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    for fields, code in (
        ({"x-amz-checksum-sha256": other}, "BadDigest"),
        ({"x-amz-checksum-sha256": "sailorjerry"}, "BadDigest"),
        ({"Content-MD5": base64.b64encode(b"0" * 16).decode()}, "BadDigest"),
        ({"Content-MD5": "not-md5"}, "InvalidDigest"),
    ):
        r = _post(form, data + b"!", **fields)
        assert r.status_code == 400, (fields, r.text)
        assert f"<Code>{code}</Code>" in r.text, (fields, r.text)
    assert s3.get_object(Bucket=bucket, Key="ck")["Body"].read() == data

    # A field the policy does not cover is refused, checksum or not (AWS:
    # every field but x-amz-signature, file, policy and x-ignore-*).
    bare = signer.generate_presigned_post(bucket, "ck")
    r = _post(bare, data, **{"x-amz-checksum-sha256": sha256})
    assert r.status_code == 403 and "Extra input fields" in r.text


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("Content-Type", "t/" + "a" * 70_000, "RequestHeaderSectionTooLarge"),
        ("Cache-Control", "a" * 70_000, "RequestHeaderSectionTooLarge"),
        ("x-amz-website-redirect-location", "/" + "r" * 9000, None),
        ("x-amz-website-redirect-location", "/" + "r" * 2100, "InvalidArgument"),
        ("x-amz-meta-big", "m" * 2100, "MetadataTooLarge"),
    ],
)
def test_header_fields_have_the_limits_of_headers(
    s3, signer, bucket, field, value, code
):
    """Form fields that become headers are held to what a PUT may send: the
    8 KiB header section, 2 KB of redirect location, 2 KB of metadata."""
    form = signer.generate_presigned_post(
        bucket,
        "limited",
        Fields={field: value},
        Conditions=[{field: value}],
    )
    r = _post(form, b"data")
    assert r.status_code == 400, r.text
    got = ElementTree.fromstring(r.content).findtext("Code")
    assert got == (code or "RequestHeaderSectionTooLarge"), r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="limited")
