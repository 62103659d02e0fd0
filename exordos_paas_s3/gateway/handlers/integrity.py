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
"""Body integrity: size, Content-MD5, x-amz-content-sha256 and x-amz-checksum-*.

``BodyCheck`` reads what the client declared and hands the storage an
``Expected`` value (storage/base.py). The storage hashes while it writes and
checks it before the new object becomes visible, so a mismatch stores
nothing. A trailing checksum (aws-chunked with ``x-amz-trailer``) exists only
once the body has been read: ``BodyCheck.body`` wraps the body so that, at
its end, the trailer's value joins ``Expected.checksums``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib

import google_crc32c
from awscrt import checksums as awscrt_checksums

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.request import Request
from exordos_paas_s3.gateway.storage.base import ByteStream, Expected, bad_checksum

ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME")
HEADERS = {alg: "x-amz-checksum-" + alg.lower() for alg in ALGORITHMS}
_DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "SHA1": 20, "SHA256": 32, "CRC64NVME": 8}


def compute(algorithm: str, data: bytes) -> bytes:
    """A checksum over a small in-memory body (request documents)."""
    if algorithm == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if algorithm == "CRC32C":
        return google_crc32c.value(data).to_bytes(4, "big")
    if algorithm == "SHA1":
        return hashlib.sha1(data).digest()
    if algorithm == "SHA256":
        return hashlib.sha256(data).digest()
    if algorithm == "CRC64NVME":
        return awscrt_checksums.crc64nvme(data).to_bytes(8, "big")
    raise errors.NotImplemented_(
        f"The checksum algorithm {algorithm} is not supported."
    )


# CRC(A + B) from CRC(A), CRC(B) and len(B), for the CRCs S3 can combine
# into a multipart object's FULL_OBJECT checksum.
_COMBINE = {
    "CRC32": awscrt_checksums.combine_crc32,
    "CRC32C": awscrt_checksums.combine_crc32c,
    "CRC64NVME": awscrt_checksums.combine_crc64nvme,
}


def crc_combine(algorithm: str, crc1: int, crc2: int, len2: int) -> int:
    """CRC of A+B from crc(A), crc(B) and len(B)."""
    return _COMBINE[algorithm](crc1, crc2, len2)


def multipart_checksums(
    algorithm: str, parts: list[tuple[bytes, int]]
) -> tuple[str, str | None]:
    """(composite, full-object or None) base64 checksums of a multipart object
    from its parts' raw checksums and sizes (AWS "Checking object integrity")."""
    composite = base64.b64encode(
        compute(algorithm, b"".join(raw for raw, _ in parts))
    ).decode()
    if algorithm not in _COMBINE:
        return composite, None
    crc = 0
    for raw, size in parts:
        crc = crc_combine(algorithm, crc, int.from_bytes(raw, "big"), size)
    width = _DIGEST_SIZES[algorithm]
    return composite, base64.b64encode(crc.to_bytes(width, "big")).decode()


def decode_content_md5(value: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidDigest(ContentMD5=value) from None
    if len(raw) != 16:
        raise errors.InvalidDigest(ContentMD5=value)
    return raw


def _decode_checksum(algorithm: str, value: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _DIGEST_SIZES[algorithm]:
        # A value that cannot be a digest cannot match either: AWS answers
        # BadDigest (s3-tests test_object_checksum_sha256).
        raise mismatch(algorithm)
    return raw


def mismatch(algorithm: str) -> errors.S3Error:
    return bad_checksum(algorithm)


class BodyCheck:
    """What the client declared about a body: ``expected`` for the storage
    (the handler may add the quota room to it), and ``body`` to pass the
    body through."""

    def __init__(self, req: Request, expected_size: int | None) -> None:
        headers = req.headers
        self._req = req
        self.expected_size = expected_size
        md5 = headers.get("content-md5")
        self.md5 = decode_content_md5(md5) if md5 is not None else None
        self.sha256: bytes | None = None
        payload = req.auth.payload_hash if req.auth is not None else ""
        if len(payload) == 64:
            try:
                self.sha256 = bytes.fromhex(payload)
            except ValueError:
                raise errors.InvalidArgument(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                    "STREAMING-... or a valid sha256 value.",
                    ArgumentName="x-amz-content-sha256",
                    ArgumentValue=payload,
                ) from None
        self.declared: dict[str, bytes] = {}
        for alg in ALGORITHMS:
            value = headers.get(HEADERS[alg])
            if value is not None:
                self.declared[alg] = _decode_checksum(alg, value)
        if len(self.declared) > 1:
            raise errors.InvalidRequest(
                "Expecting a single x-amz-checksum- header. Multiple checksum "
                "Types are not allowed."
            )
        self.trailing: str | None = None
        trailer = headers.get("x-amz-trailer")
        if trailer:
            name = trailer.strip().lower()
            alg = name[len("x-amz-checksum-") :].upper()
            if not name.startswith("x-amz-checksum-") or alg not in ALGORITHMS:
                raise errors.InvalidRequest(
                    f"The value specified in the x-amz-trailer header is not "
                    f"supported: {trailer}"
                )
            if req.chunked is None:
                raise errors.InvalidRequest(
                    "x-amz-trailer needs an aws-chunked (STREAMING-*) payload."
                )
            self.trailing = alg
        algorithms = list(self.declared)
        if self.trailing and self.trailing not in algorithms:
            algorithms.append(self.trailing)
        sdk = headers.get("x-amz-sdk-checksum-algorithm")
        if sdk:
            sdk = sdk.strip().upper()
            if sdk not in ALGORITHMS:
                raise errors.InvalidRequest(
                    "Checksum algorithm provided is unsupported. Please try again "
                    "with any of the valid types: [CRC32, CRC32C, CRC64NVME, "
                    "SHA1, SHA256]"
                )
            if sdk not in algorithms:
                algorithms.append(sdk)
        self.algorithms = tuple(algorithms)
        self._expected: Expected | None = None

    @property
    def expected(self) -> Expected:
        if self._expected is None:
            self._expected = Expected(
                size=self.expected_size,
                md5=self.md5,
                sha256=self.sha256,
                checksums=dict(self.declared),
            )
        return self._expected

    def body(self, stream: ByteStream) -> ByteStream:
        """The body to store: ``stream`` itself, or with a trailing checksum a
        stream that adds the trailer's value to ``expected`` at its end."""
        if self.trailing is None:
            return stream
        return self._with_trailer(stream, self.trailing)

    async def _with_trailer(self, stream: ByteStream, alg: str) -> ByteStream:
        expected = self.expected
        async for chunk in stream:
            yield chunk
        trailers = getattr(self._req.chunked, "trailers", None) or {}
        value = trailers.get(HEADERS[alg])
        if value is None:
            raise errors.InvalidRequest(
                f"The trailer {HEADERS[alg]} was declared but not sent."
            )
        digest = _decode_checksum(alg, value)
        if expected.checksums.get(alg, digest) != digest:
            # A header and the trailer declare different values: one of them
            # cannot match the body.
            raise mismatch(alg)
        expected.checksums[alg] = digest


def checksum_headers(checksums: dict[str, str]) -> dict[str, str]:
    """x-amz-checksum-* response headers from ObjectInfo/PartInfo checksums."""
    out = {}
    for alg, value in checksums.items():
        if alg == "type":
            out["x-amz-checksum-type"] = value
        elif alg in HEADERS:
            out[HEADERS[alg]] = value
    return out


def add_checksum_elements(parent: s3xml.Element, checksums: dict[str, str]) -> None:
    """A ChecksumCRC32 / ... element per algorithm in ``checksums`` (its
    "type" entry is not one)."""
    for alg, value in checksums.items():
        if alg in HEADERS:
            parent.add("Checksum" + alg, value)


def verify_document(
    req: Request, data: bytes, *, required: bool, checksum_headers: bool = True
) -> None:
    """Check Content-MD5 / x-amz-checksum-* of a small request document.

    ``required``: AWS demands one of them on DeleteObjects and a few others.
    ``checksum_headers=False``: the x-amz-checksum-* headers describe something
    else (CompleteMultipartUpload: the whole object), not this document.
    """
    headers = req.headers
    md5 = headers.get("content-md5")
    found = False
    if md5 is not None:
        found = True
        if hashlib.md5(data).digest() != decode_content_md5(md5):
            raise errors.BadDigest()
    for alg in ALGORITHMS if checksum_headers else ():
        value = headers.get(HEADERS[alg])
        if value is not None:
            found = True
            if compute(alg, data) != _decode_checksum(alg, value):
                raise mismatch(alg)
    if req.chunked is not None and headers.get("x-amz-trailer"):
        found = True
        name = headers["x-amz-trailer"].strip().lower()
        alg = name[len("x-amz-checksum-") :].upper()
        value = (getattr(req.chunked, "trailers", None) or {}).get(name)
        if alg in HEADERS and value is not None:
            if compute(alg, data) != _decode_checksum(alg, value):
                raise mismatch(alg)
    if required and not found:
        raise errors.InvalidRequest(
            "Missing required header for this request: Content-MD5"
        )
    if req.auth is not None and len(req.auth.payload_hash) == 64:
        if hashlib.sha256(data).hexdigest() != req.auth.payload_hash.lower():
            raise errors.XAmzContentSHA256Mismatch()


async def read_document(req: Request, limit: int) -> bytes:
    """A configuration document (at most ``limit`` bytes) read whole and
    checked against any Content-MD5 / x-amz-checksum-* it came with."""
    data = await s3xml.read_body(req.body, limit)
    verify_document(req, data, required=False)
    return data
