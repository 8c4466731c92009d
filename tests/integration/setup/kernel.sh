#!/usr/bin/env bash
# Provide an unpacked Linux 6.1 source tree for the kernel integration tests.
#
# Usage: tests/integration/setup/kernel.sh
#   Installs Debian's linux-source-6.1 (and the host tools Kconfig and a kernel build need)
#   with apt-get when missing, unpacks the tarball once into $XG_CACHE (default: <repo>/.cache)
#   and prints the absolute path of the tree on stdout. Everything else goes to stderr.
#   Safe to run any number of times: a finished unpack is marked with a stamp file and reused.
#
# Environment:
#   XG_CACHE           cache directory (default <repo>/.cache, git-ignored)
#   XG_KERNEL_PACKAGE  Debian source package (default linux-source-6.1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cache=${XG_CACHE:-$repo/.cache}
package=${XG_KERNEL_PACKAGE:-linux-source-6.1}
series=${package#linux-source-}
tools=(make gcc flex bison bc xz-utils libelf-dev libssl-dev binutils)

log() { printf 'kernel.sh: %s\n' "$*" >&2; }

missing=()
dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
for t in "${tools[@]}"; do
  dpkg-query -W -f='${Status}\n' "$t" 2>/dev/null | grep -q 'install ok installed' || missing+=("$t")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    log "apt-get update (package lists do not know $package)"
    apt-get update -qq >&2
  fi
  log "apt-get install ${missing[*]}"
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    log 'install failed; refreshing package lists and retrying once'
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi

tarball=$(ls /usr/src/"$package".tar.* 2>/dev/null | head -n1 || true)
[[ -n "$tarball" ]] || { log "no /usr/src/$package.tar.* after installing $package"; exit 1; }
version=$(dpkg-query -W -f='${Version}' "$package")
dest=$cache/linux-$series-$version
stamp=$dest/.xg-unpacked

mkdir -p "$cache"
exec 9>"$cache/.kernel-setup.lock"
flock 9
if [[ ! -f "$stamp" ]]; then
  log "unpacking $tarball into $dest"
  tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  tar -xf "$tarball" -C "$tmp" --strip-components=1
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  printf '%s\n' "$version" >"$stamp"
fi
printf '%s\n' "$dest"
