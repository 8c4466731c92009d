DESCRIPTION="xen-tools"
SLOT="0"
KEYWORDS="~amd64 ~x86"
IUSE="debug doc hvm pygrub screen custom-cflags"
