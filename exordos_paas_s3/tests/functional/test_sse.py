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
"""Server-side encryption through the real gateway with boto3: SSE-S3,
bucket default encryption, SSE-KMS (local KMS) and SSE-C."""

import base64
import hashlib
import os
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from exordos_paas_s3.tests.functional.conftest import empty_and_delete, new_gateway

FRAME = 64 * 1024
KEY_A = os.urandom(32)
KEY_B = os.urandom(32)


def sse_c(key: bytes, copy_source: bool = False) -> dict:
    prefix = "CopySourceSSECustomer" if copy_source else "SSECustomer"
    return {
        prefix + "Algorithm": "AES256",
        prefix + "Key": base64.b64encode(key).decode(),
        prefix + "KeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


@pytest.fixture(scope="module")
def sse_gateway(tmp_path_factory):
    gw = new_gateway(
        str(tmp_path_factory.mktemp("sse")), "--kms-keys", "testkey-1,testkey-2"
    )
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


@pytest.fixture(scope="module")
def client(sse_gateway):
    return boto3.client(
        "s3",
        endpoint_url=sse_gateway.endpoint,
        aws_access_key_id=sse_gateway.access_key,
        aws_secret_access_key=sse_gateway.secret_key,
        region_name=sse_gateway.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


@pytest.fixture
def bkt(client):
    name = "sse-" + uuid.uuid4().hex[:16]
    client.create_bucket(Bucket=name)
    yield name
    empty_and_delete(client, name)


def _on_disk(gw, needle: bytes) -> list[str]:
    """Files of the data directory (object files, index, WAL) holding
    ``needle``."""
    hits = []
    for root, _dirs, files in os.walk(gw.data_dir):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        hits.append(path)
            except OSError:
                pass
    return hits


def _payload(size: int) -> tuple[bytes, bytes]:
    marker = b"PLAINTEXT-MARKER-" + uuid.uuid4().hex.encode()
    body = (marker * (size // len(marker) + 1))[:size]
    return body, marker


def _error(exc: pytest.ExceptionInfo) -> tuple[int, str]:
    resp = exc.value.response
    return resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Code"]


def test_sse_s3_round_trip_ranges_and_disk(client, bkt, sse_gateway):
    body, marker = _payload(3 * FRAME + 1234)
    put = client.put_object(
        Bucket=bkt, Key="o", Body=body, ServerSideEncryption="AES256"
    )
    assert put["ServerSideEncryption"] == "AES256"
    # SSE-S3: the ETag is the plaintext's MD5, as on AWS.
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    got = client.get_object(Bucket=bkt, Key="o")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["ContentLength"] == len(body)
    assert got["Body"].read() == body
    head = client.head_object(Bucket=bkt, Key="o")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == len(body)
    for start, end in (
        (0, 0),
        (FRAME - 1, FRAME),
        (FRAME - 10, 2 * FRAME + 10),
        (2 * FRAME, 3 * FRAME - 1),
        (3 * FRAME, len(body) - 1),
        (5, len(body) - 1),
    ):
        part = client.get_object(Bucket=bkt, Key="o", Range=f"bytes={start}-{end}")
        assert part["Body"].read() == body[start : end + 1], (start, end)
        assert part["ContentRange"] == f"bytes {start}-{end}/{len(body)}"
    listed = client.list_objects_v2(Bucket=bkt)["Contents"][0]
    assert listed["Size"] == len(body)
    assert _on_disk(sse_gateway, marker) == []
    # The check above can fail: unencrypted objects are found.
    client.put_object(Bucket=bkt, Key="plain", Body=marker)
    assert _on_disk(sse_gateway, marker) != []


def test_content_md5_and_checksums_cover_the_plaintext(client, bkt):
    body = os.urandom(FRAME + 5)
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    client.put_object(
        Bucket=bkt,
        Key="o",
        Body=body,
        ContentMD5=good,
        ServerSideEncryption="AES256",
        ChecksumAlgorithm="SHA256",
    )
    head = client.head_object(Bucket=bkt, Key="o", ChecksumMode="ENABLED")
    assert (
        head["ChecksumSHA256"]
        == base64.b64encode(hashlib.sha256(body).digest()).decode()
    )
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as exc:
        client.put_object(
            Bucket=bkt,
            Key="o",
            Body=b"new",
            ContentMD5=bad,
            ServerSideEncryption="AES256",
        )
    assert _error(exc)[1] == "BadDigest"
    assert client.get_object(Bucket=bkt, Key="o")["Body"].read() == body


def test_bucket_default_encryption_applies(client, bkt, sse_gateway):
    client.put_bucket_encryption(
        Bucket=bkt,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "testkey-1",
                    }
                }
            ]
        },
    )
    body, marker = _payload(1000)
    put = client.put_object(Bucket=bkt, Key="o", Body=body)
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == "testkey-1"
    got = client.get_object(Bucket=bkt, Key="o")
    assert got["SSEKMSKeyId"] == "testkey-1"
    assert got["Body"].read() == body
    assert _on_disk(sse_gateway, marker) == []
    client.delete_bucket_encryption(Bucket=bkt)
    put = client.put_object(Bucket=bkt, Key="p", Body=b"x")
    assert "ServerSideEncryption" not in put


def test_sse_kms_round_trip_and_unknown_key(client, bkt):
    body = os.urandom(2 * FRAME)
    put = client.put_object(
        Bucket=bkt,
        Key="o",
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId="testkey-2",
        BucketKeyEnabled=True,
    )
    assert put["SSEKMSKeyId"] == "testkey-2" and put["BucketKeyEnabled"] is True
    got = client.get_object(Bucket=bkt, Key="o", Range=f"bytes={FRAME - 3}-{FRAME + 3}")
    assert got["Body"].read() == body[FRAME - 3 : FRAME + 4]
    assert got["ServerSideEncryption"] == "aws:kms"
    with pytest.raises(ClientError) as exc:
        client.put_object(
            Bucket=bkt,
            Key="x",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId="no-such-key",
        )
    assert _error(exc) == (400, "KMS.NotFoundException")
    # SSE headers on a read are refused (s3-tests sse_kms_read_declare).
    hdrs = {"x-amz-server-side-encryption": "aws:kms"}

    def add(params, **_kw):
        params["headers"].update(hdrs)

    client.meta.events.register("before-call.s3.HeadObject", add)
    try:
        with pytest.raises(ClientError) as exc:
            client.head_object(Bucket=bkt, Key="o")
        assert _error(exc)[0] == 400
    finally:
        client.meta.events.unregister("before-call.s3.HeadObject", add)


def test_sse_c_round_trip_and_wrong_keys(client, bkt, sse_gateway):
    body, marker = _payload(2 * FRAME + 77)
    put = client.put_object(Bucket=bkt, Key="o", Body=body, **sse_c(KEY_A))
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == sse_c(KEY_A)["SSECustomerKeyMD5"]
    got = client.get_object(Bucket=bkt, Key="o", **sse_c(KEY_A))
    assert got["Body"].read() == body
    assert got["SSECustomerKeyMD5"] == sse_c(KEY_A)["SSECustomerKeyMD5"]
    part = client.get_object(
        Bucket=bkt, Key="o", Range=f"bytes={FRAME}-{2 * FRAME + 10}", **sse_c(KEY_A)
    )
    assert part["Body"].read() == body[FRAME : 2 * FRAME + 11]
    assert client.head_object(Bucket=bkt, Key="o", **sse_c(KEY_A))[
        "ContentLength"
    ] == len(body)
    for call in (client.get_object, client.head_object):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bkt, Key="o")
        assert _error(exc)[0] == 400
        with pytest.raises(ClientError) as exc:
            call(Bucket=bkt, Key="o", **sse_c(KEY_B))
        assert _error(exc)[0] == 400
    assert _on_disk(sse_gateway, marker) == []
    # The key itself is never stored.
    assert _on_disk(sse_gateway, KEY_A) == []
    assert _on_disk(sse_gateway, base64.b64encode(KEY_A)) == []
    with pytest.raises(ClientError) as exc:
        client.put_object(
            Bucket=bkt,
            Key="o2",
            Body=b"x",
            SSECustomerAlgorithm="AES256",
            SSECustomerKey=base64.b64encode(KEY_A).decode(),
            SSECustomerKeyMD5="AAAAAAAAAAAAAAAAAAAAAA==",
        )
    assert _error(exc) == (400, "InvalidArgument")


def test_sse_c_multipart_ranges_across_parts(client, bkt):
    part_size = 5 * 1024 * 1024 + 1
    parts_data = [os.urandom(part_size), os.urandom(part_size), os.urandom(1000)]
    body = b"".join(parts_data)
    up = client.create_multipart_upload(Bucket=bkt, Key="mp", **sse_c(KEY_A))
    assert up["SSECustomerAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as exc:
        client.upload_part(
            Bucket=bkt,
            Key="mp",
            UploadId=up["UploadId"],
            PartNumber=1,
            Body=b"x",
            **sse_c(KEY_B),
        )
    assert _error(exc)[0] == 400
    parts = []
    for number, data in enumerate(parts_data, start=1):
        if number == 2:
            # A part sent twice: the second copy wins (new nonces each time).
            client.upload_part(
                Bucket=bkt,
                Key="mp",
                UploadId=up["UploadId"],
                PartNumber=2,
                Body=os.urandom(part_size),
                **sse_c(KEY_A),
            )
        r = client.upload_part(
            Bucket=bkt,
            Key="mp",
            UploadId=up["UploadId"],
            PartNumber=number,
            Body=data,
            **sse_c(KEY_A),
        )
        parts.append({"ETag": r["ETag"], "PartNumber": number})
    listed = client.list_parts(Bucket=bkt, Key="mp", UploadId=up["UploadId"])
    assert [p["Size"] for p in listed["Parts"]] == [len(d) for d in parts_data]
    done = client.complete_multipart_upload(
        Bucket=bkt,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": parts},
        **sse_c(KEY_A),
    )
    assert done["ETag"].endswith('-3"')
    assert client.list_objects_v2(Bucket=bkt)["Contents"][0]["Size"] == len(body)
    got = client.get_object(Bucket=bkt, Key="mp", **sse_c(KEY_A))
    assert got["Body"].read() == body
    for start, end in (
        (part_size - 5, part_size + 5),
        (FRAME * 80 - 1, 2 * part_size + 10),
        (len(body) - 1, len(body) - 1),
    ):
        r = client.get_object(
            Bucket=bkt, Key="mp", Range=f"bytes={start}-{end}", **sse_c(KEY_A)
        )
        assert r["Body"].read() == body[start : end + 1], (start, end)
    r = client.get_object(Bucket=bkt, Key="mp", PartNumber=2, **sse_c(KEY_A))
    assert r["Body"].read() == parts_data[1]


def test_copy_between_kinds(client, bkt):
    body = os.urandom(FRAME * 2 + 3)
    client.put_object(Bucket=bkt, Key="c", Body=body, **sse_c(KEY_A))
    # SSE-C -> KMS needs the source key.
    with pytest.raises(ClientError) as exc:
        client.copy_object(
            Bucket=bkt,
            Key="k",
            CopySource={"Bucket": bkt, "Key": "c"},
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId="testkey-1",
        )
    assert _error(exc)[0] == 400
    r = client.copy_object(
        Bucket=bkt,
        Key="k",
        CopySource={"Bucket": bkt, "Key": "c"},
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId="testkey-1",
        **sse_c(KEY_A, copy_source=True),
    )
    assert r["ServerSideEncryption"] == "aws:kms"
    assert client.get_object(Bucket=bkt, Key="k")["Body"].read() == body
    # KMS -> plain.
    client.copy_object(Bucket=bkt, Key="p", CopySource={"Bucket": bkt, "Key": "k"})
    got = client.get_object(Bucket=bkt, Key="p")
    assert "ServerSideEncryption" not in got
    assert got["Body"].read() == body
    # plain -> SSE-C with another key.
    r = client.copy_object(
        Bucket=bkt, Key="c2", CopySource={"Bucket": bkt, "Key": "p"}, **sse_c(KEY_B)
    )
    assert r["SSECustomerKeyMD5"] == sse_c(KEY_B)["SSECustomerKeyMD5"]
    assert (
        client.get_object(Bucket=bkt, Key="c2", **sse_c(KEY_B))["Body"].read() == body
    )
    # Copy onto itself changing the encryption (SSE-C -> SSE-S3).
    client.copy_object(
        Bucket=bkt,
        Key="c2",
        CopySource={"Bucket": bkt, "Key": "c2"},
        ServerSideEncryption="AES256",
        **sse_c(KEY_B, copy_source=True),
    )
    got = client.get_object(Bucket=bkt, Key="c2")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == body
    # Metadata-only self copy keeps the encryption.
    client.copy_object(
        Bucket=bkt,
        Key="c2",
        CopySource={"Bucket": bkt, "Key": "c2"},
        MetadataDirective="REPLACE",
        Metadata={"a": "b"},
    )
    got = client.get_object(Bucket=bkt, Key="c2")
    assert got["ServerSideEncryption"] == "AES256" and got["Metadata"] == {"a": "b"}
    assert got["Body"].read() == body


def test_upload_part_copy_from_encrypted_source(client, bkt):
    src = os.urandom(5 * 1024 * 1024 + 10)
    client.put_object(Bucket=bkt, Key="s", Body=src, **sse_c(KEY_A))
    up = client.create_multipart_upload(
        Bucket=bkt, Key="d", ServerSideEncryption="aws:kms", SSEKMSKeyId="testkey-2"
    )
    r = client.upload_part_copy(
        Bucket=bkt,
        Key="d",
        UploadId=up["UploadId"],
        PartNumber=1,
        CopySource={"Bucket": bkt, "Key": "s"},
        **sse_c(KEY_A, copy_source=True),
    )
    tail = client.upload_part(
        Bucket=bkt, Key="d", UploadId=up["UploadId"], PartNumber=2, Body=b"tail"
    )
    assert tail["ServerSideEncryption"] == "aws:kms"
    done = client.complete_multipart_upload(
        Bucket=bkt,
        Key="d",
        UploadId=up["UploadId"],
        MultipartUpload={
            "Parts": [
                {"ETag": r["CopyPartResult"]["ETag"], "PartNumber": 1},
                {"ETag": tail["ETag"], "PartNumber": 2},
            ]
        },
    )
    assert done["ServerSideEncryption"] == "aws:kms"
    assert client.get_object(Bucket=bkt, Key="d")["Body"].read() == src + b"tail"


def test_empty_object_encrypted(client, bkt):
    client.put_object(Bucket=bkt, Key="e", Body=b"", ServerSideEncryption="AES256")
    got = client.get_object(Bucket=bkt, Key="e")
    assert got["ContentLength"] == 0 and got["Body"].read() == b""
    assert got["ETag"] == '"%s"' % hashlib.md5(b"").hexdigest()


def test_multipart_part_etags_are_stable_and_sse_s3_etag_is_aws_composite(client, bkt):
    data = [os.urandom(5 * 1024 * 1024), os.urandom(100)]
    for headers in ({"ServerSideEncryption": "AES256"}, sse_c(KEY_A)):
        part_headers = headers if "SSECustomerKey" in headers else {}
        up = client.create_multipart_upload(Bucket=bkt, Key="m", **headers)
        etags = []
        for number, body in enumerate(data, start=1):
            first = client.upload_part(
                Bucket=bkt,
                Key="m",
                UploadId=up["UploadId"],
                PartNumber=number,
                Body=body,
                **part_headers,
            )
            # The same bytes again: the same ETag (s3-tests resend_parts).
            again = client.upload_part(
                Bucket=bkt,
                Key="m",
                UploadId=up["UploadId"],
                PartNumber=number,
                Body=body,
                **part_headers,
            )
            assert again["ETag"] == first["ETag"]
            etags.append(first["ETag"])
        listed = client.list_parts(Bucket=bkt, Key="m", UploadId=up["UploadId"])
        assert [p["ETag"] for p in listed["Parts"]] == etags
        done = client.complete_multipart_upload(
            Bucket=bkt,
            Key="m",
            UploadId=up["UploadId"],
            MultipartUpload={
                "Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, 1)]
            },
            **part_headers,
        )
        raw = b"".join(bytes.fromhex(e.strip('"')) for e in etags)
        assert done["ETag"] == '"%s-2"' % hashlib.md5(raw).hexdigest()
        if not part_headers:
            # SSE-S3: part ETags are the plaintext MD5s, as on AWS.
            assert etags[0] == '"%s"' % hashlib.md5(data[0]).hexdigest()
        head = client.head_object(Bucket=bkt, Key="m", **part_headers)
        assert head["ETag"] == done["ETag"]
        got = client.get_object(Bucket=bkt, Key="m", **part_headers)
        assert got["Body"].read() == b"".join(data)


def test_conditional_writes_see_the_etags_clients_were_shown(client, bkt):
    """If-Match / If-None-Match name the plaintext ETag of an SSE-S3 object
    (and the composite one of an encrypted multipart object), not the stored
    bytes' one (before: If-Match with the shown ETag answered 412)."""
    data = os.urandom(3000)
    etag = client.put_object(
        Bucket=bkt, Key="k", Body=data, ServerSideEncryption="AES256"
    )["ETag"]
    assert etag == '"%s"' % hashlib.md5(data).hexdigest()
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bkt, Key="k", Body=b"x", IfMatch='"0"')
    assert exc.value.response["Error"]["Code"] == "PreconditionFailed"
    client.put_object(
        Bucket=bkt, Key="k", Body=b"new", IfMatch=etag, ServerSideEncryption="AES256"
    )
    assert client.get_object(Bucket=bkt, Key="k")["Body"].read() == b"new"
    # A multipart object encrypted with SSE-S3: its composite ETag matches.
    part = os.urandom(5 * 1024 * 1024)
    up = client.create_multipart_upload(
        Bucket=bkt, Key="mp", ServerSideEncryption="AES256"
    )
    p1 = client.upload_part(
        Bucket=bkt, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=part
    )["ETag"]
    done = client.complete_multipart_upload(
        Bucket=bkt,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}]},
    )
    client.put_object(Bucket=bkt, Key="mp", Body=b"over", IfMatch=done["ETag"])
    assert client.get_object(Bucket=bkt, Key="mp")["Body"].read() == b"over"


def test_multipart_checksums_of_an_encrypted_upload(client, bkt):
    """An SSE upload with x-amz-checksum-algorithm gets its composite
    checksum on Complete and HEAD (before: none, the backend below the
    encryption never saw the parts' plaintext checksums)."""
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    up = client.create_multipart_upload(
        Bucket=bkt, Key="mp", ServerSideEncryption="AES256", ChecksumAlgorithm="SHA256"
    )
    listed = []
    for number, data in enumerate(parts, 1):
        got = client.upload_part(
            Bucket=bkt,
            Key="mp",
            UploadId=up["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="SHA256",
        )
        listed.append(
            {
                "PartNumber": number,
                "ETag": got["ETag"],
                "ChecksumSHA256": got["ChecksumSHA256"],
            }
        )
    done = client.complete_multipart_upload(
        Bucket=bkt,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": listed},
    )
    raw = b"".join(hashlib.sha256(p).digest() for p in parts)
    want = base64.b64encode(hashlib.sha256(raw).digest()).decode() + "-2"
    assert done["ChecksumSHA256"] == want
    head = client.head_object(Bucket=bkt, Key="mp", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == want
