EAPI=8
DESCRIPTION="xen-tools"
SLOT="0"
KEYWORDS="amd64 ~arm ~arm64 x86"
IUSE="api debug doc +hvm +ipxe ocaml ovmf pygrub python +qemu +qemu-traditional +rombios screen sdl selinux static-libs system-ipxe system-qemu system-seabios systemd"
