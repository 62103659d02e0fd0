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
"""The Iceberg REST catalog over HTTP, on the S3 listener.

``server.S3App`` hands every request whose path starts with ``/iceberg/v1/``
or ``/_iceberg/v1/`` (path-style, see ``is_catalog_path``) to
:meth:`CatalogApi.handle`: read the JSON body, authenticate (SigV4 as
botocore signs non-S3 services, ``sigv4.Authenticator.authenticate_catalog``),
name the route and its ``s3tables:*`` operation, authorize it through the
gateway's authorize step, run it on the :class:`catalog.Catalog`, answer
JSON. Errors follow the Iceberg REST error model
(``{"error": {"message", "type", "code"}}``), never S3 XML.

Routes (``{prefix}`` is the table bucket's name):

- ``PUT|GET /buckets/{bucket}``: enable / show a table bucket
- ``GET /config?warehouse={bucket}``
- ``GET|POST /{prefix}/namespaces``, ``GET|HEAD|DELETE
  /{prefix}/namespaces/{ns}``, ``POST /{prefix}/namespaces/{ns}/properties``
- ``GET|POST /{prefix}/namespaces/{ns}/tables``, ``GET|HEAD|POST|DELETE
  /{prefix}/namespaces/{ns}/tables/{table}``, ``POST
  /{prefix}/namespaces/{ns}/register``, ``POST /{prefix}/tables/rename``
- ``GET|POST /{prefix}/namespaces/{ns}/views``, ``GET|HEAD|DELETE
  /{prefix}/namespaces/{ns}/views/{view}``, ``POST`` of it replaces
  (``views.py``)
- seed 000's extensions: ``GET .../tables/{table}/refs``, ``PUT|DELETE
  .../tables/{table}/refs/{ref}``, ``GET .../tables/{table}/metadata-location``;
  ``.../tables/{table}/maintenance/...`` and ``GET /{prefix}/catalog/diagnostics``
  (``maintenance_rest.py``)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib import parse as urlparse

import orjson

from exordos_paas_s3.gateway import errors as s3_errors
from exordos_paas_s3.gateway.auth import sigv4
from exordos_paas_s3.gateway.operations import Operation as Op
from exordos_paas_s3.gateway.request import Request, Response
from exordos_paas_s3.gateway.tables import catalog as cat
from exordos_paas_s3.gateway.tables import credentials

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

LOG = logging.getLogger(__name__)

PREFIXES = ("/iceberg/v1/", "/_iceberg/v1/")
MAX_BODY = 16 * 1024 * 1024
_JSON = "application/json"

# What GET /config lists: exactly the routes below (PyIceberg refuses a call
# whose endpoint is not listed).
ENDPOINTS = (
    "GET /v1/{prefix}/namespaces",
    "POST /v1/{prefix}/namespaces",
    "GET /v1/{prefix}/namespaces/{namespace}",
    "HEAD /v1/{prefix}/namespaces/{namespace}",
    "DELETE /v1/{prefix}/namespaces/{namespace}",
    "POST /v1/{prefix}/namespaces/{namespace}/properties",
    "GET /v1/{prefix}/namespaces/{namespace}/tables",
    "POST /v1/{prefix}/namespaces/{namespace}/tables",
    "POST /v1/{prefix}/namespaces/{namespace}/register",
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/tables/rename",
    "GET /v1/{prefix}/namespaces/{namespace}/views",
    "POST /v1/{prefix}/namespaces/{namespace}/views",
    "GET /v1/{prefix}/namespaces/{namespace}/views/{view}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}",
    "POST /v1/{prefix}/namespaces/{namespace}/views/{view}",
    "DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}",
)
# Listed when they work: tokens whenever sessions are on, table credentials
# when vending is (--tables-vending).
OAUTH_ENDPOINT = "POST /v1/oauth/tokens"
CREDENTIALS_ENDPOINT = (
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials"
)

# S3 error codes -> Iceberg error classes, for what the shared layers raise
# (authentication, authorization, storage).
_S3_STATUS: dict[int, type[cat.IcebergError]] = {
    400: cat.BadRequest,
    401: cat.NotAuthorized,
    403: cat.Forbidden,
    404: cat.NotFound,
    405: cat.MethodNotAllowed,
    409: cat.AlreadyExists,
    413: cat.TooLarge,
}


def is_catalog_path(path: str) -> bool:
    return path.startswith(PREFIXES)


def error_body(exc: cat.IcebergError) -> bytes:
    return orjson.dumps(
        {"error": {"message": exc.message, "type": exc.type, "code": exc.status}}
    )


def error_response(exc: Exception) -> Response:
    if isinstance(exc, s3_errors.S3Error):
        cls = _S3_STATUS.get(exc.status)
        if cls is None:
            cls = cat.IcebergError
        iceberg = cls(f"{exc.code}: {exc.message}")
        iceberg.status = exc.status if exc.status >= 400 else 500
    elif isinstance(exc, cat.IcebergError):
        iceberg = exc
    else:
        iceberg = cat.IcebergError("internal error")
    return Response(
        status=iceberg.status,
        headers={"content-type": _JSON},
        body=error_body(iceberg),
    )


def _json(obj: Any, status: int = 200) -> Response:
    return Response(
        status=status, headers={"content-type": _JSON}, body=orjson.dumps(obj)
    )


def _no_content() -> Response:
    return Response(status=204)


def _identifier_page(
    levels: tuple[str, ...], names: list[str], token: str | None
) -> Response:
    """A page of a tables or views listing (ListTablesResponse's shape)."""
    out: dict[str, Any] = {
        "identifiers": [{"namespace": list(levels), "name": n} for n in names]
    }
    if token is not None:
        out["next-page-token"] = token
    return _json(out)


def _table_result(location: str | None, metadata: TableMetadata) -> Response:
    # The metadata goes out exactly as PyIceberg serializes it (aliases, no
    # nulls), spliced in to avoid parsing it back. A staged create has no
    # location yet: the key is left out.
    head = (
        b"{"
        if location is None
        else b'{"metadata-location":' + orjson.dumps(location) + b","
    )
    body = (
        head + b'"metadata":' + metadata.model_dump_json().encode() + b',"config":{}}'
    )

    return Response(status=200, headers={"content-type": _JSON}, body=body)


def _view_result(location: str, metadata: Any) -> Response:
    body = (
        b'{"metadata-location":'
        + orjson.dumps(location)
        + b',"metadata":'
        + metadata.model_dump_json().encode()
        + b',"config":{}}'
    )
    return Response(status=200, headers={"content-type": _JSON}, body=body)


def _page_size(query: dict[str, str]) -> int | None:
    raw = query.get("pageSize")
    if raw is None or raw == "":
        return None
    try:
        size = int(raw)
    except ValueError:
        raise cat.BadRequest(f"pageSize {raw!r} is not a number") from None
    if size < 1:
        raise cat.BadRequest("pageSize must be at least 1")
    return min(size, cat.MAX_PAGE)


def _namespace_of(segment: str) -> tuple[str, ...]:
    return cat.check_namespace(segment.split(cat.SEP))


def _bool(value: str | None) -> bool:
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0", ""):
        return False
    raise cat.BadRequest(f"{value!r} is not a boolean")


def _identifier(obj: Any, what: str) -> tuple[tuple[str, ...], str]:
    if not isinstance(obj, dict):
        raise cat.BadRequest(f"{what} must be an object with namespace and name")
    return (
        cat.check_namespace(obj.get("namespace")),
        cat.check_name(obj.get("name"), f"{what}.name"),
    )


class CatalogApi:
    """The routes; one per S3App, built on the first catalog request."""

    def __init__(self, req: Request) -> None:
        self.catalog = cat.shared(req.storage)

    async def handle(
        self, req: Request, authenticator: sigv4.Authenticator
    ) -> Response:
        try:
            body = await self._read_body(req)
            if req.path in credentials.TOKEN_PATHS:
                # The OAuth2 token exchange authenticates by its own body.
                return credentials.token_response(req, body)
            authorization = req.headers.get("authorization", "")
            if authorization[:7].lower() == credentials.BEARER:
                auth = credentials.bearer_auth(req, authorization)
            else:
                auth = authenticator.authenticate_catalog(
                    sigv4.RequestView(
                        req.method, req.raw_path, req.query_string, req.headers
                    ),
                    body,
                )
            req.auth, req.principal = auth, auth.principal
            if auth.principal is None:
                raise cat.NotAuthorized(
                    "The catalog needs a signed request (AWS SigV4, service"
                    " s3tables or s3) or an OAuth2 bearer token"
                    " (POST /iceberg/v1/oauth/tokens)"
                )
            return await self._route(req, body)
        except (cat.IcebergError, s3_errors.S3Error) as exc:
            return error_response(exc)
        except Exception:
            LOG.exception("catalog request %s failed", req.request_id)
            return error_response(cat.IcebergError("internal error"))

    async def _read_body(self, req: Request) -> bytes:
        length = req.content_length()
        if length is not None and length > MAX_BODY:
            raise cat.TooLarge(f"request body larger than {MAX_BODY} bytes")
        parts: list[bytes] = []
        size = 0
        async for chunk in req.body:
            size += len(chunk)
            if size > MAX_BODY:
                raise cat.TooLarge(f"request body larger than {MAX_BODY} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def _authorize(
        self, req: Request, op: Op, bucket: str, key: str = ""
    ) -> None:
        try:
            info = await req.storage.get_bucket(bucket)
        except s3_errors.S3Error as exc:
            if exc.code == "NoSuchBucket":
                raise cat.NotFound(f"The bucket {bucket!r} does not exist") from None
            raise
        req.operation, req.bucket, req.key, req.bucket_info = op, bucket, key, info
        try:
            await req.authorize(op, info, key=key)
        except s3_errors.S3Error as exc:
            if exc.code == "AccessDenied":
                raise cat.Forbidden(
                    f"{op.action} on {bucket}{'/' + key if key else ''} is not allowed"
                ) from None
            raise

    @staticmethod
    def _json_body(body: bytes) -> dict[str, Any]:
        if not body:
            raise cat.BadRequest("a JSON object body is required")
        try:
            obj = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise cat.BadRequest(f"malformed JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise cat.BadRequest("the body must be a JSON object")
        return obj

    async def _route(self, req: Request, body: bytes) -> Response:
        raw = req.raw_path
        for prefix in PREFIXES:
            if raw.startswith(prefix):
                raw = raw[len(prefix) :]
                break
        try:
            parts = [urlparse.unquote(p, errors="strict") for p in raw.split("/")]
        except UnicodeDecodeError:
            raise cat.BadRequest("the path is not UTF-8") from None
        method = req.method
        n = len(parts)
        if parts == ["config"]:
            self._allow(method, "GET")
            return await self._config(req)
        if n == 2 and parts[0] == "buckets":
            bucket = parts[1]
            if method == "PUT":
                await self._authorize(req, Op.TablesCreateTableBucket, bucket)
                info, created = await self.catalog.enable_bucket(bucket)
                return _json(info, 200)
            self._allow(method, "GET")
            await self._authorize(req, Op.TablesGetTableBucket, bucket)
            return _json(await self.catalog.bucket_info(bucket))
        if n < 2 or not parts[0]:
            raise cat.NotFound(f"no catalog route {req.path}")
        bucket = parts[0]
        rest = parts[1:]
        if rest == ["namespaces"]:
            return await self._namespaces(req, bucket, body)
        if len(rest) >= 2 and rest[0] == "namespaces":
            levels = _namespace_of(rest[1])
            tail = rest[2:]
            if not tail:
                return await self._namespace(req, bucket, levels)
            if tail == ["properties"]:
                self._allow(method, "POST")
                return await self._properties(req, bucket, levels, body)
            if tail == ["tables"]:
                return await self._tables(req, bucket, levels, body)
            if tail == ["views"]:
                return await self._views(req, bucket, levels, body)
            if len(tail) == 2 and tail[0] == "views":
                name = cat.check_name(tail[1], "view name")
                return await self._view(req, bucket, levels, name, body)
            if tail == ["register"]:
                self._allow(method, "POST")
                return await self._register(req, bucket, levels, body)
            if len(tail) >= 2 and tail[0] == "tables":
                name = cat.check_name(tail[1], "table name")
                if len(tail) == 2:
                    return await self._table(req, bucket, levels, name, body)
                extension = tail[2:]
                if extension == ["metadata-location"]:
                    self._allow(method, "GET")
                    return await self._pointer(req, bucket, levels, name)
                if extension == ["credentials"]:
                    self._allow(method, "GET")
                    return await self._credentials(req, bucket, levels, name)
                if extension == ["refs"]:
                    self._allow(method, "GET")
                    return await self._refs(req, bucket, levels, name)
                if len(extension) == 2 and extension[0] == "refs":
                    return await self._ref(
                        req, bucket, levels, name, extension[1], body
                    )
                if extension[0] == "maintenance":
                    from exordos_paas_s3.gateway.tables import maintenance_rest

                    return await maintenance_rest.table_route(
                        self, req, bucket, levels, name, extension[1:], body
                    )
        if rest == ["catalog", "diagnostics"]:
            from exordos_paas_s3.gateway.tables import maintenance_rest

            self._allow(method, "GET")
            return await maintenance_rest.diagnostics(self, req, bucket)
        if rest == ["tables", "rename"]:
            self._allow(method, "POST")
            return await self._rename(req, bucket, body)
        raise cat.NotFound(f"no catalog route {req.path}")

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise cat.MethodNotAllowed(
                f"{method} is not allowed here; use {' or '.join(allowed)}"
            )

    # --- config --------------------------------------------------------------

    async def _config(self, req: Request) -> Response:
        warehouse = req.query.get("warehouse", "")
        if not warehouse:
            raise cat.BadRequest(
                "warehouse is required: the name of a table bucket"
                " (PUT /iceberg/v1/buckets/{bucket} enables one)"
            )
        await self._authorize(req, Op.TablesGetTableBucket, warehouse)
        await self.catalog.check_enabled(warehouse)
        scheme = (req.scope or {}).get("scheme", "http")
        host = req.headers.get("host", "")
        defaults = {"prefix": warehouse, "s3.region": req.settings.region}
        if host:
            # Data files go through this same listener, path-style; a client
            # setting its own s3.endpoint overrides these defaults.
            defaults["s3.endpoint"] = f"{scheme}://{host}"
            defaults["s3.path-style-access"] = "true"
        endpoints = list(ENDPOINTS)
        if req.services.sessions is not None:
            endpoints.append(OAUTH_ENDPOINT)
        if credentials.vending_on(req):
            endpoints.append(CREDENTIALS_ENDPOINT)
        return _json({"defaults": defaults, "overrides": {}, "endpoints": endpoints})

    # --- namespaces ----------------------------------------------------------

    async def _namespaces(self, req: Request, bucket: str, body: bytes) -> Response:
        if req.method == "GET":
            await self._authorize(req, Op.TablesListNamespaces, bucket)
            parent_raw = req.query.get("parent")
            parent = _namespace_of(parent_raw) if parent_raw else None
            names, token = await self.catalog.list_namespaces(
                bucket,
                parent,
                req.query.get("pageToken") or None,
                _page_size(req.query),
            )
            out: dict[str, Any] = {"namespaces": names}
            if token is not None:
                out["next-page-token"] = token
            return _json(out)
        self._allow(req.method, "GET", "POST")
        await self._authorize(req, Op.TablesCreateNamespace, bucket)
        obj = self._json_body(body)
        levels = cat.check_namespace(obj.get("namespace"))
        props = obj.get("properties") or {}
        if not isinstance(props, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in props.items()
        ):
            raise cat.BadRequest("properties must be an object of strings")
        props = await self.catalog.create_namespace(bucket, levels, props)
        return _json({"namespace": list(levels), "properties": props})

    async def _namespace(
        self, req: Request, bucket: str, levels: tuple[str, ...]
    ) -> Response:
        method = req.method
        if method in ("GET", "HEAD"):
            await self._authorize(req, Op.TablesGetNamespace, bucket)
            props = await self.catalog.load_namespace(bucket, levels)
            if method == "HEAD":
                return _no_content()
            return _json({"namespace": list(levels), "properties": props})
        self._allow(method, "GET", "HEAD", "DELETE")
        await self._authorize(req, Op.TablesDeleteNamespace, bucket)
        await self.catalog.drop_namespace(bucket, levels)
        return _no_content()

    async def _properties(
        self, req: Request, bucket: str, levels: tuple[str, ...], body: bytes
    ) -> Response:
        await self._authorize(req, Op.TablesUpdateNamespaceProperties, bucket)
        obj = self._json_body(body)
        removals = obj.get("removals") or []
        updates = obj.get("updates") or {}
        if not isinstance(removals, list) or not all(
            isinstance(k, str) for k in removals
        ):
            raise cat.BadRequest("removals must be a list of strings")
        if not isinstance(updates, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in updates.items()
        ):
            raise cat.BadRequest("updates must be an object of strings")
        result = await self.catalog.update_namespace_properties(
            bucket, levels, removals, updates
        )
        return _json(result)

    # --- tables ------------------------------------------------------------

    async def _tables(
        self, req: Request, bucket: str, levels: tuple[str, ...], body: bytes
    ) -> Response:
        if req.method == "GET":
            await self._authorize(req, Op.TablesListTables, bucket)
            names, token = await self.catalog.list_tables(
                bucket,
                levels,
                req.query.get("pageToken") or None,
                _page_size(req.query),
            )
            return _identifier_page(levels, names, token)
        self._allow(req.method, "GET", "POST")
        obj = self._json_body(body)
        name = cat.check_name(obj.get("name"), "table name")
        await self._authorize(
            req, Op.TablesCreateTable, bucket, cat.table_resource(levels, name)
        )
        location, metadata = await self.catalog.create_table(bucket, levels, obj)
        return credentials.with_credentials(
            _table_result(location, metadata),
            await credentials.vend(
                req, bucket, cat.table_resource(levels, name), metadata
            )
            if location is not None
            else None,
        )

    async def _table(
        self,
        req: Request,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        body: bytes,
    ) -> Response:
        method = req.method
        resource = cat.table_resource(levels, name)
        if method in ("GET", "HEAD"):
            await self._authorize(req, Op.TablesGetTable, bucket, resource)
            location, metadata = await self.catalog.load_table(bucket, levels, name)
            if method == "HEAD":
                return _no_content()
            return credentials.with_credentials(
                _table_result(location, metadata),
                await credentials.vend(req, bucket, resource, metadata),
            )
        if method == "POST":
            await self._authorize(req, Op.TablesUpdateTable, bucket, resource)
            location, metadata = await self.catalog.commit_table(
                bucket, levels, name, self._json_body(body)
            )
            return _table_result(location, metadata)
        self._allow(method, "GET", "HEAD", "POST", "DELETE")
        await self._authorize(req, Op.TablesDeleteTable, bucket, resource)
        # Drop: the catalog entry always goes; purgeRequested=true (any case)
        # also deletes the files under the table's location.
        purge = None
        for k, v in req.query.items():
            if k.lower() == "purgerequested":
                purge = v
        await self.catalog.drop_table(bucket, levels, name, _bool(purge))
        return _no_content()

    # --- views -------------------------------------------------------------

    async def _views(
        self, req: Request, bucket: str, levels: tuple[str, ...], body: bytes
    ) -> Response:
        if req.method == "GET":
            await self._authorize(req, Op.TablesListViews, bucket)
            names, token = await self.catalog.list_views(
                bucket,
                levels,
                req.query.get("pageToken") or None,
                _page_size(req.query),
            )
            return _identifier_page(levels, names, token)
        self._allow(req.method, "GET", "POST")
        obj = self._json_body(body)
        name = cat.check_name(obj.get("name"), "view name")
        await self._authorize(
            req, Op.TablesCreateView, bucket, cat.table_resource(levels, name)
        )
        location, metadata = await self.catalog.create_view(bucket, levels, obj)
        return _view_result(location, metadata)

    async def _view(
        self,
        req: Request,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        body: bytes,
    ) -> Response:
        method = req.method
        resource = cat.table_resource(levels, name)
        if method in ("GET", "HEAD"):
            await self._authorize(req, Op.TablesGetView, bucket, resource)
            location, metadata = await self.catalog.load_view(bucket, levels, name)
            if method == "HEAD":
                return _no_content()
            return _view_result(location, metadata)
        if method == "POST":
            from exordos_paas_s3.gateway.tables import views

            await self._authorize(req, Op.TablesReplaceView, bucket, resource)
            location, metadata = await views.replace_view(
                self.catalog, bucket, levels, name, self._json_body(body)
            )
            return _view_result(location, metadata)
        self._allow(method, "GET", "HEAD", "POST", "DELETE")
        await self._authorize(req, Op.TablesDeleteView, bucket, resource)
        await self.catalog.drop_view(bucket, levels, name)
        return _no_content()

    # --- refs and the pointer (seed 000's extensions; not Iceberg spec
    # routes, so not in ENDPOINTS) --------------------------------------------

    async def _pointer(
        self, req: Request, bucket: str, levels: tuple[str, ...], name: str
    ) -> Response:
        await self._authorize(
            req,
            Op.TablesGetTableMetadataLocation,
            bucket,
            cat.table_resource(levels, name),
        )
        return _json(await self.catalog.metadata_location(bucket, levels, name))

    async def _refs(
        self, req: Request, bucket: str, levels: tuple[str, ...], name: str
    ) -> Response:
        await self._authorize(
            req, Op.TablesGetTable, bucket, cat.table_resource(levels, name)
        )
        return _json({"refs": await self.catalog.list_refs(bucket, levels, name)})

    async def _ref(
        self,
        req: Request,
        bucket: str,
        levels: tuple[str, ...],
        name: str,
        ref: str,
        body: bytes,
    ) -> Response:
        self._allow(req.method, "PUT", "DELETE")
        await self._authorize(
            req, Op.TablesUpdateTable, bucket, cat.table_resource(levels, name)
        )
        if req.method == "PUT":
            location, metadata = await self.catalog.set_ref(
                bucket, levels, name, ref, self._json_body(body)
            )
            return _json(
                {
                    "ref": ref,
                    **orjson.loads(metadata.refs[ref].model_dump_json()),
                    "metadata-location": location,
                }
            )
        force = False
        if body:
            obj = self._json_body(body)
            force = obj.get("force", False)
            if not isinstance(force, bool):
                raise cat.BadRequest("force must be a boolean")
        await self.catalog.remove_ref(bucket, levels, name, ref, force)
        return _no_content()

    # --- vended credentials (tables/credentials.py) ---------------------------

    async def _credentials(
        self, req: Request, bucket: str, levels: tuple[str, ...], name: str
    ) -> Response:
        resource = cat.table_resource(levels, name)
        await self._authorize(req, Op.TablesGetTable, bucket, resource)
        _, metadata = await self.catalog.load_table(bucket, levels, name)
        return credentials.credentials_response(
            await credentials.vend(req, bucket, resource, metadata)
        )

    async def _register(
        self, req: Request, bucket: str, levels: tuple[str, ...], body: bytes
    ) -> Response:
        obj = self._json_body(body)
        name = cat.check_name(obj.get("name"), "table name")
        await self._authorize(
            req, Op.TablesCreateTable, bucket, cat.table_resource(levels, name)
        )
        location, metadata = await self.catalog.register_table(bucket, levels, obj)
        return credentials.with_credentials(
            _table_result(location, metadata),
            await credentials.vend(
                req, bucket, cat.table_resource(levels, name), metadata
            ),
        )

    async def _rename(self, req: Request, bucket: str, body: bytes) -> Response:
        obj = self._json_body(body)
        source = _identifier(obj.get("source"), "source")
        destination = _identifier(obj.get("destination"), "destination")
        await self._authorize(
            req, Op.TablesDeleteTable, bucket, cat.table_resource(*source)
        )
        await self._authorize(
            req, Op.TablesCreateTable, bucket, cat.table_resource(*destination)
        )
        await self.catalog.rename_table(bucket, source, destination)
        return _no_content()
