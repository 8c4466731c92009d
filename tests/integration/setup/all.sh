#!/usr/bin/env bash
# Installs and unpacks what the integration tests use: the kernel's own Kconfig (Debian's
# linux-source-6.1), GRUB tools, QEMU, and Debian's Xen, kernel, busybox and syslinux files
# (extracted, never installed). Idempotent; safe to run again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# tmux: the wizard's terminal test drives a real terminal with it.
if ! command -v tmux >/dev/null 2>&1; then
  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux
fi
# The guest image tests: tar, xz, e2fsprogs (mke2fs -d, debugfs, e2fsck), mkswap, openssl passwd;
# doctor's kernel image test: readelf (binutils) as the judge of the Xen notes it reads.
missing=()
for tool in tar:tar xz:xz-utils mke2fs:e2fsprogs debugfs:e2fsprogs mkswap:util-linux openssl:openssl readelf:binutils; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
for script in "$here"/kernel.sh "$here"/boot.sh "$here"/release.sh "$here"/container.sh "$here"/domu.sh "$here"/reiserfs.sh "$here"/networkd.sh; do
  if [ -f "$script" ]; then
    echo "== $(basename "$script")"
    bash "$script"
  fi
done
