#!/bin/sh
# Copy the dom0 and domU kernel configurations from an older source tree into this one,
# then run: make0 oldconfig && makeU oldconfig
# (from the Gentoo wiki "HOWTO Xen and Gentoo"; the second cp is chained with && here, so a
#  failed copy stops the script with a non-zero status)
set -e
DIR="$1"
[ -n "$DIR" ] || { echo "usage: copy-config OLD_SOURCE_DIR" >&2; exit 2; }
DIR0=_dom0
DIRU=_domU
mkdir -p "${DIR0}" "${DIRU}" && \
cp "$DIR/${DIR0}/.config" "${DIR0}/" && \
cp "$DIR/${DIRU}/.config" "${DIRU}/"
