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
# First-boot TLS certificate of an S3 node's S3 listener, installed as
# /usr/local/sbin/exordos-s3-tls-cert and run by exordos-s3-tls-cert.service
# before the gateway.
#
# - When TLS_DIR already holds cert.pem and key.pem (given by the operator, or
#   made on an earlier boot) nothing changes: a certificate is never replaced.
# - Otherwise a self-signed certificate (ECDSA P-256, 10 years) is made for
#   the host name, localhost and every address of the host, the key readable
#   by the gateway's user only (0600 in a 0700 directory).
# - The SHA-256 fingerprint is printed: clients pin it; the gateway reports
#   it to the control plane through the node report.
#
# The gateway serves TLS once gateway.conf names the files (tls_cert,
# tls_key; docs/operations.md, "TLS").
#
# Knobs for tests: TLS_DIR, TLS_OWNER, TLS_HOSTNAME.
set -euo pipefail

TLS_DIR=${TLS_DIR:-/var/lib/exordos-s3/tls}
TLS_OWNER=${TLS_OWNER:-exordos-s3}
TLS_HOSTNAME=${TLS_HOSTNAME:-$(hostname -f 2>/dev/null || hostname)}
CERT=$TLS_DIR/cert.pem
KEY=$TLS_DIR/key.pem

log() { echo "exordos-s3-tls-cert: $*" >&2; }

fingerprint() {
    openssl x509 -in "$CERT" -noout -fingerprint -sha256 | cut -d= -f2
}

if [ -s "$CERT" ] && [ -s "$KEY" ]; then
    log "certificate present: SHA-256 $(fingerprint)"
    exit 0
fi

sans="DNS:$TLS_HOSTNAME,DNS:localhost,IP:127.0.0.1"
for address in $(hostname -I 2>/dev/null || true); do
    sans="$sans,IP:$address"
done

umask 077
install -d -m 0700 "$TLS_DIR"
work=$(mktemp -d "$TLS_DIR/.new.XXXXXX")
trap 'rm -rf "$work"' EXIT
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -days 3650 -subj "/CN=$TLS_HOSTNAME" -addext "subjectAltName=$sans" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chown "$TLS_OWNER" "$TLS_DIR" "$work/key.pem" "$work/cert.pem"
# The key first: a crash between the two leaves no certificate, so the next
# boot makes both again.
mv "$work/key.pem" "$KEY"
mv "$work/cert.pem" "$CERT"
log "made a self-signed certificate for $sans: SHA-256 $(fingerprint)"
