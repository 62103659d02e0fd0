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
"""Bad input against the real gateway: every error in the S3 XML form, and a
rejected request never changes what is stored."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
import zlib

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

pytestmark = pytest.mark.functional


class _HeaderPayloadSigner(SigV4Auth):
    """SigV4 that signs whatever x-amz-content-sha256 says, as S3 does."""

    def payload(self, request):
        return request.headers["x-amz-content-sha256"]


def signed(
    gw, method, path, body=b"", headers=None, query="", payload_hash=None, secret=None
):
    url = gw.endpoint + path + (f"?{query}" if query else "")
    h = dict(headers or {})
    if payload_hash is None:
        payload_hash = (
            hashlib.sha256(body).hexdigest()
            if isinstance(body, bytes)
            else "UNSIGNED-PAYLOAD"
        )
    h["x-amz-content-sha256"] = payload_hash
    req = AWSRequest(method=method, url=url, data=b"", headers=h)
    _HeaderPayloadSigner(
        Credentials(gw.access_key, secret or gw.secret_key), "s3", gw.region
    ).add_auth(req)
    return requests.request(
        method, url, data=body, headers=dict(req.headers), timeout=30
    )


def error_of(resp) -> dict[str, str]:
    root = ET.fromstring(resp.content)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def _code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_error_document_shape_and_request_id(gateway, bucket):
    resp = signed(gateway, "GET", f"/{bucket}/no-such-key")
    assert resp.status_code == 404
    doc = error_of(resp)
    assert doc["Code"] == "NoSuchKey"
    assert doc["Message"]
    assert doc["Resource"] == f"/{bucket}/no-such-key"
    assert doc["RequestId"] == resp.headers["x-amz-request-id"]
    assert resp.headers["x-amz-id-2"]
    # HEAD errors carry no body.
    resp = signed(gateway, "HEAD", f"/{bucket}/no-such-key")
    assert resp.status_code == 404 and resp.content == b""
    assert resp.headers["x-amz-request-id"]


def test_success_responses_carry_request_ids(gateway, bucket):
    resp = signed(gateway, "GET", f"/{bucket}", query="list-type=2")
    assert resp.status_code == 200
    assert len(resp.headers["x-amz-request-id"]) == 16


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "Upper",
        "under_score",
        "192.168.1.1",
        "-lead",
        "a..b",
        "x" * 64,
        "xn--abc",
        "bucket-s3alias",
    ],
)
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert _code(e.value) == "InvalidBucketName"


def test_recreating_own_bucket_and_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    # us-east-1 legacy (AWS CreateBucket): re-creating one's own bucket is
    # 200 OK and changes nothing; other regions answer BucketAlreadyOwnedByYou.
    s3.create_bucket(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"1"
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert _code(e.value) == "BucketNotEmpty"


def test_no_such_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="no-such-bucket-" + uuid.uuid4().hex[:8])
    assert _code(e.value) == "NoSuchBucket"


def test_invalid_location_constraint(s3, bucket_name):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(
            Bucket=bucket_name,
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
    assert _code(e.value) == "InvalidLocationConstraint"


def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"1")
    assert _code(e.value) == "KeyTooLongError"
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"1")


def test_bad_content_md5_is_bad_digest_and_keeps_object(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    resp = signed(
        gateway, "PUT", f"/{bucket}/keep", b"replacement", {"content-md5": wrong}
    )
    assert resp.status_code == 400 and error_of(resp)["Code"] == "BadDigest"
    resp = signed(
        gateway,
        "PUT",
        f"/{bucket}/keep",
        b"replacement",
        {"content-md5": "not-base64!"},
    )
    assert resp.status_code == 400 and error_of(resp)["Code"] == "InvalidDigest"
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def test_sha256_mismatch_keeps_object(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    resp = signed(
        gateway,
        "PUT",
        f"/{bucket}/keep",
        b"replacement",
        payload_hash=hashlib.sha256(b"something else").hexdigest(),
    )
    assert resp.status_code == 400
    assert error_of(resp)["Code"] == "XAmzContentSHA256Mismatch"
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def test_checksum_header_mismatch_keeps_object(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    resp = signed(
        gateway,
        "PUT",
        f"/{bucket}/keep",
        b"replacement",
        {"x-amz-checksum-crc32": "AAAAAA=="},
    )
    assert resp.status_code == 400
    doc = error_of(resp)
    assert doc["Code"] == "BadDigest"
    assert doc["Message"] == (
        "The CRC32 you specified did not match the calculated checksum."
    )
    good = base64.b64encode(
        bytes.fromhex("%08x" % __import__("google_crc32c").value(b"replacement"))
    ).decode()
    resp = signed(
        gateway,
        "PUT",
        f"/{bucket}/crc32c",
        b"replacement",
        {"x-amz-checksum-crc32c": good},
    )
    assert resp.status_code == 200
    assert resp.headers["x-amz-checksum-crc32c"] == good
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def _send_raw(gw, method, path, headers, body: bytes) -> list[bytes]:
    """One request with ``body`` sent as is (whatever Content-Length says);
    every response read until the server closes the connection."""
    url = gw.endpoint + path
    req = AWSRequest(method=method, url=url, data=b"", headers=headers)
    req.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    _HeaderPayloadSigner(
        Credentials(gw.access_key, gw.secret_key), "s3", gw.region
    ).add_auth(req)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [part for part in data.split(b"HTTP/1.1 ")[1:]]


def test_body_longer_than_content_length_gets_the_real_answer(gateway, s3, bucket):
    # "bar" sent with Content-Length: 2 (ceph/s3-tests
    # test_object_create_bad_contentlength_mismatch_below_aws2): the request
    # is "ba" and gets its own answer, then "r" gets a 400 and the close.
    crc_bar = base64.b64encode(zlib.crc32(b"bar").to_bytes(4, "big")).decode()
    answers = _send_raw(
        gateway,
        "PUT",
        f"/{bucket}/short",
        {"Content-Length": "2", "x-amz-checksum-crc32": crc_bar},
        b"bar",
    )
    assert len(answers) == 2, answers
    assert answers[0].startswith(b"400 ") and b"<Code>BadDigest</Code>" in answers[0]
    assert answers[1].startswith(b"400 ") and b"connection: close" in answers[1]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="short")
    # Without a digest the two bytes are a valid object: the client is told so.
    answers = _send_raw(
        gateway, "PUT", f"/{bucket}/short", {"Content-Length": "2"}, b"bar"
    )
    assert answers[0].startswith(b"200 "), answers
    assert s3.get_object(Bucket=bucket, Key="short")["Body"].read() == b"ba"


def test_trailing_checksum_mismatch_keeps_object(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    data = b"replacement"
    body = (
        b"%x\r\n" % len(data) + data + b"\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    )
    resp = signed(
        gateway,
        "PUT",
        f"/{bucket}/keep",
        body,
        {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        },
        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )
    assert resp.status_code == 400
    assert error_of(resp)["Code"] == "BadDigest"
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def _raw_put(gateway, path: str, headers: dict[str, str], body: bytes = b""):
    """A signed PUT sent byte by byte: no Content-Length unless given."""
    req = AWSRequest(
        method="PUT",
        url=f"{gateway.endpoint}{path}",
        headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD", **headers},
    )
    _HeaderPayloadSigner(
        Credentials(gateway.access_key, gateway.secret_key), "s3", gateway.region
    ).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.putrequest("PUT", path, skip_accept_encoding=True)
    for name, value in req.headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    if body:
        conn.send(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def test_missing_content_length(gateway, bucket):
    status, body = _raw_put(gateway, f"/{bucket}/nolen", {})
    assert status == 411
    assert b"<Code>MissingContentLength</Code>" in body


def test_http_chunked_put_without_length_is_accepted(gateway, s3, bucket):
    def gen():
        yield b"chunk-1 "
        yield b"chunk-2"

    resp = signed(
        gateway, "PUT", f"/{bucket}/te", gen(), payload_hash="UNSIGNED-PAYLOAD"
    )
    assert resp.status_code == 200, resp.text
    assert s3.get_object(Bucket=bucket, Key="te")["Body"].read() == b"chunk-1 chunk-2"


def test_entity_too_large_is_refused_before_the_body(gateway, bucket):
    status, body = _raw_put(
        gateway, f"/{bucket}/huge", {"content-length": str(6 * 1024**3)}
    )
    assert status == 400
    assert b"<Code>EntityTooLarge</Code>" in body


def test_metadata_too_large(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="m", Body=b"1", Metadata={"big": "x" * 2100})
    assert _code(e.value) == "MetadataTooLarge"


def test_malformed_xml_and_entity_bombs(gateway, bucket):
    for body in (
        b"<Delete><Object><Key>a</Key></Object>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<Delete><Object><Key>&b;</Key></Object></Delete>",
        b"<Other/>",
    ):
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        resp = signed(
            gateway, "POST", f"/{bucket}", body, {"content-md5": md5}, query="delete"
        )
        assert resp.status_code == 400, body
        assert error_of(resp)["Code"] == "MalformedXML", body


def test_delete_objects_needs_a_digest_and_at_most_1000_keys(gateway, bucket):
    body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    resp = signed(gateway, "POST", f"/{bucket}", body, query="delete")
    assert resp.status_code == 400
    assert error_of(resp)["Code"] == "InvalidRequest"
    body = (
        b"<Delete>"
        + b"".join(b"<Object><Key>k%d</Key></Object>" % i for i in range(1001))
        + b"</Delete>"
    )
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    resp = signed(
        gateway, "POST", f"/{bucket}", body, {"content-md5": md5}, query="delete"
    )
    assert resp.status_code == 400
    assert error_of(resp)["Code"] == "MalformedXML"


@pytest.mark.parametrize(
    "query",
    [
        "list-type=2&max-keys=-1",
        "list-type=2&max-keys=abc",
        "max-keys=x",
        "list-type=2&continuation-token=abc",
        "list-type=2&encoding-type=base64",
    ],
)
def test_invalid_listing_arguments(gateway, bucket, query):
    resp = signed(gateway, "GET", f"/{bucket}", query=query)
    assert resp.status_code == 400
    assert error_of(resp)["Code"] == "InvalidArgument"


@pytest.mark.parametrize("number", ["0", "10001", "x"])
def test_invalid_part_numbers(s3, gateway, bucket, number):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    resp = signed(
        gateway,
        "PUT",
        f"/{bucket}/mp",
        b"data",
        query=f"partNumber={number}&uploadId={up['UploadId']}",
    )
    assert resp.status_code == 400
    assert error_of(resp)["Code"] == "InvalidArgument"


def test_multipart_errors(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.upload_part(
            Bucket=bucket, Key="mp", UploadId="nope", PartNumber=1, Body=b"1"
        )
    assert _code(e.value) == "NoSuchUpload"
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    uid = up["UploadId"]
    p1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=b"a")
    p2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=2, Body=b"b")
    parts = [
        {"PartNumber": 1, "ETag": p1["ETag"]},
        {"PartNumber": 2, "ETag": p2["ETag"]},
    ]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": parts}
        )
    assert _code(e.value) == "EntityTooSmall"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=uid,
            MultipartUpload={"Parts": parts[::-1]},
        )
    assert _code(e.value) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
        )
    assert _code(e.value) == "InvalidPart"


def test_range_and_part_number_errors(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")
    assert _code(e.value) == "InvalidRange"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", PartNumber=2)
    # What AWS answers (s3-tests test_non_multipart_get_part).
    assert _code(e.value) == "InvalidPart"


def test_response_override_with_a_line_break_is_invalid_argument(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"data")
    with pytest.raises(ClientError) as e:
        s3.get_object(
            Bucket=bucket,
            Key="o",
            ResponseContentDisposition="attachment\r\nset-cookie: a=b",
        )
    assert _code(e.value) == "InvalidArgument"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    got = s3.get_object(
        Bucket=bucket, Key="o", ResponseContentDisposition="attachment; x=1"
    )
    assert got["ContentDisposition"] == "attachment; x=1"
    assert got["Body"].read() == b"data"


def test_wrong_secret_unknown_key_anonymous_and_expired(gateway, bucket):
    resp = signed(gateway, "GET", f"/{bucket}", query="list-type=2", secret="wrong" * 8)
    assert resp.status_code == 403
    assert error_of(resp)["Code"] == "SignatureDoesNotMatch"
    bad = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id="AKNOSUCHKEY0000",
        aws_secret_access_key="x" * 40,
        region_name=gateway.region,
        config=Config(s3={"addressing_style": "path"}),
    )
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=bucket)
    assert _code(e.value) == "InvalidAccessKeyId"
    resp = requests.get(f"{gateway.endpoint}/{bucket}", timeout=10)
    assert resp.status_code == 403 and error_of(resp)["Code"] == "AccessDenied"
    client = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1
    )
    time.sleep(2.1)
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 403
    doc = error_of(resp)
    assert doc["Code"] == "AccessDenied" and "expired" in doc["Message"]


def test_unimplemented_operations_answer_501(gateway, bucket):
    resp = signed(gateway, "PUT", f"/{bucket}", b"<x/>", query="analytics")
    assert resp.status_code == 501
    assert error_of(resp)["Code"] == "NotImplemented"
    resp = signed(gateway, "GET", f"/{bucket}", query="analytics")
    assert resp.status_code == 501
    resp = signed(gateway, "GET", f"/{bucket}", query="policy")
    assert resp.status_code == 404
    assert error_of(resp)["Code"] == "NoSuchBucketPolicy"


def test_other_principal_cannot_touch_my_bucket(gateway, s3, bucket):
    auth = (gateway.access_key, gateway.secret_key)
    name = "u" + uuid.uuid4().hex[:10]
    r = requests.post(
        f"{gateway.admin_endpoint}/v1/users", json={"name": name}, auth=auth, timeout=10
    )
    assert r.status_code == 201, r.text
    key = requests.post(
        f"{gateway.admin_endpoint}/v1/users/{name}/keys", json={}, auth=auth, timeout=10
    ).json()
    other = boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=key["access_key"],
        aws_secret_access_key=key["secret_key"],
        region_name=gateway.region,
        config=Config(s3={"addressing_style": "path"}),
    )
    s3.put_object(Bucket=bucket, Key="private", Body=b"mine")
    for call in (
        lambda: other.get_object(Bucket=bucket, Key="private"),
        lambda: other.put_object(Bucket=bucket, Key="private", Body=b"theirs"),
        lambda: other.list_objects_v2(Bucket=bucket),
        lambda: other.delete_bucket(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert _code(e.value) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        other.create_bucket(Bucket=bucket)
    assert _code(e.value) == "BucketAlreadyExists"
    assert bucket not in [b["Name"] for b in other.list_buckets()["Buckets"]]
    own = "own-" + uuid.uuid4().hex[:12]
    other.create_bucket(Bucket=own)
    other.put_object(Bucket=own, Key="x", Body=b"1")
    assert [b["Name"] for b in other.list_buckets()["Buckets"]] == [own]
    # Root sees every bucket.
    assert own in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    other.delete_object(Bucket=own, Key="x")
    other.delete_bucket(Bucket=own)
    assert s3.get_object(Bucket=bucket, Key="private")["Body"].read() == b"mine"


def _start_plain(tmp_path, *args, env_extra=None):
    """A gateway without root credentials in the environment."""
    from exordos_paas_s3.tests.functional.conftest import REPO_ROOT, free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXORDOS_S3")}
    env.update(env_extra or {})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exordos_paas_s3.cmd.gateway",
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{free_port()}",
            *args,
        ],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    return proc, port


def _stop(proc) -> str:
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    return out.decode(errors="replace")


def _list_buckets(port, access, secret):
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name="us-east-1",
    )
    return client.list_buckets()


def test_root_credentials_generated_once_and_kept(tmp_path):
    data = tmp_path / "data"
    proc, port = _start_plain(tmp_path, "--data-dir", str(data))
    out = _stop(proc)
    creds_file = data / "root-credentials.json"
    assert oct(creds_file.stat().st_mode & 0o777) == "0o600"
    creds = json.loads(creds_file.read_text())
    assert creds["secret_key"] in out  # printed once, at creation
    proc, port = _start_plain(tmp_path, "--data-dir", str(data))
    try:
        _list_buckets(port, creds["access_key"], creds["secret_key"])
    finally:
        out = _stop(proc)
    assert creds["secret_key"] not in out


def test_config_file_gives_root_credentials_and_region(tmp_path):
    conf = tmp_path / "gateway.conf"
    conf.write_text(
        # oslo.config file keys use underscores (the flags use dashes).
        "[DEFAULT]\n"
        f"data_dir = {tmp_path / 'data'}\n"
        "region = eu-test-1\n"
        "root_access_key = CONFROOTKEY\n"
        "root_secret_key = conf-secret-key-123\n"
    )
    proc, port = _start_plain(tmp_path, "--config-file", str(conf))
    try:
        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="CONFROOTKEY",
            aws_secret_access_key="conf-secret-key-123",
            region_name="eu-test-1",
            config=Config(s3={"addressing_style": "path"}),
        )
        client.create_bucket(
            Bucket="conf-bucket",
            CreateBucketConfiguration={"LocationConstraint": "eu-test-1"},
        )
        loc = client.get_bucket_location(Bucket="conf-bucket")
        assert loc["LocationConstraint"] == "eu-test-1"
        # Outside us-east-1, re-creating one's own bucket is a 409.
        with pytest.raises(ClientError) as e:
            client.create_bucket(
                Bucket="conf-bucket",
                CreateBucketConfiguration={"LocationConstraint": "eu-test-1"},
            )
        assert _code(e.value) == "BucketAlreadyOwnedByYou"
    finally:
        out = _stop(proc)
    assert "conf-secret-key-123" not in out
