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
"""Server-side encryption: the sealed frame format, the keyring and the
request headers (SSE-S3, SSE-KMS with a local KMS, SSE-C).

An encrypted object (or each part of a multipart one) is one *segment*:

    header  = b"XSE1" + prefix (8 random bytes)
    frame i = AES-256-GCM(data key, nonce = prefix + i (4 bytes, big endian),
                          plaintext[i*FRAME:(i+1)*FRAME],
                          aad = b"XSE1" + i (4 bytes) + final flag (1 byte))

Every segment has at least one frame (an empty object is one empty final
frame), so a stream cut after any frame fails on its missing final flag, and
frames cannot be reordered (their index is in the nonce and the AAD). The
per-segment random prefix keeps nonces unique when a part is uploaded again
under the same upload's data key. Sizes are computable both ways, so range
reads decrypt only the covering frames. See docs/decisions/0005-sse.md.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import ipaddress
import json
import logging
import os
import secrets
import threading
import xml.etree.ElementTree as ET

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from exordos_paas_s3.gateway import errors

LOG = logging.getLogger(__name__)

MAGIC = b"XSE1"
PREFIX_LEN = 8
HEADER_LEN = len(MAGIC) + PREFIX_LEN
FRAME = 64 * 1024
TAG = 16
SEALED_FRAME = FRAME + TAG
KEY_LEN = 32

# Kinds, as the records name them.
KIND_S3 = "S3"
KIND_KMS = "KMS"
KIND_C = "C"

# The bucket document PutBucketEncryption stores (handlers/bucket_config.py).
DOC_ENCRYPTION = "encryption"
# The object's private encryption record inside system_meta: never shown to
# clients (storage/encrypting.py strips it from everything it returns).
RECORD_META = "x-exordos-sse"

H_SSE = "x-amz-server-side-encryption"
H_KMS_KEY = "x-amz-server-side-encryption-aws-kms-key-id"
H_CONTEXT = "x-amz-server-side-encryption-context"
H_BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
H_C_ALG = "x-amz-server-side-encryption-customer-algorithm"
H_C_KEY = "x-amz-server-side-encryption-customer-key"
H_C_MD5 = "x-amz-server-side-encryption-customer-key-md5"
COPY_SOURCE_C_PREFIX = "x-amz-copy-source-server-side-encryption-customer-"
C_PREFIX = "x-amz-server-side-encryption-customer-"
# Every SSE request header of a write (PostObject maps form fields to them).
REQUEST_HEADERS = (H_SSE, H_KMS_KEY, H_CONTEXT, H_BUCKET_KEY, H_C_ALG, H_C_KEY, H_C_MD5)
# The headers an encrypted object carries in system_meta and echoes.
PUBLIC_HEADERS = (H_SSE, H_KMS_KEY, H_CONTEXT, H_BUCKET_KEY, H_C_ALG, H_C_MD5)


class FrameError(Exception):
    """A sealed segment is damaged: tampered, truncated or reordered."""


# --- sizes -------------------------------------------------------------------


def frame_count(plain: int) -> int:
    return max(1, -(-plain // FRAME))


def sealed_size(plain: int) -> int:
    return HEADER_LEN + plain + TAG * frame_count(plain)


def plain_size(sealed: int) -> int:
    body = sealed - HEADER_LEN
    if body < TAG:
        raise FrameError("sealed segment shorter than one frame")
    frames = -(-body // SEALED_FRAME)
    return body - TAG * frames


# --- the frame format ------------------------------------------------------


def _aad(index: int, final: bool) -> bytes:
    return MAGIC + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


class SegmentSealer:
    """Encrypts one segment incrementally: ``feed`` then ``finish``.

    A full frame is only sealed once more bytes follow it, because the last
    frame carries the final flag.
    """

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(data_key)
        self._prefix = secrets.token_bytes(PREFIX_LEN)
        self._index = 0
        self._pending = bytearray()
        self._started = False

    def _header(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return MAGIC + self._prefix

    def _seal(self, piece: bytes, final: bool) -> bytes:
        index = self._index
        if index >= 1 << 32:
            raise errors.EntityTooLarge()
        self._index += 1
        return self._aead.encrypt(
            _nonce(self._prefix, index), piece, _aad(index, final)
        )

    def feed(self, data: bytes) -> bytes:
        self._pending += data
        out = [self._header()]
        if len(self._pending) > FRAME:
            view = memoryview(self._pending)
            # Keep at least one byte back: the last frame is sealed by finish.
            whole = (len(self._pending) - 1) // FRAME * FRAME
            for pos in range(0, whole, FRAME):
                out.append(self._seal(bytes(view[pos : pos + FRAME]), False))
            view.release()
            del self._pending[:whole]
        return b"".join(out)

    def finish(self) -> bytes:
        out = self._header() + self._seal(bytes(self._pending), True)
        self._pending = bytearray()
        return out


def seal(data_key: bytes, plain: bytes) -> bytes:
    """A whole segment at once (tests, small bodies)."""
    sealer = SegmentSealer(data_key)
    return sealer.feed(plain) + sealer.finish()


class SegmentOpener:
    """Decrypts frames ``first..`` of one segment whose plaintext size is
    known; ``feed`` takes the sealed bytes from the header (when ``first`` is
    0) or from the start of frame ``first`` after ``set_header``."""

    def __init__(self, data_key: bytes, plain: int, first: int = 0) -> None:
        self._aead = AESGCM(data_key)
        self._frames = frame_count(plain)
        self._last_len = plain - (self._frames - 1) * FRAME
        self._index = first
        self._prefix: bytes | None = None
        self._pending = bytearray()

    def set_header(self, header: bytes) -> None:
        if len(header) != HEADER_LEN or header[: len(MAGIC)] != MAGIC:
            raise FrameError("bad segment header")
        self._prefix = bytes(header[len(MAGIC) :])

    def _frame_len(self, index: int) -> int:
        return (self._last_len if index == self._frames - 1 else FRAME) + TAG

    def _open_into(self, sealed: memoryview, out: memoryview) -> None:
        assert self._prefix is not None
        index = self._index
        final = index == self._frames - 1
        try:
            self._aead.decrypt_into(
                _nonce(self._prefix, index), sealed, _aad(index, final), out
            )
        except InvalidTag:
            raise FrameError(f"frame {index} does not authenticate") from None
        self._index += 1

    def feed(self, data: bytes) -> bytes:
        """The plaintext of the whole frames in (leftover +) ``data``. Each
        frame is opened straight into one buffer, then copied once into
        bytes (as a join would): one large block per feed instead of one
        per frame, so freed memory goes back to the system (large blocks
        are mapped, see cmd/gateway.py) rather than fragmenting the heap."""
        # Frames are opened from a view of (leftover + data): no repeated
        # shifting of a large buffer.
        buf = bytes(self._pending) + data if self._pending else data
        view = memoryview(buf)
        pos = 0
        if self._prefix is None:
            if len(buf) < HEADER_LEN:
                self._pending = bytearray(buf)
                return b""
            self.set_header(bytes(view[:HEADER_LEN]))
            pos = HEADER_LEN
        index, end, size = self._index, pos, 0
        while index < self._frames:
            need = self._frame_len(index)
            if len(buf) - end < need:
                break
            end += need
            size += need - TAG
            index += 1
        out = bytearray(size)
        target = memoryview(out)
        done = 0
        while pos < end:
            need = self._frame_len(self._index)
            self._open_into(view[pos : pos + need], target[done : done + need - TAG])
            pos += need
            done += need - TAG
        target.release()
        self._pending = bytearray(view[pos:])
        view.release()
        if self._index >= self._frames and self._pending:
            raise FrameError("bytes after the final frame")
        return bytes(out)

    def finish(self, last: int | None = None) -> None:
        """Check that everything up to frame ``last`` (default: the final
        frame) arrived."""
        target = self._frames if last is None else last + 1
        if self._index < target or self._pending:
            raise FrameError("segment truncated")


def open_segment(data_key: bytes, sealed: bytes) -> bytes:
    opener = SegmentOpener(data_key, plain_size(len(sealed)))
    plain = opener.feed(sealed)
    opener.finish()
    return plain


# --- keys --------------------------------------------------------------------


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_LEN)


def wrap(kek: bytes, data_key: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def unwrap(kek: bytes, wrapped: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
    except (InvalidTag, ValueError):
        raise FrameError("data key does not unwrap") from None


def customer_kek(customer_key: bytes, salt: bytes) -> bytes:
    """The key that wraps an SSE-C object's data key: the customer's key is
    never stored; only this salted derivation's output authenticates it."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_LEN,
        salt=salt,
        info=b"exordos-s3 sse-c kek",
    ).derive(customer_key)


def _write_secret(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def decode_master_key(text: str | bytes) -> bytes:
    """A shared SSE master key from its delivered form: 32 raw bytes or
    their base64 (what the control plane generates)."""
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) == KEY_LEN:
        return raw
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_LEN:
        raise ValueError(f"not a {KEY_LEN}-byte key (raw or base64)")
    return key


class Keyring:
    """The master key of SSE-S3 and the named keys of the local KMS.

    Without a shared key both live in the gateway's data directory (mode
    600): ``sse-master.key`` (32 random bytes, created on first start) and
    ``kms-keys.json`` (key id -> base64 key). Key ids listed in ``kms_keys``
    are created at start; other ids are refused (KMS.NotFoundException)
    unless ``auto_create`` is set.

    With ``shared_master`` (one key for every gateway of an instance,
    decision 0020) new records are wrapped with it, marked ``"m": 1``, and
    a KMS key is derived from it and the key id, so every gateway holding
    the key reads what any of them wrote and nothing is written to the data
    directory. Records without the mark keep opening with the data
    directory's files, which are read if present and never created.
    """

    MASTER_FILE = "sse-master.key"
    KMS_FILE = "kms-keys.json"

    def __init__(
        self,
        data_dir: str,
        kms_keys: list[str] | tuple[str, ...] = (),
        auto_create: bool = False,
        default_kms_key: str | None = None,
        shared_master: bytes | None = None,
    ) -> None:
        self._dir = data_dir
        self.auto_create = auto_create
        self.default_kms_key = default_kms_key or None
        self._lock = threading.Lock()
        self._shared = shared_master
        if shared_master is not None and len(shared_master) != KEY_LEN:
            raise ValueError(f"the shared SSE master key is not {KEY_LEN} bytes")
        self._file_master = self._load_master(create=shared_master is None)
        self._kms = self._load_kms()
        self._named = {self._short_id(k) for k in kms_keys if k}
        if shared_master is None:
            for key_id in kms_keys:
                if key_id and key_id not in self._kms:
                    self._create(key_id)

    def __repr__(self) -> str:
        # Never the keys themselves.
        return f"<Keyring kms_keys={len(self._kms)} shared={self.shared}>"

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def _load_master(self, create: bool) -> bytes | None:
        path = os.path.join(self._dir, self.MASTER_FILE)
        try:
            with open(path, "rb") as f:
                key = f.read()
        except FileNotFoundError:
            if not create:
                return None
            key = secrets.token_bytes(KEY_LEN)
            _write_secret(path, key)
            LOG.info("created the SSE master key in %s", path)
        if len(key) != KEY_LEN:
            raise SystemExit(f"{path}: not a {KEY_LEN}-byte key")
        return key

    def _load_kms(self) -> dict[str, bytes]:
        path = os.path.join(self._dir, self.KMS_FILE)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            return {}
        return {k: base64.b64decode(v) for k, v in doc.items()}

    def _create(self, key_id: str) -> bytes:
        with self._lock:
            if key_id in self._kms:
                return self._kms[key_id]
            key = secrets.token_bytes(KEY_LEN)
            kms = dict(self._kms)
            kms[key_id] = key
            doc = {k: base64.b64encode(v).decode() for k, v in kms.items()}
            _write_secret(
                os.path.join(self._dir, self.KMS_FILE), json.dumps(doc).encode()
            )
            self._kms = kms
            LOG.info("created KMS key %s", key_id)
            return key

    @property
    def master(self) -> bytes:
        """The key new SSE-S3 records are wrapped with."""
        if self._shared is not None:
            return self._shared
        assert self._file_master is not None
        return self._file_master

    def fingerprint(self) -> str:
        """Names the key new records are wrapped with (not the key: an HKDF
        output of it), so gateways sharing an index can compare keys."""
        return (
            HKDF(
                algorithm=hashes.SHA256(),
                length=16,
                salt=None,
                info=b"exordos-s3 sse master fingerprint",
            )
            .derive(self.master)
            .hex()
        )

    @staticmethod
    def _short_id(key_id: str) -> str:
        # arn:aws:kms:region:account:key/<id> names the same key as <id>.
        if key_id.startswith("arn:") and ":key/" in key_id:
            return key_id.rsplit(":key/", 1)[1]
        return key_id

    def _derived(self, short: str) -> bytes:
        assert self._shared is not None
        return HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_LEN,
            salt=None,
            info=b"exordos-s3 kms key v1|" + short.encode(),
        ).derive(self._shared)

    def kms_key(self, key_id: str) -> bytes:
        """The key new SSE-KMS records of ``key_id`` are wrapped with."""
        short = self._short_id(key_id)
        if self._shared is not None:
            if short and (
                short in self._named or short in self._kms or self.auto_create
            ):
                return self._derived(short)
            raise KmsNotFound(f"Invalid keyId {key_id}")
        key = self._kms.get(short)
        if key is not None:
            return key
        if self.auto_create and short:
            return self._create(short)
        raise KmsNotFound(f"Invalid keyId {key_id}")

    def has_kms_key(self, key_id: str) -> bool:
        short = self._short_id(key_id)
        return short in self._kms or short in self._named or self.auto_create

    def record_kek(self, kind: str, key_id: str | None, shared: bool) -> bytes:
        """The key a stored record was wrapped with: the shared key (or a
        KMS key derived from it) for records marked so, else this data
        directory's files."""
        if shared:
            if self._shared is None:
                LOG.error("a record wrapped with the shared SSE key; none here")
                raise errors.InternalError()
            if kind == KIND_KMS:
                assert key_id is not None
                return self._derived(self._short_id(key_id))
            return self._shared
        if kind == KIND_KMS:
            assert key_id is not None
            key = self._kms.get(self._short_id(key_id))
            if key is None and self._shared is None:
                return self.kms_key(key_id)
            if key is None:
                raise KmsNotFound(f"Invalid keyId {key_id}")
            return key
        if self._file_master is None:
            LOG.error("a record wrapped with %s; no such file here", self.MASTER_FILE)
            raise errors.InternalError()
        return self._file_master


KmsNotFound = type(
    "KmsNotFound",
    (errors.S3Error,),
    {
        "code": "KMS.NotFoundException",
        "status": 400,
        "message": "The KMS key does not exist.",
    },
)


# --- what a request asks for -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CustomerKey:
    key: bytes = dataclasses.field(repr=False)
    md5: str  # base64, as the client sent it

    def __repr__(self) -> str:
        return f"CustomerKey(md5={self.md5})"


@dataclasses.dataclass(frozen=True)
class Spec:
    """The encryption a write asks for (headers or the bucket default)."""

    kind: str  # KIND_S3, KIND_KMS or KIND_C
    kms_key_id: str | None = None
    context: str | None = None  # base64 JSON, as sent
    bucket_key: bool = False
    customer: CustomerKey | None = None

    def public_headers(self) -> dict[str, str]:
        """The headers the object will carry and echo."""
        if self.kind == KIND_C:
            assert self.customer is not None
            return {H_C_ALG: "AES256", H_C_MD5: self.customer.md5}
        if self.kind == KIND_S3:
            headers = {H_SSE: "AES256"}
        else:
            headers = {H_SSE: "aws:kms", H_KMS_KEY: self.kms_key_id or ""}
            if self.context:
                headers[H_CONTEXT] = self.context
        if self.bucket_key:
            headers[H_BUCKET_KEY] = "true"
        return headers


def _invalid(message: str, name: str, value: str = "") -> errors.S3Error:
    return errors.InvalidArgument(message, ArgumentName=name, ArgumentValue=value)


def customer_key(headers: dict[str, str], prefix: str = C_PREFIX) -> CustomerKey | None:
    """The SSE-C key of a request (``prefix``: the object's headers or the
    copy source's), validated as AWS does; None when none was given."""
    alg = headers.get(prefix + "algorithm")
    key_b64 = headers.get(prefix + "key")
    md5_b64 = headers.get(prefix + "key-md5")
    if alg is None and key_b64 is None and md5_b64 is None:
        return None
    if alg is None:
        raise _invalid(
            "Requests specifying Server Side Encryption with Customer provided "
            "keys must provide a valid encryption algorithm.",
            prefix + "algorithm",
        )
    if alg != "AES256":
        raise _invalid(
            "The encryption algorithm specified is not valid.",
            prefix + "algorithm",
            alg,
        )
    if not key_b64:
        raise _invalid(
            "Requests specifying Server Side Encryption with Customer provided "
            "keys must provide an appropriate secret key.",
            prefix + "key",
        )
    if not md5_b64:
        raise _invalid(
            "Requests specifying Server Side Encryption with Customer provided "
            "keys must provide the client calculated MD5 of the secret key.",
            prefix + "key-md5",
        )
    try:
        key = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_LEN:
        raise _invalid(
            "The secret key was invalid for the specified algorithm.",
            prefix + "key",
        )
    if base64.b64encode(hashlib.md5(key).digest()).decode() != md5_b64.strip():
        raise _invalid(
            "The calculated MD5 hash of the key did not match the hash that "
            "was provided.",
            prefix + "key-md5",
        )
    return CustomerKey(key, md5_b64.strip())


def _context(value: str) -> str:
    try:
        doc = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        doc = None
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise _invalid(
            "The encryption context must be base64-encoded JSON of string pairs.",
            H_CONTEXT,
        )
    return value


def write_spec(headers: dict[str, str], keyring: Keyring | None) -> Spec | None:
    """The encryption a PutObject/CopyObject/CreateMultipartUpload asks for
    in its headers (None: the bucket default applies)."""
    sse = headers.get(H_SSE)
    kms_key = headers.get(H_KMS_KEY)
    context = headers.get(H_CONTEXT)
    bucket_key = headers.get(H_BUCKET_KEY, "").strip().lower() == "true"
    customer = customer_key(headers)
    if customer is not None:
        if sse is not None or kms_key is not None:
            raise _invalid(
                "Server Side Encryption with Customer provided key is "
                "incompatible with the encryption method specified",
                H_SSE,
                sse or "",
            )
        return Spec(KIND_C, customer=customer)
    if sse is None:
        if kms_key is not None or context is not None:
            raise _invalid(
                "Server Side Encryption with AWS KMS managed key requires "
                "HTTP header x-amz-server-side-encryption : aws:kms",
                H_SSE,
            )
        return None
    if sse == "AES256":
        if kms_key is not None or context is not None:
            raise _invalid(
                "Server Side Encryption with AWS KMS managed key requires "
                "HTTP header x-amz-server-side-encryption : aws:kms",
                H_SSE,
                sse,
            )
        return Spec(KIND_S3, bucket_key=bucket_key)
    if sse in ("aws:kms", "aws:kms:dsse"):
        if not kms_key:
            kms_key = keyring.default_kms_key if keyring is not None else None
        if not kms_key:
            raise _invalid(
                "Server Side Encryption with AWS KMS managed key requires "
                "x-amz-server-side-encryption-aws-kms-key-id (no default key "
                "is configured).",
                H_KMS_KEY,
            )
        if keyring is not None and not keyring.has_kms_key(kms_key):
            raise KmsNotFound(f"Invalid keyId {kms_key}")
        return Spec(
            KIND_KMS,
            kms_key_id=kms_key,
            context=_context(context) if context else None,
            bucket_key=bucket_key,
        )
    raise _invalid("The encryption method specified is not supported", H_SSE, sse)


def default_spec(raw: bytes | None, keyring: Keyring | None) -> Spec | None:
    """The bucket's default encryption (the stored PutBucketEncryption
    document, already validated when it was put)."""
    if raw is None:
        return None
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        LOG.error("stored bucket encryption no longer parses")
        return None
    ns = ""
    if root.tag.startswith("{"):
        ns = root.tag[: root.tag.index("}") + 1]
    for rule in root.iter(ns + "Rule"):
        default = rule.find(ns + "ApplyServerSideEncryptionByDefault")
        if default is None:
            continue
        alg = (default.findtext(ns + "SSEAlgorithm") or "").strip()
        bucket_key = (rule.findtext(ns + "BucketKeyEnabled") or "").strip() == "true"
        if alg == "AES256":
            return Spec(KIND_S3, bucket_key=bucket_key)
        if alg.startswith("aws:kms"):
            key_id = (default.findtext(ns + "KMSMasterKeyID") or "").strip()
            if not key_id and keyring is not None:
                key_id = keyring.default_kms_key or ""
            if not key_id:
                raise _invalid(
                    "The bucket's default encryption names no KMS key and no "
                    "default key is configured.",
                    H_KMS_KEY,
                )
            return Spec(KIND_KMS, kms_key_id=key_id, bucket_key=bucket_key)
    return None


def reject_write_headers_on_read(headers: dict[str, str]) -> None:
    """GET/HEAD take only SSE-C headers (s3-tests: 400 otherwise)."""
    for name in (H_SSE, H_KMS_KEY, H_CONTEXT):
        if name in headers:
            raise _invalid(
                f"The header {name} is not applicable to a read request.",
                name,
                headers[name],
            )


def check_customer_key(meta: dict[str, str], given: CustomerKey | None) -> None:
    """An SSE-C object (or upload) needs its key; others take none."""
    stored_md5 = meta.get(H_C_MD5)
    if stored_md5 is None:
        if given is not None:
            raise errors.InvalidRequest(
                "The encryption parameters are not applicable to this object."
            )
        return
    if given is None:
        raise errors.InvalidRequest(
            "The object was stored using a form of Server Side Encryption. "
            "The correct parameters must be provided to retrieve the object."
        )
    if not secrets.compare_digest(given.md5, stored_md5):
        # AWS answers 403 here; ceph/s3-tests (which pass on AWS) expect 400.
        raise errors.InvalidArgument(
            "The provided customer key does not match the key the object was "
            "encrypted with.",
            ArgumentName=H_C_KEY,
        )


def public_headers(meta: dict[str, str]) -> dict[str, str]:
    return {name: meta[name] for name in PUBLIC_HEADERS if name in meta}


def without_encryption(meta: dict[str, str]) -> dict[str, str]:
    """system_meta minus the encryption headers (a copy's metadata: the
    destination's encryption comes from the copy request)."""
    return {
        k: v for k, v in meta.items() if k not in PUBLIC_HEADERS and k != RECORD_META
    }


def check_transport(scope: dict | None, require_tls: bool) -> None:
    """SSE-C keys travel in headers: AWS refuses them over plain HTTP. We
    also accept loopback peers (a TLS-terminating proxy on the node, tests)."""
    if not require_tls or scope is None:
        return
    if scope.get("scheme") in ("https", "wss"):
        return
    client = scope.get("client")
    if client:
        try:
            addr = ipaddress.ip_address(client[0])
        except ValueError:
            addr = None
        if addr is not None and addr.is_loopback:
            return
    raise errors.InvalidRequest(
        "Requests specifying Server Side Encryption with Customer provided "
        "keys must be made over a secure connection."
    )


def record_aad(kind: str, kms_key_id: str | None, context: str | None) -> bytes:
    """What a wrapped data key is bound to: moving a record to another KMS
    key id or context makes it fail to unwrap."""
    return b"|".join(
        (
            b"exordos-s3 sse v1",
            kind.encode(),
            (kms_key_id or "").encode(),
            (context or "").encode(),
        )
    )


# --- glue for the handlers ---------------------------------------------------


def keyring_of(storage) -> Keyring | None:
    """The keyring of the storage (``Storage.sse_keyring``): set when an
    EncryptingStorage is installed, None otherwise."""
    return storage.sse_keyring


def _transport(req) -> None:
    check_transport(req.scope, req.storage.sse_c_require_tls)


def request_spec(req) -> Spec | None:
    """The encryption a write request asks for in its headers."""
    keyring = keyring_of(req.storage)
    spec = write_spec(req.headers, keyring)
    if spec is None:
        return None
    if keyring is None:
        raise errors.NotImplemented_(
            "Server-side encryption is not enabled on this gateway.", Header=H_SSE
        )
    if spec.kind == KIND_C:
        _transport(req)
    return spec


def request_key(req, prefix: str = C_PREFIX) -> CustomerKey | None:
    """The SSE-C key a request carries (for the object or, with
    ``COPY_SOURCE_C_PREFIX``, for the copy source)."""
    key = customer_key(req.headers, prefix)
    if key is not None:
        _transport(req)
    return key
