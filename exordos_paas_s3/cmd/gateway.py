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
"""``exordos-s3-gateway``: the S3 gateway process.

The composition root: reads the configuration, builds the object graph once
(storage, identities, authenticator, router, the S3 app and the admin app)
and serves both apps from one process on two listeners until SIGTERM/SIGINT,
then stops accepting, finishes in-flight requests and closes the storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import sys
import typing

from oslo_config import cfg

from exordos_paas_s3 import constants, node_seal
from exordos_paas_s3.gateway import config as gateway_config

LOG = logging.getLogger(__name__)

ROOT_CREDENTIALS_FILE = "root-credentials.json"


def _split_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"invalid listen address {value!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def node_key_file(conf: cfg.ConfigOpts) -> str:
    """Where the node's encryption key is: the option, else the systemd
    credential ``node_key`` (the unit loads the agent's root-only key file
    for the unprivileged gateway), else the agent's key file itself."""
    if conf.node_key_file:
        return conf.node_key_file
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and os.path.exists(os.path.join(credentials, "node_key")):
        return os.path.join(credentials, "node_key")
    return node_seal.NODE_KEY_PATH


def root_credentials(conf: cfg.ConfigOpts, data_dir: str) -> tuple[str, str]:
    """Environment, then config file (the secret sealed to this node, as the
    control plane delivers it, or plain, as an operator may write it), then
    the generated pair kept in the data directory (created once with mode 600
    and printed once to stderr)."""
    access = os.environ.get(constants.GATEWAY_ROOT_ACCESS_KEY_ENV)
    secret = os.environ.get(constants.GATEWAY_ROOT_SECRET_KEY_ENV)
    if access and secret:
        return access, secret
    if conf.root_access_key and conf.root_secret_key_sealed:
        try:
            return conf.root_access_key, node_seal.open_sealed(
                node_seal.read_node_key(node_key_file(conf)),
                conf.node_uuid or "0" * 32,
                node_seal.ROOT_SECRET_CONTEXT,
                conf.root_secret_key_sealed,
            )
        except node_seal.SealError as exc:
            # Serving with another root than the control plane's would
            # leave the node unmanageable: refuse to start, say why.
            raise SystemExit(f"exordos-s3-gateway: root secret: {exc}") from None
    if conf.root_access_key and conf.root_secret_key:
        return conf.root_access_key, conf.root_secret_key
    path = os.path.join(data_dir, ROOT_CREDENTIALS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        return doc["access_key"], doc["secret_key"]
    except FileNotFoundError:
        pass
    from exordos_paas_s3.gateway.auth import identities

    access = identities.generate_access_key()
    secret = identities.generate_secret_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"access_key": access, "secret_key": secret}, f)
        f.flush()
        os.fsync(f.fileno())
    # Printed once, at creation, for the operator; never logged.
    sys.stderr.write(
        "exordos-s3-gateway: generated root credentials (stored in "
        f"{path}):\n  access key: {access}\n  secret key: {secret}\n"
    )
    sys.stderr.flush()
    return access, secret


def _open_sealed(conf: cfg.ConfigOpts, what: str, context: str, sealed: str) -> str:
    try:
        return node_seal.open_sealed(
            node_seal.read_node_key(node_key_file(conf)),
            conf.node_uuid or "0" * 32,
            context,
            sealed,
        )
    except node_seal.SealError as exc:
        raise SystemExit(f"exordos-s3-gateway: {what}: {exc}") from None


def shared_sse_master(conf: cfg.ConfigOpts) -> bytes | None:
    """The SSE master key every gateway of the instance shares (decision
    0020): --sse-master-key-file, else sealed to this node by the control
    plane; None: the data directory's own key (a single gateway)."""
    from exordos_paas_s3.gateway import sse

    if conf.sse_master_key_file:
        try:
            with open(conf.sse_master_key_file, "rb") as f:
                text = f.read()
        except OSError as exc:
            raise SystemExit(
                f"exordos-s3-gateway: --sse-master-key-file: {exc.strerror}"
            ) from None
    elif conf.sse_master_key_sealed:
        text = _open_sealed(
            conf,
            "sse master key",
            node_seal.SSE_MASTER_CONTEXT,
            conf.sse_master_key_sealed,
        ).encode()
    else:
        return None
    try:
        return sse.decode_master_key(text)
    except ValueError as exc:
        raise SystemExit(f"exordos-s3-gateway: sse master key: {exc}") from None


def secrets_sealer(conf: cfg.ConfigOpts, data_dir: str):
    """What seals access-key secrets in iam.sqlite (gateway/auth/secret_seal.py):
    the key file of --secrets-key-file, else the node key when this gateway
    has one, else a key file generated in the data directory."""
    from exordos_paas_s3.gateway.auth import secret_seal

    try:
        if conf.secrets_key_file:
            path = conf.secrets_key_file
            return secret_seal.SecretSealer(secret_seal.load_key_file(path), path)
        path = node_key_file(conf)
        if os.path.exists(path):
            return secret_seal.SecretSealer(node_seal.read_node_key(path), "node key")
        path = os.path.join(data_dir, secret_seal.KEY_FILE_NAME)
        return secret_seal.SecretSealer(secret_seal.load_key_file(path), path)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"exordos-s3-gateway: secrets key: {exc}") from None


def storage_layout(conf: cfg.ConfigOpts):
    """The blob store and index the options choose (``storage/layout.py``);
    the upstream's keys come from the environment first, as the root keys
    do, then from the config file: sealed to this node (as the control
    plane writes them), else plain. Raises layout.LayoutError."""
    from exordos_paas_s3.gateway.storage import layout

    env = os.environ
    secret = env.get(constants.GATEWAY_UPSTREAM_SECRET_KEY_ENV)
    if not secret and conf.upstream_secret_key_sealed:
        secret = _open_sealed(
            conf,
            "upstream secret key",
            node_seal.UPSTREAM_SECRET_CONTEXT,
            conf.upstream_secret_key_sealed,
        )
    index = conf.index
    if conf.index_sealed:
        index = _open_sealed(conf, "index", node_seal.INDEX_CONTEXT, conf.index_sealed)
    return layout.parse(
        blob_store=conf.blob_store,
        index=index,
        upstream_endpoint=conf.upstream_endpoint,
        upstream_bucket=conf.upstream_bucket,
        upstream_region=conf.upstream_region,
        upstream_access_key=env.get(constants.GATEWAY_UPSTREAM_ACCESS_KEY_ENV)
        or conf.upstream_access_key,
        upstream_secret_key=secret or conf.upstream_secret_key,
    )


async def build(conf: cfg.ConfigOpts):
    """The object graph: (s3 app, admin app, close coroutine function)."""
    from exordos_paas_s3.gateway import (
        access_log,
        acl,
        admin,
        authorization,
        bucket_access,
        file_modes,
        metrics,
        server,
        sse,
        upload_reaper,
    )
    from exordos_paas_s3.gateway.auth import identities, sessions, sigv4
    from exordos_paas_s3.gateway.lifecycle import worker as lifecycle
    from exordos_paas_s3.gateway.request import Services, Settings
    from exordos_paas_s3.gateway.router import Router
    from exordos_paas_s3.gateway.storage import compressing, encrypting, layout

    try:
        chosen = storage_layout(conf)
    except layout.LayoutError as exc:
        raise SystemExit(f"exordos-s3-gateway: storage: {exc}") from None
    data_dir = os.path.abspath(conf.data_dir)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    # Whatever existed before: private files and directories (finding 6).
    file_modes.tighten(data_dir)
    try:
        backend = await layout.build(
            chosen,
            data_dir,
            fsync=conf.fsync,
            multipart_threshold=conf.upstream_multipart_threshold_mib << 20,
            part_size=conf.upstream_part_size_mib << 20,
            max_connections=conf.upstream_max_connections,
            obsolete_grace=conf.obsolete_blob_grace,
        )
    except layout.LayoutError as exc:
        # Before anything else is created: no root pair generated for a
        # gateway that cannot run.
        raise SystemExit(f"exordos-s3-gateway: storage: {exc}") from None
    LOG.info("storage: %s", chosen.describe())
    root_access, root_secret = root_credentials(conf, data_dir)
    store = identities.IdentityStore.in_data_dir(
        data_dir,
        root_access_key=root_access,
        root_secret_key=root_secret,
        sealer=secrets_sealer(conf, data_dir),
    )
    # Bucket access documents (policy, ACL, ownership) are cached in memory;
    # the tracking wrapper drops a bucket's entry whenever they change.
    access_cache = bucket_access.AccessCache(
        default_ownership=acl.ObjectOwnership(conf.default_object_ownership)
    )
    # A shared index tells of changes other gateways make.
    watch_buckets = getattr(backend, "watch_buckets", None)
    if watch_buckets is not None:
        watch_buckets(access_cache.forget)
    # Data at rest is encrypted below every other wrapper (gateway/sse.py).
    keyring = sse.Keyring(
        data_dir,
        kms_keys=conf.kms_keys,
        auto_create=conf.kms_auto_create,
        default_kms_key=conf.kms_default_key,
        shared_master=shared_sse_master(conf),
    )
    # Gateways sharing an index must share the key too: the index keeps the
    # first one's fingerprint and refuses another (decision 0020).
    check_key = getattr(backend, "check_sse_fingerprint", None)
    if check_key is not None:
        try:
            await check_key(keyring.fingerprint())
        except ValueError as exc:
            raise SystemExit(f"exordos-s3-gateway: {exc}") from None
    # Both wrappers are Storage implementations (storage/base.StorageWrapper).
    encrypting_storage = encrypting.EncryptingStorage(
        backend, keyring, c_require_tls=conf.sse_c_require_tls
    )
    # Compressed, then encrypted: compression sits above encryption.
    compressing_storage = compressing.CompressingStorage(
        encrypting_storage,
        default=conf.default_compression,
        level=conf.compression_level,
    )
    storage = bucket_access.AccessTrackingStorage(compressing_storage, access_cache)
    router = Router(conf.virtual_host_domain)
    # Temporary credentials: sealed with a key derived from the root secret,
    # which every gateway of the instance shares (decision 0014).
    session_store = sessions.Sessions(store, root_secret)
    authenticator = sigv4.Authenticator(
        store,
        conf.region,
        max_skew=conf.max_clock_skew,
        allow_sigv2=conf.allow_sigv2,
        bucket_from_host=router.bucket_from_host,
        sessions=session_store,
    )
    vending_ttl = sessions.clamp_ttl(conf.tables_vending_ttl)
    if vending_ttl != conf.tables_vending_ttl:
        LOG.warning(
            "--tables-vending-ttl %s clamped to %s",
            conf.tables_vending_ttl,
            vending_ttl,
        )
    services = Services(
        storage=storage,
        settings=Settings(
            region=conf.region,
            tables_vending=conf.tables_vending,
            tables_vending_ttl=vending_ttl,
            tables_token_ttl=sessions.clamp_ttl(conf.tables_token_ttl),
        ),
        authorize=authorization.Authorizer(store, access_cache, region=conf.region),
        identities=store,
        sessions=session_store,
    )
    # Request counters for /metrics; storage figures come from the backend
    # (per-bucket usage counters, the index writer's commit figures).
    request_metrics = metrics.Metrics()
    request_metrics.attach_storage(backend, data_dir)
    log_target = gateway_config.access_log_target(conf.access_log)
    app = server.S3App(
        services,
        authenticator,
        router,
        access_log=access_log.AccessLog(log_target) if log_target else None,
        metrics=request_metrics,
    )
    # A blob store behind an index (--blob-store s3) is collected and
    # verified through the backend itself, below the wrappers.
    collector = None
    if getattr(backend, "blob_store", None) is not None:
        from exordos_paas_s3.gateway.storage import blob_gc

        collector = blob_gc.Collector(
            backend, grace=conf.gc_grace, interval=conf.gc_interval
        )
        collector.start()
    lifecycle_worker = None
    if conf.lifecycle_interval > 0:
        lifecycle_worker = lifecycle.Worker(
            storage,
            interval=conf.lifecycle_interval,
            day_seconds=conf.lifecycle_day_seconds,
            batch=conf.lifecycle_batch,
        )
        request_metrics.attach_lifecycle(lifecycle_worker)
    admin_app = admin.make_admin_app(
        store,
        root_access_key=root_access,
        root_secret_key=root_secret,
        storage=storage,
        region=conf.region,
        collector=collector,
        metrics_=request_metrics,
        tls_fingerprint=tls_fingerprint(conf),
        lifecycle=lifecycle_worker,
    )
    if lifecycle_worker is not None:
        lifecycle_worker.start()

    # The background table maintenance scheduler (gateway/tables): a task
    # on this loop; it imports the catalog only when turned on.
    tables_scheduler = None
    if conf.tables_maintenance_interval > 0:
        from exordos_paas_s3.gateway.tables import scheduler as tables_sched

        tables_scheduler = tables_sched.Scheduler(
            storage, conf.tables_maintenance_interval
        )
        tables_scheduler.start()

    reaper: asyncio.Task | None = None
    if conf.abort_incomplete_uploads_days > 0:
        reaper = asyncio.create_task(
            upload_reaper.run(
                storage, conf.abort_incomplete_uploads_days * upload_reaper.DAY
            )
        )

    async def close() -> None:
        if reaper is not None:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
        if tables_scheduler is not None:
            await tables_scheduler.stop()
        if app.access_log is not None:
            app.access_log.close()
        if collector is not None:
            await collector.close()
        if lifecycle_worker is not None:
            await lifecycle_worker.stop()
        await backend.close()
        store.close()

    return app, admin_app, close


class _UvicornServer:
    def __init__(
        self,
        app,
        host: str,
        port: int,
        conf: cfg.ConfigOpts,
        *,
        metrics: typing.Any = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        import uvicorn

        from exordos_paas_s3.gateway import uvicorn_protocol

        limits = uvicorn_protocol.Limits(
            header_timeout=conf.header_timeout,
            body_timeout=conf.body_timeout,
            max_connections=conf.max_connections,
            max_header_bytes=conf.max_header_bytes,
        )
        tls_options: dict[str, typing.Any] = {}
        if tls is not None:
            tls_options = {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]}

        class Server(uvicorn.Server):
            # Signals are handled once for both listeners by serve().
            @contextlib.contextmanager
            def capture_signals(self):
                yield

        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            # httptools, answering a request before rejecting what follows it.
            http=uvicorn_protocol.protocol_class(limits, metrics),
            lifespan="off",
            access_log=False,
            server_header=False,
            log_config=None,
            timeout_keep_alive=conf.keep_alive_timeout,  # type: ignore[arg-type]
            timeout_graceful_shutdown=conf.shutdown_timeout,  # type: ignore[arg-type]
            **tls_options,
        )
        self._server = Server(config)

    async def serve(self) -> None:
        await self._server.serve()

    def stop(self) -> None:
        self._server.should_exit = True


class _GranianServer:
    # Granian keeps its own timeouts; the limits above are uvicorn's only.
    def __init__(
        self,
        app,
        host: str,
        port: int,
        conf: cfg.ConfigOpts,
        *,
        metrics: typing.Any = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        if tls is not None:
            raise SystemExit(
                "exordos-s3-gateway: --tls-cert is served by --server uvicorn "
                "only (not built for granian yet)"
            )
        from granian.constants import Interfaces
        from granian.server.embed import Server

        self._server = Server(
            app,
            address=host,
            port=port,
            interface=Interfaces.ASGINL,
            log_access=False,
            websockets=False,
        )

    async def serve(self) -> None:
        await self._server.serve()

    def stop(self) -> None:
        self._server.stop()


def tls_files(conf: cfg.ConfigOpts) -> tuple[str, str] | None:
    """(certificate, key) of the S3 listener, or None for plain HTTP."""
    if not conf.tls_cert and not conf.tls_key:
        return None
    if not (conf.tls_cert and conf.tls_key):
        raise SystemExit("exordos-s3-gateway: give both --tls-cert and --tls-key")
    for path in (conf.tls_cert, conf.tls_key):
        if not os.access(path, os.R_OK):
            raise SystemExit(f"exordos-s3-gateway: cannot read {path}")
    return conf.tls_cert, conf.tls_key


def tls_fingerprint(conf: cfg.ConfigOpts) -> str | None:
    """SHA-256 of the S3 listener's certificate (DER), as ``AB:CD:...``: what
    clients pin; the node report carries it to the control plane."""
    files = tls_files(conf)
    if files is None:
        return None
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        with open(files[0], "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"exordos-s3-gateway: --tls-cert: {exc}") from None
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


# Descriptors besides the connections: object files, the index, logs.
FD_RESERVE = 256


def _raise_fd_limit(max_connections: int) -> None:
    """Room for --max-connections on both listeners: a full descriptor table
    resets new connections with nothing logged, the cap refuses them politely."""
    import resource

    need = 2 * max_connections + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
    if soft != resource.RLIM_INFINITY and soft < need:
        LOG.warning(
            "open-file limit %d is below what --max-connections %d needs (%d): "
            "raise LimitNOFILE or lower --max-connections",
            soft,
            max_connections,
            need,
        )


async def serve(conf: cfg.ConfigOpts) -> None:
    app, admin_app, close = await build(conf)
    # Everything built so far lives as long as the process: keep it out of
    # the collector's full passes (they showed up at 2-4 % of a large PUT).
    gc.freeze()
    kind = _GranianServer if conf.server == "granian" else _UvicornServer
    _raise_fd_limit(conf.max_connections)
    servers = [
        kind(
            app,
            *_split_listen(conf.listen),
            conf,
            metrics=app.metrics,
            tls=tls_files(conf),
        ),
        kind(admin_app, *_split_listen(conf.admin_listen), conf),
    ]
    if conf.metrics_listen:
        from exordos_paas_s3.gateway import metrics

        servers.append(
            kind(
                metrics.MetricsApp(app.metrics),
                *_split_listen(conf.metrics_listen),
                conf,
            )
        )
    loop = asyncio.get_running_loop()

    def stop(signame: str) -> None:
        LOG.info("%s received: stopping", signame)
        for s in servers:
            s.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig.name)
    if app.access_log is not None:
        # logrotate's postrotate: the log goes on in a new file.
        loop.add_signal_handler(signal.SIGHUP, app.access_log.reopen)
    LOG.info(
        "serving S3 on %s%s, admin on %s%s (%s)",
        conf.listen,
        " (TLS)" if conf.tls_cert else "",
        conf.admin_listen,
        f", metrics on {conf.metrics_listen}" if conf.metrics_listen else "",
        conf.server,
    )
    try:
        await asyncio.gather(*(s.serve() for s in servers))
    finally:
        await close()
    LOG.info("stopped")


# Allocations from this size get their own mapping, unmapped when freed:
# above the 256 KiB reads of the event loop (a large PUT's chunks stay on
# the heap), below the 512 KiB pieces of an encrypted GET.
MMAP_THRESHOLD = 384 * 1024


def _return_freed_memory() -> None:
    """Give large freed buffers back to the system at once.

    glibc raises its mmap threshold to the size of each mapped block freed
    (up to 32 MiB), after which the half-MiB pieces of streamed bodies come
    from the heap, whose freed pages stay in RSS: 20 stalled encrypted GETs
    left ~30 MB behind after they closed. A fixed threshold turns that
    adjustment off. No effect off glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    with contextlib.suppress(OSError, AttributeError):
        m_mmap_threshold = -3  # malloc.h
        ctypes.CDLL(name).mallopt(m_mmap_threshold, MMAP_THRESHOLD)


def main(argv: list[str] | None = None) -> None:
    _return_freed_memory()
    conf = cfg.ConfigOpts()
    gateway_config.register(conf)
    conf(
        sys.argv[1:] if argv is None else argv,
        project="exordos-s3",
        prog="exordos-s3-gateway",
        default_config_files=[],
    )
    # Every file and directory the gateway creates is its own (0600/0700).
    os.umask(0o077)
    logging.basicConfig(
        level=conf.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    runner: typing.Callable[..., None]
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(serve(conf))


if __name__ == "__main__":
    main()
