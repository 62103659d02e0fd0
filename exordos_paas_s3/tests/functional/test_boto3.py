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
"""boto3 (default checksum settings: aws-chunked + trailing CRC32) against the
real gateway process."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import os
import zlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from exordos_paas_s3.tests.functional.conftest import VIRTUAL_HOST_DOMAIN

pytestmark = pytest.mark.functional


def _code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_round_trip(s3, bucket):
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="dir/obj.bin", Body=body)
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    # boto3's default: a CRC32 trailer, echoed back.
    assert (
        put["ChecksumCRC32"]
        == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    )
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket in names
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["dir/obj.bin"]
    assert listed["Contents"][0]["Size"] == len(body)
    got = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert got["Body"].read() == body
    part = s3.get_object(Bucket=bucket, Key="dir/obj.bin", Range="bytes=10-19")
    assert part["Body"].read() == body[10:20]
    assert part["ContentRange"] == f"bytes 10-19/{len(body)}"
    s3.copy_object(Bucket=bucket, Key="copy.bin", CopySource=f"{bucket}/dir/obj.bin")
    assert s3.get_object(Bucket=bucket, Key="copy.bin")["Body"].read() == body
    s3.delete_object(Bucket=bucket, Key="copy.bin")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="copy.bin")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_upload_fileobj_multipart_and_download(s3, bucket, tmp_path):
    data = os.urandom(12 * 1024 * 1024 + 123)
    cfg = boto3.s3.transfer.TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    s3.upload_fileobj(io.BytesIO(data), bucket, "big", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')
    out = tmp_path / "big"
    s3.download_file(bucket, "big", str(out), Config=cfg)
    assert out.read_bytes() == data
    # partNumber GET of a multipart object
    p2 = s3.get_object(Bucket=bucket, Key="big", PartNumber=2)
    assert p2["PartsCount"] == 3
    assert p2["Body"].read() == data[5 * 1024 * 1024 : 10 * 1024 * 1024]


def test_multipart_low_level_list_abort_and_copy_part(s3, bucket):
    src = os.urandom(6 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst", ContentType="text/x-a")
    uid = up["UploadId"]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("dst", uid)]
    p1 = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=uid,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange="bytes=0-5242879",
    )
    p2 = s3.upload_part(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=2, Body=b"t")
    parts = s3.list_parts(Bucket=bucket, Key="dst", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5242880), (2, 1)]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=uid,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": p2["ETag"]},
            ]
        },
    )
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == src[:5242880] + b"t"
    assert got["ContentType"] == "text/x-a"
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="gone")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=up2["UploadId"])
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="gone", UploadId=up2["UploadId"])
    assert _code(e.value) == "NoSuchUpload"


def test_metadata_headers_and_response_overrides(s3, bucket):
    s3.put_object(
        Bucket=bucket,
        Key="m",
        Body=b"x",
        ContentType="text/plain",
        ContentEncoding="identity",
        ContentDisposition="attachment",
        CacheControl="no-cache",
        ContentLanguage="en",
        Expires=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),
        Metadata={"color": "blue", "Mixed-Case": "v"},
    )
    head = s3.head_object(Bucket=bucket, Key="m")
    assert head["ContentType"] == "text/plain"
    assert head["ContentEncoding"] == "identity"
    assert head["ContentDisposition"] == "attachment"
    assert head["CacheControl"] == "no-cache"
    assert head["ContentLanguage"] == "en"
    assert head["Metadata"] == {"color": "blue", "mixed-case": "v"}
    got = s3.get_object(
        Bucket=bucket,
        Key="m",
        ResponseContentType="image/png",
        ResponseCacheControl="max-age=1",
    )
    assert got["ContentType"] == "image/png"
    assert got["CacheControl"] == "max-age=1"


def test_copy_replace_metadata_and_copy_onto_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc", Metadata={"a": "1"})
    s3.copy_object(
        Bucket=bucket,
        Key="k",
        CopySource={"Bucket": bucket, "Key": "k"},
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="text/x-b",
    )
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["Metadata"] == {"b": "2"}
    assert head["ContentType"] == "text/x-b"
    with pytest.raises(ClientError) as e:
        s3.copy_object(
            Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"}
        )
    assert _code(e.value) == "InvalidRequest"
    s3.copy_object(Bucket=bucket, Key="k2", CopySource={"Bucket": bucket, "Key": "k"})
    assert s3.head_object(Bucket=bucket, Key="k2")["Metadata"] == {"b": "2"}
    etag = head["ETag"]
    with pytest.raises(ClientError) as e:
        s3.copy_object(
            Bucket=bucket,
            Key="k3",
            CopySource={"Bucket": bucket, "Key": "k"},
            CopySourceIfNoneMatch=etag,
        )
    assert _code(e.value) == "PreconditionFailed"
    s3.copy_object(
        Bucket=bucket,
        Key="k3",
        CopySource={"Bucket": bucket, "Key": "k"},
        CopySourceIfMatch=etag,
    )


def test_conditional_get(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"data")
    etag = put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="c")
    lm = head["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"data"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"nope"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=lm)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    past = lm - datetime.timedelta(days=1)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # If-Match true wins over If-Unmodified-Since false (AWS precedence).
    got = s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)
    assert got["Body"].read() == b"data"
    # If-None-Match false (etag differs) wins over If-Modified-Since.
    got = s3.get_object(
        Bucket=bucket, Key="c", IfNoneMatch='"other"', IfModifiedSince=lm
    )
    assert got["Body"].read() == b"data"


def test_conditional_put(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert _code(e.value) == "PreconditionFailed"
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch='"bad"')
    assert _code(e.value) == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="once", Body=b"4", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"4"


def test_ranges_every_form(s3, bucket):
    body = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    for rng, expected in (
        ("bytes=0-0", body[:1]),
        ("bytes=1000-", body[1000:]),
        ("bytes=-24", body[-24:]),
        ("bytes=1000-5000", body[1000:]),
        ("bytes=-5000", body),
    ):
        got = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert got["Body"].read() == expected, rng
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=1024-")
    assert _code(e.value) == "InvalidRange"
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["content-range"] == (
        "bytes */1024"
    )


def test_listing_v1_v2_pagination_delimiter_and_encoding(s3, bucket):
    keys = ["a/1", "a/2", "b/1", "c", "d e", "f+g"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    seen, token = [], None
    while True:
        kwargs = {"Bucket": bucket, "MaxKeys": 2}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == sorted(keys)
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in page["Contents"]] == ["c", "d e", "f+g"]
    page = s3.list_objects_v2(Bucket=bucket, StartAfter="b/1", FetchOwner=True)
    assert [o["Key"] for o in page["Contents"]] == ["c", "d e", "f+g"]
    assert "Owner" in page["Contents"][0]
    v1 = s3.list_objects(Bucket=bucket, Marker="a/2", MaxKeys=2)
    assert [o["Key"] for o in v1["Contents"]] == ["b/1", "c"]
    assert v1["IsTruncated"] is True
    v1 = s3.list_objects(Bucket=bucket, Prefix="a/", Delimiter="/", MaxKeys=1)
    assert v1["NextMarker"] == "a/1"
    versions = s3.list_object_versions(Bucket=bucket)
    assert {v["VersionId"] for v in versions["Versions"]} == {"null"}
    assert len(versions["Versions"]) == len(keys)


def test_delete_objects_quiet_and_verbose(s3, bucket):
    for k in ("x", "y", "z"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"1")
    r = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "x"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in r["Deleted"]) == ["missing", "x"]
    r = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "y"}, {"Key": "z"}], "Quiet": True}
    )
    assert "Deleted" not in r
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_checksum_algorithms_and_checksum_mode(s3, bucket):
    # CRC32C needs botocore[crt] on the client side; covered with raw requests.
    for alg in ("CRC32", "SHA1", "SHA256"):
        put = s3.put_object(
            Bucket=bucket, Key=alg, Body=b"hello", ChecksumAlgorithm=alg
        )
        assert put[f"Checksum{alg}"]
        head = s3.head_object(Bucket=bucket, Key=alg, ChecksumMode="ENABLED")
        assert head[f"Checksum{alg}"] == put[f"Checksum{alg}"]


def test_signed_payload_and_unsigned_modes(gateway, bucket):
    """Header-signed sha256 payloads (no chunking) and presigned URLs."""
    import requests

    client = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
        config=Config(
            s3={"addressing_style": "path", "payload_signing_enabled": True},
            # boto3 presigns with SigV2 unless told otherwise.
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    client.put_object(Bucket=bucket, Key="signed", Body=b"payload")
    assert client.get_object(Bucket=bucket, Key="signed")["Body"].read() == b"payload"
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "signed"}, ExpiresIn=60
    )
    assert requests.get(url, timeout=10).content == b"payload"
    url = client.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=60
    )
    assert requests.put(url, data=b"via url", timeout=10).status_code == 200
    assert client.get_object(Bucket=bucket, Key="pre")["Body"].read() == b"via url"


def test_bucket_location_versioning_acl(s3, bucket):
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    s3.head_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="o", Body=b"1")
    assert (
        s3.get_object_acl(Bucket=bucket, Key="o")["Grants"][0]["Permission"]
        == "FULL_CONTROL"
    )


def test_virtual_hosted_style_addressing(gateway, s3, bucket):
    """Host "<bucket>.s3.test" names the bucket; the path is the key."""
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3.put_object(Bucket=bucket, Key="dir/vhost.txt", Body=b"virtual")
    host = f"{bucket}.{VIRTUAL_HOST_DOMAIN}:{gateway.port}"
    for method, path, expected in (
        ("GET", "/dir/vhost.txt", b"virtual"),
        ("GET", "/?list-type=2&prefix=dir%2F", b"<Key>dir/vhost.txt</Key>"),
    ):
        req = AWSRequest(
            method=method,
            url=f"http://{host}{path}",
            headers={"x-amz-content-sha256": hashlib.sha256(b"").hexdigest()},
        )
        SigV4Auth(
            Credentials(gateway.access_key, gateway.secret_key), "s3", gateway.region
        ).add_auth(req)
        headers = dict(req.headers)
        headers["Host"] = host
        resp = requests.request(
            method, f"{gateway.endpoint}{path}", headers=headers, timeout=10
        )
        assert resp.status_code == 200, resp.text
        assert expected in resp.content


def test_list_buckets_pagination(s3, bucket_name):
    names = [f"{bucket_name[:40]}-p{i}" for i in range(3)]
    for name in names:
        s3.create_bucket(Bucket=name)
    try:
        seen, token = [], None
        while True:
            kwargs = {"MaxBuckets": 1, "Prefix": bucket_name[:40]}
            if token:
                kwargs["ContinuationToken"] = token
            page = s3.list_buckets(**kwargs)
            seen += [b["Name"] for b in page["Buckets"]]
            token = page.get("ContinuationToken")
            if not token:
                break
        assert seen == names
    finally:
        for name in names:
            s3.delete_bucket(Bucket=name)


def test_complete_multipart_twice_and_unicode_metadata(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="twice")
    p1 = s3.upload_part(
        Bucket=bucket, Key="twice", UploadId=up["UploadId"], PartNumber=1, Body=b"x"
    )
    parts = {"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}]}
    first = s3.complete_multipart_upload(
        Bucket=bucket, Key="twice", UploadId=up["UploadId"], MultipartUpload=parts
    )
    # A retried Complete of the same upload succeeds with the same ETag.
    again = s3.complete_multipart_upload(
        Bucket=bucket, Key="twice", UploadId=up["UploadId"], MultipartUpload=parts
    )
    assert again["ETag"] == first["ETag"]

    # boto3 refuses non-ASCII metadata; set the header as s3-tests does.
    def set_header(params, **kwargs):
        params["headers"]["x-amz-meta-m"] = "Hello World\xe9"

    s3.meta.events.register("before-call.s3.PutObject", set_header)
    try:
        s3.put_object(Bucket=bucket, Key="uni", Body=b"1")
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", set_header)
    head = s3.head_object(Bucket=bucket, Key="uni")
    assert head["Metadata"] == {"m": "Hello World\xe9"}


def test_get_object_attributes_and_if_none_match_etag(s3, bucket):
    data = os.urandom(11 * 1024 * 1024)
    cfg = boto3.s3.transfer.TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    s3.upload_fileobj(io.BytesIO(data), bucket, "mp", Config=cfg)
    attrs = s3.get_object_attributes(
        Bucket=bucket,
        Key="mp",
        ObjectAttributes=["ETag", "ObjectParts", "StorageClass", "ObjectSize"],
        MaxParts=1,
        PartNumberMarker=1,
    )
    assert attrs["ObjectSize"] == len(data)
    assert attrs["StorageClass"] == "STANDARD"
    parts = attrs["ObjectParts"]
    assert parts["TotalPartsCount"] == 3 and parts["IsTruncated"] is True
    assert [(p["PartNumber"], p["Size"]) for p in parts["Parts"]] == [
        (2, 5 * 1024 * 1024)
    ]
    etag = s3.head_object(Bucket=bucket, Key="mp")["ETag"]
    assert attrs["ETag"] == etag.strip('"')
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="mp", Body=b"x", IfNoneMatch=etag)
    assert _code(e.value) == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="mp", Body=b"x", IfNoneMatch='"other"')
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"x"


def test_complete_verifies_the_whole_object_checksum(s3, bucket):
    part1, part2 = os.urandom(5 * 1024 * 1024), os.urandom(1000)
    up = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm="CRC32")
    uid = up["UploadId"]
    parts = []
    for number, body in ((1, part1), (2, part2)):
        r = s3.upload_part(
            Bucket=bucket,
            Key="ck",
            UploadId=uid,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="CRC32",
        )
        parts.append(
            {
                "PartNumber": number,
                "ETag": r["ETag"],
                "ChecksumCRC32": r["ChecksumCRC32"],
            }
        )
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="ck",
            UploadId=uid,
            ChecksumCRC32="AAAAAA==",
            MultipartUpload={"Parts": parts},
        )
    assert _code(e.value) == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="ck")
    full = base64.b64encode(zlib.crc32(part1 + part2).to_bytes(4, "big")).decode()
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="ck",
        UploadId=uid,
        ChecksumCRC32=full,
        MultipartUpload={"Parts": parts},
    )
    assert s3.get_object(Bucket=bucket, Key="ck")["Body"].read() == part1 + part2


def test_crc64nvme_put_and_checksum_mode(s3, bucket):
    from awscrt import checksums

    body = os.urandom(100_000)
    expected = base64.b64encode(checksums.crc64nvme(body).to_bytes(8, "big")).decode()
    put = s3.put_object(
        Bucket=bucket, Key="nvme", Body=body, ChecksumAlgorithm="CRC64NVME"
    )
    assert put["ChecksumCRC64NVME"] == expected
    head = s3.head_object(Bucket=bucket, Key="nvme", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == expected
    assert head["ChecksumType"] == "FULL_OBJECT"
    with pytest.raises(ClientError) as e:
        s3.put_object(
            Bucket=bucket, Key="bad", Body=body, ChecksumCRC64NVME="AAAAAAAAAAA="
        )
    assert _code(e.value) == "BadDigest"


@pytest.mark.parametrize(
    ("algorithm", "checksum_type"),
    [("CRC32", "FULL_OBJECT"), ("CRC64NVME", "FULL_OBJECT"), ("SHA256", "COMPOSITE")],
)
def test_multipart_checksum_types_and_part_reads(s3, bucket, algorithm, checksum_type):
    from awscrt import checksums

    def raw(data: bytes) -> bytes:
        if algorithm == "CRC32":
            return zlib.crc32(data).to_bytes(4, "big")
        if algorithm == "CRC64NVME":
            return checksums.crc64nvme(data).to_bytes(8, "big")
        return hashlib.sha256(data).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    name = "Checksum" + algorithm
    bodies = [os.urandom(5 * 1024 * 1024), os.urandom(3000)]
    up = s3.create_multipart_upload(
        Bucket=bucket, Key="mp", ChecksumAlgorithm=algorithm, ChecksumType=checksum_type
    )
    assert up["ChecksumAlgorithm"] == algorithm
    assert up["ChecksumType"] == checksum_type
    parts = []
    for number, body in enumerate(bodies, start=1):
        r = s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=up["UploadId"],
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm=algorithm,
        )
        assert r[name] == b64(raw(body))
        parts.append({"PartNumber": number, "ETag": r["ETag"], name: r[name]})
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": parts},
    )
    if checksum_type == "FULL_OBJECT":
        expected = b64(raw(b"".join(bodies)))
    else:
        expected = b64(hashlib.sha256(b"".join(raw(b) for b in bodies)).digest())
        expected += f"-{len(bodies)}"
    assert done["ChecksumType"] == checksum_type
    assert done[name] == expected
    head = s3.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert (head["ChecksumType"], head[name]) == (checksum_type, expected)
    assert name not in s3.head_object(Bucket=bucket, Key="mp")
    # A part read carries the part's checksum.
    for number, body in enumerate(bodies, start=1):
        got = s3.get_object(
            Bucket=bucket, Key="mp", PartNumber=number, ChecksumMode="ENABLED"
        )
        assert got[name] == b64(raw(body))
        assert got["ChecksumType"] == checksum_type
        assert got["Body"].read() == body
    attrs = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["Checksum", "ObjectParts"]
    )
    assert attrs["Checksum"]["ChecksumType"] == checksum_type
    assert [p[name] for p in attrs["ObjectParts"]["Parts"]] == [
        b64(raw(b)) for b in bodies
    ]


def test_multipart_checksum_type_rules(s3, bucket):
    for algorithm, checksum_type in (
        ("SHA1", "FULL_OBJECT"),
        ("CRC64NVME", "COMPOSITE"),
    ):
        with pytest.raises(ClientError) as e:
            s3.create_multipart_upload(
                Bucket=bucket,
                Key="k",
                ChecksumAlgorithm=algorithm,
                ChecksumType=checksum_type,
            )
        assert _code(e.value) == "InvalidRequest"
    # CRC64NVME is full-object by default, CRC32C composite.
    nvme = s3.create_multipart_upload(
        Bucket=bucket, Key="k", ChecksumAlgorithm="CRC64NVME"
    )
    assert nvme["ChecksumType"] == "FULL_OBJECT"
    crc32c = s3.create_multipart_upload(
        Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32C"
    )
    assert crc32c["ChecksumType"] == "COMPOSITE"
