#!/bin/sh
# Installs what the systemd-networkd test (tests/integration/networkd.test.ts) uses: Debian's
# systemd-networkd (package systemd; the test runs the daemon, never the service, inside a
# network namespace of its own), ip from iproute2 and unshare from util-linux. Idempotent.
set -eu
if [ -x /lib/systemd/systemd-networkd ] && command -v ip >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1; then
  exit 0
fi
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
pkgs="systemd iproute2 util-linux"
install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends $pkgs >&2
}
if ! install; then
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
  install
fi
