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
"""Decoding of ``Content-Encoding: aws-chunked`` request bodies.

Wire format (AWS S3 API reference, "Signature Calculations for the
Authorization Header: Transferring Payload in Multiple Chunks" and "...
Including Trailing Headers")::

    <hex-size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n     (repeated)
    0[;chunk-signature=<sig>]\\r\\n
    [<name>:<value>\\r\\n ...]                              (trailer variants)
    [x-amz-trailer-signature:<sig>\\r\\n]                   (signed trailer)
    \\r\\n

Signed variants chain each chunk signature to the previous one, starting from
the seed signature of the Authorization header. The decoder parses
incrementally, never holds more than one incoming piece plus a chunk header,
and raises an S3 error *while iterating*, so the consumer (storage) aborts the
write and nothing half-verified is committed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth.sigv4 import EMPTY_SHA256, AuthResult

LOG = logging.getLogger(__name__)

# A chunk header is "<hex>;chunk-signature=<64 hex>": well under this. A longer
# line means garbage, and we refuse to buffer it.
_MAX_LINE = 4096
_MAX_TRAILER_BYTES = 16384
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_SIG_PREFIX = b"chunk-signature="
_TRAILER_SIG_NAME = "x-amz-trailer-signature"


class AwsChunkedBody:
    """Async iterator of the decoded payload of an aws-chunked body.

    ``signed`` selects STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] (chunk
    signatures verified against ``auth``); ``trailer`` says trailing headers
    follow the last chunk. After exhaustion, :attr:`trailers` holds them
    (lower-case names, e.g. ``x-amz-checksum-crc32``).
    """

    def __init__(
        self,
        stream: AsyncIterator[bytes],
        *,
        auth: AuthResult | None,
        signed: bool,
        trailer: bool,
        decoded_content_length: int | None = None,
    ) -> None:
        if signed and (auth is None or auth.signing_key is None):
            raise errors.AccessDenied(
                "A signed streaming payload needs a signed request"
            )
        self._stream = stream.__aiter__()
        self._auth = auth
        self._signed = signed
        self._trailer = trailer
        self._expected_length = decoded_content_length
        self._buf = bytearray()
        self._bare_lf = False
        self._previous = auth.seed_signature if auth is not None else None
        self.trailers: dict[str, str] = {}
        self.decoded_length = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._decode()

    # -- reading ------------------------------------------------------------

    async def _next_piece(self) -> bytes:
        """The next non-empty incoming piece; IncompleteBody at EOF."""
        while True:
            try:
                piece = await self._stream.__anext__()
            except StopAsyncIteration:
                raise errors.IncompleteBody(
                    "The request body ended in the middle of an aws-chunked frame."
                ) from None
            if piece:
                return piece

    async def _fill(self) -> None:
        self._buf += await self._next_piece()

    async def _line(self) -> bytes:
        """The next CRLF-terminated line, without the CRLF."""
        start = 0
        while True:
            end = self._buf.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 1]
                self._bare_lf = not line.endswith(b"\r")
                return line if self._bare_lf else line[:-1]
            if len(self._buf) > _MAX_LINE:
                raise errors.InvalidRequest("aws-chunked: chunk header line too long")
            start = len(self._buf)
            await self._fill()

    async def _expect_crlf(self) -> None:
        while len(self._buf) < 2:
            await self._fill()
        if self._buf[:2] != b"\r\n":
            raise errors.IncompleteBody(
                "aws-chunked: chunk data is longer than its declared size"
            )
        del self._buf[:2]

    # -- decoding -----------------------------------------------------------

    async def _decode(self) -> AsyncIterator[bytes]:
        while True:
            size, signature = self._parse_header(await self._line())
            digest = hashlib.sha256() if self._signed else None
            remaining = size
            while remaining:
                buf = self._buf
                if buf:
                    if len(buf) <= remaining:
                        data = bytes(buf)
                        buf.clear()
                    else:
                        data = bytes(buf[:remaining])
                        del buf[:remaining]
                else:
                    # Large bodies arrive in big pieces: pass them through
                    # without copying when the piece lies inside the chunk.
                    data = await self._next_piece()
                    if len(data) > remaining:
                        buf += data[remaining:]
                        data = data[:remaining]
                remaining -= len(data)
                self._count(len(data))
                if digest is not None:
                    digest.update(data)
                yield data
            if size:
                await self._expect_crlf()
            if digest is not None:
                self._check_chunk_signature(signature, digest.hexdigest())
            if size == 0:
                break
        if self._trailer:
            await self._read_trailers()
        else:
            await self._expect_crlf()
        if self._buf:
            raise errors.InvalidRequest("aws-chunked: data after the final chunk")
        async for extra in self._stream:
            if extra:
                raise errors.InvalidRequest("aws-chunked: data after the final chunk")
        if (
            self._expected_length is not None
            and self.decoded_length != self._expected_length
        ):
            raise errors.IncompleteBody(
                f"x-amz-decoded-content-length is {self._expected_length} but the"
                f" body decoded to {self.decoded_length} bytes."
            )

    def _count(self, n: int) -> None:
        self.decoded_length += n
        if (
            self._expected_length is not None
            and self.decoded_length > self._expected_length
        ):
            raise errors.IncompleteBody(
                "The aws-chunked body is longer than x-amz-decoded-content-length."
            )

    def _parse_header(self, line: bytes) -> tuple[int, str | None]:
        size_text, _, extension = line.partition(b";")
        size_text = size_text.strip()
        if (
            not size_text
            or len(size_text) > 16
            or not _HEX_DIGITS.issuperset(size_text)
        ):
            raise errors.InvalidRequest(
                f"aws-chunked: invalid chunk size {size_text[:32].decode('latin-1')!r}"
            )
        size = int(size_text, 16)
        if not self._signed:
            return size, None
        extension = extension.strip()
        if not extension.startswith(_SIG_PREFIX):
            raise errors.IncompleteBody("aws-chunked: chunk signature missing")
        return size, extension[len(_SIG_PREFIX) :].decode("latin-1")

    def _string_to_sign(self, kind: str, hashes: str) -> str:
        auth = self._auth
        assert auth is not None
        return f"{kind}\n{auth.amz_date}\n{auth.scope}\n{self._previous}\n{hashes}"

    def _verify(self, provided: str | None, string_to_sign: str) -> None:
        auth = self._auth
        assert auth is not None and auth.signing_key is not None
        expected = hmac.digest(
            auth.signing_key, string_to_sign.encode(), "sha256"
        ).hex()
        if not (
            provided and provided.isascii() and hmac.compare_digest(provided, expected)
        ):
            raise errors.SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature"
                " you provided for a chunk of the aws-chunked body.",
                SignatureProvided=provided or "",
                StringToSign=string_to_sign,
            )
        self._previous = provided

    def _check_chunk_signature(self, provided: str | None, data_hash: str) -> None:
        self._verify(
            provided,
            self._string_to_sign(
                "AWS4-HMAC-SHA256-PAYLOAD", f"{EMPTY_SHA256}\n{data_hash}"
            ),
        )

    async def _read_trailers(self) -> None:
        canonical = []
        signature = None
        total = 0
        previous_bare_lf = False
        while True:
            line = await self._line()
            total += len(line)
            if total > _MAX_TRAILER_BYTES:
                raise errors.InvalidRequest("aws-chunked: trailing headers too large")
            if not line:
                # Some clients end each checksum line with a bare LF and then
                # put an empty CRLF line before the trailer signature.
                if self._signed and signature is None and previous_bare_lf:
                    continue
                break
            previous_bare_lf = self._bare_lf
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise errors.InvalidRequest(
                    f"aws-chunked: malformed trailing header {line[:64]!r}"
                )
            name, value = name.strip().lower(), value.strip()
            if name == _TRAILER_SIG_NAME:
                signature = value
                continue
            self.trailers[name] = value
            canonical.append(f"{name}:{value}\n")
        if self._signed:
            trailer_hash = hashlib.sha256("".join(canonical).encode()).hexdigest()
            self._verify(
                signature,
                self._string_to_sign("AWS4-HMAC-SHA256-TRAILER", trailer_hash),
            )
