# Copyright 2026 xen-gentoo authors
# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit shell-completion

DESCRIPTION="Turns a Gentoo install into a Xen host, following the HOWTO Xen and Gentoo"
HOMEPAGE="https://github.com/xen-gentoo/xen-gentoo"
# The release tarball (made by scripts/release.mjs): one JavaScript file with every dependency
# bundled, so nothing is fetched or built here.
SRC_URI="https://github.com/xen-gentoo/xen-gentoo/releases/download/v${PV}/${P}.tar.gz"

# The tool is GPL-2; the bundled libraries are MIT, ISC, Apache-2.0 (ejs, human-signals),
# BlueOak-1.0.0 (minimatch) and BSD (diff).
LICENSE="GPL-2 Apache-2.0 BlueOak-1.0.0 BSD ISC MIT"
SLOT="0"
KEYWORDS="~amd64 ~x86"
RESTRICT="test"

RDEPEND=">=net-libs/nodejs-20.12"

src_compile() {
	:
}

src_install() {
	insinto /usr/lib/xen-gentoo
	doins xen-gentoo.cjs
	fperms 0755 /usr/lib/xen-gentoo/xen-gentoo.cjs
	dosym -r /usr/lib/xen-gentoo/xen-gentoo.cjs /usr/bin/xen-gentoo
	doman xen-gentoo.8
	newbashcomp completions/xen-gentoo.bash xen-gentoo
	dozshcomp completions/_xen-gentoo
	dodoc README.md
}
