/**
 * The kernel options of the HOWTO ("Domain 0 Kernel Configuration", "Miscellaneous Dom0
 * Options", "Domain U Kernel Configuration", the Troubleshooting serial console and the
 * "Required Modules") as `.config` fragments, for the two kinds of kernel a Gentoo host can
 * have:
 *
 * - `xenlinux`: the 2.6.x-xen trees of `sys-kernel/xen-sources` (the XenLinux patch set), whose
 *   symbols the HOWTO's dialogues show (XEN_PRIVILEGED_GUEST, X86_XEN, XEN_NETDEV_LOOPBACK …);
 * - `mainline`: a current kernel (checked against Linux 6.1), where Xen support is part of
 *   Linux and several XenLinux options no longer exist.
 *
 * Every option line of those dialogues is listed in `HOWTO_KERNEL_OPTIONS`; a fragment either
 * sets symbols for it (each item names the HOWTO lines it comes from) or lists it in
 * `unmapped` with the reason. Nothing of the HOWTO is left out silently.
 */

export type KernelEra = 'xenlinux' | 'mainline';
export type KernelRole = 'dom0' | 'domU';
/** Gentoo's keyword for the kernel's word size: `x86` is 32-bit, `amd64` is 64-bit. */
export type KernelArch = 'x86' | 'amd64';

/** The HOWTO's dialogue titles (exact text of the HOWTO's boxes). */
export const DIALOGUES = {
  enable64: 'Linux Kernel Configuration: Enabling Xen (64 bit)',
  enable32: 'Linux Kernel Configuration: Enabling Xen (32 bit)',
  dom0: 'Linux Kernel Configuration: Dialogue For Xen (as of 2.6.20-xen-r4)',
  dom0Old: 'Linux Kernel Configuration: Dialogue For Xen (old)',
  dom0Text: 'Domain 0 Kernel Configuration',
  misc: 'Linux Kernel Configuration: Miscellaneous Dom0 Options',
  domU: 'Linux Kernel Configuration: DomU Configuration (as of 2.6.20-xen-r4)',
  domUOld: 'Linux Kernel Configuration: DomU Configuration (old)',
  serial: 'Linux Kernel Configuration: Console on serial port',
  modules: 'Required Modules',
} as const;
export type Dialogue = (typeof DIALOGUES)[keyof typeof DIALOGUES];

/** Where in the HOWTO a fragment item comes from. */
export interface HowtoRef {
  dialogue: Dialogue;
  /** The option's menu text exactly as the HOWTO prints it. */
  text: string;
}

/** One symbol the fragment asks for. */
export interface FragmentItem {
  symbol: string;
  /** `.config` syntax: `y`, `m`, `n`, a quoted string or a number. */
  value: string;
  /** The HOWTO's menu lines this value comes from (at least one). */
  howto: HowtoRef[];
  /** Why the symbol is there when it is not the HOWTO's own option (a dependency, a rename …). */
  note?: string;
}

/** A HOWTO option that sets nothing in this fragment, and why. */
export interface UnmappedOption {
  howtoText: string;
  dialogue: Dialogue;
  reason: string;
}

export interface Fragment {
  era: KernelEra;
  role: KernelRole;
  arch: KernelArch;
  items: FragmentItem[];
  unmapped: UnmappedOption[];
  /** Set when this kernel cannot be made at all (a 32-bit mainline Xen PV kernel). */
  refusal?: string;
}

export interface FragmentOptions {
  era: KernelEra;
  role: KernelRole;
  arch: KernelArch;
  /**
   * The Troubleshooting section's "Console on 8250/16550" option. Default: on for mainline;
   * off for xenlinux, where the dialogues' "[*] Disable serial port drivers" lets the Xen
   * console driver provide ttyS0 instead.
   */
  serialConsole?: boolean;
}

type Ctx = Required<FragmentOptions>;
type Setting = readonly [symbol: string, value: string, note?: string];
/**
 * What one HOWTO line sets, or why it sets nothing. `except` names a part of the line this
 * kernel cannot give (reported as unmapped, under the line's text with the part in brackets).
 */
type Mapping =
  { set: Setting[]; note?: string; except?: { part: string; reason: string } } | { unmapped: string };
type Mapper = (ctx: Ctx) => Mapping;

/** One option line of the HOWTO's kernel dialogues. */
export interface HowtoKernelOption {
  dialogue: Dialogue;
  text: string;
  /** The kernels the dialogue configures. */
  roles: readonly KernelRole[];
  /** Menus above the option, as the HOWTO shows them. */
  path?: string;
  xenlinux: Mapper;
  mainline: Mapper;
}

// ---------------------------------------------------------------------------------------------
// Reasons shared by several options.

const BLKTAP =
  'blktap belonged to the XenLinux patch set and was never merged into mainline Linux; ' +
  "today Xen serves image files through QEMU's qdisk backend (xen-tools) or blkback on a loop device";
const NO_SERIAL_DISABLE =
  'XenLinux-only option; mainline has no such switch. Xen owns the UART (com1=), the dom0 ' +
  'console is hvc0 (CONFIG_HVC_XEN, requested with "Enable Xen compatible kernel"), and the ' +
  '8250 drivers stay';
const NO_COMPAT = 'mainline Linux has no interface-version choice: it talks to every Xen it supports';
const NOT_SET_ALREADY_OFF = 'it was off in the HOWTO, and mainline has no such option';
const PCI_FRONTEND_32 =
  'no prompt in the 32-bit xen-sources tree: Kconfig turns it on with the PCI access mode "Any" ' +
  '(the default) or "Xen PCI Frontend"';

function refsTo(text: string): string {
  return `superseded by the 2.6.20-xen-r4 dialogue, which the fragment follows: ${text}`;
}

/** "Enable Xen compatible kernel" and the 32-bit "Subarchitecture Type (Xen-compatible)". */
function enableXen(ctx: Ctx, from: '64' | '32'): Mapping {
  if (ctx.era === 'xenlinux') {
    if (ctx.arch === 'amd64') {
      return {
        set: [['X86_64_XEN', 'y']],
        ...(from === '32'
          ? { note: 'the 64-bit tree has no Xen subarchitecture; X86_64_XEN is its counterpart' }
          : {}),
      };
    }
    return {
      set: [['X86_XEN', 'y']],
      ...(from === '64' ? { note: 'on 32-bit x86 Xen is the subarchitecture choice X86_XEN' } : {}),
    };
  }
  const set: Setting[] = [];
  if (ctx.arch === 'amd64') set.push(['64BIT', 'y', 'a 64-bit kernel (Xen PV needs X86_64)']);
  set.push(
    ['HYPERVISOR_GUEST', 'y', 'menu "Linux guest support", parent of XEN'],
    ['PARAVIRT', 'y', 'parent of XEN'],
    ['XEN', 'y', 'Xen guest support'],
    ['XEN_PV', 'y', 'classic paravirtualised guest, as the HOWTO runs its kernels'],
  );
  if (ctx.arch === 'amd64') set.push(['XEN_PVH', 'y', 'also lets the same kernel boot as a PVH guest']);
  set.push(['HVC_XEN', 'y', 'the Xen console (hvc0)']);
  return { set };
}

function enable32(ctx: Ctx): Mapping {
  if (ctx.arch === 'amd64' && ctx.era === 'xenlinux') {
    return {
      unmapped: 'the 32-bit dialogue; this is a 64-bit kernel, enabled by "[*] Enable Xen compatible kernel"',
    };
  }
  if (ctx.arch === 'amd64') {
    return { unmapped: 'the 32-bit dialogue; this is a 64-bit kernel (mainline has no Xen subarchitecture)' };
  }
  return enableXen(ctx, '32');
}

function enable64(ctx: Ctx): Mapping {
  if (ctx.arch === 'x86') {
    return {
      unmapped:
        'the 64-bit dialogue; this is a 32-bit kernel, enabled by "Subarchitecture Type (Xen-compatible)"',
    };
  }
  return enableXen(ctx, '64');
}

const both = (xenlinux: Mapper, mainline: Mapper = xenlinux) => ({ xenlinux, mainline });
const set =
  (...settings: Setting[]): Mapper =>
  () => ({ set: settings });
const unmapped =
  (reason: string): Mapper =>
  () => ({ unmapped: reason });

const privileged = (value: 'y' | 'n') => ({
  xenlinux: set(['XEN_PRIVILEGED_GUEST', value]),
  mainline: (): Mapping =>
    value === 'n'
      ? { set: [['XEN_DOM0', 'n', 'XEN_DOM0 defaults to XEN_PV, so it must be switched off explicitly']] }
      : {
          set: [
            ['ACPI', 'y', 'dependency of XEN_DOM0'],
            ['PCI', 'y', 'dependency of XEN_DOM0'],
            ['XEN_DOM0', 'y'],
            ['XEN_DEV_EVTCHN', 'y', 'not in the HOWTO: /dev/xen/evtchn, opened by xenstored and xl'],
            ['XENFS', 'y', 'not in the HOWTO: /proc/xen for the toolstack'],
            ['XEN_COMPAT_XENFS', 'y', 'not in the HOWTO: /proc/xen mount point'],
            ['XEN_PRIVCMD', 'y', 'not in the HOWTO: /dev/xen/privcmd for the toolstack'],
            ['XEN_GNTDEV', 'y', 'not in the HOWTO: /dev/xen/gntdev for qemu and xenstored'],
            ['XEN_GRANT_DEV_ALLOC', 'y', 'not in the HOWTO: /dev/xen/gntalloc'],
          ],
          note: 'renamed XEN_PRIVILEGED_GUEST → XEN_DOM0; a modern toolstack also needs the Xen device drivers',
        },
});
const backend = (value: 'y' | 'n') => ({
  xenlinux: set(['XEN_BACKEND', value]),
  mainline:
    value === 'n'
      ? set(['XEN_BACKEND', 'n', 'XEN_BACKEND defaults to XEN_DOM0; switched off explicitly'])
      : set(['XEN_BACKEND', 'y', 'now a bool: backends are built in or modules on their own']),
});
const blkBackend = (value: 'y' | 'n') => ({
  xenlinux: set(['XEN_BLKDEV_BACKEND', value]),
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['BLK_DEV', 'y', 'menu "Block devices", parent of XEN_BLKDEV_BACKEND'],
            ['XEN_BLKDEV_BACKEND', 'y'],
          ],
        }
      : { set: [['XEN_BLKDEV_BACKEND', 'n']] },
});
const netBackend = (value: 'y' | 'n') => ({
  xenlinux: set(['XEN_NETDEV_BACKEND', value]),
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['NETDEVICES', 'y', 'parent of XEN_NETDEV_BACKEND'],
            ['XEN_NETDEV_BACKEND', 'y'],
          ],
        }
      : { set: [['XEN_NETDEV_BACKEND', 'n']] },
});
const pipelined = both(
  set(['XEN_NETDEV_PIPELINED_TRANSMITTER', 'n']),
  unmapped(`no pipelined transmitter in mainline netback; ${NOT_SET_ALREADY_OFF}`),
);
const netloop = both(
  set(['XEN_NETDEV_LOOPBACK', 'y']),
  unmapped(
    "the network-device loopback driver (netloop) belonged to XenLinux and served xend's network-bridge script; mainline netback does not need it",
  ),
);
const tpmBackend = both(
  set(['XEN_TPMDEV_BACKEND', 'n']),
  unmapped(`no TPM backend driver in mainline Linux (vTPMs run in stub domains); ${NOT_SET_ALREADY_OFF}`),
);
const blkFrontend = (value: 'y' | 'n') => ({
  xenlinux: set(['XEN_BLKDEV_FRONTEND', value]),
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['BLK_DEV', 'y', 'menu "Block devices", parent of XEN_BLKDEV_FRONTEND'],
            ['XEN_BLKDEV_FRONTEND', 'y'],
          ],
        }
      : { set: [['XEN_BLKDEV_FRONTEND', 'n', 'defaults to y once XEN=y; switched off explicitly']] },
});
const netFrontend = (value: 'y' | 'n') => ({
  xenlinux: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['NET', 'y', 'XEN_NETDEV_FRONTEND depends on NET'],
            ['XEN_NETDEV_FRONTEND', 'y'],
          ],
        }
      : { set: [['XEN_NETDEV_FRONTEND', 'n']] },
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['NETDEVICES', 'y', 'parent of XEN_NETDEV_FRONTEND'],
            ['XEN_NETDEV_FRONTEND', 'y'],
          ],
        }
      : { set: [['XEN_NETDEV_FRONTEND', 'n', 'defaults to y once XEN=y; switched off explicitly']] },
});
const fbFrontend = (value: 'y' | 'n') => ({
  xenlinux: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['FB', 'y', 'XEN_FRAMEBUFFER depends on FB'],
            ['XEN_FRAMEBUFFER', 'y'],
          ],
        }
      : { set: [['XEN_FRAMEBUFFER', 'n']] },
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['FB', 'y', 'XEN_FBDEV_FRONTEND depends on FB, which defconfig leaves off'],
            ['XEN_FBDEV_FRONTEND', 'y'],
          ],
          note: 'renamed XEN_FRAMEBUFFER → XEN_FBDEV_FRONTEND',
        }
      : { set: [['XEN_FBDEV_FRONTEND', 'n', 'renamed from XEN_FRAMEBUFFER; defaults to y once XEN=y']] },
});
const kbdFrontend = (value: 'y' | 'n') => ({
  xenlinux: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['INPUT', 'y', 'XEN_KEYBOARD depends on INPUT'],
            ['XEN_KEYBOARD', 'y'],
          ],
        }
      : { set: [['XEN_KEYBOARD', 'n']] },
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['INPUT', 'y', 'parent of INPUT_MISC'],
            ['INPUT_MISC', 'y', 'INPUT_XEN_KBDDEV_FRONTEND depends on INPUT_MISC'],
            ['INPUT_XEN_KBDDEV_FRONTEND', 'y'],
          ],
          note: 'renamed XEN_KEYBOARD → INPUT_XEN_KBDDEV_FRONTEND',
        }
      : { set: [['INPUT_XEN_KBDDEV_FRONTEND', 'n', 'renamed from XEN_KEYBOARD; defaults to y once XEN=y']] },
});
const pciFrontend = (value: 'y' | 'n') => ({
  xenlinux: (ctx: Ctx): Mapping =>
    value === 'y'
      ? {
          set: [
            ['PCI', 'y', 'parent of XEN_PCIDEV_FRONTEND'],
            ctx.arch === 'x86' ? ['XEN_PCIDEV_FRONTEND', 'y', PCI_FRONTEND_32] : ['XEN_PCIDEV_FRONTEND', 'y'],
          ],
        }
      : { set: [['XEN_PCIDEV_FRONTEND', 'n']] },
  mainline: (): Mapping =>
    value === 'y'
      ? {
          set: [
            ['PCI', 'y', 'parent of XEN_PCIDEV_FRONTEND'],
            ['XEN_PCIDEV_FRONTEND', 'y'],
          ],
        }
      : { set: [['XEN_PCIDEV_FRONTEND', 'n', 'defaults to y with XEN_PV; switched off explicitly']] },
});
const scrub = both(set(['XEN_SCRUB_PAGES', 'y']), () => ({
  set: [
    ['XEN_BALLOON', 'y', 'XEN_SCRUB_PAGES_DEFAULT depends on the balloon driver'],
    ['XEN_SCRUB_PAGES_DEFAULT', 'y'],
  ],
  note: 'renamed XEN_SCRUB_PAGES → XEN_SCRUB_PAGES_DEFAULT; it now sets the boot default (xen_scrub_pages=)',
}));
const disableSerial = both(set(['XEN_DISABLE_SERIAL', 'y']), unmapped(NO_SERIAL_DISABLE));
const sysfs = both(set(['XEN_SYSFS', 'y']), () => ({
  set: [
    ['SYSFS', 'y', 'XEN_SYS_HYPERVISOR depends on SYSFS'],
    ['XEN_SYS_HYPERVISOR', 'y'],
  ],
  note: 'renamed XEN_SYSFS → XEN_SYS_HYPERVISOR (/sys/hypervisor)',
}));
const compat = both(set(['XEN_COMPAT_LATEST_ONLY', 'y']), unmapped(NO_COMPAT));

/** Every option line of the HOWTO's kernel dialogues, in the HOWTO's order. */
export const HOWTO_KERNEL_OPTIONS: readonly HowtoKernelOption[] = [
  // "Linux Kernel Configuration: Enabling Xen (64 bit)"
  {
    dialogue: DIALOGUES.enable64,
    text: 'Subarchitecture Type (PC-compatible)',
    path: 'Processor type and features',
    roles: ['dom0'],
    xenlinux: (ctx) =>
      ctx.arch === 'amd64'
        ? { set: [['X86_PC', 'y']] }
        : {
            unmapped:
              'the 64-bit dialogue; a 32-bit Xen kernel uses the Xen-compatible subarchitecture instead of PC-compatible',
          },
    mainline: unmapped(
      'the Subarchitecture Type choice is gone: x86 kernels are always PC-compatible, and Xen is a guest option',
    ),
  },
  {
    dialogue: DIALOGUES.enable64,
    text: '[*] Enable Xen compatible kernel',
    path: 'Processor type and features',
    roles: ['dom0'],
    xenlinux: enable64,
    mainline: enable64,
  },
  // "Linux Kernel Configuration: Enabling Xen (32 bit)"
  {
    dialogue: DIALOGUES.enable32,
    text: 'Subarchitecture Type (Xen-compatible) --->',
    path: 'Processor type and features',
    roles: ['dom0'],
    xenlinux: enable32,
    mainline: enable32,
  },
  // "Linux Kernel Configuration: Dialogue For Xen (as of 2.6.20-xen-r4)"
  {
    dialogue: DIALOGUES.dom0,
    text: '[*] Privileged Guest (domain 0)',
    path: 'XEN',
    roles: ['dom0'],
    ...privileged('y'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> Backend driver support',
    path: 'XEN',
    roles: ['dom0'],
    ...backend('y'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> Block-device backend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...blkBackend('y'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> Block-device tap backend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...both(set(['XEN_BLKDEV_TAP', 'y']), unmapped(BLKTAP)),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> Network-device backend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...netBackend('y'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '[ ] Pipelined transmitter (DANGEROUS)',
    path: 'XEN',
    roles: ['dom0'],
    ...pipelined,
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> Network-device loopback driver',
    path: 'XEN',
    roles: ['dom0'],
    ...netloop,
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> PCI-device backend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...both(set(['PCI', 'y', 'parent of XEN_PCIDEV_BACKEND'], ['XEN_PCIDEV_BACKEND', 'y'])),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: 'PCI Backend Mode (Virtual PCI) --->',
    path: 'XEN',
    roles: ['dom0'],
    ...both(
      set(['XEN_PCIDEV_BACKEND_VPCI', 'y']),
      unmapped(
        'now chosen at run time: module parameter xen-pciback.passthrough=0 (virtual PCI, the default)',
      ),
    ),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '[ ] PCI Backend Debugging',
    path: 'XEN',
    roles: ['dom0'],
    ...both(
      set(['XEN_PCIDEV_BE_DEBUG', 'n']),
      unmapped(`no debugging option in mainline xen-pciback; ${NOT_SET_ALREADY_OFF}`),
    ),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '< > TPM-device backend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...tpmBackend,
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '< > Block-device frontend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...blkFrontend('n'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '< > Network-device frontend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...netFrontend('n'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '< > Framebuffer-device frontend driver',
    path: 'XEN',
    roles: ['dom0'],
    ...fbFrontend('n'),
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '[*] Scrub memory before freeing it to Xen',
    path: 'XEN',
    roles: ['dom0'],
    ...scrub,
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '[*] Disable serial port drivers',
    path: 'XEN',
    roles: ['dom0'],
    xenlinux: (ctx) =>
      ctx.serialConsole
        ? {
            unmapped:
              'off: serial_console = yes asks for the 8250 console, and SERIAL_8250 depends on !XEN_DISABLE_SERIAL',
          }
        : disableSerial.xenlinux(ctx),
    mainline: disableSerial.mainline,
  },
  {
    dialogue: DIALOGUES.dom0,
    text: '<*> Export Xen attributes in sysfs',
    path: 'XEN',
    roles: ['dom0'],
    ...sysfs,
  },
  {
    dialogue: DIALOGUES.dom0,
    text: 'Xen version compatibility (no compatibility code) --->',
    path: 'XEN',
    roles: ['dom0'],
    ...compat,
  },
  // "Linux Kernel Configuration: Dialogue For Xen (old)"
  {
    dialogue: DIALOGUES.dom0Old,
    text: '[*] Privileged Guest (domain 0)',
    roles: ['dom0'],
    ...privileged('y'),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '< > PCI device backend driver',
    roles: ['dom0'],
    ...both(unmapped(refsTo('<*> PCI-device backend driver'))),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '<*> Block-device backend driver',
    roles: ['dom0'],
    ...blkBackend('y'),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '< > Block Tap support for backend driver (DANGEROUS)',
    roles: ['dom0'],
    ...both(
      unmapped(
        `${refsTo('<*> Block-device tap backend driver')} (in 2.6.20-xen the tap backend is XEN_BLKDEV_TAP; the old XEN_BLKDEV_TAP_BE option no longer exists)`,
      ),
      unmapped(BLKTAP),
    ),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '<*> Network-device backend driver',
    roles: ['dom0'],
    ...netBackend('y'),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '[ ] Pipelined transmitter (DANGEROUS)',
    roles: ['dom0'],
    ...pipelined,
  },
  { dialogue: DIALOGUES.dom0Old, text: '<*> Network-device loopback driver', roles: ['dom0'], ...netloop },
  { dialogue: DIALOGUES.dom0Old, text: '< > TPM-device backend driver', roles: ['dom0'], ...tpmBackend },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '< > Block-device frontend driver',
    roles: ['dom0'],
    ...blkFrontend('n'),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '< > Network-device frontend driver',
    roles: ['dom0'],
    ...netFrontend('n'),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '< > Block device tap driver',
    roles: ['dom0'],
    ...both(unmapped(refsTo('<*> Block-device tap backend driver (XEN_BLKDEV_TAP=y)')), unmapped(BLKTAP)),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '< > TPM-device frontend driver',
    roles: ['dom0'],
    ...both(
      set([
        'TCG_XEN',
        'n',
        'XEN_TPMDEV_FRONTEND of the old dialogue; since Xen 3.0.3 the frontend is the TPM driver TCG_XEN',
      ]),
      set(['TCG_XEN', 'n', 'the mainline Xen TPM frontend']),
    ),
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '[*] Scrub memory before freeing it to Xen',
    roles: ['dom0'],
    ...scrub,
  },
  {
    dialogue: DIALOGUES.dom0Old,
    text: '[ ] Disable serial port drivers',
    roles: ['dom0'],
    ...both(unmapped(refsTo('[*] Disable serial port drivers')), unmapped(NO_SERIAL_DISABLE)),
  },
  { dialogue: DIALOGUES.dom0Old, text: '<*> Export Xen attributes in sysfs', roles: ['dom0'], ...sysfs },
  // "Domain 0 Kernel Configuration" (prose)
  {
    dialogue: DIALOGUES.dom0Text,
    text: 'disable all options for building in the frontend drivers',
    roles: ['dom0'],
    xenlinux: (ctx) =>
      ctx.arch === 'x86'
        ? {
            set: [['XEN_KEYBOARD', 'n', 'a frontend the dom0 dialogue does not show']],
            except: {
              part: 'Xen PCI frontend',
              reason:
                'XEN_PCIDEV_FRONTEND has no prompt in the 32-bit xen-sources tree: Kconfig turns it on with ' +
                'the PCI access mode "Any" (the default, kept as Xen\'s own xen0 configuration keeps it; ' +
                '"Direct" or "MMConfig" would turn it off and give up the other access methods). ' +
                'In dom0, which reaches its PCI devices directly, it finds no PCI backend and stays idle',
            },
          }
        : {
            set: [
              ['XEN_KEYBOARD', 'n', 'a frontend the dom0 dialogue does not show'],
              ['XEN_PCIDEV_FRONTEND', 'n', 'a frontend the dom0 dialogue does not show'],
            ],
          },
    mainline: () => ({
      set: [
        ['INPUT_XEN_KBDDEV_FRONTEND', 'n', 'defaults to y once XEN=y; switched off explicitly'],
        ['XEN_PCIDEV_FRONTEND', 'n', 'defaults to y with XEN_PV; switched off explicitly'],
      ],
    }),
  },
  // "Linux Kernel Configuration: Miscellaneous Dom0 Options"
  {
    dialogue: DIALOGUES.misc,
    text: 'TCP/IP networking',
    path: 'Networking ---> Networking options',
    roles: ['dom0'],
    ...both(set(['NET', 'y', 'Networking support, parent of INET'], ['INET', 'y'])),
  },
  {
    dialogue: DIALOGUES.misc,
    text: '<*> IP: tunneling',
    path: 'Networking ---> Networking options ---> TCP/IP networking',
    roles: ['dom0'],
    ...both(set(['NET_IPIP', 'y'])),
  },
  {
    dialogue: DIALOGUES.misc,
    text: '<*> 802.1d Ethernet Bridging',
    path: 'Networking ---> Networking options',
    roles: ['dom0'],
    ...both(set(['BRIDGE', 'y'])),
  },
  {
    dialogue: DIALOGUES.misc,
    text: '<*> Loopback device support',
    path: 'Device Drivers ---> Block devices',
    roles: ['dom0'],
    ...both(
      set(['BLK_DEV_LOOP', 'y']),
      set(['BLK_DEV', 'y', 'menu "Block devices", parent of BLK_DEV_LOOP'], ['BLK_DEV_LOOP', 'y']),
    ),
  },
  // "Linux Kernel Configuration: DomU Configuration (as of 2.6.20-xen-r4)"
  {
    dialogue: DIALOGUES.domU,
    text: 'Subarchitecture Type (Xen-compatible) --->',
    path: 'Processor type and features',
    roles: ['domU'],
    xenlinux: (ctx) => enableXen(ctx, '32'),
    mainline: (ctx) => enableXen(ctx, '32'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '[*] Xen PCI Frontend',
    path: 'Bus options (PCI etc.)',
    roles: ['domU'],
    ...pciFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '[ ] Privileged Guest (domain 0)',
    path: 'XEN',
    roles: ['domU'],
    ...privileged('n'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '< > Backend driver support',
    path: 'XEN',
    roles: ['domU'],
    ...backend('n'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '<*> Block-device frontend driver',
    path: 'XEN',
    roles: ['domU'],
    ...blkFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '<*> Network-device frontend driver',
    path: 'XEN',
    roles: ['domU'],
    ...netFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '<*> Framebuffer-device frontend driver',
    path: 'XEN',
    roles: ['domU'],
    ...fbFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '<*> Keyboard-device frontend driver',
    path: 'XEN',
    roles: ['domU'],
    ...kbdFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domU,
    text: '[*] Scrub memory before freeing it to Xen',
    path: 'XEN',
    roles: ['domU'],
    ...scrub,
  },
  {
    dialogue: DIALOGUES.domU,
    text: '[*] Disable serial port drivers',
    path: 'XEN',
    roles: ['domU'],
    ...disableSerial,
  },
  {
    dialogue: DIALOGUES.domU,
    text: '<*> Export Xen attributes in sysfs',
    path: 'XEN',
    roles: ['domU'],
    ...sysfs,
  },
  {
    dialogue: DIALOGUES.domU,
    text: 'Xen version compatibility (no compatibility code) --->',
    path: 'XEN',
    roles: ['domU'],
    ...compat,
  },
  // "Linux Kernel Configuration: DomU Configuration (old)"
  {
    dialogue: DIALOGUES.domUOld,
    text: '[*] Enable Xen compatible kernel',
    path: 'Processor type and features',
    roles: ['domU'],
    xenlinux: (ctx) => enableXen(ctx, '64'),
    mainline: (ctx) => enableXen(ctx, '64'),
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[ ] Privileged Guest (domain 0)',
    path: 'XEN',
    roles: ['domU'],
    ...privileged('n'),
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[ ] Block-device backend driver',
    path: 'XEN',
    roles: ['domU'],
    ...blkBackend('n'),
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[ ] Network-device backend driver',
    path: 'XEN',
    roles: ['domU'],
    ...netBackend('n'),
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[*] Block-device frontend driver',
    path: 'XEN',
    roles: ['domU'],
    ...blkFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[*] Network-device frontend driver',
    path: 'XEN',
    roles: ['domU'],
    ...netFrontend('y'),
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[ ] Piplined transmitter (DANGEROUS)',
    path: 'XEN',
    roles: ['domU'],
    ...pipelined,
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[*] Disable serial port drivers',
    path: 'XEN',
    roles: ['domU'],
    ...disableSerial,
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: '[*] Scrub memory before freeing it to Xen',
    path: 'XEN',
    roles: ['domU'],
    ...scrub,
  },
  {
    dialogue: DIALOGUES.domUOld,
    text: 'Processor Type (X86) --->',
    path: 'Processor type and features',
    roles: ['domU'],
    ...both(
      unmapped(
        'a processor-family choice: the HOWTO names no family, so the base configuration keeps the one it has',
      ),
    ),
  },
  // Troubleshooting: "Linux Kernel Configuration: Console on serial port"
  {
    dialogue: DIALOGUES.serial,
    text: '[*] Console on 8250/16550 and compatible serial port',
    path: 'Device drivers ---> Character devices ---> Serial drivers',
    roles: ['dom0'],
    xenlinux: (ctx) =>
      ctx.serialConsole
        ? {
            set: [
              [
                'XEN_DISABLE_SERIAL',
                'n',
                'SERIAL_8250 depends on !XEN_DISABLE_SERIAL; the Xen console driver then cannot take ttyS0',
              ],
              ['SERIAL_8250', 'y', 'the console needs the driver built in'],
              ['SERIAL_8250_CONSOLE', 'y'],
            ],
          }
        : {
            unmapped:
              'not requested: with "[*] Disable serial port drivers" the Xen console driver provides ttyS0 itself ' +
              "(console=ttyS0 reaches Xen's console on com1, which Xen keeps from dom0's 8250 driver); " +
              'serial_console = yes builds the 8250 console instead, for a port Xen does not use',
          },
    mainline: (ctx) =>
      ctx.serialConsole
        ? {
            set: [
              ['SERIAL_8250', 'y', 'SERIAL_8250_CONSOLE needs SERIAL_8250=y (a module drops the console)'],
              ['SERIAL_8250_CONSOLE', 'y'],
            ],
          }
        : { unmapped: 'not requested (serial_console = no)' },
  },
  // Troubleshooting: "Required Modules"
  {
    dialogue: DIALOGUES.modules,
    text: "'loop'",
    roles: ['dom0'],
    ...both(
      set(['BLK_DEV_LOOP', 'y', 'built in, as the HOWTO allows ("or compile them into the kernel static")']),
      set(
        ['BLK_DEV', 'y', 'menu "Block devices", parent of BLK_DEV_LOOP'],
        ['BLK_DEV_LOOP', 'y', 'built in, as the HOWTO allows ("or compile them into the kernel static")'],
      ),
    ),
  },
  {
    dialogue: DIALOGUES.modules,
    text: "'tun'",
    roles: ['dom0'],
    ...both(
      set(
        ['NETDEVICES', 'y', 'parent of TUN'],
        ['TUN', 'y', 'built in, as the HOWTO allows ("or compile them into the kernel static")'],
      ),
      set(
        ['NETDEVICES', 'y', 'parent of TUN'],
        ['NET_CORE', 'y', 'menu "Network core driver support", parent of TUN'],
        ['TUN', 'y', 'built in, as the HOWTO allows ("or compile them into the kernel static")'],
      ),
    ),
  },
];

/**
 * Why a kernel cannot be made at all, or undefined. Linux dropped 32-bit PV (XEN_PV depends on
 * X86_64), so neither a 32-bit dom0 nor a 32-bit PV domU can be built from mainline.
 */
export function refusalFor(options: Pick<FragmentOptions, 'era' | 'role' | 'arch'>): string | undefined {
  if (options.era !== 'mainline' || options.arch !== 'x86') return undefined;
  if (options.role === 'dom0') {
    return (
      'a 32-bit (x86) dom0 is impossible with a mainline kernel: XEN_DOM0 needs XEN_PV (or PVH on X86_64), ' +
      'and XEN_PV depends on X86_64. Use a 64-bit (amd64) dom0 kernel; current Xen is not keyworded for x86 either'
    );
  }
  return (
    'a 32-bit (x86) PV domU is impossible with a mainline kernel: XEN_PV depends on X86_64. ' +
    'Build a 64-bit domU kernel, or run the 32-bit guest as PVH/HVM (not what the HOWTO describes)'
  );
}

/** The HOWTO's options that concern a role, in the HOWTO's order. */
export function howtoOptionsFor(role: KernelRole): HowtoKernelOption[] {
  return HOWTO_KERNEL_OPTIONS.filter((o) => o.roles.includes(role));
}

/**
 * Build the fragment for one kernel. Symbols asked for by several HOWTO lines are merged into
 * one item that names them all. Throws if two HOWTO lines would ask for different values of the
 * same symbol (a bug in the table above, caught by the tests).
 */
export function buildFragment(options: FragmentOptions): Fragment {
  const ctx: Ctx = { serialConsole: options.era === 'mainline', ...options };
  const items = new Map<string, FragmentItem>();
  const unmappedOptions: UnmappedOption[] = [];
  for (const option of howtoOptionsFor(ctx.role)) {
    const mapping = option[ctx.era](ctx);
    const ref: HowtoRef = { dialogue: option.dialogue, text: option.text };
    if ('unmapped' in mapping) {
      unmappedOptions.push({ howtoText: option.text, dialogue: option.dialogue, reason: mapping.unmapped });
      continue;
    }
    if (mapping.except) {
      unmappedOptions.push({
        howtoText: `${option.text} [${mapping.except.part}]`,
        dialogue: option.dialogue,
        reason: mapping.except.reason,
      });
    }
    for (const [symbol, value, itemNote] of mapping.set) {
      const note = itemNote ?? mapping.note;
      const existing = items.get(symbol);
      if (!existing) {
        items.set(symbol, { symbol, value, howto: [ref], ...(note ? { note } : {}) });
        continue;
      }
      if (existing.value !== value) {
        throw new Error(
          `fragment conflict for ${symbol}: "${existing.howto[0]?.text}" asks for ${existing.value}, "${option.text}" for ${value}`,
        );
      }
      if (!existing.howto.some((r) => r.dialogue === ref.dialogue && r.text === ref.text))
        existing.howto.push(ref);
      if (!existing.note && note) existing.note = note;
    }
  }
  const refusal = refusalFor(ctx);
  return {
    era: ctx.era,
    role: ctx.role,
    arch: ctx.arch,
    items: [...items.values()],
    unmapped: unmappedOptions,
    ...(refusal ? { refusal } : {}),
  };
}

/** The fragment's requested values: symbol → value. */
export function fragmentValues(fragment: Fragment): Map<string, string> {
  return new Map(fragment.items.map((i) => [i.symbol, i.value]));
}

/**
 * The fragment as `.config` text, each item preceded by a comment naming the HOWTO line(s) it
 * comes from, followed by the unmapped HOWTO options as comments. Suitable for
 * `scripts/kconfig/merge_config.sh` or Gentoo's `/etc/kernel/config.d/`.
 */
export function renderFragment(fragment: Fragment): string {
  const out: string[] = [
    `# Xen ${fragment.role} kernel options (${fragment.era === 'xenlinux' ? '2.6.x-xen, xen-sources' : 'mainline Linux'}, ${fragment.arch})`,
    '# from the Gentoo wiki "HOWTO Xen and Gentoo"',
  ];
  if (fragment.refusal) out.push(`# NOT BUILDABLE: ${fragment.refusal}`);
  for (const item of fragment.items) {
    out.push(`# ${item.howto.map((r) => r.text).join(' | ')}${item.note ? ` (${item.note})` : ''}`);
    out.push(
      item.value === 'n' ? `# CONFIG_${item.symbol} is not set` : `CONFIG_${item.symbol}=${item.value}`,
    );
  }
  if (fragment.unmapped.length > 0) {
    out.push('#', '# HOWTO options with nothing to set here:');
    for (const u of fragment.unmapped) out.push(`#   ${u.howtoText}: ${u.reason}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Not frontends: symbols where one kernel keeps the dom0 value even when it is off (the 8250
 * console of serial_console = yes needs the serial port drivers the domU dialogue disables).
 */
const DOM0_DECIDES = new Set(['XEN_DISABLE_SERIAL']);

/**
 * One kernel for dom0 and every domU (the HOWTO's "Only one domain 0 kernel"): the dom0 fragment
 * plus the domU's frontends. Where the two disagree, "on" wins: the kernel keeps its backends
 * and privileged-guest support and also gets the frontends the dom0 dialogue switches off.
 */
export function combineFragments(dom0: Fragment, domU: Fragment): Fragment {
  const items = new Map<string, FragmentItem>(
    dom0.items.map((i) => [i.symbol, { ...i, howto: [...i.howto] }]),
  );
  const overridden: UnmappedOption[] = [];
  for (const item of domU.items) {
    const existing = items.get(item.symbol);
    if (!existing) items.set(item.symbol, { ...item, howto: [...item.howto] });
    else if (existing.value === 'n' && item.value !== 'n' && !DOM0_DECIDES.has(item.symbol)) {
      items.set(item.symbol, {
        ...item,
        howto: [...item.howto],
        note: 'one kernel serves the domUs too, so the frontend stays on',
      });
    } else if (existing.value === item.value) {
      for (const r of item.howto)
        if (!existing.howto.some((s) => s.dialogue === r.dialogue && s.text === r.text))
          existing.howto.push(r);
    } else {
      for (const r of item.howto) {
        overridden.push({
          howtoText: r.text,
          dialogue: r.dialogue,
          reason: `one kernel also runs dom0, so CONFIG_${item.symbol} keeps the dom0 value ${existing.value}`,
        });
      }
    }
  }
  const unmapped = [
    ...dom0.unmapped,
    ...overridden,
    ...domU.unmapped.filter(
      (u) => !dom0.unmapped.some((d) => d.dialogue === u.dialogue && d.howtoText === u.howtoText),
    ),
  ];
  const refusal = dom0.refusal ?? domU.refusal;
  return {
    era: dom0.era,
    role: 'dom0',
    arch: dom0.arch,
    items: [...items.values()],
    unmapped,
    ...(refusal ? { refusal } : {}),
  };
}
