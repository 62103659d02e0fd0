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
"""aws-chunked decoding: AWS's published chunked examples and botocore's encoder.

Vectors from the AWS S3 API reference, "Signature Calculations for the
Authorization Header: Transferring Payload in Multiple Chunks" and "...:
Including Trailing Headers" (66560 bytes of 'a' as 64 KiB + 1 KiB + final).
"""

import asyncio
import base64
import hashlib
import io
import zlib

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum
from hypothesis import given, settings
from hypothesis import strategies as st

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import chunked, identities, sigv4

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NOW = sigv4.parse_amz_date("20130524T000000Z")
CRED = f"AWS4-HMAC-SHA256 Credential={KEY}/20130524/us-east-1/s3/aws4_request"

SIGNED_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
SIGNED_CHUNKS = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
TRAILER_CHUNKS = (
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
PAYLOAD = b"a" * 66560


@pytest.fixture(scope="module")
def authenticator():
    store = identities.IdentityStore(
        ":memory:", root_access_key=KEY, root_secret_key=SECRET
    )
    return sigv4.Authenticator(store, "us-east-1", clock=lambda: NOW)


def seed_auth(authenticator, *, trailer: bool) -> sigv4.AuthResult:
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
    }
    if trailer:
        headers["x-amz-content-sha256"] = sigv4.STREAMING_SIGNED_TRAILER
        headers["x-amz-trailer"] = "x-amz-checksum-crc32c"
        signed = (
            "content-encoding;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer"
        )
        seed = TRAILER_SEED
    else:
        headers["x-amz-content-sha256"] = sigv4.STREAMING_SIGNED
        headers["content-length"] = "66824"
        signed = (
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class"
        )
        seed = SIGNED_SEED
    headers["authorization"] = f"{CRED},SignedHeaders={signed},Signature={seed}"
    view = sigv4.RequestView("PUT", "/examplebucket/chunkObject.txt", "", headers)
    return authenticator.authenticate(view)


def aws_body(signatures, trailer: bytes = b"") -> bytes:
    return (
        b"10000;chunk-signature=%s\r\n" % signatures[0].encode()
        + PAYLOAD[:65536]
        + b"\r\n400;chunk-signature=%s\r\n" % signatures[1].encode()
        + PAYLOAD[65536:]
        + b"\r\n0;chunk-signature=%s\r\n" % signatures[2].encode()
        + trailer
        + b"\r\n"
    )


async def pieces(data: bytes, size: int):
    for i in range(0, len(data), size):
        yield data[i : i + size]


def decode(body: bytes, piece: int = 65536, **kwargs) -> tuple[bytes, dict]:
    async def run():
        decoder = chunked.AwsChunkedBody(pieces(body, piece), **kwargs)
        out = bytearray()
        async for data in decoder:
            out += data
        return bytes(out), decoder.trailers

    return asyncio.run(run())


@pytest.mark.parametrize("piece", [1, 7, 86, 4096, 65537, 1 << 20])
def test_aws_signed_example_decodes_for_any_piece_boundaries(authenticator, piece):
    auth = seed_auth(authenticator, trailer=False)
    assert auth.seed_signature == SIGNED_SEED
    body = aws_body(SIGNED_CHUNKS)
    assert len(body) == 66824  # the example's Content-Length
    data, trailers = decode(
        body, piece, auth=auth, signed=True, trailer=False, decoded_content_length=66560
    )
    assert data == PAYLOAD and trailers == {}


def test_aws_signed_example_with_changed_byte_is_rejected(authenticator):
    auth = seed_auth(authenticator, trailer=False)
    body = bytearray(aws_body(SIGNED_CHUNKS))
    body[66000] = ord("b")  # inside the second chunk
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode(bytes(body), auth=auth, signed=True, trailer=False)


def test_aws_signed_example_with_chunks_swapped_signature_is_rejected(authenticator):
    auth = seed_auth(authenticator, trailer=False)
    body = aws_body((SIGNED_CHUNKS[1], SIGNED_CHUNKS[0], SIGNED_CHUNKS[2]))
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode(body, auth=auth, signed=True, trailer=False)


def test_signed_body_without_final_chunk_is_incomplete(authenticator):
    auth = seed_auth(authenticator, trailer=False)
    body = aws_body(SIGNED_CHUNKS)
    cut = body.index(b"0;chunk-signature=" + SIGNED_CHUNKS[2].encode())
    with pytest.raises(errors.IncompleteBody):
        decode(body[:cut], auth=auth, signed=True, trailer=False)


def test_signed_chunk_without_signature_is_rejected(authenticator):
    auth = seed_auth(authenticator, trailer=False)
    body = aws_body(SIGNED_CHUNKS).replace(
        b"400;chunk-signature=" + SIGNED_CHUNKS[1].encode(), b"400"
    )
    with pytest.raises(errors.IncompleteBody):
        decode(body, auth=auth, signed=True, trailer=False)


def test_aws_signed_trailer_example_decodes_and_exposes_the_checksum(authenticator):
    auth = seed_auth(authenticator, trailer=True)
    trailer = (
        b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
        b"x-amz-trailer-signature:%s\r\n" % TRAILER_SIGNATURE.encode()
    )
    for piece in (5, 4096, 1 << 20):
        data, trailers = decode(
            aws_body(TRAILER_CHUNKS, trailer),
            piece,
            auth=auth,
            signed=True,
            trailer=True,
        )
        assert data == PAYLOAD
        assert trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def test_signed_trailer_lines_ending_in_bare_lf_are_accepted(authenticator):
    # Seen from some SDKs: LF after each checksum line, then an empty CRLF line.
    auth = seed_auth(authenticator, trailer=True)
    trailer = (
        b"x-amz-checksum-crc32c:sOO8/Q==\n\r\n"
        b"x-amz-trailer-signature:%s\r\n" % TRAILER_SIGNATURE.encode()
    )
    data, trailers = decode(
        aws_body(TRAILER_CHUNKS, trailer), 1000, auth=auth, signed=True, trailer=True
    )
    assert data == PAYLOAD and trailers["x-amz-checksum-crc32c"] == "sOO8/Q=="


def test_signed_trailer_with_changed_checksum_is_rejected(authenticator):
    auth = seed_auth(authenticator, trailer=True)
    trailer = (
        b"x-amz-checksum-crc32c:AAAAAA==\r\n"
        b"x-amz-trailer-signature:%s\r\n" % TRAILER_SIGNATURE.encode()
    )
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode(aws_body(TRAILER_CHUNKS, trailer), auth=auth, signed=True, trailer=True)


def test_signed_trailer_without_signature_is_rejected(authenticator):
    auth = seed_auth(authenticator, trailer=True)
    trailer = b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode(aws_body(TRAILER_CHUNKS, trailer), auth=auth, signed=True, trailer=True)


def test_signed_payload_needs_a_signed_request():
    anonymous = sigv4.AuthResult(principal=None, access_key=None, payload_hash="x")
    with pytest.raises(errors.AccessDenied):
        chunked.AwsChunkedBody(
            pieces(b"", 1), auth=anonymous, signed=True, trailer=False
        )


# -- what botocore (>= 1.36) sends: STREAMING-UNSIGNED-PAYLOAD-TRAILER ----------


def botocore_body(data: bytes, chunk_size: int) -> bytes:
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data),
        checksum_cls=Crc32Checksum,
        checksum_name="x-amz-checksum-crc32",
        chunk_size=chunk_size,
    )
    return wrapper.read()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.mark.parametrize("size", [0, 1, 8191, 65536, 300_001])
@pytest.mark.parametrize("piece", [3, 1000, 1 << 20])
def test_botocore_unsigned_trailer_body_decodes(size, piece):
    data = bytes(i % 251 for i in range(size))
    body = botocore_body(data, chunk_size=65536)
    decoded, trailers = decode(
        body, piece, auth=None, signed=False, trailer=True, decoded_content_length=size
    )
    assert decoded == data
    assert trailers == {"x-amz-checksum-crc32": crc32_b64(data)}


def test_decoded_length_mismatch_is_incomplete_body():
    body = botocore_body(b"x" * 100, chunk_size=64)
    with pytest.raises(errors.IncompleteBody):
        decode(body, auth=None, signed=False, trailer=True, decoded_content_length=99)
    with pytest.raises(errors.IncompleteBody):
        decode(body, auth=None, signed=False, trailer=True, decoded_content_length=101)


@pytest.mark.parametrize(
    "body,error",
    [
        (b"zz\r\nab\r\n0\r\n\r\n", errors.InvalidRequest),
        (b"2\r\nabc\r\n0\r\n\r\n", errors.IncompleteBody),
        (b"2\r\nab\r\n", errors.IncompleteBody),
        (b"5\r\nab", errors.IncompleteBody),
        (b"", errors.IncompleteBody),
        (b"2\r\nab\r\n0\r\nbroken-trailer\r\n\r\n", errors.InvalidRequest),
        (b"2\r\nab\r\n0\r\n\r\ngarbage", errors.InvalidRequest),
        (b"f" * 5000, errors.InvalidRequest),
    ],
)
def test_malformed_framing_is_a_clear_error(body, error):
    with pytest.raises(error):
        decode(body, 2, auth=None, signed=False, trailer=True)


def test_a_body_is_never_buffered_whole():
    size = 8 << 20

    async def run():
        async def source():
            yield b"%x\r\n" % size
            for _ in range(size // 65536):
                yield b"z" * 65536
            yield b"\r\n0\r\n\r\n"

        largest = 0
        total = 0
        async for data in chunked.AwsChunkedBody(
            source(), auth=None, signed=False, trailer=True
        ):
            largest = max(largest, len(data))
            total += len(data)
        return largest, total

    largest, total = asyncio.run(run())
    assert total == size and largest <= 65536


# -- property: our own signer + random framing and piece boundaries -------------


def sign_chunks(auth: sigv4.AuthResult, data: bytes, sizes: list[int]) -> bytes:
    out = bytearray()
    previous = auth.seed_signature
    offset = 0
    for size in [*sizes, 0]:
        chunk = data[offset : offset + size]
        offset += size
        sts = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{auth.amz_date}\n{auth.scope}\n{previous}\n"
            f"{sigv4.EMPTY_SHA256}\n{hashlib.sha256(chunk).hexdigest()}"
        )
        previous = sigv4.sign(auth.signing_key, sts)
        out += b"%x;chunk-signature=%s\r\n%s\r\n" % (size, previous.encode(), chunk)
        if size == 0:
            out = out[:-2]
    return bytes(out) + b"\r\n"


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=3000), min_size=0, max_size=6),
    piece=st.integers(min_value=1, max_value=5000),
)
def test_signed_chunks_of_any_size_decode(authenticator, sizes, piece):
    auth = seed_auth(authenticator, trailer=False)
    data = bytes((i * 7) % 256 for i in range(sum(sizes)))
    body = sign_chunks(auth, data, sizes)
    decoded, _ = decode(body, piece, auth=auth, signed=True, trailer=False)
    assert decoded == data
