# Copyright 2026 xen-gentoo authors
# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit git-r3

DESCRIPTION="Turns a Gentoo install into a Xen host, following the HOWTO Xen and Gentoo"
HOMEPAGE="https://github.com/xen-gentoo/xen-gentoo"
EGIT_REPO_URI="https://github.com/xen-gentoo/xen-gentoo.git"

LICENSE="GPL-2"
SLOT="0"
# Building fetches the npm dependencies with pnpm, so the network is needed at build time.
PROPERTIES="live"
RESTRICT="network-sandbox test"

RDEPEND=">=net-libs/nodejs-20.12"
BDEPEND="${RDEPEND}"

src_compile() {
	npx --yes pnpm@10.34.9 install --frozen-lockfile || die
	npx --yes pnpm@10.34.9 build || die
	npx --yes pnpm@10.34.9 --filter @xen-gentoo/cli deploy --prod "${T}/deploy" || die
}

src_install() {
	insinto /usr/lib/xen-gentoo
	doins -r "${T}"/deploy/.
	fperms 0755 /usr/lib/xen-gentoo/bin/run.js
	dosym ../lib/xen-gentoo/bin/run.js /usr/bin/xen-gentoo
	dodoc README.md
}
