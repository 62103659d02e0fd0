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
"""The storage contract: what every backend (local disk, upstream S3) offers.

Backends store; the gateway decides. A backend knows nothing of HTTP, SigV4,
policies or XML. It stores buckets, objects (data + metadata), multipart
uploads and opaque documents attached to buckets and objects (policy, CORS,
tagging, lock configuration, retention, legal hold, ACL ...), and it answers
listings from its index.

Bodies are async byte streams both ways and are never buffered whole.

Errors: backends raise the classes of ``gateway.errors`` (NoSuchBucket,
NoSuchKey, NoSuchUpload, BucketNotEmpty, BucketAlreadyExists, InvalidPart,
InvalidPartOrder, EntityTooSmall, PreconditionFailed, ...) so that the
gateway renders them without translation.

What the gateway asks of a write travels as values, not callbacks, so a
backend can check them where it commits (a database transaction, an upstream
conditional request) and a remote backend can forward them:
``Expected`` (the digests and size the client declared, and the quota room)
and ``Precondition`` (If-Match / If-None-Match).

Encryption at rest is part of the contract: ``PutRequest.encryption`` and the
``customer_key`` of ``open_object`` / ``upload_part``. A backend that does not
encrypt by itself refuses both with NotImplemented (``refuse_encryption``);
the ``EncryptingStorage`` wrapper (storage/encrypting.py) consumes them above
such a backend.

Atomicity rules every backend keeps:
- ``put_object`` / ``complete_multipart_upload`` make the new object visible
  all at once or not at all; ``expected`` and ``precondition`` are checked
  before the new object becomes visible, and a failure of either (or an
  exception from the body stream) leaves the old object (if any) untouched.
- an acknowledged write (the coroutine returned) survives a crash of the
  process (for the local backend: data fsynced before the index commit).
- the body is read to its end before ``expected`` is checked and before the
  request's metadata (``PutRequest.system_meta``) is copied into the index:
  a trailing checksum, or a wrapper's record of the bytes (SSE), is
  completed by the body stream itself when it ends.

Two bases help implementations: ``BackendBase`` answers NotImplemented for
every operation, so a new backend grows one method at a time and the gateway
renders the gaps as S3 ``NotImplemented`` (501); ``StorageWrapper`` delegates
every operation to an inner storage, so a wrapper overrides only what it
changes and still is a ``Storage``.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from exordos_paas_s3.gateway import errors

if TYPE_CHECKING:
    from exordos_paas_s3.gateway import sse
    from exordos_paas_s3.gateway.storage import disk

ByteStream = AsyncIterator[bytes]


@dataclasses.dataclass
class Digests:
    """What a backend computed over the bytes it received.

    ``md5`` is the raw 16-byte MD5 (the ETag of a single PUT).
    ``checksums`` maps an algorithm name in upper case ("CRC32", "CRC32C",
    "SHA1", "SHA256", "CRC64NVME") to its raw digest, for each algorithm the
    caller asked for in ``PutRequest.checksum_algorithms``. ``sha256`` is set
    when requested via ``PutRequest.want_sha256`` (SigV4 payload hash check).
    """

    size: int
    md5: bytes
    checksums: dict[str, bytes] = dataclasses.field(default_factory=dict)
    sha256: bytes | None = None


@dataclasses.dataclass
class BucketInfo:
    name: str
    owner_id: str
    created: float  # epoch seconds
    region: str = "us-east-1"
    object_lock_enabled: bool = False
    versioning: str = ""  # "", "Enabled" or "Suspended"


@dataclasses.dataclass
class ObjectInfo:
    """Metadata of one object version as stored in the index."""

    bucket: str
    key: str
    size: int
    etag: str  # without quotes: hex md5, or "hex-N" for multipart objects
    last_modified: float  # epoch seconds
    owner_id: str = ""
    version_id: str = "null"
    is_latest: bool = True
    is_delete_marker: bool = False
    content_type: str = "binary/octet-stream"
    # System headers kept verbatim: content-encoding, content-disposition,
    # cache-control, content-language, expires, website-redirect ...
    system_meta: dict[str, str] = dataclasses.field(default_factory=dict)
    # x-amz-meta-* without the prefix, lower-case names.
    user_meta: dict[str, str] = dataclasses.field(default_factory=dict)
    # Algorithm name ("CRC32" ...) -> base64 value as the client sees it;
    # "type" may be set to "FULL_OBJECT" or "COMPOSITE".
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)
    storage_class: str = "STANDARD"
    parts_count: int = 0
    # Sizes of the parts of a multipart object, in order (for partNumber GETs).
    part_sizes: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PutRequest:
    """Everything about a new object except its bytes."""

    bucket: str
    key: str
    owner_id: str
    content_type: str = "binary/octet-stream"
    system_meta: dict[str, str] = dataclasses.field(default_factory=dict)
    user_meta: dict[str, str] = dataclasses.field(default_factory=dict)
    checksum_algorithms: Sequence[str] = ()
    want_sha256: bool = False
    storage_class: str = "STANDARD"
    # Known length (Content-Length or x-amz-decoded-content-length) or None.
    expected_size: int | None = None
    # Multipart only: "COMPOSITE" (checksum of the part checksums, "-N") or
    # "FULL_OBJECT" (the CRC of the whole object, combined from the parts'
    # CRCs); "" is COMPOSITE. ObjectInfo.checksums["type"] reports it.
    checksum_type: str = ""
    # Encrypt the new object (put_object, create_multipart_upload); None
    # applies the bucket's default encryption, if any (storage/encrypting.py).
    encryption: sse.Spec | None = None


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match list names ``etag`` ("*" any)."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate.strip('"') == etag:
            return True
    return False


@dataclasses.dataclass(frozen=True, slots=True)
class Precondition:
    """A conditional write: the header values of If-Match / If-None-Match.

    Checked atomically with the commit, against the key's current latest
    version (a delete marker counts as no object)."""

    if_match: str | None = None
    if_none_match: str | None = None

    def check(self, current: ObjectInfo | None, key: str) -> None:
        """Raises PreconditionFailed, or NoSuchKey for If-Match on no object."""
        live = current if current is not None and not current.is_delete_marker else None
        if self.if_none_match is not None and live is not None:
            if etag_matches(self.if_none_match, live.etag):
                raise errors.PreconditionFailed(Condition="If-None-Match")
        if self.if_match is not None:
            if live is None:
                raise errors.NoSuchKey(Key=key)
            if not etag_matches(self.if_match, live.etag):
                raise errors.PreconditionFailed(Condition="If-Match")


@dataclasses.dataclass(frozen=True, slots=True)
class QuotaRoom:
    """The room a bucket quota leaves for one write: the write may store
    ``limit - used + freed`` bytes (``freed``: the bytes of the version it
    replaces)."""

    bucket: str
    limit: int
    used: int
    freed: int = 0

    def check(self, size: int) -> None:
        if self.used - self.freed + size > self.limit:
            raise errors.QuotaExceeded(
                BucketName=self.bucket,
                QuotaBytes=str(self.limit),
                UsedBytes=str(self.used),
                ProposedSize=str(size),
            )


def bad_checksum(algorithm: str) -> errors.S3Error:
    return errors.BadDigest(
        f"The {algorithm} you specified did not match the calculated checksum."
    )


@dataclasses.dataclass(slots=True)
class Expected:
    """What a body must turn out to be; checked over the received bytes
    before the commit (``check``).

    ``checksums`` maps an algorithm ("CRC32" ...) to the raw digest the client
    declared; the algorithm must be in the request's ``checksum_algorithms``.
    A trailing checksum (aws-chunked trailer) is added to ``checksums`` by
    the body stream when it ends, which is why backends check after the body
    is exhausted."""

    size: int | None = None
    md5: bytes | None = None
    sha256: bytes | None = None
    checksums: dict[str, bytes] = dataclasses.field(default_factory=dict)
    quota: QuotaRoom | None = None

    def check(self, digests: Digests) -> None:
        """Raises IncompleteBody, XAmzContentSHA256Mismatch, BadDigest or
        QuotaExceeded (in that order of checking)."""
        if self.size is not None and digests.size != self.size:
            raise errors.IncompleteBody()
        if self.sha256 is not None and digests.sha256 != self.sha256:
            raise errors.XAmzContentSHA256Mismatch(
                ClientComputedContentSHA256=self.sha256.hex(),
                S3ComputedContentSHA256=(digests.sha256 or b"").hex(),
            )
        if self.md5 is not None and digests.md5 != self.md5:
            raise errors.BadDigest(
                ExpectedDigest=self.md5.hex(),
                CalculatedDigest=base64.b64encode(digests.md5).decode(),
            )
        for alg, want in self.checksums.items():
            if digests.checksums.get(alg) != want:
                raise bad_checksum(alg)
        if self.quota is not None:
            self.quota.check(digests.size)


def refuse_encryption(
    encryption: sse.Spec | None = None, customer_key: sse.CustomerKey | None = None
) -> None:
    """For backends that store bytes as given: encryption is the
    EncryptingStorage wrapper's job, and a request for it that reached such a
    backend has no wrapper above it."""
    if encryption is not None or customer_key is not None:
        raise errors.NotImplemented_(
            "Server-side encryption is not enabled on this gateway.",
            Header="x-amz-server-side-encryption",
        )


@dataclasses.dataclass
class ListResult:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    # The last key or common prefix returned: the marker for the next page.
    next_marker: str | None = None


@dataclasses.dataclass
class VersionListResult:
    versions: list[ObjectInfo]  # includes delete markers, newest first per key
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None = None
    next_version_id_marker: str | None = None


@dataclasses.dataclass
class UploadInfo:
    bucket: str
    key: str
    upload_id: str
    initiated: float
    owner_id: str
    request: PutRequest  # metadata the final object will carry


@dataclasses.dataclass
class PartInfo:
    part_number: int
    size: int
    etag: str  # hex md5, no quotes
    last_modified: float
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class UploadListResult:
    uploads: list[UploadInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None


@dataclasses.dataclass
class ObjectReader:
    """An opened object version, ready to stream a byte range.

    ``path`` is set when the bytes ``[offset, offset+length)`` of the file are
    exactly the requested range in plain form, so the server may send it with
    sendfile; ``data`` when the backend already holds exactly those bytes in
    memory (a small object); otherwise read ``stream()``.

    ``stored``, when the backend offers it, opens the stored bytes of this
    very version for reads at any offset: a wrapper that transforms them
    (encryption, compression) reads the version it resolved until its last
    byte, whatever overwrites or deletes the key meanwhile.
    """

    info: ObjectInfo
    start: int
    length: int
    stream: Callable[[], ByteStream]
    path: str | None = None
    offset: int = 0
    data: bytes | None = None
    stored: Callable[[], StoredData] | None = None


class StoredData(abc.ABC):
    """The stored bytes of one opened version (ObjectReader.stored).

    Reads are pull-based: a wrapper reads the next piece only when its
    consumer asks for more bytes, so a client that stops reading stops the
    reads (bounded memory). ``close`` releases what pins the version."""

    @abc.abstractmethod
    async def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset`` (short or empty only at the
        end of the stored bytes)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the version (an open file, a connection)."""


class MemoryData(StoredData):
    """Stored bytes already in memory (an inline object)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, offset: int, size: int) -> bytes:
        return bytes(self._data[offset : offset + size])


class Storage(abc.ABC):
    """The contract. All methods are coroutines and never block the loop."""

    @property
    def sse_keyring(self) -> sse.Keyring | None:
        """The SSE keyring when this storage encrypts; None refuses requests
        for encryption before any body is read."""
        return None

    @property
    def sse_c_require_tls(self) -> bool:
        """Whether SSE-C keys are accepted only over TLS."""
        return True

    # --- leases (one background worker per namespace) ---------------------

    async def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease ``name`` for ``holder`` for ``ttl`` seconds;
        False while another holder's lease runs. Background work that must
        run once per namespace (the lifecycle executor) runs under one.

        This default is in-process: right for a backend whose index one
        gateway owns (SQLite in --data-dir). A backend whose index several
        gateways share (PostgreSQL) overrides both methods with a row in
        that index (take it when free or expired, renew when held)."""
        now = time.monotonic()
        leases = self.__dict__.setdefault("_leases", {})
        held = leases.get(name)
        if held is not None and held[0] != holder and held[1] > now:
            return False
        leases[name] = (holder, now + ttl)
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        leases = self.__dict__.get("_leases", {})
        if leases.get(name, (None,))[0] == holder:
            del leases[name]

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open files, recover from a crash (remove temp/orphaned files)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release everything."""

    def disk_state(self) -> disk.DiskState | None:
        """The local data disk's free space and whether it is full (writes
        refused); None when this storage has no local data disk. Blocking
        but cheap (a statvfs): for health and readiness checks."""
        return None

    async def readiness(self) -> dict[str, str]:
        """Whether this storage can serve now: write and read what it
        stores on (disk, index, upstream). Returns what it checked, each
        ``"ok"``; raises (any exception, its message the reason) when not
        ready. Called by readiness probes (gateway/readiness.py), at most
        once per ``readiness.CACHE_SECONDS``. A backend with nothing of its
        own to check keeps this default."""
        return {}

    # --- buckets ---------------------------------------------------------

    @abc.abstractmethod
    async def create_bucket(
        self, name: str, owner_id: str, region: str, object_lock: bool = False
    ) -> BucketInfo:
        """Raises BucketAlreadyExists (with the existing owner in the message
        irrelevant: the gateway maps to BucketAlreadyOwnedByYou itself)."""

    @abc.abstractmethod
    async def get_bucket(self, name: str) -> BucketInfo:
        """Raises NoSuchBucket."""

    @abc.abstractmethod
    async def list_buckets(self) -> list[BucketInfo]:
        """All buckets sorted by name (the gateway filters by owner)."""

    @abc.abstractmethod
    async def delete_bucket(self, name: str) -> None:
        """Raises NoSuchBucket, BucketNotEmpty (objects, versions or uploads)."""

    @abc.abstractmethod
    async def update_bucket(self, name: str, **fields: object) -> BucketInfo:
        """Set BucketInfo fields (versioning, object_lock_enabled)."""

    async def bucket_usage(self, bucket: str) -> tuple[int, int]:
        """(object versions, bytes) stored in the bucket: every version counts,
        delete markers and unfinished multipart uploads do not. Raises
        NoSuchBucket. Quota checks call it on each write, so a backend should
        keep it cheap (the local one keeps a counter); this fallback walks
        the bucket."""
        objects = size = 0
        key_marker = version_marker = ""
        while True:
            page = await self.list_object_versions(
                bucket, key_marker=key_marker, version_id_marker=version_marker
            )
            for info in page.versions:
                if not info.is_delete_marker:
                    objects += 1
                    size += info.size
            if not page.is_truncated:
                return objects, size
            key_marker = page.next_key_marker or ""
            version_marker = page.next_version_id_marker or ""

    async def upload_usage(self, bucket: str) -> tuple[int, int]:
        """(unfinished multipart uploads, bytes of their stored parts) in the
        bucket: space that ``bucket_usage`` does not count. Raises
        NoSuchBucket. This fallback walks the uploads and their parts."""
        uploads = size = 0
        key_marker = upload_marker = ""
        while True:
            page = await self.list_multipart_uploads(
                bucket, key_marker=key_marker, upload_id_marker=upload_marker
            )
            for upload in page.uploads:
                uploads += 1
                marker = 0
                while True:
                    parts, more = await self.list_parts(
                        bucket, upload.key, upload.upload_id, marker
                    )
                    size += sum(p.size for p in parts)
                    if not more or not parts:
                        break
                    marker = parts[-1].part_number
            if not page.is_truncated:
                return uploads, size
            key_marker = page.next_key_marker or ""
            upload_marker = page.next_upload_id_marker or ""

    # --- objects ---------------------------------------------------------

    @abc.abstractmethod
    async def put_object(
        self,
        req: PutRequest,
        body: ByteStream,
        expected: Expected | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        """Stream ``body`` into a new object (latest version), encrypted as
        ``req.encryption`` says. Raises what ``expected.check`` and
        ``precondition.check`` raise."""

    @abc.abstractmethod
    async def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo:
        """Raises NoSuchBucket, NoSuchKey (also for a latest delete marker:
        the gateway inspects ``is_delete_marker`` on versioned lookups)."""

    @abc.abstractmethod
    async def open_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        start: int = 0,
        length: int | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> ObjectReader:
        """Open a version for reading ``length`` bytes from ``start``
        (``None``: to the end). Range validity is the gateway's job.
        ``customer_key``: the SSE-C key the request carries."""

    @abc.abstractmethod
    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo | None:
        """Delete the object (or one version). Returns the deleted version
        (None when nothing existed: deleting a missing key is not an error)."""

    @abc.abstractmethod
    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **fields: object,
    ) -> ObjectInfo:
        """Change metadata in place (content_type, system_meta, user_meta,
        storage_class) without rewriting data: CopyObject onto itself with
        REPLACE."""

    @abc.abstractmethod
    async def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ListResult:
        """Latest, non-deleted versions in key order (UTF-8 binary order),
        keys > start_after, grouped by delimiter after the prefix. A common
        prefix counts as one entry towards ``max_keys``."""

    @abc.abstractmethod
    async def list_object_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionListResult:
        """Every version and delete marker; key order, newest first per key."""

    # --- multipart -------------------------------------------------------

    @abc.abstractmethod
    async def create_multipart_upload(self, req: PutRequest) -> UploadInfo:
        """Start an upload whose object carries ``req``'s metadata and
        encryption."""

    @abc.abstractmethod
    async def get_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> UploadInfo:
        """Raises NoSuchUpload."""

    @abc.abstractmethod
    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: ByteStream,
        checksum_algorithms: Sequence[str] = (),
        want_sha256: bool = False,
        expected: Expected | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> PartInfo:
        """Store one part (replaces a previous part with the same number).
        ``customer_key``: the SSE-C key of an upload encrypted with one."""

    @abc.abstractmethod
    async def list_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = 1000,
    ) -> tuple[list[PartInfo], bool]:
        """Parts after the marker in part order, and whether truncated."""

    @abc.abstractmethod
    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        """Assemble the listed (part_number, etag) parts into the object.
        Raises InvalidPart, InvalidPartOrder, EntityTooSmall (every part but
        the last must be >= 5 MiB). The ETag is the AWS composite one: hex of
        MD5 over the concatenated raw part MD5s, then "-N"."""

    @abc.abstractmethod
    async def abort_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> None:
        """Raises NoSuchUpload."""

    @abc.abstractmethod
    async def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListResult: ...

    # --- documents (opaque to the backend) ---------------------------------

    @abc.abstractmethod
    async def get_bucket_doc(self, bucket: str, name: str) -> bytes | None:
        """An opaque per-bucket document ("policy", "cors", "tagging", ...)."""

    def bucket_doc_lock(
        self, bucket: str, name: str
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Held across a read-modify-write of one bucket document (the
        Iceberg catalog): no other writer of ``(bucket, name)`` that takes
        it runs in between. Here an in-process lock (one gateway owns its
        index); a shared index also locks across gateways (decision 0020)."""
        return self._process_doc_lock(bucket, name)

    @contextlib.asynccontextmanager
    async def _process_doc_lock(self, bucket: str, name: str) -> AsyncIterator[None]:
        locks: dict[tuple[str, str], asyncio.Lock] = self.__dict__.setdefault(
            "_bucket_doc_locks", {}
        )
        lock = locks.get((bucket, name))
        if lock is None:
            lock = locks[(bucket, name)] = asyncio.Lock()
        async with lock:
            yield

    @abc.abstractmethod
    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None: ...

    @abc.abstractmethod
    async def delete_bucket_doc(self, bucket: str, name: str) -> None: ...

    @abc.abstractmethod
    async def get_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> bytes | None:
        """An opaque per-object-version document ("tagging", "acl",
        "retention", "legal-hold", ...). Raises NoSuchKey for a missing
        object; deleted with the version it belongs to."""

    @abc.abstractmethod
    async def put_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str, value: bytes
    ) -> None: ...

    @abc.abstractmethod
    async def delete_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> None: ...


def _not_implemented(operation: str) -> errors.S3Error:
    return errors.NotImplemented_(
        f"This storage backend does not implement {operation} yet."
    )


class BackendBase(Storage):
    """Where a new backend starts: every operation answers S3 NotImplemented
    (501) until the backend overrides it. Encryption requests are refused
    the same way unless the backend handles them (or an EncryptingStorage
    sits above it)."""

    async def create_bucket(
        self, name: str, owner_id: str, region: str, object_lock: bool = False
    ) -> BucketInfo:
        raise _not_implemented("CreateBucket")

    async def get_bucket(self, name: str) -> BucketInfo:
        raise _not_implemented("HeadBucket")

    async def list_buckets(self) -> list[BucketInfo]:
        raise _not_implemented("ListBuckets")

    async def delete_bucket(self, name: str) -> None:
        raise _not_implemented("DeleteBucket")

    async def update_bucket(self, name: str, **fields: object) -> BucketInfo:
        raise _not_implemented("bucket settings")

    async def put_object(
        self,
        req: PutRequest,
        body: ByteStream,
        expected: Expected | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        raise _not_implemented("PutObject")

    async def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo:
        raise _not_implemented("HeadObject")

    async def open_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        start: int = 0,
        length: int | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> ObjectReader:
        raise _not_implemented("GetObject")

    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo | None:
        raise _not_implemented("DeleteObject")

    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **fields: object,
    ) -> ObjectInfo:
        raise _not_implemented("metadata replacement")

    async def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ListResult:
        raise _not_implemented("ListObjects")

    async def list_object_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionListResult:
        raise _not_implemented("ListObjectVersions")

    async def create_multipart_upload(self, req: PutRequest) -> UploadInfo:
        raise _not_implemented("multipart uploads")

    async def get_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> UploadInfo:
        raise _not_implemented("multipart uploads")

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: ByteStream,
        checksum_algorithms: Sequence[str] = (),
        want_sha256: bool = False,
        expected: Expected | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> PartInfo:
        raise _not_implemented("multipart uploads")

    async def list_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = 1000,
    ) -> tuple[list[PartInfo], bool]:
        raise _not_implemented("multipart uploads")

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        raise _not_implemented("multipart uploads")

    async def abort_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> None:
        raise _not_implemented("multipart uploads")

    async def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListResult:
        raise _not_implemented("multipart uploads")

    async def get_bucket_doc(self, bucket: str, name: str) -> bytes | None:
        raise _not_implemented(f"the bucket {name} document")

    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None:
        raise _not_implemented(f"the bucket {name} document")

    async def delete_bucket_doc(self, bucket: str, name: str) -> None:
        raise _not_implemented(f"the bucket {name} document")

    async def get_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> bytes | None:
        raise _not_implemented(f"the object {name} document")

    async def put_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str, value: bytes
    ) -> None:
        raise _not_implemented(f"the object {name} document")

    async def delete_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> None:
        raise _not_implemented(f"the object {name} document")


class StorageWrapper(Storage):
    """A Storage over another one: every operation goes to ``inner`` unless
    the subclass overrides it. Explicit delegation (no ``__getattr__``), so a
    wrapper is a Storage the type checker and ``isinstance`` see."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.inner!r}>"

    @property
    def sse_keyring(self) -> sse.Keyring | None:
        return self.inner.sse_keyring

    @property
    def sse_c_require_tls(self) -> bool:
        return self.inner.sse_c_require_tls

    async def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        return await self.inner.acquire_lease(name, holder, ttl)

    async def release_lease(self, name: str, holder: str) -> None:
        await self.inner.release_lease(name, holder)

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    def disk_state(self) -> disk.DiskState | None:
        return self.inner.disk_state()

    async def readiness(self) -> dict[str, str]:
        return await self.inner.readiness()

    async def create_bucket(
        self, name: str, owner_id: str, region: str, object_lock: bool = False
    ) -> BucketInfo:
        return await self.inner.create_bucket(name, owner_id, region, object_lock)

    async def get_bucket(self, name: str) -> BucketInfo:
        return await self.inner.get_bucket(name)

    async def list_buckets(self) -> list[BucketInfo]:
        return await self.inner.list_buckets()

    async def delete_bucket(self, name: str) -> None:
        await self.inner.delete_bucket(name)

    async def update_bucket(self, name: str, **fields: object) -> BucketInfo:
        return await self.inner.update_bucket(name, **fields)

    async def bucket_usage(self, bucket: str) -> tuple[int, int]:
        return await self.inner.bucket_usage(bucket)

    async def upload_usage(self, bucket: str) -> tuple[int, int]:
        return await self.inner.upload_usage(bucket)

    async def put_object(
        self,
        req: PutRequest,
        body: ByteStream,
        expected: Expected | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        return await self.inner.put_object(req, body, expected, precondition)

    async def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo:
        return await self.inner.head_object(bucket, key, version_id)

    async def open_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        start: int = 0,
        length: int | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> ObjectReader:
        return await self.inner.open_object(
            bucket, key, version_id, start, length, customer_key
        )

    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo | None:
        return await self.inner.delete_object(bucket, key, version_id)

    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **fields: object,
    ) -> ObjectInfo:
        return await self.inner.update_object_meta(bucket, key, version_id, **fields)

    async def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ListResult:
        return await self.inner.list_objects(
            bucket, prefix, delimiter, start_after, max_keys
        )

    async def list_object_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionListResult:
        return await self.inner.list_object_versions(
            bucket, prefix, delimiter, key_marker, version_id_marker, max_keys
        )

    async def create_multipart_upload(self, req: PutRequest) -> UploadInfo:
        return await self.inner.create_multipart_upload(req)

    async def get_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> UploadInfo:
        return await self.inner.get_multipart_upload(bucket, key, upload_id)

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: ByteStream,
        checksum_algorithms: Sequence[str] = (),
        want_sha256: bool = False,
        expected: Expected | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> PartInfo:
        return await self.inner.upload_part(
            bucket,
            key,
            upload_id,
            part_number,
            body,
            checksum_algorithms,
            want_sha256,
            expected,
            customer_key,
        )

    async def list_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = 1000,
    ) -> tuple[list[PartInfo], bool]:
        return await self.inner.list_parts(
            bucket, key, upload_id, part_number_marker, max_parts
        )

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        return await self.inner.complete_multipart_upload(
            bucket, key, upload_id, parts, precondition
        )

    async def abort_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> None:
        await self.inner.abort_multipart_upload(bucket, key, upload_id)

    async def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListResult:
        return await self.inner.list_multipart_uploads(
            bucket, prefix, delimiter, key_marker, upload_id_marker, max_uploads
        )

    async def get_bucket_doc(self, bucket: str, name: str) -> bytes | None:
        return await self.inner.get_bucket_doc(bucket, name)

    def bucket_doc_lock(
        self, bucket: str, name: str
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return self.inner.bucket_doc_lock(bucket, name)

    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None:
        await self.inner.put_bucket_doc(bucket, name, value)

    async def delete_bucket_doc(self, bucket: str, name: str) -> None:
        await self.inner.delete_bucket_doc(bucket, name)

    async def get_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> bytes | None:
        return await self.inner.get_object_doc(bucket, key, version_id, name)

    async def put_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str, value: bytes
    ) -> None:
        await self.inner.put_object_doc(bucket, key, version_id, name, value)

    async def delete_object_doc(
        self, bucket: str, key: str, version_id: str | None, name: str
    ) -> None:
        await self.inner.delete_object_doc(bucket, key, version_id, name)


# A factory the composition root (cmd/) uses; kept here so backends share it.
StorageFactory = Callable[[], Awaitable[Storage]]


class PresentingWrapper(StorageWrapper):
    """A wrapper that stores versions in another form than clients see
    (encrypted, compressed): every stored version it hands up goes through
    ``present``, the client's view of it. The operations that only hand
    stored versions up are written here once."""

    @staticmethod
    def present(info: ObjectInfo) -> ObjectInfo:
        return info

    async def head_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo:
        return self.present(await self.inner.head_object(bucket, key, version_id))

    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectInfo | None:
        info = await self.inner.delete_object(bucket, key, version_id)
        return None if info is None else self.present(info)

    async def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ListResult:
        result = await self.inner.list_objects(
            bucket, prefix, delimiter, start_after, max_keys
        )
        result.objects = [self.present(o) for o in result.objects]
        return result

    async def list_object_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionListResult:
        result = await self.inner.list_object_versions(
            bucket, prefix, delimiter, key_marker, version_id_marker, max_keys
        )
        result.versions = [self.present(o) for o in result.versions]
        return result
