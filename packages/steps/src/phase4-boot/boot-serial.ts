import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import {
  beginMarker,
  endMarker,
  findBlock,
  appendBlock,
  xenSerialArgs,
  dom0SerialArgs,
} from '@xen-gentoo/bootloader';
import type { Answers } from '../answers/index.js';
import { noreboot, resolveKernel, rethrowBootFileError, serialOptions } from './resolve.js';
import { detectBootFromAnswers, type BootTarget } from './target.js';

/**
 * The serial console (HOWTO: Troubleshooting). The entries of boot-grub, boot-lilo,
 * boot-pxelinux and boot-xen-efi carry the options when [boot] serial = yes; this step checks what the dom0
 * kernel needs for them and, on OpenRC today, gives hvc0 a login prompt.
 */

/**
 * Kernel options the dom0 console needs. ttyS0 (2007, xen-sources): Xen owns com1 and keeps its
 * I/O ports from dom0 (ns16550_endboot), so dom0's ttyS0 must be the Xen console driver, which
 * takes that name only when "Disable serial port drivers" keeps the 8250 driver off it (the
 * dom0 default is xencons=ttyS). hvc0 (today): Xen's hvc console.
 */
export const SERIAL_KERNEL_OPTIONS = {
  ttyS0: ['CONFIG_XEN_DISABLE_SERIAL=y'],
  hvc0: ['CONFIG_HVC_XEN=y'],
} as const;

/** Why an 8250 console in a xen-sources dom0 cannot be the console of the serial entry. */
const XEN_OWNS_THE_UART =
  "Xen owns the UART (com1=) and keeps its ports from dom0's 8250 driver, and with that driver on ttyS0 the Xen console driver cannot take ttyS0: set [kernel] serial_console = auto (the HOWTO's \"[*] Disable serial port drivers\", so console=ttyS0 is Xen's console)";

/**
 * What Xen's noreboot does, as Xen documents it: the HOWTO reads it as "refuse shutdown -r", but
 * it is "need a manual reset after a crash or error" (Xen's common/shutdown.c, maybe_reboot).
 */
export const NOREBOOT_MEANING =
  'noreboot (Xen does not reboot by itself after a crash or error, so its last messages stay on the console)';

const INITTAB_LINE = (speed: number): string => `h0:12345:respawn:/sbin/agetty -L ${speed} hvc0 vt100`;

export function planBootSerial(t: BootTarget, answers: Answers): StepPlan {
  const a = answers.boot;
  const serial = serialOptions(t, a);
  if (!serial) {
    return {
      status: 'not-applicable',
      reason:
        'no serial console requested ([boot] serial = yes puts Xen on com1 and dom0 on hvc0, or ttyS0 on a 2007 host)',
    };
  }
  const summaryClauses = [
    `Xen ${xenSerialArgs(serial).join(' ')}`,
    `dom0 ${dom0SerialArgs(serial).join(' ')}`,
  ];
  if (noreboot(a)) summaryClauses.push(NOREBOOT_MEANING);
  const summary = summaryClauses.join(', ');
  const kernel = resolveKernel(t, a);
  const candidates = [
    ...(kernel.ok && kernel.value.bootConfig ? [kernel.value.bootConfig] : []),
    ...(t.dom0Configs ?? []),
  ];
  const configPath = candidates.find((p) => t.kernelConfigs[p] !== undefined);
  if (!configPath) {
    return {
      status: 'blocked',
      reason: `${summary}: no dom0 kernel configuration to check (${candidates.join(', ')}); kernel-dom0-config writes it`,
    };
  }
  const config = t.kernelConfigs[configPath] ?? '';
  const needed = SERIAL_KERNEL_OPTIONS[serial.dom0Console];
  const missing = needed.filter((o) => !new RegExp(`^${o}$`, 'm').test(config));
  if (missing.length > 0) {
    const has8250Console = /^CONFIG_SERIAL_8250_CONSOLE=y$/m.test(config);
    return {
      status: 'blocked',
      reason:
        serial.dom0Console === 'ttyS0' && has8250Console
          ? `${summary}: ${configPath} has the 8250 console instead of ${missing.join(', ')}: ${XEN_OWNS_THE_UART}`
          : `${summary}: ${configPath} lacks ${missing.join(', ')}: enable it in the dom0 kernel (kernel-dom0-config) and rebuild (kernel-build)`,
    };
  }
  // OpenRC today: no getty listens on hvc0 unless inittab says so (systemd starts one by itself).
  if (
    t.era === 'modern' &&
    t.initSystem === 'openrc' &&
    t.inittab !== undefined &&
    serial.dom0Console === 'hvc0'
  ) {
    const active = t.inittab.split('\n').some((l) => !l.trim().startsWith('#') && /\bhvc0\b/.test(l));
    let managed;
    try {
      managed = findBlock(t.inittab, 'boot-serial', '/etc/inittab');
    } catch (e) {
      rethrowBootFileError(e);
      throw e;
    }
    if (!active && !managed) {
      const after = appendBlock(t.inittab, [
        beginMarker('boot-serial'),
        INITTAB_LINE(serial.speed),
        endMarker('boot-serial'),
      ]);
      const changes: Change[] = [{ kind: 'file', path: '/etc/inittab', before: t.inittab, after }];
      return {
        status: 'pending',
        reason: `${summary}; give hvc0 a login prompt in /etc/inittab (OpenRC starts none there)`,
        changes,
      };
    }
  }
  return { status: 'done', reason: `${summary}; ${configPath} has ${needed.join(', ')}` };
}

export const bootSerialStep = defineStep<Answers, BootTarget>({
  id: 'boot-serial',
  title: 'Serial console for Xen and dom0',
  phase: 'Updating your boot loader',
  howtoSection: 'Troubleshooting',
  after: ['boot-grub', 'boot-lilo', 'boot-pxelinux', 'boot-xen-efi', 'kernel-dom0-config'],
  detect: detectBootFromAnswers,
  plan: planBootSerial,
});
