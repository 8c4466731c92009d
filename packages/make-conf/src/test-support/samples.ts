/** make.conf files as found on real systems, for tests. */

/** A current amd64 stage3 (catalyst) /etc/portage/make.conf. */
export const STAGE3_AMD64 = `# These settings were set by the catalyst build script that automatically
# built this stage.
# Please consult /usr/share/portage/config/make.conf.example for a more
# detailed example.
COMMON_FLAGS="-O2 -pipe"
CFLAGS="\${COMMON_FLAGS}"
CXXFLAGS="\${COMMON_FLAGS}"
FCFLAGS="\${COMMON_FLAGS}"
FFLAGS="\${COMMON_FLAGS}"

# NOTE: This stage was built with the bindist USE flag enabled

# This sets the language of build output to English.
# Please keep this setting intact when reporting bugs.
LC_MESSAGES=C.utf8
`;

/** A 2007 x86 /etc/make.conf in the style of the HOWTO's era. */
export const LEGACY_2007 = `# These settings were set by the catalyst build script that automatically built this stage
# Please consult /etc/make.conf.example for a more detailed example
CFLAGS="-O2 -march=i686 -pipe"
CHOST="i686-pc-linux-gnu"
CXXFLAGS="\${CFLAGS}"
MAKEOPTS="-j2"
USE="X alsa gtk -kde -qt3 -qt4 nptl \\
\tmmx sse sse2 unicode"

GENTOO_MIRRORS="http://distfiles.gentoo.org http://www.ibiblio.org/pub/Linux/distributions/gentoo"
SYNC="rsync://rsync.gentoo.org/gentoo-portage"
FEATURES="parallel-fetch -buildpkg" # no binary packages for now
PORTDIR_OVERLAY="/usr/local/portage"
`;

/** Sourcing, single quotes, bare values, exports, trailing comments, and no final newline. */
export const ODD_STYLES = `source /var/lib/layman/make.conf
export MAKEOPTS='-j4 -l4'
ACCEPT_LICENSE="-* @FREE"
VIDEO_CARDS=vesa
# multi-line value with the closing quote on its own line
USE="
  acl bzip2
  -gtk
"
EMERGE_DEFAULT_OPTS="--jobs=2"   # keep it low
PORTAGE_ELOG_CLASSES='warn error'
PKGDIR=/var/cache/binpkgs
source "\${PORTDIR_OVERLAY}/make.conf.local"
GRUB_PLATFORMS="pc"`;

export const CRLF_SAMPLE = 'CFLAGS="-O2 -pipe"\r\nCXXFLAGS="${CFLAGS}"\r\n# comment\r\nUSE="a b"\r\n';
