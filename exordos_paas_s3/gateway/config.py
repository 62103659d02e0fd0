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
"""The gateway's oslo.config options (config file and command line).

All options live in ``[DEFAULT]`` so that each one is also a plain CLI flag
(``--data-dir``, ``--listen`` ...). Root credentials are read from the
environment first (see ``cmd/gateway.py``), then from this file.
"""

from __future__ import annotations

from oslo_config import cfg

from exordos_paas_s3 import constants

SERVERS = ("uvicorn", "granian")
# The values of acl.ObjectOwnership (kept literal: this module imports no
# gateway code).
OBJECT_OWNERSHIPS = ("ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced")

OPTS = [
    cfg.StrOpt(
        "data-dir",
        default=constants.GATEWAY_DATA_DIR,
        help="Directory that holds object data, the index and iam.sqlite.",
    ),
    cfg.StrOpt(
        "listen",
        default=constants.GATEWAY_DEFAULT_LISTEN,
        help="HOST:PORT of the S3 listener.",
    ),
    cfg.StrOpt(
        "admin-listen",
        default=constants.GATEWAY_DEFAULT_ADMIN_LISTEN,
        help="HOST:PORT of the loopback admin API listener.",
    ),
    cfg.StrOpt(
        "region",
        default=constants.GATEWAY_DEFAULT_REGION,
        help="The region this gateway serves (SigV4 scope, bucket location).",
    ),
    cfg.StrOpt(
        "server",
        default="uvicorn",
        choices=SERVERS,
        help="The ASGI server that runs the gateway.",
    ),
    cfg.ListOpt(
        "virtual-host-domain",
        default=[],
        help="Base domains for virtual-hosted-style requests: with "
        "'s3.example.com', Host 'bucket.s3.example.com' names the bucket.",
    ),
    cfg.StrOpt(
        "root-access-key",
        default=None,
        help="Root access key (the environment variable "
        f"{constants.GATEWAY_ROOT_ACCESS_KEY_ENV} takes precedence).",
    ),
    cfg.StrOpt(
        "root-secret-key",
        default=None,
        secret=True,
        help="Root secret key (the environment variable "
        f"{constants.GATEWAY_ROOT_SECRET_KEY_ENV} takes precedence).",
    ),
    cfg.StrOpt(
        "root-secret-key-sealed",
        default=None,
        secret=True,
        help="The root secret key sealed to this node by the control plane "
        "(exordos_paas_s3/node_seal.py); opened with --node-key-file.",
    ),
    cfg.StrOpt(
        "node-uuid",
        default=None,
        help="This node's uuid, bound into --root-secret-key-sealed.",
    ),
    cfg.StrOpt(
        "node-key-file",
        default=None,
        help="The node's encryption key (base64 of 32 bytes) that opens "
        "--root-secret-key-sealed. Default: the systemd credential "
        "'node_key' when $CREDENTIALS_DIRECTORY is set, else the universal "
        "agent's key file.",
    ),
    cfg.StrOpt(
        "blob-store",
        default="local",
        choices=("local", "s3"),
        help="Where object bytes go: 'local' files in --data-dir, or 's3', an "
        "S3 upstream (Ceph RGW, MinIO, AWS) given by --upstream-endpoint and "
        "--upstream-bucket (docs/gateway.md, Storage).",
    ),
    cfg.StrOpt(
        "upstream-endpoint",
        default=None,
        help="URL of the S3 upstream of --blob-store s3 "
        "(e.g. http://rgw.example:7480).",
    ),
    cfg.StrOpt(
        "upstream-bucket",
        default=None,
        help="The upstream bucket that holds this gateway's blobs (under "
        "opaque names; not a bucket clients see).",
    ),
    cfg.StrOpt(
        "upstream-region",
        default=None,
        help="The upstream's region for SigV4 (default us-east-1).",
    ),
    cfg.StrOpt(
        "upstream-access-key",
        default=None,
        help="The upstream's access key (the environment variable "
        f"{constants.GATEWAY_UPSTREAM_ACCESS_KEY_ENV} takes precedence).",
    ),
    cfg.StrOpt(
        "upstream-secret-key",
        default=None,
        secret=True,
        help="The upstream's secret key (the environment variable "
        f"{constants.GATEWAY_UPSTREAM_SECRET_KEY_ENV} takes precedence).",
    ),
    cfg.StrOpt(
        "upstream-secret-key-sealed",
        default=None,
        secret=True,
        help="The upstream's secret key sealed to this node (as the control "
        "plane writes it; opened with the node's key like "
        "root_secret_key_sealed). The environment variable comes first.",
    ),
    cfg.IntOpt(
        "upstream-multipart-threshold-mib",
        default=16,
        min=5,
        help="--blob-store s3: bodies larger than this many MiB go to the "
        "upstream as a multipart upload, smaller ones as one PUT.",
    ),
    cfg.IntOpt(
        "upstream-part-size-mib",
        default=16,
        min=5,
        help="--blob-store s3: the part size (MiB) of the upstream's multipart "
        "uploads (at most the threshold); each part is buffered in memory.",
    ),
    cfg.IntOpt(
        "upstream-max-connections",
        default=16,
        min=1,
        help="--blob-store s3: at most this many connections to the upstream "
        "at once (requests beyond wait for one).",
    ),
    cfg.FloatOpt(
        "obsolete-blob-grace",
        default=60.0,
        min=0.0,
        help="--blob-store s3: seconds an obsolete blob (overwritten, deleted, "
        "an aborted part) outlives the commit that made it obsolete before "
        "it is deleted; a read on this gateway that resolved it keeps it "
        "until its last byte anyway.",
    ),
    cfg.FloatOpt(
        "gc-interval",
        default=3600.0,
        min=0.0,
        help="--blob-store s3: seconds between two passes of the orphan-blob "
        "GC (0: only on demand, POST /v1/gc on the admin listener).",
    ),
    cfg.FloatOpt(
        "gc-grace",
        default=3600.0,
        min=0.0,
        help="--blob-store s3: the GC deletes a blob no index row names only "
        "once it is older than this many seconds (by the upstream's clock): "
        "an upload in flight has written its blob and not yet committed it.",
    ),
    cfg.StrOpt(
        "index",
        default="sqlite",
        secret=True,
        help="Where the index (versions, uploads, bucket documents, usage) "
        "lives: 'sqlite' in --data-dir, or a postgresql://USER@HOST:PORT/DB "
        "URL shared by several gateways.",
    ),
    cfg.StrOpt(
        "index-sealed",
        default=None,
        secret=True,
        help="--index sealed to this node (as the control plane writes a "
        "postgresql:// URL with its password); replaces --index when set.",
    ),
    cfg.BoolOpt(
        "fsync",
        default=True,
        help="fsync object data and the index before acknowledging a write.",
    ),
    cfg.FloatOpt(
        "max-clock-skew",
        default=900.0,
        help="Seconds a signed request's time may differ from the server's.",
    ),
    cfg.BoolOpt(
        "allow-sigv2",
        default=True,
        help="Accept legacy AWS Signature Version 2 (Authorization: AWS ..., "
        "AWSAccessKeyId/Signature presigned URLs) besides SigV4. HMAC-SHA1 "
        "and no signed payload hash: disable when no client needs it.",
    ),
    cfg.BoolOpt(
        "tables-vending",
        default=False,
        help="S3 Tables: loadTable and GET .../tables/{t}/credentials vend "
        "temporary credentials scoped to the table's location (read-write, "
        "or read-only for a caller without s3tables:"
        "UpdateTableMetadataLocation).",
    ),
    cfg.IntOpt(
        "tables-vending-ttl",
        default=900,
        help="Seconds vended table credentials live; clamped to "
        "[60, 43200] (never beyond the session that asked for them).",
    ),
    cfg.IntOpt(
        "tables-token-ttl",
        default=3600,
        help="Seconds an OAuth2 bearer token of the catalog "
        "(POST /iceberg/v1/oauth/tokens) lives; clamped to [60, 43200].",
    ),
    cfg.StrOpt(
        "access-log",
        default=None,
        help="Write the S3 access log (one JSON object per request) to this "
        "file, reopened on SIGHUP (logrotate), or to standard output with "
        "'-' (journald under systemd). Unset: no access log. The values of "
        "the former boolean option still work: true is '-', false unset.",
    ),
    cfg.StrOpt(
        "metrics-listen",
        default=None,
        help="HOST:PORT of a listener serving only GET /metrics (Prometheus "
        "text format), besides /metrics on the admin listener. Unset: none.",
    ),
    cfg.StrOpt(
        "secrets-key-file",
        default=None,
        help="Key file (base64 of 32 bytes; created with mode 600 when "
        "missing) sealing access-key secrets in iam.sqlite. Unset: the node "
        "key when the gateway has one (--node-key-file, the systemd "
        "credential), else <data-dir>/secrets.key.",
    ),
    cfg.StrOpt(
        "tls-cert",
        default=None,
        help="PEM certificate (chain) of the S3 listener: with --tls-key the "
        "S3 port speaks HTTPS only.",
    ),
    cfg.StrOpt(
        "tls-key",
        default=None,
        help="PEM private key of --tls-cert.",
    ),
    cfg.StrOpt(
        "default-object-ownership",
        default="ObjectWriter",
        choices=OBJECT_OWNERSHIPS,
        help="Object Ownership of buckets that have no OwnershipControls of "
        "their own: ObjectWriter and BucketOwnerPreferred keep ACLs enabled, "
        "BucketOwnerEnforced disables them (AWS's default since 2023).",
    ),
    cfg.ListOpt(
        "kms-keys",
        default=[],
        help="Key ids of the local KMS (SSE-KMS) to create at start if "
        "missing; keys live in <data-dir>/kms-keys.json (mode 600).",
    ),
    cfg.StrOpt(
        "sse-master-key-file",
        default=None,
        help="A file (32 raw bytes or their base64, mode 600) holding the SSE "
        "master key shared by every gateway of one namespace (s3 blob store "
        "+ PostgreSQL index): SSE-S3 and SSE-KMS objects written through any "
        "of them open on all (KMS keys are derived from it). Unset: "
        "<data-dir>/sse-master.key and kms-keys.json, this gateway's own.",
    ),
    cfg.StrOpt(
        "sse-master-key-sealed",
        default=None,
        secret=True,
        help="The shared SSE master key sealed to this node (as the control "
        "plane writes it; opened with the node's key like "
        "root_secret_key_sealed). --sse-master-key-file comes first.",
    ),
    cfg.BoolOpt(
        "kms-auto-create",
        default=False,
        help="Create an unknown SSE-KMS key id on first use instead of "
        "answering KMS.NotFoundException (test stands only).",
    ),
    cfg.StrOpt(
        "kms-default-key",
        default=None,
        help="The key id used for aws:kms requests that name no key (AWS "
        "uses the aws/s3 managed key); unset: such requests are refused.",
    ),
    cfg.BoolOpt(
        "sse-c-require-tls",
        default=True,
        help="Refuse SSE-C keys on plain HTTP as AWS does; loopback clients "
        "(a TLS-terminating proxy on the node) are always accepted.",
    ),
    # Timeouts and limits of the S3 listener (uvicorn; docs/operations.md,
    # "Timeouts and limits").
    cfg.FloatOpt(
        "header-timeout",
        default=30.0,
        min=0.1,
        help="Seconds a client has to send a request's line and headers, "
        "from the connection's start or the request's first byte; then the "
        "connection is closed (slowloris).",
    ),
    cfg.FloatOpt(
        "keep-alive-timeout",
        default=5.0,
        min=0.1,
        help="Seconds an idle keep-alive connection stays open between requests.",
    ),
    cfg.FloatOpt(
        "body-timeout",
        default=60.0,
        min=0.1,
        help="Seconds the gateway waits for more of a request body it is "
        "reading; then it answers 400 RequestTimeout and closes.",
    ),
    cfg.IntOpt(
        "max-connections",
        default=4096,
        min=1,
        help="Open S3 connections at most; a connection over it is answered "
        "503 SlowDown (Retry-After) and closed, and the refusal is logged. "
        "Keep it under the file-descriptor limit (LimitNOFILE).",
    ),
    cfg.IntOpt(
        "max-header-bytes",
        default=8192,
        min=1024,
        help="Size of a request's header section at most (names, values, "
        "separators), as AWS's 8 KB; larger: 400 RequestHeaderSectionTooLarge.",
    ),
    cfg.FloatOpt(
        "shutdown-timeout",
        default=30.0,
        min=0,
        help="On SIGTERM, seconds in-flight requests have to finish before "
        "the gateway stops anyway (the systemd unit's TimeoutStopSec is "
        "larger).",
    ),
    cfg.FloatOpt(
        "tables-maintenance-interval",
        default=60.0,
        min=0,
        help="Seconds between ticks of the background table maintenance "
        "scheduler (S3 Tables): each tick queues the due maintenance of "
        "tables whose background-enabled is true and runs a few queued jobs "
        "under the table's lease. 0 turns the scheduler off (jobs then run "
        "only through POST .../maintenance/worker/run).",
    ),
    cfg.FloatOpt(
        "abort-incomplete-uploads-days",
        default=0.0,
        min=0.0,
        help="Abort multipart uploads initiated more than this many days ago, "
        "in every bucket, lifecycle rule or not (a background pass every "
        "quarter of that, at most hourly). 0: off. Fractions are allowed "
        "(0.5 is twelve hours; tests use seconds' worth).",
    ),
    # Transparent compression (gateway/storage/compressing.py).
    cfg.StrOpt(
        "default-compression",
        default="none",
        choices=("none", "zstd"),
        help="Compression of buckets that have no setting of their own (the "
        "admin API's bucket field compression): objects of 64 KiB or more "
        "whose sample shrinks are stored zstd-compressed, transparently.",
    ),
    cfg.IntOpt(
        "compression-level",
        default=3,
        min=1,
        max=19,
        help="zstd level of compressed objects (3: fast; higher: smaller, "
        "slower PUTs; reads cost the same).",
    ),
    # The lifecycle executor (gateway/lifecycle/worker.py).
    cfg.FloatOpt(
        "lifecycle-interval",
        default=3600.0,
        min=0,
        help="Seconds between two passes of the lifecycle executor (it "
        "applies bucket lifecycle rules: expirations, noncurrent version "
        "expirations, aborts of stale multipart uploads); 0 disables it.",
    ),
    cfg.IntOpt(
        "lifecycle-day-seconds",
        default=86400,
        min=1,
        help="How long a lifecycle rule's day lasts, in seconds. 86400 is "
        "AWS's day (expiry at the midnight UTC after creation + Days); a "
        "small value makes rules run in seconds for tests, as Ceph RGW's "
        "rgw_lc_debug_interval does.",
    ),
    cfg.IntOpt(
        "lifecycle-batch",
        default=1000,
        min=1,
        help="Versions (or uploads) the lifecycle executor lists at a time; "
        "it records its position and yields to requests after each batch.",
    ),
    cfg.StrOpt(
        "log-level",
        default="INFO",
        help="Python logging level of the gateway.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_cli_opts(OPTS)


def access_log_target(value: str | None) -> str | None:
    """``--access-log``'s file ('-': standard output), or None when off;
    the former boolean option's values keep their meaning."""
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("", "false", "no", "off", "0"):
        return None
    if lowered in ("true", "yes", "on", "1"):
        return "-"
    return value
