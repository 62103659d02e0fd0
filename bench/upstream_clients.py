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
"""S3 client libraries side by side against one upstream (Ceph RGW): the
blob store's operations (small GET, 64 MiB PUT and GET), wall time and this
process's CPU per operation, for the client choice of issue 11
(docs/decisions/0011-upstream-client.md).

  . /tmp/ceph-rgw/rgw.env && bench/upstream_clients.py
  bench/upstream_clients.py --endpoint http://127.0.0.1:7480 --rounds 3

Clients: boto3 (sync; in a server it would run in worker threads), minio
(sync, urllib3), and httpx.AsyncClient with botocore's SigV4 signer (async,
on the gateway's own loop). Each runs alone, sequentially, on one warm
connection; the same objects for all.
"""

import argparse
import asyncio
import os
import time

MIB = 1 << 20


def _timed(fn, n):
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


def bench_boto3(args, small, big):
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key,
        region_name=args.region,
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=4),
    )
    s3.put_object(Bucket=args.bucket, Key="small", Body=small)

    def get_small():
        assert s3.get_object(Bucket=args.bucket, Key="small")["Body"].read() == small

    def put_big():
        s3.put_object(Bucket=args.bucket, Key="big-boto3", Body=big)

    def get_big():
        body = s3.get_object(Bucket=args.bucket, Key="big-boto3")["Body"]
        n = 0
        for chunk in body.iter_chunks(MIB):
            n += len(chunk)
        assert n == len(big)

    return get_small, put_big, get_big


def bench_minio(args, small, big):
    import io
    from urllib.parse import urlsplit

    import minio

    url = urlsplit(args.endpoint)
    mc = minio.Minio(
        url.netloc,
        access_key=args.access_key,
        secret_key=args.secret_key,
        secure=url.scheme == "https",
        region=args.region,
    )

    def get_small():
        resp = mc.get_object(args.bucket, "small")
        try:
            assert resp.read() == small
        finally:
            resp.close()
            resp.release_conn()

    def put_big():
        mc.put_object(
            args.bucket, "big-minio", io.BytesIO(big), len(big), part_size=64 * MIB
        )

    def get_big():
        resp = mc.get_object(args.bucket, "big-minio")
        try:
            n = 0
            for chunk in resp.stream(MIB):
                n += len(chunk)
            assert n == len(big)
        finally:
            resp.close()
            resp.release_conn()

    return get_small, put_big, get_big


def bench_httpx(args, small, big):
    import httpx
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = Credentials(args.access_key, args.secret_key)
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=4))

    def signed(method, key, body=b""):
        url = f"{args.endpoint}/{args.bucket}/{key}"
        req = AWSRequest(method=method, url=url, data=body)
        S3SigV4Auth(creds, "s3", args.region).add_auth(req)
        return url, dict(req.headers.items())

    async def aget_small():
        url, headers = signed("GET", "small")
        resp = await client.get(url, headers=headers)
        assert resp.status_code == 200 and resp.content == small

    async def aput_big():
        url, headers = signed("PUT", "big-httpx", big)
        resp = await client.put(url, headers=headers, content=big)
        assert resp.status_code == 200, resp.text

    async def aget_big():
        url, headers = signed("GET", "big-httpx")
        n = 0
        async with client.stream("GET", url, headers=headers) as resp:
            assert resp.status_code == 200
            async for chunk in resp.aiter_raw(MIB):
                n += len(chunk)
        assert n == len(big)

    def run(coro_fn):
        return lambda: loop.run_until_complete(coro_fn())

    return run(aget_small), run(aput_big), run(aget_big)


def bench_httpx_own(args, small, big):
    """httpx with the gateway's own SigV4 primitives (auth/sigv4.py): a
    signing key cached per day, UNSIGNED-PAYLOAD (the blob store checks
    MD5/checksums itself)."""
    import httpx

    from exordos_paas_s3.gateway.auth import sigv4

    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=4))
    host = args.endpoint.split("://", 1)[1]
    keys: dict[str, bytes] = {}

    def signed(method, key):
        amz_date = sigv4.format_amz_date(time.time())
        day = amz_date[:8]
        if day not in keys:
            keys[day] = sigv4.derive_signing_key(
                args.secret_key, day, args.region, "s3"
            )
        path = f"/{args.bucket}/{key}"
        headers = {
            "host": host,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
            "x-amz-date": amz_date,
        }
        names = ["host", "x-amz-content-sha256", "x-amz-date"]
        scope = f"{day}/{args.region}/s3/aws4_request"
        canonical = sigv4.canonical_request(
            method, path, "", headers, names, "UNSIGNED-PAYLOAD"
        )
        signature = sigv4.sign(
            keys[day], sigv4.string_to_sign(amz_date, scope, canonical)
        )
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={args.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        return args.endpoint + path, headers

    async def aget_small():
        url, headers = signed("GET", "small")
        resp = await client.get(url, headers=headers)
        assert resp.status_code == 200 and resp.content == small, resp.text

    async def aput_big():
        url, headers = signed("PUT", "big-httpx-own")
        resp = await client.put(url, headers=headers, content=big)
        assert resp.status_code == 200, resp.text

    async def aget_big():
        url, headers = signed("GET", "big-httpx-own")
        n = 0
        async with client.stream("GET", url, headers=headers) as resp:
            assert resp.status_code == 200
            async for chunk in resp.aiter_raw(MIB):
                n += len(chunk)
        assert n == len(big)

    def run(coro_fn):
        return lambda: loop.run_until_complete(coro_fn())

    return run(aget_small), run(aput_big), run(aget_big)


def bench_raw(args, small, big):
    """The floor: one keep-alive HTTP/1.1 connection on asyncio streams (no
    client library), the gateway's own SigV4 primitives. Not a client: what
    the libraries cost on top of the bytes and the signature."""
    from exordos_paas_s3.gateway.auth import sigv4

    loop = asyncio.new_event_loop()
    host = args.endpoint.split("://", 1)[1]
    hostname, port = host.rsplit(":", 1)
    conn: list = []
    keys: dict[str, bytes] = {}

    def signed(method, key, length):
        amz_date = sigv4.format_amz_date(time.time())
        day = amz_date[:8]
        if day not in keys:
            keys[day] = sigv4.derive_signing_key(
                args.secret_key, day, args.region, "s3"
            )
        path = f"/{args.bucket}/{key}"
        headers = {
            "host": host,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
            "x-amz-date": amz_date,
        }
        names = ["host", "x-amz-content-sha256", "x-amz-date"]
        scope = f"{day}/{args.region}/s3/aws4_request"
        canonical = sigv4.canonical_request(
            method, path, "", headers, names, "UNSIGNED-PAYLOAD"
        )
        signature = sigv4.sign(
            keys[day], sigv4.string_to_sign(amz_date, scope, canonical)
        )
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={args.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        if length is not None:
            headers["content-length"] = str(length)
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        return (head + "\r\n").encode()

    async def request(method, key, body=None, sink=None):
        if not conn:
            conn.extend(await asyncio.open_connection(hostname, int(port)))
        reader, writer = conn
        writer.write(signed(method, key, None if body is None else len(body)))
        if body is not None:
            writer.write(body)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        left, chunks = length, []
        while left:
            chunk = await reader.read(min(left, MIB))
            left -= len(chunk)
            if sink is None:
                chunks.append(chunk)
        return status, b"".join(chunks), length

    async def aget_small():
        status, data, _ = await request("GET", "small")
        assert status == 200 and data == small

    async def aput_big():
        status, _, _ = await request("PUT", "big-raw", big)
        assert status == 200

    async def aget_big():
        status, _, length = await request("GET", "big-raw", sink=True)
        assert status == 200 and length == len(big)

    def run(coro_fn):
        return lambda: loop.run_until_complete(coro_fn())

    return run(aget_small), run(aput_big), run(aget_big)


def bench_blob_store(args, small, big):
    """The project's S3BlobStore (gateway/storage/s3_blobs.py) on uvloop:
    what the gateway itself would pay."""
    import uvloop

    from exordos_paas_s3.gateway.storage import layout, s3_blobs

    loop = uvloop.new_event_loop()
    upstream = layout.Upstream(
        args.endpoint, args.bucket, args.region, args.access_key, args.secret_key
    )
    store = s3_blobs.S3BlobStore(upstream, multipart_threshold=64 * MIB)

    async def one(data):
        for i in range(0, len(data), MIB):
            yield data[i : i + MIB]

    loop.run_until_complete(store.put("small-blob", one(small)))

    async def aget_small():
        got = b"".join([c async for c in await store.open("small-blob")])
        assert got == small

    async def aput_big():
        await store.put("big-blob", one(big))

    async def aget_big():
        n = sum([len(c) async for c in await store.open("big-blob")])
        assert n == len(big)

    def run(coro_fn):
        return lambda: loop.run_until_complete(coro_fn())

    return run(aget_small), run(aput_big), run(aget_big)


CLIENTS = {
    "boto3": bench_boto3,
    "minio": bench_minio,
    "httpx+botocore-sigv4": bench_httpx,
    "httpx+own-sigv4": bench_httpx_own,
    "raw asyncio+own-sigv4 (floor)": bench_raw,
    "S3BlobStore (s3_blobs.py, uvloop)": bench_blob_store,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default=os.environ.get("RGW_ENDPOINT"))
    p.add_argument("--access-key", default=os.environ.get("RGW_MAIN_ACCESS_KEY"))
    p.add_argument("--secret-key", default=os.environ.get("RGW_MAIN_SECRET_KEY"))
    p.add_argument("--region", default=os.environ.get("RGW_REGION", "default"))
    p.add_argument("--bucket", default="bench-upstream-clients")
    p.add_argument("--small", type=int, default=4096)
    p.add_argument("--small-gets", type=int, default=300)
    p.add_argument("--big-mib", type=int, default=64)
    p.add_argument("--big-ops", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()

    import boto3

    boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key,
        region_name=args.region,
    ).create_bucket(Bucket=args.bucket)
    small = os.urandom(args.small)
    big = os.urandom(args.big_mib * MIB)
    ops = {name: make(args, small, big) for name, make in CLIENTS.items()}
    best: dict = {}
    for _ in range(args.rounds):
        for name, (get_small, put_big, get_big) in ops.items():
            get_small()  # warm the connection
            put_big()
            rows = {
                "GET small": _timed(get_small, args.small_gets),
                "PUT big": _timed(put_big, args.big_ops),
                "GET big": _timed(get_big, args.big_ops),
            }
            for op, (wall, cpu) in rows.items():
                old = best.get((name, op))
                if old is None or wall < old[0]:
                    best[(name, op)] = (wall, cpu)
    size = args.big_mib * MIB
    big_mib = args.big_mib
    print(
        f"| client | GET {args.small} B: ms wall / µs CPU "
        f"| PUT {big_mib} MiB: MB/s / ms CPU | GET {big_mib} MiB: MB/s / ms CPU |"
    )
    print("|---|---|---|---|")
    for name in CLIENTS:
        gw, gc = best[(name, "GET small")]
        pw, pc = best[(name, "PUT big")]
        bw, bc = best[(name, "GET big")]
        print(
            f"| {name} | {gw * 1e3:.2f} / {gc * 1e6:.0f} "
            f"| {size / pw / 1e6:.0f} / {pc * 1e3:.0f} "
            f"| {size / bw / 1e6:.0f} / {bc * 1e3:.0f} |"
        )


if __name__ == "__main__":
    main()
