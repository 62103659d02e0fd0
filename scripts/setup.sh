#!/usr/bin/env bash
# Prepare a fresh Debian 12 machine for running the stand and the tests:
# system packages with apt-get, then a virtualenv in .venv with this project
# installed (editable) and its test and lint extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libev-dev awscli rclone s3cmd shellcheck debootstrap)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e '.[test,lint]'
