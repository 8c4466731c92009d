#!/bin/sh
# Installs what the stage3 container test (tests/integration/container.test.ts) uses: podman and
# runc from Debian (no recommends: no rootless helpers, no network plugins; the test runs podman
# as root with --network none). The test brings its own containers.conf (CONTAINERS_CONF: runc,
# cgroupfs, no default ulimits) and storage (vfs under a temporary directory), so nothing of
# this machine's container configuration is changed. Where podman still cannot run, the test
# takes its chroot fallback and says so in its name. Idempotent.
set -eu
if command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1; then exit 0; fi
. "$(dirname "$0")/lib.sh"
apt_install podman runc ||
  echo "container.sh: podman could not be installed; the container test takes its chroot fallback" >&2
