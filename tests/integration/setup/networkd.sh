#!/bin/sh
# Installs what the systemd-networkd test (tests/integration/networkd.test.ts) uses: Debian's
# systemd-networkd (package systemd; the test runs the daemon, never the service, inside a
# network namespace of its own), ip from iproute2 and unshare from util-linux. Idempotent.
set -eu
if [ -x /lib/systemd/systemd-networkd ] && command -v ip >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/lib.sh"
apt_install systemd iproute2 util-linux
