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
"""CORS configuration, preflight and response headers against the real
gateway process (boto3 for configuration, raw HTTP for browser requests)."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

RULES = {
    "CORSRules": [
        {
            "ID": "suffix",
            "AllowedMethods": ["GET", "HEAD"],
            "AllowedOrigins": ["*.example.com"],
            "AllowedHeaders": ["x-amz-*", "content-type"],
            "ExposeHeaders": ["ETag", "x-amz-request-id"],
            "MaxAgeSeconds": 600,
        },
        {"AllowedMethods": ["PUT"], "AllowedOrigins": ["https://up.test"]},
    ]
}


def _code(exc: ClientError) -> tuple[int, str]:
    meta = exc.response["ResponseMetadata"]
    return meta["HTTPStatusCode"], exc.response["Error"]["Code"]


@pytest.fixture
def cors_bucket(s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    return bucket


def test_cors_configuration_round_trip(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert _code(exc.value) == (404, "NoSuchCORSConfiguration")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES["CORSRules"]
    assert (
        s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert _code(exc.value) == (404, "NoSuchCORSConfiguration")


@pytest.mark.parametrize(
    "rule",
    [
        {"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]},
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*.*.example.com"]},
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": ["*"]},
    ],
    ids=["method", "two-wildcards", "expose-wildcard"],
)
def test_invalid_cors_rules_are_refused_and_change_nothing(s3, cors_bucket, rule):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=cors_bucket, CORSConfiguration={"CORSRules": [rule]})
    assert _code(exc.value) == (400, "InvalidRequest")
    assert s3.get_bucket_cors(Bucket=cors_bucket)["CORSRules"] == RULES["CORSRules"]


def test_too_many_rules_is_malformed(s3, bucket):
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}] * 101
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert _code(exc.value) == (400, "MalformedXML")


def test_preflight_allowed_without_credentials(gateway, cors_bucket):
    r = requests.options(
        f"{gateway.endpoint}/{cors_bucket}/k",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-Amz-Date, Content-Type",
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    assert r.headers["access-control-allow-methods"] == "GET, HEAD"
    assert r.headers["access-control-allow-headers"] == "X-Amz-Date, Content-Type"
    assert r.headers["access-control-max-age"] == "600"
    assert r.headers["access-control-expose-headers"] == "ETag, x-amz-request-id"


@pytest.mark.parametrize(
    "headers,status,code",
    [
        ({}, 400, "BadRequest"),
        ({"Origin": "https://app.example.com"}, 400, "BadRequest"),
        (
            {"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"},
            403,
            "AccessForbidden",
        ),
        (
            {
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "DELETE",
            },
            403,
            "AccessForbidden",
        ),
        (
            {
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
            403,
            "AccessForbidden",
        ),
    ],
    ids=["no-origin", "no-method", "origin", "method", "header"],
)
def test_preflight_refusals(gateway, cors_bucket, headers, status, code):
    r = requests.options(f"{gateway.endpoint}/{cors_bucket}/k", headers=headers)
    assert r.status_code == status
    assert f"<Code>{code}</Code>" in r.text
    assert "access-control-allow-origin" not in r.headers


def test_preflight_on_bucket_without_cors_is_forbidden(gateway, bucket):
    r = requests.options(
        f"{gateway.endpoint}/{bucket}",
        headers={"Origin": "https://a.test", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert r.status_code == 403


@pytest.fixture
def presigner(gateway):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def test_actual_request_gets_cors_headers_only_when_origin_matches(
    presigner, gateway, cors_bucket
):
    s3 = presigner
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": cors_bucket, "Key": "k"}
    )
    plain = requests.get(url, timeout=10)
    assert plain.status_code == 200
    assert not any(h.startswith("access-control-") for h in plain.headers)
    ok = requests.get(url, headers={"Origin": "https://x.example.com"}, timeout=10)
    assert ok.content == b"data"
    assert ok.headers["access-control-allow-origin"] == "https://x.example.com"
    assert ok.headers["access-control-expose-headers"] == "ETag, x-amz-request-id"
    other = requests.get(url, headers={"Origin": "https://evil.test"}, timeout=10)
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers
    # Errors carry the headers too, so a browser can read them.
    missing = s3.generate_presigned_url(
        "get_object", Params={"Bucket": cors_bucket, "Key": "nope"}
    )
    r = requests.get(missing, headers={"Origin": "https://x.example.com"}, timeout=10)
    assert r.status_code == 404
    assert r.headers["access-control-allow-origin"] == "https://x.example.com"
