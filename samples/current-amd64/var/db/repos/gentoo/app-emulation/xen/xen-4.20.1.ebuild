EAPI=8
DESCRIPTION="xen"
SLOT="0"
KEYWORDS="~amd64 ~arm -x86"
IUSE="+boot-symlinks debug uefi flask"
