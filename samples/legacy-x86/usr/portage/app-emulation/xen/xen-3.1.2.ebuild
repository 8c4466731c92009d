DESCRIPTION="xen"
SLOT="0"
KEYWORDS="~amd64 ~x86"
IUSE="debug hvm pae acm flask"
