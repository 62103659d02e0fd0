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
# Installs the S3 data plane into a Debian 12 system: run as root inside the
# image build VM (packer shell provisioner of `exordos build`) or in a chroot
# (scripts/image-smoke.sh). It needs the payload made by
# scripts/build-image-payload.sh at PAYLOAD_DIR: a wheelhouse of our wheel
# and every dependency, requirements.txt pinning each by sha256, SHA256SUMS,
# and the etc/ tree (systemd units, agent config, logging).
#
# Python packages are installed offline from the wheelhouse with
# --require-hashes: nothing is downloaded unpinned. System packages come from
# the distribution's signed apt repositories.
set -euo pipefail

PAYLOAD_DIR=${PAYLOAD_DIR:-/opt/exordos-s3/payload}
PREFIX=/opt/exordos-s3
VENV=$PREFIX/venv
CONF_DIR=/etc/exordos-s3
DATA_DIR=/var/lib/exordos-s3
AGENT_WORK_DIR=/var/lib/exordos/exordos-s3
UNIT_DIR=/etc/systemd/system
SERVICE_USER=exordos-s3

log() { echo "== install: $*" >&2; }

# packer's file provisioner may nest the uploaded directory one level deeper.
if [ ! -f "$PAYLOAD_DIR/requirements.txt" ] && [ -f "$PAYLOAD_DIR/image-payload/requirements.txt" ]; then
    PAYLOAD_DIR=$PAYLOAD_DIR/image-payload
fi
[ -f "$PAYLOAD_DIR/requirements.txt" ] || { echo "no payload at $PAYLOAD_DIR" >&2; exit 1; }

log "verifying the payload checksums"
(cd "$PAYLOAD_DIR" && sha256sum --quiet -c SHA256SUMS)

# libev4: bjoern (a dependency of exordos_metapaas) links against it.
# openssl: the first-boot self-signed certificate (tls-cert.sh).
APT_PACKAGES=(python3 python3-venv ca-certificates libev4 e2fsprogs util-linux systemd openssl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    apt-get clean
fi

log "service user $SERVICE_USER"
if ! getent passwd "$SERVICE_USER" >/dev/null; then
    useradd --system --home-dir "$DATA_DIR" --no-create-home \
        --shell /usr/sbin/nologin "$SERVICE_USER"
fi

log "virtualenv $VENV from the wheelhouse (hash-pinned, offline)"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --no-index --no-cache-dir \
    --find-links "$PAYLOAD_DIR/wheelhouse" \
    --require-hashes -r "$PAYLOAD_DIR/requirements.txt"
for cmd in exordos-s3-gateway exordos-universal-agent; do
    [ -x "$VENV/bin/$cmd" ] || { echo "$cmd missing from $VENV" >&2; exit 1; }
    ln -sf "$VENV/bin/$cmd" "/usr/local/bin/$cmd"
done

log "configuration in $CONF_DIR"
install -d -m 0755 "$CONF_DIR"
install -m 0644 "$PAYLOAD_DIR/etc/exordos-s3/agent.conf" "$CONF_DIR/agent.conf"
install -m 0644 "$PAYLOAD_DIR/etc/exordos-s3/logging.yaml" "$CONF_DIR/logging.yaml"
# The real gateway.conf is written by the infra builder (a Config resource);
# the example documents every option next to it.
install -m 0644 "$PAYLOAD_DIR/etc/exordos-s3/gateway.conf.example" \
    "$CONF_DIR/gateway.conf.example"
install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"
install -d -m 0700 "$AGENT_WORK_DIR"

log "systemd units"
install -m 0755 "$PAYLOAD_DIR/images/data-disk.sh" /usr/local/sbin/exordos-s3-data-disk
install -m 0755 "$PAYLOAD_DIR/images/tls-cert.sh" /usr/local/sbin/exordos-s3-tls-cert
for unit in exordos-s3-data-disk.service exordos-s3-tls-cert.service \
    exordos-s3-gateway.service exordos-s3-agent.service; do
    install -m 0644 "$PAYLOAD_DIR/etc/systemd/$unit" "$UNIT_DIR/$unit"
done
# `systemctl enable` only creates symlinks, so it works in a chroot too.
systemctl enable exordos-s3-data-disk.service exordos-s3-tls-cert.service \
    exordos-s3-gateway.service exordos-s3-agent.service

log "done: $("$VENV/bin/python" -c 'import importlib.metadata as m; print("exordos_paas_s3", m.version("exordos_paas_s3"))')"
