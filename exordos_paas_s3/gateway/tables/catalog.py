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
"""The Iceberg catalog of table buckets: state, metadata files and commits.

No HTTP here (that is ``rest.py``): each method takes plain values and
returns plain values or raises an :class:`IcebergError`.

Where things live (docs/decisions/0010-iceberg-catalog.md):

- the catalog of a table bucket is ONE bucket document, ``iceberg-catalog``
  (JSON, in the gateway's SQLite index, durable as the bucket's other
  settings): its namespaces with their properties and, per table, the
  current metadata location. Its presence is what makes a bucket a table
  bucket;
- table metadata JSON files are objects of the bucket under the table's own
  location (``s3://<bucket>/tables/<uuid>/metadata/NNNNN-<uuid>.metadata.json``),
  written by the gateway; data and manifest files are written by the
  clients through the S3 API under the same location.

Table metadata, its updates and requirements are PyIceberg's own models
(``pyiceberg.table.update``): the server applies exactly what the client's
library would apply. A commit is a compare-and-swap of the metadata location:
the new metadata is computed and written outside the lock, then swapped in
only if the table still points at the metadata it was computed from; if not,
it is recomputed against the new current metadata (the requirements decide
whether that is a conflict, a 409).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from exordos_paas_s3.gateway import errors as s3_errors
from exordos_paas_s3.gateway import quota
from exordos_paas_s3.gateway.storage import base as storage_base
from exordos_paas_s3.gateway.tables import manifests

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

LOG = logging.getLogger(__name__)

DOC_CATALOG = "iceberg-catalog"
# Namespace levels are joined with the unit separator, as on the wire.
SEP = "\x1f"
MAX_NAME = 255
MAX_PAGE = 1000
# Attempts of one commit when other commits keep landing first.
COMMIT_ATTEMPTS = 10
# Parsed metadata files kept in memory: they never change once written.
METADATA_CACHE = 256
MAX_METADATA_BYTES = 64 * 1024 * 1024
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_METADATA_FILE_RE = re.compile(r"(\d+)-[0-9a-f-]{36}\.metadata\.json\Z")


# --- errors (the Iceberg REST error model) ----------------------------------


class IcebergError(Exception):
    """``{"error": {"message", "type", "code"}}`` with ``status``."""

    status = 500
    type = "InternalServerError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(IcebergError):
    status, type = 400, "BadRequestException"


class NotAuthorized(IcebergError):
    status, type = 401, "NotAuthorizedException"


class Forbidden(IcebergError):
    status, type = 403, "ForbiddenException"


class NotFound(IcebergError):
    status, type = 404, "NotFoundException"


class NoSuchNamespace(IcebergError):
    status, type = 404, "NoSuchNamespaceException"


class NoSuchTable(IcebergError):
    status, type = 404, "NoSuchTableException"


class NoSuchView(IcebergError):
    status, type = 404, "NoSuchViewException"


class MethodNotAllowed(IcebergError):
    status, type = 405, "MethodNotAllowedException"


class AlreadyExists(IcebergError):
    status, type = 409, "AlreadyExistsException"


class NamespaceNotEmpty(IcebergError):
    status, type = 409, "NamespaceNotEmptyException"


class CommitFailed(IcebergError):
    status, type = 409, "CommitFailedException"


class TooLarge(IcebergError):
    status, type = 413, "BadRequestException"


# --- names -------------------------------------------------------------------


def check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{what} must be a non-empty string")
    if len(value) > MAX_NAME or _CONTROL_RE.search(value):
        raise BadRequest(
            f"{what} {value!r} is invalid: at most {MAX_NAME} characters,"
            " no control characters"
        )
    return value


def check_namespace(levels: Any) -> tuple[str, ...]:
    if not isinstance(levels, list | tuple) or not levels:
        raise BadRequest("namespace must be a non-empty list of strings")
    return tuple(check_name(level, "namespace level") for level in levels)


def ns_key(levels: tuple[str, ...]) -> str:
    return SEP.join(levels)


def ns_levels(key: str) -> list[str]:
    return key.split(SEP)


def table_resource(levels: tuple[str, ...], name: str) -> str:
    """The "<namespace>/<table>" part of a table's IAM resource."""
    return ".".join(levels) + "/" + name


def _page(
    keys: list[str], page_token: str | None, page_size: int | None
) -> tuple[list[str], str | None]:
    """Sorted keys after the token; the token is the last key returned."""
    keys = sorted(keys)
    if page_token:
        keys = [k for k in keys if k > page_token]
    if page_size is None:
        return keys, None
    page = keys[:page_size]
    more = len(keys) > page_size
    return page, (page[-1] if more and page else None)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _client_errors() -> tuple[type[Exception], ...]:
    """What PyIceberg raises for a request that cannot apply (a 400): pydantic
    validation, its own validation errors, and the plain errors its update
    functions raise for ids that do not exist."""
    from pyiceberg import exceptions as ice

    return (
        ValueError,  # includes pydantic's ValidationError
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        ice.ValidationError,
        ice.ValidationException,
        ice.ResolveError,
    )


def _model_error(exc: Exception) -> BadRequest:
    """A pydantic ValidationError or ValueError as a readable 400."""
    text = str(exc)
    errors_of = getattr(exc, "errors", None)
    if callable(errors_of):
        try:
            parts = []
            for e in errors_of()[:5]:
                loc = ".".join(str(x) for x in e.get("loc", ()))
                parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
            text = "; ".join(parts)
        except Exception:  # noqa: BLE001 - fall back to str(exc)
            pass
    return BadRequest(f"invalid request: {text}")


# --- the catalog -------------------------------------------------------------


_SHARED: dict[int, Catalog] = {}


def shared(storage: storage_base.Storage) -> Catalog:
    """The one catalog of a storage: the REST routes, the background
    maintenance scheduler and the admin API's ``table_bucket`` setting must
    share its per-bucket locks."""
    found = _SHARED.get(id(storage))
    if found is None or found._storage is not storage:
        found = _SHARED[id(storage)] = Catalog(storage)
    return found


class Catalog:
    """Table buckets over one :class:`Storage`; one per gateway process.

    Each read-modify-write of the catalog document runs under the storage's
    ``bucket_doc_lock``: an asyncio lock on a gateway with its own index, an
    advisory lock of the shared PostgreSQL index across gateways.
    """

    def __init__(self, storage: storage_base.Storage) -> None:
        self._storage = storage
        self._metadata: collections.OrderedDict[str, TableMetadata] = (
            collections.OrderedDict()
        )
        self._manifest_lists: collections.OrderedDict[str, list[Any]] = (
            collections.OrderedDict()
        )

    def _lock(self, bucket: str) -> contextlib.AbstractAsyncContextManager[None]:
        # The storage's lock of the catalog document: in-process on a
        # gateway of its own, across gateways on a shared index.
        return self._storage.bucket_doc_lock(bucket, DOC_CATALOG)

    # --- the catalog document ------------------------------------------------

    async def _bucket(self, bucket: str) -> storage_base.BucketInfo:
        try:
            return await self._storage.get_bucket(bucket)
        except s3_errors.S3Error as exc:
            if exc.code == "NoSuchBucket":
                raise NotFound(f"The bucket {bucket!r} does not exist") from None
            raise

    async def _state(self, bucket: str) -> dict[str, Any]:
        await self._bucket(bucket)
        raw = await self._storage.get_bucket_doc(bucket, DOC_CATALOG)
        if raw is None:
            raise BadRequest(
                f"The bucket {bucket!r} is not a table bucket; enable it with"
                f" PUT /iceberg/v1/buckets/{bucket}"
            )
        state = orjson.loads(raw)
        state.setdefault("namespaces", {})
        state.setdefault("tables", {})
        state.setdefault("views", {})
        return state

    async def _save(self, bucket: str, state: dict[str, Any]) -> None:
        await self._storage.put_bucket_doc(bucket, DOC_CATALOG, orjson.dumps(state))

    # --- table buckets -------------------------------------------------------

    async def enable_bucket(self, bucket: str) -> tuple[dict[str, Any], bool]:
        """Make an existing bucket a table bucket; (info, newly enabled)."""
        await self._bucket(bucket)
        async with self._lock(bucket):
            raw = await self._storage.get_bucket_doc(bucket, DOC_CATALOG)
            if raw is not None:
                return _bucket_view(bucket, orjson.loads(raw)), False
            state = {"format": 1, "enabled": time.time(), "namespaces": {}}
            state["tables"] = {}
            await self._save(bucket, state)
            return _bucket_view(bucket, state), True

    async def bucket_info(self, bucket: str) -> dict[str, Any]:
        await self._bucket(bucket)
        raw = await self._storage.get_bucket_doc(bucket, DOC_CATALOG)
        if raw is None:
            raise NotFound(f"The bucket {bucket!r} is not a table bucket")
        return _bucket_view(bucket, orjson.loads(raw))

    async def check_enabled(self, bucket: str) -> None:
        await self._state(bucket)

    # --- namespaces ----------------------------------------------------------

    async def list_namespaces(
        self,
        bucket: str,
        parent: tuple[str, ...] | None,
        page_token: str | None,
        page_size: int | None,
    ) -> tuple[list[list[str]], str | None]:
        state = await self._state(bucket)
        # A namespace "a.b" implies "a" in listings even when "a" was never
        # created (as PyIceberg's own catalogs list it).
        depth = len(parent) + 1 if parent else 1
        keys_set = set()
        found_parent = not parent
        for k in state["namespaces"]:
            levels = tuple(ns_levels(k))
            if parent and levels[: len(parent)] == parent:
                found_parent = True
            if len(levels) >= depth and (not parent or levels[: len(parent)] == parent):
                keys_set.add(ns_key(levels[:depth]))
        if not found_parent:
            raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(parent or ())}")
        keys = list(keys_set)
        page, token = _page(keys, page_token, page_size)
        return [ns_levels(k) for k in page], token

    async def create_namespace(
        self, bucket: str, levels: tuple[str, ...], properties: dict[str, str]
    ) -> dict[str, str]:
        async with self._lock(bucket):
            state = await self._state(bucket)
            key = ns_key(levels)
            if key in state["namespaces"]:
                raise AlreadyExists(f"Namespace already exists: {'.'.join(levels)}")
            state["namespaces"][key] = {"properties": properties}
            await self._save(bucket, state)
        return properties

    async def load_namespace(
        self, bucket: str, levels: tuple[str, ...]
    ) -> dict[str, str]:
        state = await self._state(bucket)
        entry = state["namespaces"].get(ns_key(levels))
        if entry is None:
            raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
        return dict(entry.get("properties", {}))

    async def drop_namespace(self, bucket: str, levels: tuple[str, ...]) -> None:
        async with self._lock(bucket):
            state = await self._state(bucket)
            key = ns_key(levels)
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            if state["tables"].get(key) or state["views"].get(key):
                raise NamespaceNotEmpty(
                    f"Namespace {'.'.join(levels)} is not empty: it has tables or views"
                )
            prefix = key + SEP
            if any(k.startswith(prefix) for k in state["namespaces"]):
                raise NamespaceNotEmpty(
                    f"Namespace {'.'.join(levels)} is not empty: it has namespaces"
                )
            del state["namespaces"][key]
            state["tables"].pop(key, None)
            state["views"].pop(key, None)
            await self._save(bucket, state)

    async def update_namespace_properties(
        self,
        bucket: str,
        levels: tuple[str, ...],
        removals: list[str],
        updates: dict[str, str],
    ) -> dict[str, list[str]]:
        overlap = set(removals) & set(updates)
        if overlap:
            raise BadRequest(f"properties both removed and updated: {sorted(overlap)}")
        async with self._lock(bucket):
            state = await self._state(bucket)
            entry = state["namespaces"].get(ns_key(levels))
            if entry is None:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            props = entry.setdefault("properties", {})
            removed = [k for k in removals if k in props]
            missing = [k for k in removals if k not in props]
            for k in removed:
                del props[k]
            props.update(updates)
            await self._save(bucket, state)
        return {"updated": sorted(updates), "removed": removed, "missing": missing}

    # --- tables ------------------------------------------------------------

    async def _list_names(
        self,
        bucket: str,
        levels: tuple[str, ...],
        kind: str,
        page_token: str | None,
        page_size: int | None,
    ) -> tuple[list[str], str | None]:
        """A page of the names of one kind ("tables", "views") in a namespace."""
        state = await self._state(bucket)
        key = ns_key(levels)
        if key not in state["namespaces"]:
            raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
        return _page(list(state[kind].get(key, {})), page_token, page_size)

    async def list_tables(
        self,
        bucket: str,
        levels: tuple[str, ...],
        page_token: str | None,
        page_size: int | None,
    ) -> tuple[list[str], str | None]:
        return await self._list_names(bucket, levels, "tables", page_token, page_size)

    async def create_table(
        self, bucket: str, levels: tuple[str, ...], body: dict[str, Any]
    ) -> tuple[str | None, TableMetadata]:
        from pydantic import ValidationError
        from pyiceberg.catalog.rest import CreateTableRequest
        from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
        from pyiceberg.table.metadata import new_table_metadata
        from pyiceberg.table.sorting import UNSORTED_SORT_ORDER

        # PyIceberg's model requires these keys; clients leave out the nulls.
        body = {"location": None, "partition-spec": None, "write-order": None, **body}
        try:
            request = CreateTableRequest.model_validate(body)
        except (ValidationError, ValueError) as exc:
            raise _model_error(exc) from None
        name = check_name(request.name, "table name")
        state = await self._state(bucket)
        key = ns_key(levels)
        if key not in state["namespaces"]:
            raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
        if name in state["tables"].get(key, {}):
            raise AlreadyExists(f"Table already exists: {'.'.join(levels)}.{name}")
        _no_view(state, levels, name)
        table_uuid = uuid.uuid4()
        if request.location:
            location = self._check_location(bucket, request.location.rstrip("/"))
        else:
            location = f"s3://{bucket}/tables/{table_uuid}"
        try:
            metadata = new_table_metadata(
                schema=request.table_schema,
                partition_spec=request.partition_spec or UNPARTITIONED_PARTITION_SPEC,
                sort_order=request.write_order or UNSORTED_SORT_ORDER,
                location=location,
                properties=dict(request.properties),
                table_uuid=table_uuid,
            )
        except _client_errors() as exc:
            raise _model_error(exc) from None
        if request.stage_create:
            # A create transaction: nothing is written or registered until
            # its commit (an assert-create commit, see commit_table).
            return None, metadata
        metadata_location = await self._write_metadata(bucket, metadata, 0)
        async with self._lock(bucket):
            state = await self._state(bucket)
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            tables = state["tables"].setdefault(key, {})
            if name in tables:
                raise AlreadyExists(f"Table already exists: {'.'.join(levels)}.{name}")
            _no_view(state, levels, name)
            tables[name] = {
                "metadata-location": metadata_location,
                "uuid": str(table_uuid),
            }
            await self._save(bucket, state)
        return metadata_location, metadata

    async def register_table(
        self, bucket: str, levels: tuple[str, ...], body: dict[str, Any]
    ) -> tuple[str, TableMetadata]:
        """Point a new table (or, with ``overwrite``, an existing one) at an
        existing metadata file of this bucket."""
        name = check_name(body.get("name"), "table name")
        location = body.get("metadata-location")
        if not isinstance(location, str) or not location.endswith(".json"):
            raise BadRequest("metadata-location must name a metadata JSON file")
        self._check_location(bucket, location)
        overwrite = body.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise BadRequest("overwrite must be a boolean")
        try:
            metadata = await self._read_metadata(bucket, location)
        except NoSuchTable:
            raise BadRequest(f"metadata file {location} does not exist") from None
        except (ValueError, KeyError) as exc:
            raise _model_error(exc) from None
        self._check_location(bucket, metadata.location)
        if not location.startswith(metadata.location.rstrip("/") + "/"):
            raise BadRequest(
                f"metadata file {location} is not under the table location"
                f" {metadata.location}"
            )
        async with self._lock(bucket):
            state = await self._state(bucket)
            key = ns_key(levels)
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            tables = state["tables"].setdefault(key, {})
            if name in tables and not overwrite:
                raise AlreadyExists(f"Table already exists: {'.'.join(levels)}.{name}")
            tables[name] = {
                "metadata-location": location,
                "uuid": str(metadata.table_uuid),
            }
            await self._save(bucket, state)
        return location, metadata

    async def load_table(
        self, bucket: str, levels: tuple[str, ...], name: str
    ) -> tuple[str, TableMetadata]:
        state = await self._state(bucket)
        location = self._pointer(state, levels, name)
        return location, await self._read_metadata(bucket, location)

    async def commit_table(
        self, bucket: str, levels: tuple[str, ...], name: str, body: dict[str, Any]
    ) -> tuple[str, TableMetadata]:
        from pydantic import ValidationError
        from pyiceberg.exceptions import CommitFailedException
        from pyiceberg.table import CommitTableRequest
        from pyiceberg.table.update import AssertCreate, update_table_metadata

        body = dict(body)
        # The identifier is in the path; a body naming another table is a
        # client bug worth refusing rather than committing to the wrong one.
        ident = body.pop("identifier", None)
        if ident is not None:
            if (
                not isinstance(ident, dict)
                or list(ident.get("namespace") or []) != list(levels)
                or ident.get("name") != name
            ):
                raise BadRequest("identifier in the body does not match the path")
        try:
            request = CommitTableRequest.model_validate(
                {"identifier": {"namespace": list(levels), "name": name}, **body}
            )
        except (ValidationError, ValueError) as exc:
            raise _model_error(exc) from None
        creates = any(isinstance(r, AssertCreate) for r in request.requirements)
        for _ in range(COMMIT_ATTEMPTS):
            state = await self._state(bucket)
            if creates and name not in state["tables"].get(ns_key(levels), {}):
                return await self._commit_create(bucket, levels, name, request)
            base_location = self._pointer(state, levels, name)
            base = await self._read_metadata(bucket, base_location)
            try:
                for requirement in request.requirements:
                    requirement.validate(base)
            except CommitFailedException as exc:
                raise CommitFailed(str(exc)) from None
            if not request.updates:
                return base_location, base
            try:
                new = update_table_metadata(
                    base, request.updates, metadata_location=base_location
                )
            except CommitFailedException as exc:
                raise CommitFailed(str(exc)) from None
            except _client_errors() as exc:
                raise _model_error(exc) from None
            self._check_location(bucket, new.location)
            await self._check_snapshots(bucket, request.updates, new)
            version = _metadata_version(base_location) + 1
            new_location = await self._write_metadata(bucket, new, version)
            async with self._lock(bucket):
                state = await self._state(bucket)
                current = self._pointer(state, levels, name)
                if current == base_location:
                    state["tables"][ns_key(levels)][name]["metadata-location"] = (
                        new_location
                    )
                    await self._save(bucket, state)
                    return new_location, new
            # Another commit landed first: this file is garbage; recompute
            # against the new base (its requirements may now fail: a 409).
            await self._delete_file(bucket, new_location)
        raise CommitFailed(
            f"Commit of {'.'.join(levels)}.{name} lost {COMMIT_ATTEMPTS} races in a"
            " row; retry"
        )

    # --- views -------------------------------------------------------------

    async def list_views(
        self,
        bucket: str,
        levels: tuple[str, ...],
        page_token: str | None,
        page_size: int | None,
    ) -> tuple[list[str], str | None]:
        return await self._list_names(bucket, levels, "views", page_token, page_size)

    async def create_view(
        self, bucket: str, levels: tuple[str, ...], body: dict[str, Any]
    ) -> tuple[str, Any]:
        """A new view: its first version, schema and properties, written as
        view metadata (format 1) under the view's location."""
        from pyiceberg.catalog.rest import CreateViewRequest
        from pyiceberg.view.metadata import ViewMetadata

        body = {"location": None, **body}
        try:
            request = CreateViewRequest.model_validate(body)
        except _client_errors() as exc:
            raise _model_error(exc) from None
        name = check_name(request.name, "view name")
        state = await self._state(bucket)
        key = ns_key(levels)
        if key not in state["namespaces"]:
            raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
        self._free_name(state, levels, name)
        view_uuid = uuid.uuid4()
        if request.location:
            location = self._check_location(bucket, request.location.rstrip("/"))
        else:
            location = f"s3://{bucket}/views/{view_uuid}"
        schema = request.view_schema
        version = request.view_version
        schema_id = schema.schema_id if version.schema_id == -1 else version.schema_id
        if schema_id != schema.schema_id:
            raise BadRequest(
                f"view-version schema-id {version.schema_id} is not the schema's"
                f" id {schema.schema_id}"
            )
        version = version.model_copy(update={"version_id": 1, "schema_id": schema_id})
        try:
            metadata = ViewMetadata.model_validate(
                {
                    "view-uuid": str(view_uuid),
                    "format-version": 1,
                    "location": location,
                    "schemas": [schema.model_dump(by_alias=True)],
                    "current-version-id": 1,
                    "versions": [version.model_dump(by_alias=True)],
                    "version-log": [
                        {"timestamp-ms": version.timestamp_ms, "version-id": 1}
                    ],
                    "properties": dict(request.properties),
                }
            )
        except _client_errors() as exc:
            raise _model_error(exc) from None
        metadata_location = await self._write_metadata(bucket, metadata, 0, table=False)
        async with self._lock(bucket):
            state = await self._state(bucket)
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            self._free_name(state, levels, name)
            state["views"].setdefault(key, {})[name] = {
                "metadata-location": metadata_location,
                "uuid": str(view_uuid),
            }
            await self._save(bucket, state)
        return metadata_location, metadata

    async def load_view(
        self, bucket: str, levels: tuple[str, ...], name: str
    ) -> tuple[str, Any]:
        from pyiceberg.view.metadata import ViewMetadata

        state = await self._state(bucket)
        location = self._view_pointer(state, levels, name)
        data = await self._read_file(bucket, location)
        if data is None:
            raise NotFound(f"The view's metadata file {location} is missing")
        return location, ViewMetadata.model_validate_json(data)

    async def drop_view(self, bucket: str, levels: tuple[str, ...], name: str) -> None:
        """Remove the view from the catalog; its metadata files stay (a view
        has no data, and history may be wanted)."""
        async with self._lock(bucket):
            state = await self._state(bucket)
            self._view_pointer(state, levels, name)
            del state["views"][ns_key(levels)][name]
            await self._save(bucket, state)

    @staticmethod
    def _view_pointer(state: dict[str, Any], levels: tuple[str, ...], name: str) -> str:
        key = ns_key(levels)
        entry = state["views"].get(key, {}).get(name)
        if entry is None:
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            raise NoSuchView(f"View does not exist: {'.'.join(levels)}.{name}")
        return entry["metadata-location"]

    @staticmethod
    def _free_name(state: dict[str, Any], levels: tuple[str, ...], name: str) -> None:
        key = ns_key(levels)
        if name in state["views"].get(key, {}):
            raise AlreadyExists(f"View already exists: {'.'.join(levels)}.{name}")
        if name in state["tables"].get(key, {}):
            raise AlreadyExists(
                f"A table of that name already exists: {'.'.join(levels)}.{name}"
            )

    # --- refs and the pointer (seed 000's extensions) --------------------------

    async def list_refs(
        self, bucket: str, levels: tuple[str, ...], name: str
    ) -> dict[str, Any]:
        _, metadata = await self.load_table(bucket, levels, name)
        return {
            ref: orjson.loads(value.model_dump_json())
            for ref, value in sorted(metadata.refs.items())
        }

    async def set_ref(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        ref: str,
        body: dict[str, Any],
    ) -> tuple[str, TableMetadata]:
        """Create or replace a branch or tag: one set-snapshot-ref commit."""
        check_name(ref, "ref name")
        fields: dict[str, Any] = {
            k: body[k]
            for k in (
                "snapshot-id",
                "type",
                "min-snapshots-to-keep",
                "max-snapshot-age-ms",
                "max-ref-age-ms",
            )
            if k in body
        }
        unknown = sorted(set(body) - set(fields))
        if unknown:
            raise BadRequest(f"unknown ref fields: {unknown}")
        fields.setdefault("type", "branch")
        update: dict[str, Any] = {"action": "set-snapshot-ref", "ref-name": ref}
        update.update(fields)
        return await self.commit_table(bucket, levels, name, {"updates": [update]})

    async def remove_ref(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        ref: str,
        force: bool,
    ) -> tuple[str, TableMetadata]:
        """Delete a branch or tag. ``main`` never; a ref with an explicit
        retention policy only with ``force`` (its retention is a promise
        someone made)."""
        if ref == "main":
            raise BadRequest("the main branch cannot be deleted")
        _, metadata = await self.load_table(bucket, levels, name)
        current = metadata.refs.get(ref)
        if current is None:
            raise NotFound(f"Ref does not exist: {ref}")
        retained = (
            current.min_snapshots_to_keep is not None
            or current.max_snapshot_age_ms is not None
            or current.max_ref_age_ms is not None
        )
        if retained and not force:
            raise BadRequest(
                f"ref {ref} has an explicit retention policy; delete it with"
                ' {"force": true}'
            )
        body = {
            "requirements": [
                {
                    "type": "assert-ref-snapshot-id",
                    "ref": ref,
                    "snapshot-id": current.snapshot_id,
                }
            ],
            "updates": [{"action": "remove-snapshot-ref", "ref-name": ref}],
        }
        return await self.commit_table(bucket, levels, name, body)

    async def metadata_location(
        self, bucket: str, levels: tuple[str, ...], name: str
    ) -> dict[str, str]:
        """The table's pointer and a token that changes with every commit."""
        state = await self._state(bucket)
        location = self._pointer(state, levels, name)
        token = hashlib.sha256(location.encode()).hexdigest()[:32]
        return {"metadata-location": location, "version-token": token}

    async def _commit_create(
        self,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        request: Any,
    ) -> tuple[str, TableMetadata]:
        """The commit of a create transaction (staged create): the updates
        build the table from empty metadata, as PyIceberg's own catalogs do."""
        from pyiceberg.exceptions import CommitFailedException
        from pyiceberg.schema import Schema
        from pyiceberg.table.metadata import TableMetadataV1
        from pyiceberg.table.update import update_table_metadata

        key = ns_key(levels)
        try:
            for requirement in request.requirements:
                requirement.validate(None)
            empty = TableMetadataV1.model_construct(last_column_id=-1, schema=Schema())
            metadata = update_table_metadata(
                empty, request.updates, enforce_validation=True
            )
        except CommitFailedException as exc:
            raise CommitFailed(str(exc)) from None
        except _client_errors() as exc:
            raise _model_error(exc) from None
        self._check_location(bucket, metadata.location)
        await self._check_snapshots(bucket, request.updates, metadata)
        metadata_location = await self._write_metadata(bucket, metadata, 0)
        async with self._lock(bucket):
            state = await self._state(bucket)
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            tables = state["tables"].setdefault(key, {})
            if name in tables:
                await self._delete_file(bucket, metadata_location)
                raise CommitFailed(f"Table already exists: {'.'.join(levels)}.{name}")
            tables[name] = {
                "metadata-location": metadata_location,
                "uuid": str(metadata.table_uuid),
            }
            await self._save(bucket, state)
        return metadata_location, metadata

    async def drop_table(
        self, bucket: str, levels: tuple[str, ...], name: str, purge: bool
    ) -> None:
        """Remove the table from the catalog. With ``purge`` also delete every
        object under the table's location (metadata, manifests, data); in a
        versioned bucket that leaves delete markers, the old versions stay
        until a lifecycle rule or a versioned delete removes them."""
        async with self._lock(bucket):
            state = await self._state(bucket)
            location = self._pointer(state, levels, name)
            del state["tables"][ns_key(levels)][name]
            await self._save(bucket, state)
        if not purge:
            return
        try:
            metadata = await self._read_metadata(bucket, location)
        except IcebergError:
            return
        prefix = _key_of(bucket, metadata.location).rstrip("/") + "/"
        await self._purge_prefix(bucket, prefix)

    async def rename_table(
        self,
        bucket: str,
        source: tuple[tuple[str, ...], str],
        destination: tuple[tuple[str, ...], str],
    ) -> None:
        """Move the pointer; the files stay where they are (the location is
        the table's uuid, not its name)."""
        (src_ns, src_name), (dst_ns, dst_name) = source, destination
        async with self._lock(bucket):
            state = await self._state(bucket)
            entry = state["tables"].get(ns_key(src_ns), {}).get(src_name)
            if entry is None:
                raise NoSuchTable(
                    f"Table does not exist: {'.'.join(src_ns)}.{src_name}"
                )
            if ns_key(dst_ns) not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(dst_ns)}")
            dst_tables = state["tables"].setdefault(ns_key(dst_ns), {})
            if dst_name in dst_tables:
                raise AlreadyExists(
                    f"Table already exists: {'.'.join(dst_ns)}.{dst_name}"
                )
            del state["tables"][ns_key(src_ns)][src_name]
            dst_tables[dst_name] = entry
            await self._save(bucket, state)

    # --- helpers -------------------------------------------------------------

    @staticmethod
    def _pointer(state: dict[str, Any], levels: tuple[str, ...], name: str) -> str:
        key = ns_key(levels)
        entry = state["tables"].get(key, {}).get(name)
        if entry is None:
            if key not in state["namespaces"]:
                raise NoSuchNamespace(f"Namespace does not exist: {'.'.join(levels)}")
            raise NoSuchTable(f"Table does not exist: {'.'.join(levels)}.{name}")
        return entry["metadata-location"]

    @staticmethod
    def _check_location(bucket: str, location: str) -> str:
        if not location.startswith(f"s3://{bucket}/") or len(location) <= len(
            f"s3://{bucket}/"
        ):
            raise BadRequest(
                f"table location {location!r} must be under s3://{bucket}/ (the"
                " table bucket)"
            )
        return location

    async def _write_metadata(
        self, bucket: str, metadata: Any, version: int, *, table: bool = True
    ) -> str:
        """Write table (or, with ``table=False``, view) metadata; only table
        metadata goes to the parsed-metadata cache."""
        location = (
            f"{metadata.location.rstrip('/')}/metadata/"
            f"{version:05d}-{uuid.uuid4()}.metadata.json"
        )
        data = metadata.model_dump_json().encode()
        await self._put_file(bucket, location, data, "application/json")
        if table:
            self._remember(location, metadata)
        return location

    async def _put_file(
        self, bucket: str, location: str, data: bytes, content_type: str
    ) -> None:
        """Write a file of a table (metadata, or maintenance's rewritten data
        and manifests) as an object of the bucket."""
        info = await self._bucket(bucket)
        # Metadata files count against the bucket's quota like any object
        # (QuotaExceeded, a 403); the bucket's default encryption applies
        # below (EncryptingStorage), as for an S3 PUT without SSE headers.
        room = await quota.prepare(self._storage, info, None)
        if room is not None:
            room.check(len(data))
        await self._storage.put_object(
            storage_base.PutRequest(
                bucket=bucket,
                key=_key_of(bucket, location),
                owner_id=info.owner_id,
                content_type=content_type,
                expected_size=len(data),
            ),
            _one(data),
            storage_base.Expected(size=len(data), quota=room),
        )

    async def _read_metadata(self, bucket: str, location: str) -> TableMetadata:
        cached = self._metadata.get(location)
        if cached is not None:
            self._metadata.move_to_end(location)
            return cached
        from pyiceberg.table.metadata import TableMetadataUtil

        data = await self._read_file(bucket, location)
        if data is None:
            raise NoSuchTable(f"The table's metadata file {location} is missing")
        metadata = TableMetadataUtil.parse_raw(data.decode())
        self._remember(location, metadata)
        return metadata

    async def _read_file(
        self, bucket: str, location: str, limit: int = MAX_METADATA_BYTES
    ) -> bytes | None:
        """A (metadata, manifest list, manifest; for maintenance, data) file's
        bytes; None if absent."""
        try:
            reader = await self._storage.open_object(bucket, _key_of(bucket, location))
        except s3_errors.S3Error as exc:
            if exc.code == "NoSuchKey":
                return None
            raise
        if reader.length > limit:
            raise TooLarge(f"file {location} is too large for the catalog to read")
        if reader.data is not None and len(reader.data) == reader.length:
            return reader.data
        return b"".join([chunk async for chunk in reader.stream()])

    async def _manifest_files(self, bucket: str, location: str) -> list[Any]:
        """The manifests of a manifest list (parsed once: files never change)."""
        cached = self._manifest_lists.get(location)
        if cached is not None:
            self._manifest_lists.move_to_end(location)
            return cached
        data = await self._read_file(bucket, location)
        if data is None:
            raise BadRequest(f"manifest list {location} does not exist")
        try:
            files = await asyncio.to_thread(manifests.manifest_files, location, data)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the client's
            raise BadRequest(f"manifest list {location} is unreadable: {exc}") from None
        self._manifest_lists[location] = files
        if len(self._manifest_lists) > METADATA_CACHE:
            self._manifest_lists.popitem(last=False)
        return files

    async def _check_snapshots(
        self, bucket: str, updates: Any, metadata: TableMetadata
    ) -> None:
        """Every file a commit's new snapshots add must be a file of this
        table: a commit cannot make the table's readers fetch another table's
        or bucket's files. The manifest list and each manifest must be under
        the table location; so must every file named in a manifest the parent
        snapshot did not already have (the ones this commit brings)."""
        from pyiceberg.table.update import AddSnapshotUpdate

        root = metadata.location.rstrip("/") + "/"
        for update in updates:
            if not isinstance(update, AddSnapshotUpdate):
                continue
            snapshot = update.snapshot
            where = f"snapshot {snapshot.snapshot_id}"
            if not snapshot.manifest_list.startswith(root):
                raise BadRequest(
                    f"{where}: manifest list {snapshot.manifest_list!r} is outside"
                    f" the table location {root}"
                )
            known: set[str] = set()
            if snapshot.parent_snapshot_id is not None:
                parent = metadata.snapshot_by_id(snapshot.parent_snapshot_id)
                if parent is not None and parent.manifest_list.startswith(root):
                    known = {
                        m.manifest_path
                        for m in await self._manifest_files(
                            bucket, parent.manifest_list
                        )
                    }
            for manifest in await self._manifest_files(bucket, snapshot.manifest_list):
                path = manifest.manifest_path
                if not path.startswith(root):
                    raise BadRequest(
                        f"{where}: manifest {path!r} is outside the table location"
                        f" {root}"
                    )
                if path in known:
                    continue
                data = await self._read_file(bucket, path)
                if data is None:
                    raise BadRequest(f"{where}: manifest {path} does not exist")
                try:
                    files = await asyncio.to_thread(
                        manifests.entry_paths, manifest, data
                    )
                except Exception as exc:  # noqa: BLE001 - the client's file
                    raise BadRequest(
                        f"{where}: manifest {path} is unreadable: {exc}"
                    ) from None
                for file_path in files:
                    if not file_path.startswith(root):
                        raise BadRequest(
                            f"{where}: file {file_path!r} is outside the table"
                            f" location {root}"
                        )

    def _remember(self, location: str, metadata: TableMetadata) -> None:
        self._metadata[location] = metadata
        if len(self._metadata) > METADATA_CACHE:
            self._metadata.popitem(last=False)

    async def _delete_file(self, bucket: str, location: str) -> None:
        self._metadata.pop(location, None)
        try:
            await self._storage.delete_object(bucket, _key_of(bucket, location))
        except s3_errors.S3Error:
            LOG.warning("could not delete unused metadata file %s", location)

    async def _purge_prefix(self, bucket: str, prefix: str) -> None:
        marker = ""
        # Bounded: each round deletes a page; a table of a million files
        # takes a thousand rounds.
        for _ in range(1_000_000):
            page = await self._storage.list_objects(
                bucket, prefix=prefix, start_after=marker
            )
            for info in page.objects:
                self._metadata.pop(f"s3://{bucket}/{info.key}", None)
                await self._storage.delete_object(bucket, info.key)
            if not page.is_truncated or not page.objects:
                return
            marker = page.objects[-1].key


def _bucket_view(bucket: str, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": bucket,
        "table-bucket": True,
        "warehouse": bucket,
        "enabled-at": int(state.get("enabled", 0) * 1000),
    }


def _no_view(state: dict[str, Any], levels: tuple[str, ...], name: str) -> None:
    if name in state["views"].get(ns_key(levels), {}):
        raise AlreadyExists(
            f"A view of that name already exists: {'.'.join(levels)}.{name}"
        )


def _key_of(bucket: str, location: str) -> str:
    prefix = f"s3://{bucket}/"
    if not location.startswith(prefix):
        raise BadRequest(f"location {location!r} is not in the bucket {bucket!r}")
    return location[len(prefix) :]


def _metadata_version(location: str) -> int:
    match = _METADATA_FILE_RE.search(location.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else -1
