#!/bin/sh
# reiserfsprogs (mkreiserfs, debugreiserfs) for the reiserfs guest image test: Debian's package,
# downloaded and extracted into $XG_CACHE/reiserfs (never installed). XG_CACHE defaults to
# <repo>/.cache (git-ignored). Idempotent. The last line of output is XG_REISERFS_ROOT=DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${XG_CACHE:-$repo/.cache}
dir=$cache/reiserfs
if [ ! -x "$dir/root/sbin/mkreiserfs" ]; then
  mkdir -p "$dir/debs" "$dir/root"
  deb=$(ls "$dir/debs"/reiserfsprogs_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    if ! (cd "$dir/debs" && apt-get download reiserfsprogs >&2); then
      apt-get -o DPkg::Lock::Timeout=900 update >&2
      (cd "$dir/debs" && apt-get download reiserfsprogs >&2)
    fi
    deb=$(ls "$dir/debs"/reiserfsprogs_*.deb | head -n 1)
  fi
  dpkg-deb -x "$deb" "$dir/root"
fi
echo "XG_REISERFS_ROOT=$dir/root"
