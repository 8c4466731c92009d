import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configValues, parseConfig } from './config-file.js';
import {
  DIALOGUES,
  HOWTO_KERNEL_OPTIONS,
  buildFragment,
  combineFragments,
  fragmentValues,
  renderFragment,
  howtoOptionsFor,
  type KernelArch,
  type KernelEra,
  type KernelRole,
} from './fragments.js';

const ALL: [KernelEra, KernelRole, KernelArch][] = [];
for (const era of ['xenlinux', 'mainline'] as const)
  for (const role of ['dom0', 'domU'] as const)
    for (const arch of ['x86', 'amd64'] as const) ALL.push([era, role, arch]);

describe('every HOWTO option is accounted for', () => {
  it.each(ALL)('%s %s %s', (era, role, arch) => {
    const fragment = buildFragment({ era, role, arch });
    for (const option of howtoOptionsFor(role)) {
      const set = fragment.items.some((i) =>
        i.howto.some((r) => r.dialogue === option.dialogue && r.text === option.text),
      );
      const reported = fragment.unmapped.some(
        (u) => u.dialogue === option.dialogue && u.howtoText === option.text,
      );
      expect(set || reported, `${option.dialogue}: ${option.text}`).toBe(true);
      expect(set && reported, `${option.text} both set and unmapped`).toBe(false);
    }
    for (const item of fragment.items) expect(item.howto.length).toBeGreaterThan(0);
    for (const u of fragment.unmapped) expect(u.reason.length).toBeGreaterThan(10);
  });

  const howtoPath = resolve(import.meta.dirname, '../../../docs/howto-xen-and-gentoo.txt');
  it.runIf(existsSync(howtoPath))('quotes the HOWTO exactly', () => {
    const howto = readFileSync(howtoPath, 'utf8');
    for (const o of HOWTO_KERNEL_OPTIONS) {
      expect(howto, o.text).toContain(o.text);
      if (o.dialogue !== DIALOGUES.modules && o.dialogue !== DIALOGUES.dom0Text)
        expect(howto).toContain(o.dialogue);
    }
  });

  it('lists the option lines of all dialogues', () => {
    const count = (d: string) => HOWTO_KERNEL_OPTIONS.filter((o) => o.dialogue === d).length;
    expect(count(DIALOGUES.dom0)).toBe(18);
    expect(count(DIALOGUES.dom0Old)).toBe(15);
    expect(count(DIALOGUES.domU)).toBe(12);
    expect(count(DIALOGUES.domUOld)).toBe(10);
    expect(count(DIALOGUES.misc)).toBe(4);
  });
});

describe('xenlinux (xen-sources 2.6.x)', () => {
  it('dom0 uses the XenLinux symbols of the 2.6.20-xen-r4 dialogue', () => {
    const v = fragmentValues(buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'x86' }));
    expect(Object.fromEntries(v)).toMatchObject({
      X86_XEN: 'y',
      XEN_PRIVILEGED_GUEST: 'y',
      XEN_BACKEND: 'y',
      XEN_BLKDEV_BACKEND: 'y',
      XEN_BLKDEV_TAP: 'y',
      XEN_NETDEV_BACKEND: 'y',
      XEN_NETDEV_PIPELINED_TRANSMITTER: 'n',
      XEN_NETDEV_LOOPBACK: 'y',
      XEN_PCIDEV_BACKEND: 'y',
      XEN_PCIDEV_BACKEND_VPCI: 'y',
      XEN_PCIDEV_BE_DEBUG: 'n',
      XEN_TPMDEV_BACKEND: 'n',
      XEN_BLKDEV_FRONTEND: 'n',
      XEN_NETDEV_FRONTEND: 'n',
      XEN_FRAMEBUFFER: 'n',
      XEN_SCRUB_PAGES: 'y',
      XEN_DISABLE_SERIAL: 'y',
      XEN_SYSFS: 'y',
      XEN_COMPAT_LATEST_ONLY: 'y',
      NET_IPIP: 'y',
      BRIDGE: 'y',
      BLK_DEV_LOOP: 'y',
      TUN: 'y',
    });
    expect(v.has('X86_64_XEN')).toBe(false);
    expect(v.has('SERIAL_8250_CONSOLE')).toBe(false);
  });

  it('asks only for what the xen-sources Kconfig can give (rules of the 3.1-era sparse tree)', () => {
    // i386: XEN_PCIDEV_FRONTEND has no prompt and follows the PCI access mode ("Any" by default).
    const x86 = buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'x86' });
    expect(fragmentValues(x86).has('XEN_PCIDEV_FRONTEND')).toBe(false);
    expect(x86.unmapped.find((u) => u.howtoText.includes('[Xen PCI frontend]'))?.reason).toMatch(
      /no prompt in the 32-bit xen-sources tree/,
    );
    // x86_64 has a prompt for it: off in dom0.
    const amd64 = fragmentValues(buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'amd64' }));
    expect(amd64.get('XEN_PCIDEV_FRONTEND')).toBe('n');
    // The old dialogue's TPM frontend is TCG_XEN since Xen 3.0.3 (XEN_TPMDEV_FRONTEND is gone).
    expect(fragmentValues(x86).get('TCG_XEN')).toBe('n');
    expect(fragmentValues(x86).has('XEN_TPMDEV_FRONTEND')).toBe(false);
    // netfront depends on NET: the domU fragment asks for it.
    const domU = fragmentValues(buildFragment({ era: 'xenlinux', role: 'domU', arch: 'x86' }));
    expect(domU.get('NET')).toBe('y');
  });

  it('amd64 uses X86_64_XEN and the PC subarchitecture', () => {
    const v = fragmentValues(buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'amd64' }));
    expect(v.get('X86_64_XEN')).toBe('y');
    expect(v.get('X86_PC')).toBe('y');
    expect(v.has('X86_XEN')).toBe(false);
  });

  it('domU has frontends, no backends, not privileged', () => {
    const v = Object.fromEntries(
      fragmentValues(buildFragment({ era: 'xenlinux', role: 'domU', arch: 'x86' })),
    );
    expect(v).toMatchObject({
      X86_XEN: 'y',
      XEN_PCIDEV_FRONTEND: 'y',
      XEN_PRIVILEGED_GUEST: 'n',
      XEN_BACKEND: 'n',
      XEN_BLKDEV_BACKEND: 'n',
      XEN_NETDEV_BACKEND: 'n',
      XEN_BLKDEV_FRONTEND: 'y',
      XEN_NETDEV_FRONTEND: 'y',
      XEN_FRAMEBUFFER: 'y',
      XEN_KEYBOARD: 'y',
      XEN_DISABLE_SERIAL: 'y',
    });
  });

  it('reports the old dialogue lines the new one overrides', () => {
    const f = buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'x86' });
    expect(f.unmapped.find((u) => u.howtoText === '< > PCI device backend driver')?.reason).toMatch(
      /superseded/,
    );
    expect(f.unmapped.find((u) => u.howtoText === '[ ] Disable serial port drivers')?.reason).toMatch(
      /superseded/,
    );
  });

  it('serial console on request', () => {
    const v = fragmentValues(
      buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'x86', serialConsole: true }),
    );
    expect(v.get('SERIAL_8250_CONSOLE')).toBe('y');
    // SERIAL_8250 depends on !XEN_DISABLE_SERIAL in xen-sources: the dialogue's "[*]" gives way.
    expect(v.get('XEN_DISABLE_SERIAL')).toBe('n');
    expect(
      Object.fromEntries(fragmentValues(buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'x86' }))),
    ).toMatchObject({ XEN_DISABLE_SERIAL: 'y' });
    const one = fragmentValues(
      combineFragments(
        buildFragment({ era: 'xenlinux', role: 'dom0', arch: 'x86', serialConsole: true }),
        buildFragment({ era: 'xenlinux', role: 'domU', arch: 'x86', serialConsole: true }),
      ),
    );
    expect(one.get('XEN_DISABLE_SERIAL')).toBe('n');
    expect(one.get('SERIAL_8250_CONSOLE')).toBe('y');
  });
});

describe('mainline', () => {
  it('dom0 writes the whole chain and the explicit "is not set" lines', () => {
    const f = buildFragment({ era: 'mainline', role: 'dom0', arch: 'amd64' });
    expect(f.refusal).toBeUndefined();
    expect(Object.fromEntries(fragmentValues(f))).toMatchObject({
      '64BIT': 'y',
      HYPERVISOR_GUEST: 'y',
      PARAVIRT: 'y',
      XEN: 'y',
      XEN_PV: 'y',
      XEN_DOM0: 'y',
      XEN_BACKEND: 'y',
      XEN_BLKDEV_BACKEND: 'y',
      XEN_NETDEV_BACKEND: 'y',
      XEN_PCIDEV_BACKEND: 'y',
      XEN_BLKDEV_FRONTEND: 'n',
      XEN_NETDEV_FRONTEND: 'n',
      XEN_FBDEV_FRONTEND: 'n',
      INPUT_XEN_KBDDEV_FRONTEND: 'n',
      XEN_PCIDEV_FRONTEND: 'n',
      XEN_BALLOON: 'y',
      XEN_SCRUB_PAGES_DEFAULT: 'y',
      XEN_SYS_HYPERVISOR: 'y',
      XEN_DEV_EVTCHN: 'y',
      XENFS: 'y',
      XEN_PRIVCMD: 'y',
      XEN_GNTDEV: 'y',
      NET_IPIP: 'y',
      BRIDGE: 'y',
      BLK_DEV_LOOP: 'y',
      TUN: 'y',
      SERIAL_8250: 'y',
      SERIAL_8250_CONSOLE: 'y',
    });
    const unmapped = f.unmapped.map((u) => u.howtoText);
    for (const gone of [
      '<*> Block-device tap backend driver',
      '<*> Network-device loopback driver',
      '[ ] Pipelined transmitter (DANGEROUS)',
      'PCI Backend Mode (Virtual PCI) --->',
      '[ ] PCI Backend Debugging',
      '< > TPM-device backend driver',
      '[*] Disable serial port drivers',
      'Xen version compatibility (no compatibility code) --->',
      'Subarchitecture Type (PC-compatible)',
    ])
      expect(unmapped).toContain(gone);
    // No XenLinux symbol leaks into a mainline fragment.
    for (const i of f.items)
      expect(i.symbol).not.toMatch(/PRIVILEGED|LOOPBACK|BLKDEV_TAP|DISABLE_SERIAL|X86_64_XEN|XEN_SYSFS$/);
  });

  it('domU switches off what XEN turns on by default', () => {
    const v = fragmentValues(buildFragment({ era: 'mainline', role: 'domU', arch: 'amd64' }));
    expect(v.get('XEN_DOM0')).toBe('n');
    expect(v.get('XEN_BACKEND')).toBe('n');
    expect(v.get('FB')).toBe('y');
    expect(v.get('XEN_FBDEV_FRONTEND')).toBe('y');
    expect(v.get('INPUT_MISC')).toBe('y');
    expect(v.get('INPUT_XEN_KBDDEV_FRONTEND')).toBe('y');
    expect(v.get('XEN_PCIDEV_FRONTEND')).toBe('y');
  });

  it.each(['dom0', 'domU'] as const)('refuses a 32-bit %s', (role) => {
    const f = buildFragment({ era: 'mainline', role, arch: 'x86' });
    expect(f.refusal).toMatch(/32-bit .*XEN_PV depends on X86_64|32-bit .*XEN_PV/);
  });

  it('items record where a rename came from', () => {
    const f = buildFragment({ era: 'mainline', role: 'dom0', arch: 'amd64' });
    const dom0 = f.items.find((i) => i.symbol === 'XEN_DOM0');
    expect(dom0?.howto.map((r) => r.dialogue)).toEqual([DIALOGUES.dom0, DIALOGUES.dom0Old]);
    expect(dom0?.note).toMatch(/XEN_PRIVILEGED_GUEST/);
  });
});

describe('renderFragment', () => {
  it('is a valid .config fragment with the same values', () => {
    for (const [era, role, arch] of ALL) {
      const f = buildFragment({ era, role, arch });
      const text = renderFragment(f);
      expect(configValues(parseConfig(text))).toEqual(fragmentValues(f));
      expect(text).toContain('# HOWTO options with nothing to set here:');
    }
  });
});
