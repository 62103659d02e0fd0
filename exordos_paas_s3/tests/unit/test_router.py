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
"""The router against the request lines of the AWS S3 API reference examples.

Each row is (method, request target, extra headers, expected operation,
bucket, key) as the "Request Syntax" / examples of the API reference show it.
"""

from __future__ import annotations

from urllib import parse as urlparse

import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.operations import Operation as Op
from exordos_paas_s3.gateway.router import Router, parse_query

CS = {"x-amz-copy-source": "/source-bucket/source-key"}

TABLE = [
    ("GET", "/", {}, Op.ListBuckets, "", ""),
    ("PUT", "/amzn-bucket", {}, Op.CreateBucket, "amzn-bucket", ""),
    ("HEAD", "/amzn-bucket", {}, Op.HeadBucket, "amzn-bucket", ""),
    ("DELETE", "/amzn-bucket", {}, Op.DeleteBucket, "amzn-bucket", ""),
    ("GET", "/amzn-bucket?location", {}, Op.GetBucketLocation, "amzn-bucket", ""),
    ("GET", "/bucket?list-type=2", {}, Op.ListObjectsV2, "bucket", ""),
    (
        "GET",
        "/bucket?list-type=2&prefix=photos/2006/&delimiter=/",
        {},
        Op.ListObjectsV2,
        "bucket",
        "",
    ),
    (
        "GET",
        "/bucket?prefix=N&marker=Ned&max-keys=40",
        {},
        Op.ListObjects,
        "bucket",
        "",
    ),
    ("GET", "/bucket/", {}, Op.ListObjects, "bucket", ""),
    ("GET", "/bucket?versions", {}, Op.ListObjectVersions, "bucket", ""),
    (
        "GET",
        "/bucket?versions&key-marker=key2&max-keys=2",
        {},
        Op.ListObjectVersions,
        "bucket",
        "",
    ),
    ("GET", "/bucket?uploads", {}, Op.ListMultipartUploads, "bucket", ""),
    ("GET", "/bucket?uploads&max-uploads=3", {}, Op.ListMultipartUploads, "bucket", ""),
    ("POST", "/bucket?delete", {}, Op.DeleteObjects, "bucket", ""),
    ("GET", "/bucket?versioning", {}, Op.GetBucketVersioning, "bucket", ""),
    ("PUT", "/bucket?versioning", {}, Op.PutBucketVersioning, "bucket", ""),
    ("GET", "/bucket?acl", {}, Op.GetBucketAcl, "bucket", ""),
    ("PUT", "/bucket?acl", {}, Op.PutBucketAcl, "bucket", ""),
    ("GET", "/bucket?policy", {}, Op.GetBucketPolicy, "bucket", ""),
    ("PUT", "/bucket?policy", {}, Op.PutBucketPolicy, "bucket", ""),
    ("DELETE", "/bucket?policy", {}, Op.DeleteBucketPolicy, "bucket", ""),
    ("GET", "/bucket?policyStatus", {}, Op.GetBucketPolicyStatus, "bucket", ""),
    ("GET", "/bucket?tagging", {}, Op.GetBucketTagging, "bucket", ""),
    ("DELETE", "/bucket?tagging", {}, Op.DeleteBucketTagging, "bucket", ""),
    ("GET", "/bucket?cors", {}, Op.GetBucketCors, "bucket", ""),
    ("GET", "/bucket?lifecycle", {}, Op.GetBucketLifecycleConfiguration, "bucket", ""),
    ("DELETE", "/bucket?lifecycle", {}, Op.DeleteBucketLifecycle, "bucket", ""),
    ("GET", "/bucket?encryption", {}, Op.GetBucketEncryption, "bucket", ""),
    ("PUT", "/bucket?object-lock", {}, Op.PutObjectLockConfiguration, "bucket", ""),
    (
        "GET",
        "/bucket?ownershipControls",
        {},
        Op.GetBucketOwnershipControls,
        "bucket",
        "",
    ),
    ("PUT", "/bucket?publicAccessBlock", {}, Op.PutPublicAccessBlock, "bucket", ""),
    ("GET", "/bucket?website", {}, Op.GetBucketWebsite, "bucket", ""),
    ("GET", "/bucket?logging", {}, Op.GetBucketLogging, "bucket", ""),
    (
        "GET",
        "/bucket?notification",
        {},
        Op.GetBucketNotificationConfiguration,
        "bucket",
        "",
    ),
    ("PUT", "/bucket?replication", {}, Op.PutBucketReplication, "bucket", ""),
    ("GET", "/bucket?requestPayment", {}, Op.GetBucketRequestPayment, "bucket", ""),
    (
        "GET",
        "/bucket?accelerate",
        {},
        Op.GetBucketAccelerateConfiguration,
        "bucket",
        "",
    ),
    # Objects
    ("PUT", "/bucket/my-image.jpg", {}, Op.PutObject, "bucket", "my-image.jpg"),
    ("GET", "/bucket/my-image.jpg", {}, Op.GetObject, "bucket", "my-image.jpg"),
    ("HEAD", "/bucket/my-image.jpg", {}, Op.HeadObject, "bucket", "my-image.jpg"),
    ("DELETE", "/bucket/my-image.jpg", {}, Op.DeleteObject, "bucket", "my-image.jpg"),
    (
        "DELETE",
        "/bucket/my-image.jpg?versionId=UIORUnfnd89493jJFJ",
        {},
        Op.DeleteObject,
        "bucket",
        "my-image.jpg",
    ),
    (
        "GET",
        "/bucket/my-image.jpg?versionId=3/L4kqtJlcpXroDTDmpUMLUo",
        {},
        Op.GetObject,
        "bucket",
        "my-image.jpg",
    ),
    (
        "GET",
        "/bucket/example-object?response-content-type=text/plain",
        {},
        Op.GetObject,
        "bucket",
        "example-object",
    ),
    ("GET", "/bucket/obj?partNumber=2", {}, Op.GetObject, "bucket", "obj"),
    (
        "PUT",
        "/bucket/my-second-image.jpg",
        CS,
        Op.CopyObject,
        "bucket",
        "my-second-image.jpg",
    ),
    ("GET", "/bucket/my-image.jpg?acl", {}, Op.GetObjectAcl, "bucket", "my-image.jpg"),
    ("PUT", "/bucket/my-image.jpg?acl", {}, Op.PutObjectAcl, "bucket", "my-image.jpg"),
    ("GET", "/bucket/k?tagging", {}, Op.GetObjectTagging, "bucket", "k"),
    ("PUT", "/bucket/k?tagging", {}, Op.PutObjectTagging, "bucket", "k"),
    ("DELETE", "/bucket/k?tagging", {}, Op.DeleteObjectTagging, "bucket", "k"),
    ("GET", "/bucket/k?attributes", {}, Op.GetObjectAttributes, "bucket", "k"),
    ("PUT", "/bucket/k?retention", {}, Op.PutObjectRetention, "bucket", "k"),
    ("GET", "/bucket/k?legal-hold", {}, Op.GetObjectLegalHold, "bucket", "k"),
    ("POST", "/bucket/k?restore", {}, Op.RestoreObject, "bucket", "k"),
    (
        "POST",
        "/bucket/k?select&select-type=2",
        {},
        Op.SelectObjectContent,
        "bucket",
        "k",
    ),
    # Multipart (the "Example" request lines of each action)
    (
        "POST",
        "/bucket/example-object?uploads",
        {},
        Op.CreateMultipartUpload,
        "bucket",
        "example-object",
    ),
    (
        "PUT",
        "/bucket/my-movie.m2ts?partNumber=1&uploadId=VCVsb2FkIElEIGZvciBlbZZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR",
        {},
        Op.UploadPart,
        "bucket",
        "my-movie.m2ts",
    ),
    (
        "PUT",
        "/bucket/newobject?partNumber=2&uploadId=VCVsb2FkIElEIGZvciBlbZZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZR",
        CS,
        Op.UploadPartCopy,
        "bucket",
        "newobject",
    ),
    (
        "POST",
        "/bucket/example-object?uploadId=AAAsb2FkIElEIGZvciBlbHZpbmcncyWeeS1tb3ZpZS5tMnRzIRRwbG9hZA",
        {},
        Op.CompleteMultipartUpload,
        "bucket",
        "example-object",
    ),
    (
        "DELETE",
        "/bucket/example-object?uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZ",
        {},
        Op.AbortMultipartUpload,
        "bucket",
        "example-object",
    ),
    (
        "GET",
        "/bucket/example-object?uploadId=XXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA&max-parts=2&part-number-marker=1",
        {},
        Op.ListParts,
        "bucket",
        "example-object",
    ),
    # Keys that look like paths are keys.
    ("GET", "/bucket/a/b/../c//d/", {}, Op.GetObject, "bucket", "a/b/../c//d/"),
    ("GET", "/bucket//leading", {}, Op.GetObject, "bucket", "/leading"),
    ("PUT", "/bucket/caf%C3%A9%20x%2By", {}, Op.PutObject, "bucket", "café x+y"),
]


def _split(target: str) -> tuple[str, dict[str, str]]:
    raw_path, _, qs = target.partition("?")
    path = urlparse.unquote(raw_path)
    return path, parse_query(qs)


@pytest.mark.parametrize(
    "method,target,headers,op,bucket,key",
    TABLE,
    ids=[f"{row[0]} {row[1][:60]}" for row in TABLE],
)
def test_path_style_table(method, target, headers, op, bucket, key):
    path, query = _split(target)
    route = Router().resolve(
        method, path, query, {"host": "s3.amazonaws.com", **headers}
    )
    assert (route.operation, route.bucket, route.key) == (op, bucket, key)


@pytest.mark.parametrize(
    "method,target,headers,op,bucket,key",
    [row for row in TABLE if row[4]],
    ids=[f"vhost {row[0]} {row[1][:60]}" for row in TABLE if row[4]],
)
def test_virtual_hosted_style_table(method, target, headers, op, bucket, key):
    path, query = _split(target)
    # Strip the bucket from the path and put it into the Host.
    vpath = path[len("/" + bucket) :] or "/"
    router = Router(["s3.example.com", "example.com"])
    route = router.resolve(
        method, vpath, query, {"host": f"{bucket}.s3.example.com:9000", **headers}
    )
    assert (route.operation, route.bucket, route.key) == (op, bucket, key)


def test_host_equal_to_base_domain_is_path_style():
    router = Router(["s3.example.com"])
    route = router.resolve("GET", "/bkt/key", {}, {"host": "s3.example.com"})
    assert (route.bucket, route.key) == ("bkt", "key")


def test_unknown_host_is_path_style():
    router = Router(["s3.example.com"])
    route = router.resolve("GET", "/bkt/key", {}, {"host": "127.0.0.1:9000"})
    assert (route.operation, route.bucket, route.key) == (Op.GetObject, "bkt", "key")


def test_dotted_bucket_in_virtual_host():
    router = Router(["s3.example.com"])
    assert router.bucket_from_host("my.dotted.bucket.s3.example.com") == (
        "my.dotted.bucket"
    )


def test_key_over_1024_bytes_is_key_too_long():
    with pytest.raises(errors.KeyTooLongError):
        Router().resolve("PUT", "/bucket/" + "é" * 513, {}, {})
    route = Router().resolve("PUT", "/bucket/" + "k" * 1024, {}, {})
    assert route.operation is Op.PutObject


@pytest.mark.parametrize(
    "method,path", [("PUT", "/"), ("DELETE", "/"), ("POST", "/"), ("PATCH", "/b/k")]
)
def test_methods_without_operation_are_method_not_allowed(method, path):
    with pytest.raises(errors.MethodNotAllowed):
        Router().resolve(method, path, {}, {})


def test_options_is_the_cors_preflight():
    assert Router().resolve("OPTIONS", "/b/k", {}, {}).operation is Op.OptionsObject
    assert Router().resolve("OPTIONS", "/b", {}, {}).operation is Op.OptionsObject
    with pytest.raises(errors.MethodNotAllowed):
        Router().resolve("OPTIONS", "/", {}, {})


def test_parse_query_keeps_valueless_subresources():
    assert parse_query("uploads&prefix=a%2Fb&x=1&x=2") == {
        "uploads": "",
        "prefix": "a/b",
        "x": "1",
    }


def test_parse_query_matches_parse_qsl_and_hands_out_fresh_dicts():
    import random
    from urllib.parse import parse_qsl

    rnd = random.Random(5)
    alphabet = "ab=&%+2F41é x"
    for _ in range(3000):
        qs = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 24)))
        expected: dict[str, str] = {}
        for name, value in parse_qsl(qs, keep_blank_values=True):
            expected.setdefault(name, value)
        assert parse_query(qs) == expected, qs
        assert parse_query(qs) == expected, qs  # the memoised answer too
    # The memo shares no state between callers.
    first = parse_query("a=1&b=2")
    first["a"] = "changed"
    assert parse_query("a=1&b=2") == {"a": "1", "b": "2"}
    long = "&".join("k%d=v" % i for i in range(500))
    assert parse_query(long)["k499"] == "v"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("b.s3.example.com:9000", "b"),
        ("B.example.com", "b"),
        ("127.0.0.1:9000", ""),
        ("[::1]:9000", ""),
        ("localhost:9000", ""),
        ("localhost", ""),
        ("", ""),
    ],
)
def test_unconfigured_vhost_bucket(host, expected):
    assert Router().unconfigured_vhost_bucket(host) == expected
    # With a domain configured, bucket_from_host decides instead.
    assert Router(["example.com"]).unconfigured_vhost_bucket(host) == ""
