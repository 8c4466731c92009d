ETYPE="sources"
UNIPATCH_STRICTORDER="1"
inherit kernel-2
detect_version

DESCRIPTION="Full sources for a dom0/domU Linux kernel to run under Xen"
HOMEPAGE="http://xen.org/"
SLOT="${PVR}"
KEYWORDS="~x86 ~amd64"
IUSE=""
