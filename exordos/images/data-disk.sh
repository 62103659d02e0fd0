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
# First-boot (and every-boot) preparation of an S3 node's data disk, installed
# as /usr/local/sbin/exordos-s3-data-disk and run by exordos-s3-data-disk.service.
#
# - The data disk is DATA_DISK when set, otherwise the one whole disk that is
#   not the root disk and has no partitions (the infra builder attaches exactly
#   one data disk per node).
# - It is formatted only when it carries no signature at all (no filesystem,
#   no partition table, no RAID/LVM member): a disk with data is never
#   reformatted, on reboot or ever.
# - It is recorded in /etc/fstab by UUID (once) and mounted at MOUNT_POINT.
# - With no data disk at all (a small test VM) the gateway keeps its data on
#   the root disk; the script says so and succeeds.
#
# Knobs for tests: DATA_DISK, MOUNT_POINT, FSTAB, SKIP_MOUNT=1, DATA_OWNER.
set -euo pipefail

MOUNT_POINT=${MOUNT_POINT:-/var/lib/exordos-s3}
FSTAB=${FSTAB:-/etc/fstab}
LABEL=exordos-s3-data
DATA_OWNER=${DATA_OWNER:-exordos-s3}

log() { echo "exordos-s3-data-disk: $*" >&2; }

find_data_disk() {
    local root_src root_disk name type
    root_src=$(findmnt -n -o SOURCE / || true)
    root_disk=$(lsblk -n -o PKNAME "$root_src" 2>/dev/null | head -n1 || true)
    while read -r name type; do
        [ "$type" = disk ] || continue
        [ "$name" = "$root_disk" ] && continue
        # Skip disks with partitions: they are somebody's, not a blank data disk.
        if [ "$(lsblk -n -o NAME "/dev/$name" | wc -l)" -gt 1 ]; then
            continue
        fi
        echo "/dev/$name"
        return 0
    done < <(lsblk -d -n -o NAME,TYPE -e 1,7,11)
    return 1
}

disk=${DATA_DISK:-}
if [ -z "$disk" ]; then
    if ! disk=$(find_data_disk); then
        log "no data disk found; data stays on the root disk under $MOUNT_POINT"
        mkdir -p "$MOUNT_POINT"
        chown "$DATA_OWNER:" "$MOUNT_POINT" 2>/dev/null || true
        exit 0
    fi
fi

# blkid -p probes the device itself (not the cache); any signature means the
# disk is in use and must be left as it is.
signature=$(blkid -p -o export "$disk" 2>/dev/null || true)
if [ -z "$signature" ]; then
    log "formatting blank disk $disk as ext4 (label $LABEL)"
    mkfs.ext4 -q -L "$LABEL" -m 0 "$disk"
elif ! grep -q '^TYPE=ext4$' <<<"$signature"; then
    log "refusing to touch $disk: it carries an unexpected signature:"
    log "$signature"
    exit 1
fi

uuid=$(blkid -p -o value -s UUID "$disk")
if ! grep -q "^UUID=${uuid}[[:space:]]" "$FSTAB" 2>/dev/null; then
    log "recording UUID=$uuid in $FSTAB"
    printf 'UUID=%s %s ext4 defaults,noatime,nofail,x-systemd.device-timeout=30s 0 2\n' \
        "$uuid" "$MOUNT_POINT" >>"$FSTAB"
fi

mkdir -p "$MOUNT_POINT"
if [ "${SKIP_MOUNT:-0}" != 1 ] && ! mountpoint -q "$MOUNT_POINT"; then
    mount "$MOUNT_POINT"
fi
chown "$DATA_OWNER:" "$MOUNT_POINT" 2>/dev/null || true
log "data disk $disk (UUID=$uuid) ready at $MOUNT_POINT"
