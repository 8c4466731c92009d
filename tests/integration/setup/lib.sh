# Functions the set-up scripts share; sourced (POSIX sh), it runs nothing itself. Every name
# a function sets starts with `lib_`, so that a script's own variables are left alone.

# Run a command as root (through sudo when this is not root already).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Update the package lists (waiting for another apt to finish); a failure is not fatal: the
# next install or download says what is wrong.
apt_update() {
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || true
}

# apt_install PKG...: install Debian packages without their recommends; when that fails, update
# the package lists and try once more (the status of that second try is returned).
apt_install() {
  lib_apt_install "$@" && return 0
  apt_update
  lib_apt_install "$@"
}
lib_apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends "$@" >&2
}

# deb_file PKG DIR: print the path of PKG's .deb in DIR, downloading it first when there is none
# (updating the package lists and trying again when the download fails).
deb_file() {
  lib_deb=$(ls "$2/${1}_"*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$lib_deb" ]; then
    echo "downloading: $1" >&2
    if ! (cd "$2" && apt-get download "$1" >&2); then
      apt_update
      (cd "$2" && apt-get download "$1" >&2) || return 1
    fi
    lib_deb=$(ls "$2/${1}_"*.deb | head -n 1) || return 1
  fi
  echo "$lib_deb"
}

# extract_deb PKG DEBS ROOT [PRINT_ONLY]: PKG's files under ROOT (dpkg-deb -x of its .deb, kept
# in DEBS), once: ROOT/.done-PKG marks it done. With PRINT_ONLY = yes nothing is downloaded or
# written: a package not done yet is named on stderr and the status is 1.
extract_deb() {
  [ -f "$3/.done-$1" ] && return 0
  [ "${4:-no}" = yes ] && { echo "missing: $1" >&2; return 1; }
  mkdir -p "$2" "$3"
  lib_deb=$(deb_file "$1" "$2") || return 1
  dpkg-deb -x "$lib_deb" "$3" || return 1
  : >"$3/.done-$1"
}
