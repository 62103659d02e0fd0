#!/usr/bin/env bash
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
#
# Image smoke test (make image-smoke; needs root): proves the image recipe
# installs a working gateway without Exordos Core.
#   1. a minimal Debian bookworm rootfs (debootstrap, cached as a tarball in
#      CACHE_DIR so repeated runs skip it);
#   2. the image payload (scripts/build-image-payload.sh) and install.sh run
#      in a chroot, exactly as in the image build VM;
#   3. `systemd-analyze verify` of the installed units against that rootfs;
#   4. the gateway started from inside the rootfs with the ExecStart line of
#      the installed unit and a gateway.conf like the infra builder writes,
#      on a free 127.0.0.1 port, then a boto3 round trip.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR=${CACHE_DIR:-/var/cache/exordos-s3-smoke}
# debootstrap fetches from the Debian mirror this machine's apt already uses.
apt_mirror() {
    local f
    # `|| true`: a missing sources file or head closing the pipe early must not
    # trip `set -e -o pipefail`; an empty answer is checked below.
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n -E 's#^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z]+://[^[:space:]]+/debian)/?([[:space:]].*)?$#\3#p' "$f"
    done | head -n1 || true
}
MIRROR=${MIRROR:-$(apt_mirror)}
[ -n "$MIRROR" ] || { echo "image-smoke: no Debian mirror in apt sources; set MIRROR" >&2; exit 1; }
PY=${PYTHON:-.venv/bin/python}
# systemd and Python come with the cached rootfs so repeated runs download
# only what install.sh adds (ca-certificates, libev4).
INCLUDE=systemd,python3,python3-venv
ROOTFS_TAR=$CACHE_DIR/bookworm-minbase-${INCLUDE//,/-}.tar
[ "$(id -u)" -eq 0 ] || { echo "image-smoke: run as root (chroot, debootstrap)" >&2; exit 1; }

started=$(date +%s)
step() { echo "== image-smoke [$(($(date +%s) - started))s]: $*"; }

root=$(mktemp -d /var/tmp/exordos-s3-smoke.XXXXXX)
gw_pid=
cleanup() {
    if [ -n "$gw_pid" ]; then kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
    for m in "$root/dev/pts" "$root/dev" "$root/proc"; do
        if mountpoint -q "$m"; then umount -l "$m"; fi
    done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

if [ ! -f "$ROOTFS_TAR" ]; then
    step "debootstrap bookworm (cached afterwards in $ROOTFS_TAR)"
    mkdir -p "$CACHE_DIR"
    debootstrap --variant=minbase --include="$INCLUDE" bookworm "$root" "$MIRROR" >"$CACHE_DIR/debootstrap.log"
    tar -C "$root" -cf "$ROOTFS_TAR.tmp" .
    mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
else
    step "rootfs from $ROOTFS_TAR"
    tar -C "$root" -xf "$ROOTFS_TAR"
fi

# The chroot's / (a mktemp directory, also in the tarball) must be traversable
# by the gateway's service user.
chmod 0755 "$root"

if [ ! -f output/image-payload/requirements.txt ] || [ "${REBUILD_PAYLOAD:-1}" = 1 ]; then
    step "image payload"
    bash scripts/build-image-payload.sh
fi

step "install.sh in the chroot"
mkdir -p "$root/opt/exordos-s3"
cp -r output/image-payload "$root/opt/exordos-s3/payload"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
# Services must not start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
chroot "$root" /bin/bash /opt/exordos-s3/payload/images/install.sh

step "systemd-analyze verify of the installed units"
# Resolved entirely inside the rootfs: our units, their ExecStart binaries as
# installed, and Debian's own targets.
verify_out=$(systemd-analyze --root="$root" verify \
    "$root/etc/systemd/system/exordos-s3-gateway.service" \
    "$root/etc/systemd/system/exordos-s3-agent.service" \
    "$root/etc/systemd/system/exordos-s3-data-disk.service" 2>&1) || true
if grep "exordos-s3" <<<"$verify_out"; then
    echo "$verify_out" >&2
    echo "image-smoke: systemd-analyze reported problems in our units" >&2
    exit 1
fi

step "gateway from the rootfs"
read -r port admin_port < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
cat >"$root/etc/exordos-s3/gateway.conf" <<CONF
[DEFAULT]
data_dir = /var/lib/exordos-s3
listen = 127.0.0.1:$port
admin_listen = 127.0.0.1:$admin_port
root_access_key = smokeroot
root_secret_key = smoke-secret-key-0123456789
CONF
chmod 0640 "$root/etc/exordos-s3/gateway.conf"
chgrp "$(chroot "$root" id -g exordos-s3)" "$root/etc/exordos-s3/gateway.conf"
exec_start=$(sed -n 's/^ExecStart=//p' "$root/etc/systemd/system/exordos-s3-gateway.service")
read -r -a exec_argv <<<"$exec_start"
chroot --userspec=exordos-s3:exordos-s3 "$root" "${exec_argv[@]}" \
    >"$CACHE_DIR/gateway.log" 2>&1 &
gw_pid=$!

step "boto3 round trip on 127.0.0.1:$port"
"$PY" - "$port" <<'PYEOF'
import sys
import time

import boto3
import botocore.config

endpoint = f"http://127.0.0.1:{sys.argv[1]}"
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id="smokeroot",
    aws_secret_access_key="smoke-secret-key-0123456789",
    region_name="us-east-1",
    config=botocore.config.Config(retries={"max_attempts": 1}),
)
deadline = time.monotonic() + 30
while True:
    try:
        s3.list_buckets()
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.3)
body = b"exordos-s3 image smoke " * 1000
s3.create_bucket(Bucket="smoke")
s3.put_object(Bucket="smoke", Key="dir/obj.bin", Body=body)
got = s3.get_object(Bucket="smoke", Key="dir/obj.bin")["Body"].read()
assert got == body, "object read back differs"
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="smoke")["Contents"]]
assert keys == ["dir/obj.bin"], keys
s3.delete_object(Bucket="smoke", Key="dir/obj.bin")
s3.delete_bucket(Bucket="smoke")
print(f"round trip ok: {len(body)} bytes through {endpoint}")
PYEOF
[ -e "$root/var/lib/exordos-s3" ] && step "data written under the rootfs: $(du -sh "$root/var/lib/exordos-s3" | cut -f1)"
step "passed"
