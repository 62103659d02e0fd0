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
"""The gateway's admin API: a small JSON API on a separate loopback listener.

The data-plane driver (and operators, with curl) manage users, access keys,
IAM policies and their attachments, and buckets with their settings here, and
read the gateway's actual state (``GET /v1/state``) to diff against. Every
path and body is documented in ``docs/admin-api.md``.

Authentication is HTTP Basic with the root access key and root secret key. The
listener is loopback only and the driver already holds the root credentials,
so a scheme any HTTP client speaks (``curl -u``) beats re-using SigV4 here;
the secret is compared in constant time and never logged.

A pure ASGI app without a framework: a dozen routes do not need one, and the
gateway keeps its dependencies few.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib import parse as urlparse

import orjson

from exordos_paas_s3.gateway import bucket_settings, errors, metrics, readiness
from exordos_paas_s3.gateway.auth import identities
from exordos_paas_s3.gateway.handlers import bucket as bucket_handlers
from exordos_paas_s3.gateway.storage import compressing

LOG = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
REALM = 'Basic realm="exordos-s3-admin", charset="UTF-8"'

_USER = r"(?P<user>[^/]+)"
_KEY = r"(?P<key>[^/]+)"
_POLICY = r"(?P<policy>[^/]+)"
_BUCKET = r"(?P<bucket>[^/]+)"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/v1/health\Z"), "health"),
    (re.compile(r"/v1/users\Z"), "users"),
    (re.compile(rf"/v1/users/{_USER}\Z"), "user"),
    (re.compile(rf"/v1/users/{_USER}/keys\Z"), "keys"),
    (re.compile(rf"/v1/users/{_USER}/keys/{_KEY}\Z"), "key"),
    (re.compile(rf"/v1/users/{_USER}/policies\Z"), "attachments"),
    (re.compile(rf"/v1/users/{_USER}/policies/{_POLICY}\Z"), "attachment"),
    (re.compile(r"/v1/policies\Z"), "policies"),
    (re.compile(rf"/v1/policies/{_POLICY}\Z"), "policy"),
    (re.compile(r"/v1/buckets\Z"), "buckets"),
    (re.compile(rf"/v1/buckets/{_BUCKET}\Z"), "bucket"),
    (re.compile(r"/v1/state\Z"), "state"),
    (re.compile(r"/v1/stats\Z"), "stats"),
    (re.compile(r"/v1/gc\Z"), "gc"),
    (re.compile(r"/v1/verify\Z"), "verify"),
    (re.compile(r"/v1/lifecycle\Z"), "lifecycle"),
]
_WRITE_METHODS = frozenset({"PUT", "POST", "PATCH", "DELETE"})


class HTTPError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class LoginGuard:
    """Per-source backoff of failed admin logins (issue 13, finding 6).

    The first ``FREE`` failures from one client address cost nothing; each
    one after that blocks the address for twice as long as the previous
    (1 s, 2 s, 4 s ... up to ``MAX_BLOCK``): requests in that window are
    answered 429 with Retry-After before the credentials are even looked
    at, so guessing drops from ~1,000 a second to a few a minute. A
    successful login clears the address. Every failure is logged with the
    address and the count, never with what was sent.
    """

    FREE = 5
    MAX_BLOCK = 60.0
    MAX_SOURCES = 10_000  # memory bound under a spoofed-source flood

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # source -> (consecutive failures, blocked until)
        self._sources: dict[str, tuple[int, float]] = {}

    def retry_after(self, source: str) -> float:
        """Seconds the source must wait; 0 when it may try."""
        entry = self._sources.get(source)
        if entry is None:
            return 0.0
        return max(0.0, entry[1] - self._clock())

    def failed(self, source: str) -> int:
        count = self._sources.pop(source, (0, 0.0))[0] + 1
        block = 0.0
        if count > self.FREE:
            block = min(self.MAX_BLOCK, 2.0 ** (count - self.FREE - 1))
        if len(self._sources) >= self.MAX_SOURCES:
            self._sources.pop(next(iter(self._sources)))  # the oldest
        self._sources[source] = (count, self._clock() + block)
        LOG.warning(
            "admin API: failed login from %s (%d in a row%s)",
            source,
            count,
            f"; blocked for {block:g} s" if block else "",
        )
        return count

    def succeeded(self, source: str) -> None:
        self._sources.pop(source, None)


class _Response:
    __slots__ = ("status", "body", "headers")

    def __init__(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def _user_doc(user: identities.User) -> dict:
    return user.to_dict()


class AdminApp:
    """ASGI callable; see :func:`make_admin_app`."""

    def __init__(
        self,
        identities_store: identities.IdentityStore,
        *,
        root_access_key: str,
        root_secret_key: str,
        storage: Any = None,
        region: str = "us-east-1",
        collector: Any = None,
        metrics_: metrics.Metrics | None = None,
        tls_fingerprint: str | None = None,
        lifecycle: Any = None,
    ) -> None:
        self._ids = identities_store
        self._metrics = metrics_
        # The blob GC (storage/blob_gc.Collector) when the blob store is
        # behind an index; its storage also serves the verify pass.
        self._collector = collector
        self._tls_fingerprint = tls_fingerprint
        self._logins = LoginGuard()
        self._lifecycle = lifecycle
        self._root_access_key = root_access_key.encode()
        self._root_secret_key = root_secret_key.encode()
        self._storage = storage
        self._region = region
        # Authenticated write requests since start: how "a converged driver
        # sends nothing" is measured from the outside (GET /v1/stats).
        self._writes = 0
        self._started = time.time()

    def __repr__(self) -> str:
        return "<AdminApp>"

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == "/metrics" and self._metrics is not None:
            # Unauthenticated like /v1/health: counts and bucket names on a
            # loopback listener, no secret (docs/operations.md, "Metrics").
            await metrics.MetricsApp(self._metrics)(scope, receive, send)
            return
        if scope["path"] == "/v1/ready" and self._storage is not None:
            await self._send(send, await self._ready())
            return
        try:
            response = await self._handle(scope, receive)
        except HTTPError as exc:
            response = _Response(
                exc.status,
                {"error": {"code": exc.code, "message": exc.message}},
                {"www-authenticate": REALM, **exc.headers}
                if exc.status == 401
                else exc.headers,
            )
        except Exception:
            LOG.exception("admin API: unexpected error on %s", scope.get("path"))
            response = _Response(
                500, {"error": {"code": "InternalError", "message": "internal error"}}
            )
        await self._send(send, response)

    # -- plumbing -------------------------------------------------------------

    @staticmethod
    async def _lifespan(receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _send(send: Callable, response: _Response) -> None:
        body = b"" if response.body is None else orjson.dumps(response.body)
        headers = [(b"content-length", str(len(body)).encode())]
        if response.body is not None:
            headers.append((b"content-type", b"application/json"))
        headers.extend((k.encode(), v.encode()) for k, v in response.headers.items())
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": headers,
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _check_auth(self, scope: dict) -> None:
        client = scope.get("client")
        source = client[0] if client else "-"
        wait = self._logins.retry_after(source)
        if wait > 0:
            raise HTTPError(
                429,
                "TooManyRequests",
                "too many failed logins from this address; retry later",
                {"retry-after": str(math.ceil(wait))},
            )
        try:
            self._check_credentials(scope)
        except HTTPError:
            self._logins.failed(source)
            raise
        self._logins.succeeded(source)

    def _check_credentials(self, scope: dict) -> None:
        header = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                header = value
                break
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"basic" or not token:
            raise HTTPError(401, "Unauthorized", "root credentials required (Basic)")
        try:
            decoded = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise HTTPError(
                401, "Unauthorized", "malformed Basic credentials"
            ) from None
        user, sep, password = decoded.partition(b":")
        # Both compared, always, so timing says nothing about which one failed.
        ok_user = hmac.compare_digest(user, self._root_access_key)
        ok_password = hmac.compare_digest(password, self._root_secret_key)
        if not (sep and ok_user and ok_password):
            raise HTTPError(401, "Unauthorized", "invalid root credentials")

    @staticmethod
    async def _read_json(receive: Callable) -> dict:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise HTTPError(400, "BadRequest", "client disconnected")
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                raise HTTPError(413, "TooLarge", f"body over {MAX_BODY} bytes")
            if not message.get("more_body"):
                break
        if not body.strip():
            return {}
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise HTTPError(400, "BadRequest", f"invalid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise HTTPError(400, "BadRequest", "the body must be a JSON object")
        return doc

    async def _handle(self, scope: dict, receive: Callable) -> _Response:
        path = scope["path"]
        method = scope["method"]
        route = _match(path)
        if route is None:
            raise HTTPError(404, "NotFound", f"no such path: {path}")
        name, params = route
        if name == "health":
            return _Response(200, {"status": "ok"})
        self._check_auth(scope)
        handler = getattr(self, f"_{name}_{method.lower()}", None)
        if handler is None:
            raise HTTPError(405, "MethodNotAllowed", f"{method} not allowed on {path}")
        if method in _WRITE_METHODS:
            self._writes += 1
        query = _query(scope)
        if query:
            # Only a bucket delete takes one (force); anything else is a typo.
            if (name, method) != ("bucket", "DELETE") or set(query) != {"force"}:
                raise HTTPError(400, "BadRequest", "unknown query parameter(s)")
            params = {**params, "force": query["force"]}
        body = (
            await self._read_json(receive) if method in ("PUT", "POST", "PATCH") else {}
        )
        try:
            return await handler(body, **params)
        except identities.InvalidIdentityInput as exc:
            raise HTTPError(400, "BadRequest", str(exc)) from None
        except identities.IdentityNotFound as exc:
            raise HTTPError(404, "NotFound", str(exc)) from None
        except identities.IdentityConflict as exc:
            raise HTTPError(409, "Conflict", str(exc)) from None
        except bucket_settings.InvalidSettings as exc:
            raise HTTPError(400, "BadRequest", str(exc)) from None
        except bucket_settings.SettingsConflict as exc:
            raise HTTPError(409, "Conflict", str(exc)) from None
        except errors.S3Error as exc:
            # Storage speaks S3 errors; the code says what happened (NoSuchBucket,
            # BucketNotEmpty, InvalidBucketName ...) and keeps its status.
            raise HTTPError(exc.status, exc.code, exc.message) from None

    @staticmethod
    async def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # SQLite commits fsync; keep them off the event loop.
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- users ----------------------------------------------------------------

    async def _users_get(self, body: dict) -> _Response:
        users = await self._call(self._ids.list_users)
        return _Response(200, {"users": [_user_doc(u) for u in users]})

    async def _users_post(self, body: dict) -> _Response:
        fields = _fields(body, required={"name": str}, optional=_USER_FIELDS)
        name = fields.pop("name")
        user, created = await self._call(self._ids.create_user, name, **fields)
        if not created:
            raise HTTPError(409, "Conflict", f"user {name!r} already exists")
        return _Response(201, _user_doc(user))

    async def _user_put(self, body: dict, user: str) -> _Response:
        fields = _fields(body, optional=_USER_FIELDS)
        doc, created = await self._call(self._ids.create_user, user, **fields)
        return _Response(201 if created else 200, _user_doc(doc))

    async def _user_get(self, body: dict, user: str) -> _Response:
        doc = await self._call(self._ids.get_user, user)
        keys = await self._call(self._ids.list_access_keys, user)
        return _Response(
            200, {**_user_doc(doc), "access_keys": [k.to_dict() for k in keys]}
        )

    async def _user_delete(self, body: dict, user: str) -> _Response:
        if not await self._call(self._ids.delete_user, user):
            raise HTTPError(404, "NotFound", f"user {user!r} does not exist")
        return _Response(204)

    # -- access keys ------------------------------------------------------------

    async def _keys_get(self, body: dict, user: str) -> _Response:
        keys = await self._call(self._ids.list_access_keys, user)
        return _Response(200, {"access_keys": [k.to_dict() for k in keys]})

    async def _keys_post(self, body: dict, user: str) -> _Response:
        fields = _fields(
            body, optional={"enabled": bool, "access_key": str, "secret_key": str}
        )
        key, created = await self._call(self._ids.create_access_key, user, **fields)
        if not created:
            raise HTTPError(409, "Conflict", f"access key {key.access_key} exists")
        # The only response that ever carries a secret.
        return _Response(201, key.to_dict(with_secret=True))

    async def _key_put(self, body: dict, user: str, key: str) -> _Response:
        fields = _fields(body, required={"secret_key": str}, optional={"enabled": bool})
        doc, created = await self._call(
            self._ids.create_access_key, user, access_key=key, **fields
        )
        return _Response(201 if created else 200, doc.to_dict())

    async def _key_get(self, body: dict, user: str, key: str) -> _Response:
        doc = await self._call(self._ids.get_access_key, user, key)
        return _Response(200, doc.to_dict())

    async def _key_patch(self, body: dict, user: str, key: str) -> _Response:
        fields = _fields(body, required={"enabled": bool})
        doc = await self._call(
            self._ids.set_access_key_enabled, user, key, fields["enabled"]
        )
        return _Response(200, doc.to_dict())

    async def _key_delete(self, body: dict, user: str, key: str) -> _Response:
        if not await self._call(self._ids.delete_access_key, user, key):
            raise HTTPError(
                404, "NotFound", f"access key {key!r} of user {user!r} does not exist"
            )
        return _Response(204)

    # -- policies and attachments ----------------------------------------------

    async def _policies_get(self, body: dict) -> _Response:
        docs = await self._call(self._ids.list_policies)
        return _Response(200, {"policies": [_policy_doc(d) for d in docs]})

    async def _policy_get(self, body: dict, policy: str) -> _Response:
        return _Response(
            200, _policy_doc(await self._call(self._ids.get_policy, policy))
        )

    async def _policy_put(self, body: dict, policy: str) -> _Response:
        if set(body) != {"document"}:
            raise HTTPError(400, "BadRequest", 'the body must be {"document": ...}')
        document = body["document"]
        if isinstance(document, dict):
            # Canonical text, so an equal document is an equal PUT.
            text = orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode()
        elif isinstance(document, str):
            text = document
        else:
            raise HTTPError(
                400, "BadRequest", "document must be a JSON object or its text"
            )
        doc, changed = await self._call(self._ids.put_policy, policy, text)
        return _Response(201 if changed else 200, _policy_doc(doc))

    async def _policy_delete(self, body: dict, policy: str) -> _Response:
        if not await self._call(self._ids.delete_policy, policy):
            raise HTTPError(404, "NotFound", f"policy {policy!r} does not exist")
        return _Response(204)

    async def _attachments_get(self, body: dict, user: str) -> _Response:
        await self._call(self._ids.get_user, user)
        pairs = await self._call(self._ids.list_attachments)
        return _Response(200, {"policies": [p for u, p in pairs if u == user]})

    async def _attachment_put(self, body: dict, user: str, policy: str) -> _Response:
        _fields(body)
        created = await self._call(self._ids.attach_policy, user, policy)
        return _Response(201 if created else 200, {"user": user, "policy": policy})

    async def _attachment_delete(self, body: dict, user: str, policy: str) -> _Response:
        if not await self._call(self._ids.detach_policy, user, policy):
            raise HTTPError(
                404, "NotFound", f"policy {policy!r} is not attached to {user!r}"
            )
        return _Response(204)

    # -- buckets --------------------------------------------------------------

    def _need_storage(self) -> Any:
        if self._storage is None:
            raise HTTPError(501, "NotImplemented", "this admin API has no storage")
        return self._storage

    async def _buckets_get(self, body: dict) -> _Response:
        storage = self._need_storage()
        infos = await storage.list_buckets()
        return _Response(
            200,
            {"buckets": [await bucket_settings.report(storage, i) for i in infos]},
        )

    async def _bucket_get(self, body: dict, bucket: str) -> _Response:
        storage = self._need_storage()
        info = await storage.get_bucket(bucket)
        doc = await bucket_settings.report(storage, info)
        compressor = _compressing(storage)
        if compressor is not None:
            # Logical (what clients stored) against stored bytes: a walk over
            # the bucket's versions, so only on this one-bucket report.
            usage = await compressor.usage(bucket)
            doc["storage"] = {
                "objects": usage.objects,
                "compressed_objects": usage.compressed_objects,
                "logical_bytes": usage.logical_bytes,
                "stored_bytes": usage.stored_bytes,
                "ratio": round(usage.logical_bytes / usage.stored_bytes, 3)
                if usage.stored_bytes
                else None,
            }
        return _Response(200, doc)

    async def _bucket_put(self, body: dict, bucket: str) -> _Response:
        storage = self._need_storage()
        try:
            bucket_handlers.check_bucket_name(bucket)
        except errors.InvalidBucketName:
            raise HTTPError(
                400,
                "InvalidBucketName",
                f"bucket name {bucket!r} breaks the S3 naming rules: 3-63 lower-case"
                " letters, digits, '.' or '-', starting and ending with a letter"
                " or digit",
            ) from None
        settings = bucket_settings.Settings.from_body(body)
        doc, changed = await bucket_settings.apply(
            storage,
            bucket,
            settings,
            owner_id=self._ids.root.canonical_id,
            region=self._region,
        )
        return _Response(201 if changed else 200, doc)

    async def _bucket_delete(
        self, body: dict, bucket: str, force: str = "false"
    ) -> _Response:
        force = force.lower()
        if force not in ("true", "false"):
            raise HTTPError(400, "BadRequest", "force must be true or false")
        await bucket_settings.delete(
            self._need_storage(), bucket, force=force == "true"
        )
        return _Response(204)

    # -- actual state ---------------------------------------------------------

    async def _state_get(self, body: dict) -> _Response:
        """Everything the driver compares against; never a secret, never root."""
        users = await self._call(self._ids.list_users)
        keys = await self._call(self._ids.list_all_access_keys)
        policies = await self._call(self._ids.list_policies)
        pairs = await self._call(self._ids.list_attachments)
        buckets = []
        if self._storage is not None:
            for info in await self._storage.list_buckets():
                item = await bucket_settings.report(self._storage, info)
                # What the bucket holds now (quota use): object versions and
                # their bytes, from the storage's counter.
                objects, used = await self._storage.bucket_usage(info.name)
                # Unfinished multipart uploads hold disk too (not quota).
                uploads, parts = await self._storage.upload_usage(info.name)
                item["usage"] = {
                    "objects": objects,
                    "bytes": used,
                    "uploads": uploads,
                    "upload_bytes": parts,
                }
                buckets.append(item)
        return _Response(
            200,
            {
                "users": [
                    {"name": u.name, "user_id": u.user_id, "kind": u.kind}
                    for u in users
                ],
                "access_keys": [
                    {"access_key": k.access_key, "user": name, "enabled": k.enabled}
                    for name, k in keys
                ],
                "policies": [
                    {"name": p.name, "document": _document(p.document)}
                    for p in policies
                ],
                "attachments": [{"user": u, "policy": p} for u, p in pairs],
                "buckets": buckets,
            },
        )

    async def _ready(self) -> _Response:
        """``GET /v1/ready``: the storage's readiness (gateway/readiness.py)."""
        report = await readiness.check(self._storage)
        doc = {**report, "tls_fingerprint": self._tls_fingerprint}
        return _Response(200 if report["ready"] else 503, doc)

    async def _stats_get(self, body: dict) -> _Response:
        return _Response(200, {"writes": self._writes, "started_at": self._started})

    # -- blob store maintenance ----------------------------------------------

    def _need_collector(self) -> Any:
        if self._collector is None:
            raise HTTPError(
                501,
                "NotImplemented",
                "this gateway keeps its bytes in local files (--blob-store "
                "local): GC and verify are for --blob-store s3",
            )
        return self._collector

    async def _gc_post(self, body: dict) -> _Response:
        _fields(body)
        report = await self._need_collector().run()
        if report.running:
            raise HTTPError(409, "Conflict", "a GC pass is already running")
        return _Response(200, report.to_dict())

    async def _verify_post(self, body: dict) -> _Response:
        from exordos_paas_s3.gateway.storage import blob_verify

        collector = self._need_collector()
        fields = _fields(
            body,
            required={"bucket": str},
            optional={
                "cursor": str,
                "limit": int,
                "sample": float,
                "rate": int,
            },
            numbers={"sample"},
        )
        limit = fields.get("limit", 1000)
        if not 1 <= limit <= 100_000:
            raise HTTPError(400, "BadRequest", "limit must be 1 to 100000")
        sample = float(fields.get("sample", 1.0))
        if not 0.0 < sample <= 1.0:
            raise HTTPError(400, "BadRequest", "sample must be in (0, 1]")
        rate = fields.get("rate", 0)
        if rate < 0:
            raise HTTPError(400, "BadRequest", "rate must be >= 0 (0: unlimited)")
        try:
            problems, summary = await blob_verify.verify(
                collector.storage,
                fields["bucket"],
                cursor=fields.get("cursor"),
                limit=limit,
                sample=sample,
                rate=rate,
            )
        except blob_verify.BadCursor as exc:
            raise HTTPError(400, "BadRequest", str(exc)) from None
        return _Response(200, {"problems": problems, "summary": summary.to_dict()})

    async def _lifecycle_get(self, body: dict) -> _Response:
        """The lifecycle executor's progress (gateway/lifecycle/worker.py)."""
        if self._lifecycle is None:
            return _Response(200, {"enabled": False})
        return _Response(200, {"enabled": True, **self._lifecycle.status()})


_USER_FIELDS = {"user_id": str, "display_name": str, "kind": str}


def _compressing(storage: Any) -> compressing.CompressingStorage | None:
    """The compression wrapper in a stack of storage wrappers, if any."""
    while storage is not None:
        if isinstance(storage, compressing.CompressingStorage):
            return storage
        storage = getattr(storage, "inner", None)
    return None


def _document(text: str) -> Any:
    """A stored policy as JSON (it was validated as JSON when put)."""
    return orjson.loads(text)


def _policy_doc(doc: identities.PolicyDoc) -> dict:
    return {
        "name": doc.name,
        "document": _document(doc.document),
        "created_at": doc.created_at,
    }


def _query(scope: dict) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    if not raw:
        return {}
    return dict(urlparse.parse_qsl(raw, keep_blank_values=True))


def _match(path: str) -> tuple[str, dict[str, str]] | None:
    for pattern, name in _ROUTES:
        match = pattern.match(path)
        if match:
            return name, match.groupdict()
    return None


def _fields(
    body: dict,
    *,
    required: Mapping[str, type] | None = None,
    optional: Mapping[str, type] | None = None,
    numbers: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """Check a JSON body against the allowed fields and their types
    (``numbers``: float fields that take a JSON integer too)."""
    required = required or {}
    allowed = {**required, **(optional or {})}
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise HTTPError(400, "BadRequest", f"unknown field(s): {', '.join(unknown)}")
    for name in required:
        if name not in body:
            raise HTTPError(400, "BadRequest", f"missing field: {name}")
    for name, value in body.items():
        kind = allowed[name]
        if name in numbers and type(value) is int:
            continue
        # bool is an int in Python and JSON true must not pass as a string.
        if type(value) is not kind:
            raise HTTPError(
                400, "BadRequest", f"field {name} must be a {kind.__name__}"
            )
    return dict(body)


def make_admin_app(
    identities_store: identities.IdentityStore,
    *,
    root_access_key: str,
    root_secret_key: str,
    storage: Any = None,
    region: str = "us-east-1",
    collector: Any = None,
    metrics_: metrics.Metrics | None = None,
    tls_fingerprint: str | None = None,
    lifecycle: Any = None,
) -> Callable[[dict, Callable, Callable], Awaitable[None]]:
    """The admin ASGI app; ``cmd/gateway.py`` serves it on ``--admin-listen``."""
    return AdminApp(
        identities_store,
        root_access_key=root_access_key,
        root_secret_key=root_secret_key,
        storage=storage,
        region=region,
        collector=collector,
        metrics_=metrics_,
        tls_fingerprint=tls_fingerprint,
        lifecycle=lifecycle,
    )
