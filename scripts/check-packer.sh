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
# What `exordos build` needs to build the data-plane image, checked before it
# starts: the CLI writes a packer HCL2 template for its `debian_12` profile
# and runs `packer init` then `packer build`, so it needs packer >= 1.7 (1.6
# has no `init`; Debian 12's package is 1.6.6) with the qemu and sshkey
# plugins, and the qemu builder needs qemu and KVM. Prints one line per
# requirement; exits 0 when all are met, 1 otherwise (and says how to get
# what is missing). A plugin that is not installed is reported but not
# fatal: `packer init` fetches it where github.com is reachable. Nothing is
# downloaded or installed here.
#
# KVM_DEVICE (default /dev/kvm) and PACKER_PLUGIN_PATH are read as packer
# and qemu read them.
set -euo pipefail

KVM_DEVICE=${KVM_DEVICE:-/dev/kvm}
missing=0
ok() { echo "check-packer: ok       $*"; }
miss() {
    echo "check-packer: MISSING  $1" >&2
    shift
    for how in "$@"; do echo "check-packer:            $how" >&2; done
    missing=1
}

# packer >= 1.7
packer_ok=0
if ! command -v packer >/dev/null 2>&1; then
    miss "packer (none on PATH)" \
        "install HashiCorp's packer 1.7 or later (its release zip or apt repository);" \
        "Debian 12's own package is 1.6.6, too old"
else
    # `packer version` prints "Packer v1.6.6" (1.x) on its first line.
    version=$(packer version 2>/dev/null | head -n1 | sed -nE 's/^Packer v?([0-9]+\.[0-9]+(\.[0-9]+)?).*/\1/p')
    major=${version%%.*}
    minor=$(echo "$version" | cut -d. -f2)
    if [ -z "$version" ]; then
        miss "packer >= 1.7 ($(command -v packer) does not say its version)" \
            "install HashiCorp's packer 1.7 or later"
    elif [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 7 ]; }; then
        ok "packer $version ($(command -v packer))"
        packer_ok=1
    else
        miss "packer >= 1.7: $(command -v packer) is $version, which has no \`packer init\`" \
            "install HashiCorp's packer 1.7 or later (its release zip or apt repository)" \
            "and put it before $(dirname "$(command -v packer)") on PATH"
    fi
fi

# The qemu and sshkey plugins, where packer looks for installed plugins.
plugin_dirs=()
[ -n "${PACKER_PLUGIN_PATH:-}" ] && IFS=: read -r -a plugin_dirs <<<"$PACKER_PLUGIN_PATH"
plugin_dirs+=("${HOME:-/root}/.config/packer/plugins" "${HOME:-/root}/.packer.d/plugins")
for plugin in qemu:hashicorp/qemu sshkey:ivoronin/sshkey; do
    name=${plugin%%:*}
    source=github.com/${plugin#*:}
    found=""
    for dir in "${plugin_dirs[@]}"; do
        [ -d "$dir" ] || continue
        found=$(find "$dir" -name "packer-plugin-${name}*" -type f 2>/dev/null | head -n1)
        [ -n "$found" ] && break
    done
    if [ -n "$found" ]; then
        ok "packer plugin $name ($found)"
    else
        # Not fatal: the CLI's `packer init` installs it, given the network.
        echo "check-packer: NOTE     packer plugin $name ($source) is not installed:" >&2
        echo "check-packer:            \`packer init\` (exordos build runs it) downloads it from" >&2
        echo "check-packer:            github.com; without that network, install it beforehand:" >&2
        echo "check-packer:            packer plugins install $source   (packer >= 1.8)" >&2
    fi
done

# The qemu builder: qemu-system-x86_64 and qemu-img, with KVM.
for tool in qemu-system-x86_64 qemu-img; do
    if command -v "$tool" >/dev/null 2>&1; then
        ok "$tool ($(command -v "$tool"))"
    else
        miss "$tool" "apt-get install qemu-system-x86 qemu-utils"
    fi
done
if [ -r "$KVM_DEVICE" ] && [ -w "$KVM_DEVICE" ]; then
    ok "KVM ($KVM_DEVICE)"
else
    miss "KVM ($KVM_DEVICE is absent or not read-writable by $(id -un))" \
        "a host with hardware virtualisation (or nested virtualisation for a VM)," \
        "and a user in the kvm group"
fi

if [ "$missing" -ne 0 ]; then
    if [ "$packer_ok" -eq 0 ]; then
        echo "check-packer: the data-plane image cannot be built here (packer >= 1.7 is needed)" >&2
    else
        echo "check-packer: the data-plane image cannot be built here" >&2
    fi
    exit 1
fi
echo "check-packer: the data-plane image can be built"
