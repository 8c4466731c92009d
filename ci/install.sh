#!/bin/sh
# Installs Node.js and xen-gentoo in a Gentoo stage3 (ci/Containerfile's RUN step).
# Usage: install.sh DIR   (DIR holds the release tarball xen-gentoo-VERSION.tar.gz)
set -eu
dir=$1
# Node.js 20.12 or later: Gentoo's binary package (getuto sets up the binhost's signing keys);
# emerge builds it from source only where the binhost has no package for this profile.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 12) ? 0 : 1)' 2>/dev/null; then
  if command -v getuto >/dev/null 2>&1; then getuto; fi
  emerge --quiet --oneshot --getbinpkg --binpkg-respect-use=y '>=net-libs/nodejs-20.12'
fi
# The tool: what app-emulation/xen-gentoo's ebuild installs, from the same tarball.
set -- "$dir"/xen-gentoo-*.tar.gz
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
  echo "install.sh: expected one xen-gentoo-VERSION.tar.gz in $dir" >&2
  exit 2
fi
mkdir -p /usr/lib/xen-gentoo
tar -xzf "$1" -C /usr/lib/xen-gentoo --strip-components=1
chmod 0755 /usr/lib/xen-gentoo/xen-gentoo.cjs
ln -sfn ../lib/xen-gentoo/xen-gentoo.cjs /usr/bin/xen-gentoo
xen-gentoo --version
