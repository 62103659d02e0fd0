#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine for the stand, the tests and the image
# smoke test: system packages with apt-get (one `apt-get update`, only when
# something is missing), then .venv with this project installed (editable)
# with its test and lint extras. Safe to run again: it only adds what is
# missing. Needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    python3 python3-venv python3-dev build-essential  # .venv, sdists
    libev-dev                                          # bjoern (exordos_metapaas)
    awscli rclone s3cmd                                # S3 clients the tests drive
    wrk                                                # bench/run.py load generator
    curl jq                                            # the README quick start
    shellcheck packer systemd                          # script/template/unit checks
    debootstrap e2fsprogs zstd git ca-certificates     # image smoke test
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    echo "setup: apt-get install ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e '.[test,lint]'
echo "setup: .venv ready ($(.venv/bin/python --version))"
