#!/bin/sh
# Prepare Xen's toolstack for the domU boot test: the dom0 that QEMU boots runs the real xl.
#
#   tests/integration/setup/domu.sh [--print]
#
# Downloads and extracts (never installs: they would start Xen's daemons on this machine)
# Debian's xen-utils-4.17, xen-utils-common, xenstore-utils, the libxen* libraries of the same
# version, and every library those need (libc6 included, so the dom0 initramfs does not depend
# on this machine's own libraries), bash (the hotplug scripts are bash) and util-linux (flock:
# the hotplug scripts lock with it; busybox has none), into $XG_CACHE/domu/debs and
# $XG_CACHE/domu/root. XG_CACHE defaults to <repo>/.cache (git-ignored). About 12 MB.
#
# Idempotent. --print only prints the path (exit 1 when something is missing).
# The last line of output is XG_DOMU_ROOT=DIR (see tests/integration/boot/domu.ts).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
repo=$(cd "$here/../../.." && pwd)
cache=${XG_CACHE:-$repo/.cache}
debs=$cache/domu/debs
root=$cache/domu/root
print_only=no
[ "${1:-}" = --print ] && print_only=yes

packages="xen-utils-4.17 xen-utils-common xenstore-utils
  libxenmisc4.17 libxenstore4 libxencall1 libxenforeignmemory1 libxengnttab1 libxenevtchn1
  libxentoollog1 libxentoolcore1 libxendevicemodel1 libxenhypfs1
  libyajl2 libgcc-s1 libc6 libext2fs2 libcom-err2 libuuid1 liblzma5 libzstd1 zlib1g
  libncurses6 libtinfo6 libbz2-1.0 liblzo2-2 libnl-3-200 libnl-route-3-200 libfdt1
  bash util-linux"

status=0
for p in $packages; do
  extract_deb "$p" "$debs" "$root" "$print_only" || status=1
done
[ "$status" = 0 ] || exit 1
echo "XG_DOMU_ROOT=$root"
