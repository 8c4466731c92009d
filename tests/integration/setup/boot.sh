#!/bin/sh
# Prepare the real components the boot-loader integration tests need.
#
#   tests/integration/setup/boot.sh [--print]
#
# Installs (safe, nothing hooks into this machine's own boot):
#   qemu-system-x86 ipxe-qemu seabios grub-common grub-pc-bin xorriso mtools
#   and, for the UEFI boots: ovmf (firmware only), grub-efi-amd64-bin (GRUB's x86_64-efi
#   platform files, no boot hooks), dosfstools (mkfs.vfat), efibootmgr (its option parser is
#   checked; it never runs against this machine's firmware)
# Downloads and extracts (never installs: they would hook into this machine's boot):
#   xen-hypervisor-4.17-amd64, the linux-image-6.1.0-*-amd64 that linux-image-amd64 depends on,
#   busybox-static, pxelinux, syslinux-common
# into $XG_CACHE/boot/debs (the .deb files) and $XG_CACHE/boot/root (dpkg -x of each).
# XG_CACHE defaults to <repo>/.cache (git-ignored).
#
# Idempotent: a second run with everything present does nothing but print the paths.
# --print only prints the paths (exit 1 when something is missing), without installing anything.
# The last lines of output are KEY=VALUE pairs the tests read (see tests/integration/boot/parts.ts).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
repo=$(cd "$here/../../.." && pwd)
cache=${XG_CACHE:-$repo/.cache}
debs=$cache/boot/debs
root=$cache/boot/root
print_only=no
[ "${1:-}" = --print ] && print_only=yes

tools="qemu-system-x86_64 grub-script-check grub-mkrescue xorriso mformat mcopy mkfs.vfat efibootmgr"
tool_pkgs="qemu-system-x86 ipxe-qemu seabios grub-common grub-pc-bin xorriso mtools ovmf grub-efi-amd64-bin dosfstools efibootmgr"
ovmf=/usr/share/ovmf/OVMF.fd

missing_tools() {
  for t in $tools; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done
  # grub-mkrescue needs the i386-pc platform files from grub-pc-bin.
  [ -d /usr/lib/grub/i386-pc ] || echo grub-pc-bin
  # QEMU's network boot needs the e1000 option ROM.
  [ -f /usr/lib/ipxe/qemu/efi-e1000.rom ] || echo ipxe-qemu
  # The UEFI boots: OVMF, and GRUB's x86_64-efi files (grub-mkrescue then makes a hybrid image).
  [ -f "$ovmf" ] || echo ovmf
  [ -d /usr/lib/grub/x86_64-efi ] || echo grub-efi-amd64-bin
}

if [ "$print_only" = no ] && [ -n "$(missing_tools)" ]; then
  echo "installing: $tool_pkgs" >&2
  apt_install $tool_pkgs
fi

# The kernel image package that linux-image-amd64 currently depends on.
kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then
  # No apt metadata: fall back to what was extracted before.
  kpkg=$(cd "$root" 2>/dev/null && ls -d .done-linux-image-* 2>/dev/null | sed 's/^\.done-//' | head -n 1 || true)
fi
[ -n "$kpkg" ] || { echo "cannot tell which linux-image package linux-image-amd64 depends on" >&2; exit 1; }

status=0
for p in xen-hypervisor-4.17-amd64 "$kpkg" busybox-static pxelinux syslinux-common; do
  extract_deb "$p" "$debs" "$root" "$print_only" || status=1
done
[ "$status" = 0 ] || exit 1

kver=${kpkg#linux-image-}
xen=$(ls "$root"/boot/xen-4.17-amd64.gz 2>/dev/null || ls "$root"/boot/xen-*.gz | head -n 1)
xen_efi=$(ls "$root"/boot/xen-4.17-amd64.efi 2>/dev/null || ls "$root"/boot/xen-*.efi | head -n 1)

echo "XG_BOOT_ROOT=$root"
echo "XG_XEN=$xen"
echo "XG_KERNEL_VERSION=$kver"
echo "XG_VMLINUZ=$root/boot/vmlinuz-$kver"
echo "XG_MODULES=$root/lib/modules/$kver"
echo "XG_BUSYBOX=$root/bin/busybox"
echo "XG_PXELINUX=$root/usr/lib/PXELINUX/pxelinux.0"
echo "XG_SYSLINUX_MODULES=$root/usr/lib/syslinux/modules/bios"
echo "XG_XEN_EFI=$xen_efi"
echo "XG_OVMF=$ovmf"
