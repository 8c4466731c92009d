DESCRIPTION="glibc"
SLOT="0"
KEYWORDS="~alpha amd64 arm hppa ia64 ppc ppc64 sh sparc x86"
IUSE="build glibc-compat20 glibc-omitfp hardened multilib nls nptl nptlonly profile selinux userlocales"
