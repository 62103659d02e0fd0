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

Atomicity rules every backend keeps:
- ``put_object`` / ``complete_multipart_upload`` make the new object visible
  all at once or not at all; ``verify`` and ``precondition`` run before the
  new object becomes visible, and an exception from either leaves the old
  object (if any) untouched.
- an acknowledged write (the coroutine returned) survives a crash of the
  process (for the local backend: data fsynced before the index commit).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

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


# verify(digests) raises an S3Error (BadDigest, ...) to reject the upload.
Verify = Callable[[Digests], None]
# precondition(current) raises PreconditionFailed / NoSuchKey to reject; it
# runs atomically with the commit, against the current latest version.
Precondition = Callable[[ObjectInfo | None], None]


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
    """

    info: ObjectInfo
    start: int
    length: int
    stream: Callable[[], ByteStream]
    path: str | None = None
    offset: int = 0
    data: bytes | None = None


class Storage(abc.ABC):
    """The contract. All methods are coroutines and never block the loop."""

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open files, recover from a crash (remove temp/orphaned files)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release everything."""

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

    # --- objects ---------------------------------------------------------

    @abc.abstractmethod
    async def put_object(
        self,
        req: PutRequest,
        body: ByteStream,
        verify: Verify | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectInfo:
        """Stream ``body`` into a new object (latest version)."""

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
    ) -> ObjectReader:
        """Open a version for reading ``length`` bytes from ``start``
        (``None``: to the end). Range validity is the gateway's job."""

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
    async def create_multipart_upload(self, req: PutRequest) -> UploadInfo: ...

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
        verify: Verify | None = None,
    ) -> PartInfo:
        """Store one part (replaces a previous part with the same number)."""

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


# A factory the composition root (cmd/) uses; kept here so backends share it.
StorageFactory = Callable[[], Awaitable[Storage]]
