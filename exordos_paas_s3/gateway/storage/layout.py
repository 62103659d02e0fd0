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
"""Which blob store and which index a gateway runs (``--blob-store``,
``--index``), checked once at startup.

Three pairs run: local + SQLite (the default, one node), S3 upstream +
SQLite (one gateway in front of an existing cluster), S3 upstream +
PostgreSQL (gateways that share one namespace). Local + PostgreSQL is
refused: the bytes would stay on one node's disk, so a shared index would
name objects the other gateways cannot read. ``build`` refuses a pair or
parts that cannot run with a message that says what is wrong, before any
listener opens. Credentials never
appear in a message or a repr.
"""

from __future__ import annotations

import dataclasses
import re
from urllib import parse as urlparse

from exordos_paas_s3.gateway.storage import base

BLOB_STORES = ("local", "s3")
INDEX_SCHEMES = ("postgresql", "postgres")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class LayoutError(Exception):
    """A storage configuration that cannot run (wrong, or not built yet)."""


@dataclasses.dataclass(frozen=True)
class Upstream:
    """An S3 endpoint that keeps the blobs, in one bucket of its own."""

    endpoint: str
    bucket: str
    region: str
    access_key: str
    secret_key: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Layout:
    blob_store: str = "local"
    index: str = "sqlite"  # "sqlite" or "postgresql"
    # The PostgreSQL connection URL (may hold a password: never shown).
    index_url: str | None = dataclasses.field(default=None, repr=False)
    upstream: Upstream | None = None

    def describe(self) -> str:
        """The pair in words, without credentials."""
        if self.upstream is not None:
            endpoint = _without_password(self.upstream.endpoint)
            blobs = f"s3 blob store ({endpoint}, bucket {self.upstream.bucket})"
        else:
            blobs = f"{self.blob_store} blob store"
        if self.index_url is not None:
            index = f"postgresql index ({_without_password(self.index_url)})"
        else:
            index = f"{self.index} index"
        return f"{blobs} + {index}"


def _without_password(url: str) -> str:
    parts = urlparse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlparse.urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def parse(
    blob_store: str = "local",
    index: str = "sqlite",
    upstream_endpoint: str | None = None,
    upstream_bucket: str | None = None,
    upstream_region: str | None = None,
    upstream_access_key: str | None = None,
    upstream_secret_key: str | None = None,
) -> Layout:
    """A Layout from the option values; raises LayoutError saying which
    option is wrong. Empty strings count as unset (a config file may carry
    empty keys)."""
    if blob_store not in BLOB_STORES:
        raise LayoutError(
            f"--blob-store must be one of {', '.join(BLOB_STORES)}, not {blob_store!r}"
        )
    index_kind, index_url = _parse_index(index)
    given = {
        "--upstream-endpoint": upstream_endpoint,
        "--upstream-bucket": upstream_bucket,
        "--upstream-region": upstream_region,
    }
    if blob_store == "local":
        extra = [name for name, value in given.items() if value]
        if extra:
            raise LayoutError(
                f"{', '.join(extra)} apply to --blob-store s3 only "
                "(this gateway is configured with --blob-store local)"
            )
        if index_kind == "postgresql":
            # A shared index over bytes on one machine's disk would name
            # objects the other gateways cannot read.
            raise LayoutError(
                "--blob-store local keeps object bytes on this node's disk, so "
                "its index stays on this node too: use --index sqlite, or "
                "--blob-store s3 with --index postgresql://… for gateways that "
                "share one namespace"
            )
        return Layout("local", index_kind, index_url)
    missing = [
        name
        for name, value in given.items()
        if not value and name != "--upstream-region"
    ]
    if missing:
        raise LayoutError(f"--blob-store s3 needs {' and '.join(missing)}")
    assert upstream_endpoint and upstream_bucket
    endpoint = urlparse.urlsplit(upstream_endpoint)
    if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
        raise LayoutError(
            "--upstream-endpoint must be an http:// or https:// URL with a host, "
            f"not {upstream_endpoint!r}"
        )
    if not _BUCKET.match(upstream_bucket) or ".." in upstream_bucket:
        raise LayoutError(
            f"--upstream-bucket {upstream_bucket!r} is not a valid S3 bucket name"
        )
    if not upstream_access_key or not upstream_secret_key:
        from exordos_paas_s3 import constants

        raise LayoutError(
            "--blob-store s3 needs the upstream's keys: set "
            f"{constants.GATEWAY_UPSTREAM_ACCESS_KEY_ENV} and "
            f"{constants.GATEWAY_UPSTREAM_SECRET_KEY_ENV} (or upstream_access_key "
            "and upstream_secret_key in the config file)"
        )
    upstream = Upstream(
        endpoint=upstream_endpoint.rstrip("/"),
        bucket=upstream_bucket,
        region=upstream_region or "us-east-1",
        access_key=upstream_access_key,
        secret_key=upstream_secret_key,
    )
    return Layout("s3", index_kind, index_url, upstream)


def _parse_index(index: str) -> tuple[str, str | None]:
    if index == "sqlite":
        return "sqlite", None
    parts = urlparse.urlsplit(index)
    if parts.scheme in INDEX_SCHEMES:
        if not parts.hostname and not parts.path.strip("/") and not parts.query:
            raise LayoutError(
                "--index postgresql://… needs a host or a database, e.g. "
                "postgresql://user@db.example:5432/exordos_s3"
            )
        return "postgresql", index
    # Never echo the value: it may be a URL with a password in it.
    raise LayoutError(
        "--index must be 'sqlite' or a postgresql://… URL "
        f"(got a value of scheme {parts.scheme or 'none'!r})"
    )


async def build(
    layout: Layout,
    data_dir: str,
    fsync: bool = True,
    *,
    multipart_threshold: int = 16 << 20,
    part_size: int = 16 << 20,
    max_connections: int = 16,
    obsolete_grace: float = 60.0,
) -> base.Storage:
    """The started backend storage of ``layout`` (below the wrappers), or
    LayoutError for a pair this gateway does not have yet, or whose parts
    do not answer (an unreachable upstream, an index of another upstream).
    The sizes, the connection count and the obsolete blobs' grace apply to
    the S3 blob store."""
    if layout.blob_store == "local" and layout.index == "sqlite":
        from exordos_paas_s3.gateway.storage import local

        storage: base.Storage = local.LocalStorage(data_dir, fsync=fsync)
        await storage.start()
        return storage
    if layout.blob_store == "s3":
        from exordos_paas_s3.gateway.storage import s3_blobs, upstream

        assert layout.upstream is not None
        try:
            blob_store = s3_blobs.S3BlobStore(
                layout.upstream,
                multipart_threshold=max(multipart_threshold, part_size),
                part_size=part_size,
                max_connections=max_connections,
            )
        except ValueError as exc:
            raise LayoutError(f"--blob-store s3: {exc}") from None
        if layout.index_url is not None:
            from exordos_paas_s3.gateway.storage import upstream_pg

            storage = upstream_pg.PgUpstreamStorage(
                data_dir,
                blob_store,
                url=layout.index_url,
                name=layout.upstream.bucket,
                pool_size=max_connections,
                unlink_grace=obsolete_grace,
            )
        else:
            storage = upstream.UpstreamStorage(
                data_dir,
                blob_store,
                name=layout.upstream.bucket,
                fsync=fsync,
                unlink_grace=obsolete_grace,
            )
        try:
            await storage.start()
        except Exception as exc:
            await _close_quietly(storage)
            raise LayoutError(
                f"{layout.describe()} cannot start: {_reason(exc)}"
            ) from None
        return storage
    raise LayoutError(f"{layout.describe()} is not a pair this gateway serves")


def _reason(exc: Exception) -> str:
    # S3 errors carry their message; others (a refused connection) their
    # text, which names no credential (the client never puts keys in one).
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


async def _close_quietly(storage: base.Storage) -> None:
    try:
        await storage.close()
    except Exception:  # noqa: BLE001, S110 - already failing to start
        pass
