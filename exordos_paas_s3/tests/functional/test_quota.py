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
"""Bucket quotas: the admin API's ``quota_bytes`` enforced on S3 writes, and
the storage's usage counter behind it (gateway/quota.py)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
import requests
from botocore.exceptions import ClientError

from exordos_paas_s3.gateway.storage import base, local

MIB = 1 << 20


# --- the usage counter of the local index ------------------------------------


async def _chunks(data: bytes):
    yield data


async def _put(st: base.Storage, bucket: str, key: str, size: int):
    req = base.PutRequest(bucket, key, "owner-1")
    return await st.put_object(req, _chunks(b"x" * size))


def _run(data_dir: str, fn) -> None:
    async def main() -> None:
        st = local.LocalStorage(data_dir)
        await st.start()
        try:
            await fn(st)
        finally:
            await st.close()

    asyncio.run(main())


def test_usage_counter_follows_every_write(tmp_path):
    data_dir = str(tmp_path / "data")

    async def scenario(st: base.Storage) -> None:
        await st.create_bucket("plain", "owner-1", "us-east-1")
        await st.create_bucket("versioned", "owner-1", "us-east-1")
        await st.update_bucket("versioned", versioning="Enabled")
        assert await st.bucket_usage("plain") == (0, 0)
        await _put(st, "plain", "a", 100)
        await _put(st, "plain", "b", 50)
        assert await st.bucket_usage("plain") == (2, 150)
        await _put(st, "plain", "a", 10)  # an overwrite replaces the bytes
        assert await st.bucket_usage("plain") == (2, 60)
        await st.delete_object("plain", "b")
        assert await st.bucket_usage("plain") == (1, 10)
        # Every version counts, a delete marker does not.
        await _put(st, "versioned", "k", 30)
        await _put(st, "versioned", "k", 40)
        await st.delete_object("versioned", "k")
        assert await st.bucket_usage("versioned") == (2, 70)
        # Multipart: parts do not count, the completed object does.
        up = await st.create_multipart_upload(base.PutRequest("plain", "mp", "o"))
        part = await st.upload_part("plain", "mp", up.upload_id, 1, _chunks(b"y" * 7))
        assert await st.bucket_usage("plain") == (1, 10)
        await st.complete_multipart_upload(
            "plain", "mp", up.upload_id, [(1, part.etag)]
        )
        assert await st.bucket_usage("plain") == (2, 17)
        # The other bucket was never touched.
        assert await st.bucket_usage("versioned") == (2, 70)

    _run(data_dir, scenario)


def test_usage_counter_is_built_for_an_index_that_predates_it(tmp_path):
    data_dir = str(tmp_path / "data")

    async def fill(st: base.Storage) -> None:
        await st.create_bucket("old", "owner-1", "us-east-1")
        await _put(st, "old", "a", 5)
        await _put(st, "old", "b", 6)

    _run(data_dir, fill)
    # Make the index look like one written before the counter existed.
    conn = sqlite3.connect(str(tmp_path / "data" / "meta.sqlite"))
    for trigger in ("insert", "delete", "resize", "drop"):
        conn.execute(f"DROP TRIGGER bucket_usage_{trigger}")
    conn.execute("DROP TABLE bucket_usage")
    conn.commit()
    conn.close()

    async def check(st: base.Storage) -> None:
        assert await st.bucket_usage("old") == (2, 11)
        await _put(st, "old", "c", 1)
        assert await st.bucket_usage("old") == (3, 12)

    _run(data_dir, check)


# --- enforcement through the real gateway --------------------------------------


def _admin(gateway, method: str, path: str, body=None):
    return requests.request(
        method,
        gateway.admin_endpoint + path,
        json=body,
        auth=(gateway.access_key, gateway.secret_key),
        timeout=10,
    )


@pytest.fixture
def quota_bucket(gateway, s3, bucket_name):
    """A bucket made through the admin API with a 1 MiB quota."""
    r = _admin(gateway, "PUT", f"/v1/buckets/{bucket_name}", {"quota_bytes": MIB})
    assert r.status_code == 201, r.text
    yield bucket_name
    _admin(gateway, "DELETE", f"/v1/buckets/{bucket_name}?force=true")


def _code(exc: ClientError) -> tuple[int, str]:
    return (
        exc.response["ResponseMetadata"]["HTTPStatusCode"],
        exc.response["Error"]["Code"],
    )


def _keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _usage(gateway, bucket: str) -> dict:
    state = _admin(gateway, "GET", "/v1/state").json()
    (item,) = [b for b in state["buckets"] if b["name"] == bucket]
    # The object figures (quota); unfinished uploads: test_upload_reaper.py.
    return {k: item["usage"][k] for k in ("objects", "bytes")}


def test_put_over_quota_is_refused_and_stores_nothing(gateway, s3, quota_bucket):
    s3.put_object(Bucket=quota_bucket, Key="a", Body=b"a" * (600 * 1024))
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=quota_bucket, Key="b", Body=b"b" * (500 * 1024))
    assert _code(exc.value) == (403, "QuotaExceeded")
    assert _keys(s3, quota_bucket) == ["a"]
    assert _usage(gateway, quota_bucket) == {"objects": 1, "bytes": 600 * 1024}
    # Up to the limit exactly is allowed.
    s3.put_object(Bucket=quota_bucket, Key="b", Body=b"b" * (424 * 1024))
    assert _usage(gateway, quota_bucket) == {"objects": 2, "bytes": MIB}
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=quota_bucket, Key="c", Body=b"c")
    assert _code(exc.value) == (403, "QuotaExceeded")


def test_overwrite_counts_only_the_difference(s3, quota_bucket):
    s3.put_object(Bucket=quota_bucket, Key="a", Body=b"1" * (900 * 1024))
    # Replacing the object frees its old bytes in the same commit.
    s3.put_object(Bucket=quota_bucket, Key="a", Body=b"2" * (1000 * 1024))
    assert s3.get_object(Bucket=quota_bucket, Key="a")["Body"].read()[:1] == b"2"


def test_deleting_frees_space(gateway, s3, quota_bucket):
    s3.put_object(Bucket=quota_bucket, Key="big", Body=b"x" * (800 * 1024))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=quota_bucket, Key="next", Body=b"y" * (300 * 1024))
    s3.delete_object(Bucket=quota_bucket, Key="big")
    assert _usage(gateway, quota_bucket) == {"objects": 0, "bytes": 0}
    s3.put_object(Bucket=quota_bucket, Key="next", Body=b"y" * (300 * 1024))
    assert _keys(s3, quota_bucket) == ["next"]


def test_copy_over_quota_is_refused(s3, quota_bucket):
    s3.put_object(Bucket=quota_bucket, Key="src", Body=b"s" * (700 * 1024))
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=quota_bucket,
            Key="dst",
            CopySource={"Bucket": quota_bucket, "Key": "src"},
        )
    assert _code(exc.value) == (403, "QuotaExceeded")
    assert _keys(s3, quota_bucket) == ["src"]
    # A metadata-only copy onto itself adds no bytes.
    s3.copy_object(
        Bucket=quota_bucket,
        Key="src",
        CopySource={"Bucket": quota_bucket, "Key": "src"},
        Metadata={"k": "v"},
        MetadataDirective="REPLACE",
    )


def test_complete_multipart_over_quota_is_refused(gateway, s3, bucket_name):
    r = _admin(gateway, "PUT", f"/v1/buckets/{bucket_name}", {"quota_bytes": 6 * MIB})
    assert r.status_code == 201, r.text
    try:
        up = s3.create_multipart_upload(Bucket=bucket_name, Key="mp")["UploadId"]
        parts = []
        for number, size in ((1, 5 * MIB), (2, 2 * MIB)):
            etag = s3.upload_part(
                Bucket=bucket_name,
                Key="mp",
                UploadId=up,
                PartNumber=number,
                Body=b"p" * size,
            )["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        with pytest.raises(ClientError) as exc:
            s3.complete_multipart_upload(
                Bucket=bucket_name,
                Key="mp",
                UploadId=up,
                MultipartUpload={"Parts": parts},
            )
        assert _code(exc.value) == (403, "QuotaExceeded")
        assert _keys(s3, bucket_name) == []
        # Raising the quota lets the same upload complete.
        r = _admin(
            gateway, "PUT", f"/v1/buckets/{bucket_name}", {"quota_bytes": 8 * MIB}
        )
        assert r.status_code == 201, r.text
        s3.complete_multipart_upload(
            Bucket=bucket_name, Key="mp", UploadId=up, MultipartUpload={"Parts": parts}
        )
        assert _usage(gateway, bucket_name) == {"objects": 1, "bytes": 7 * MIB}
    finally:
        _admin(gateway, "DELETE", f"/v1/buckets/{bucket_name}?force=true")


def test_bucket_without_quota_is_unlimited_and_reports_usage(gateway, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"a" * (2 * MIB))
    assert _usage(gateway, bucket) == {"objects": 1, "bytes": 2 * MIB}


def test_post_object_over_quota_is_refused(gateway, s3, quota_bucket):
    # A browser form upload's size is known only once its file part streamed
    # in: the quota is checked before the object becomes visible.
    form = s3.generate_presigned_post(quota_bucket, "form")
    ok = requests.post(
        form["url"], data=form["fields"], files={"file": b"f" * 1000}, timeout=30
    )
    assert ok.status_code == 204, ok.text
    refused = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": b"g" * (MIB + 1)},
        timeout=30,
    )
    assert refused.status_code == 403, refused.text
    assert b"<Code>QuotaExceeded</Code>" in refused.content
    assert s3.get_object(Bucket=quota_bucket, Key="form")["Body"].read() == b"f" * 1000
    assert _usage(gateway, quota_bucket) == {"objects": 1, "bytes": 1000}
