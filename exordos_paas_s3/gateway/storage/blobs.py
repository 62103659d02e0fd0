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
"""Where the bytes go: the blob store half of a storage (issue 11, item 2).

A storage is two independent parts: a blob store that keeps bytes and an
index that keeps everything else (versions, uploads, documents, usage) and
names the blobs. This module is the blob store's contract; the index's is
the rest of ``base.Storage``.

Blobs are immutable and named by opaque ids the gateway chooses
(``new_blob_id``): an overwrite, a new version or a multipart part is a new
blob, and a user's key never names a blob. So a blob store needs no
conditional writes, no listing by key and no metadata, which any S3-speaking
engine (Ceph RGW, MinIO, AWS) and a local directory serve alike; a crash
between a blob's upload and the index commit leaves an orphan blob, which a
garbage collection pass removes (never a dangling index row: the index
commits only after ``put`` returned).

Today ``LocalStorage`` keeps its data files and its index together (its
tuned layout: small objects inline in SQLite, files renamed into place in the
index transaction); it becomes "local blob store + SQLite index" when the
S3 upstream blob store lands next to it.
"""

from __future__ import annotations

import abc
import dataclasses
import re
import secrets
from collections.abc import AsyncIterator

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.storage.base import ByteStream

# What new_blob_id makes: the GC pass leaves any other name in a blob
# store alone (an operator's file, another tool's object).
BLOB_ID = re.compile(r"[0-9a-f]{32}\Z")


def new_blob_id() -> str:
    """A fresh opaque blob id: 128 random bits, hex (no structure to guess,
    and two gateways never choose the same one)."""
    return secrets.token_hex(16)


class BlobMissing(errors.InternalError):
    """``open`` of a blob the store does not have: damage (the index names
    only stored blobs), told apart for the verify pass."""


@dataclasses.dataclass(frozen=True)
class Listed:
    """A blob as a listing shows it. ``age``: seconds since it was written,
    by the blob store's own clock (an upstream's LastModified against its
    Date header), so the gateway's clock skew does not shorten a grace."""

    blob_id: str
    size: int
    age: float


@dataclasses.dataclass(frozen=True)
class Unfinished:
    """An upload into the blob store that never finished (a multipart
    upload a crash interrupted): it holds space until aborted."""

    blob_id: str
    upload_id: str
    age: float


class BlobStore(abc.ABC):
    """Immutable blobs under opaque ids. All methods are coroutines."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect, check the store is reachable (raise to refuse to start)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def readiness(self) -> None:  # noqa: B027 - optional hook
        """Raise when the store cannot be reached now (readiness probes)."""

    @abc.abstractmethod
    async def put(self, blob_id: str, body: ByteStream, size: int | None = None) -> int:
        """Store ``body`` as blob ``blob_id`` and return its length once it
        is durable. ``size``: the length when known (lets a remote store
        choose a single upload over a multipart one). An exception (from the
        body or the store) leaves no readable blob under that id."""

    @abc.abstractmethod
    async def open(
        self, blob_id: str, start: int = 0, length: int | None = None
    ) -> ByteStream:
        """Stream ``length`` bytes of the blob from ``start`` (None: to the
        end). Raises BlobMissing (an errors.InternalError) when the blob is
        missing: the index names only stored blobs, so a missing one is
        damage."""

    @abc.abstractmethod
    async def delete(self, blob_id: str) -> None:
        """Remove the blob; a missing blob is success (idempotent, so GC and
        retries may repeat it)."""

    def list_blobs(self) -> AsyncIterator[list[Listed]]:
        """Every stored name, a page at a time (for the GC pass). Names
        that are not blob ids come too (``BLOB_ID`` tells them apart)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its blobs")

    async def list_unfinished(self) -> list[Unfinished]:
        """Uploads begun and neither completed nor aborted."""
        return []

    async def abort_unfinished(self, item: Unfinished) -> None:  # noqa: B027
        """Abort an unfinished upload (idempotent)."""
