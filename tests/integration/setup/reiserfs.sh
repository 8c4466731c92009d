#!/bin/sh
# reiserfsprogs (mkreiserfs, debugreiserfs) for the reiserfs guest image test: Debian's package,
# downloaded and extracted into $XG_CACHE/reiserfs (never installed). XG_CACHE defaults to
# <repo>/.cache (git-ignored). Idempotent. The last line of output is XG_REISERFS_ROOT=DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
repo=$(cd "$here/../../.." && pwd)
cache=${XG_CACHE:-$repo/.cache}
dir=$cache/reiserfs
if [ ! -x "$dir/root/sbin/mkreiserfs" ]; then
  mkdir -p "$dir/debs" "$dir/root"
  deb=$(deb_file reiserfsprogs "$dir/debs")
  dpkg-deb -x "$deb" "$dir/root"
fi
echo "XG_REISERFS_ROOT=$dir/root"
