EAPI=8
DESCRIPTION="Gentoo automatic kernel building scripts"
SLOT="0"
KEYWORDS="~alpha amd64 arm arm64 hppa ~mips ppc ppc64 ~riscv ~s390 sparc x86"
IUSE="ibm +firmware"
