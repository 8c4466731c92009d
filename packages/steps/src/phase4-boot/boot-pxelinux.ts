import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import {
  buildXenEntry,
  mergePxelinuxConfig,
  pxelinuxTftpFiles,
  PXE_CONFIG_PATH,
  SYSLINUX_DIRS,
} from '@xen-gentoo/bootloader';
import type { Answers } from '../answers/index.js';
import { blockedByBootConfigError, resolveEntryInputs } from './resolve.js';
import { detectBootFromAnswers, type BootTarget } from './target.js';

export function planBootPxelinux(t: BootTarget, answers: Answers): StepPlan {
  const a = answers.boot;
  if (!a.pxe_dir) {
    return a.loader === 'pxelinux'
      ? {
          status: 'blocked',
          reason: '[boot] loader = pxelinux needs [boot] pxe_dir, the TFTP root of the boot server',
        }
      : {
          status: 'not-applicable',
          reason: 'no PXE boot server: [boot] pxe_dir is not set (the HOWTO\'s "Alternative: PXELinux")',
        };
  }
  const pxe = t.pxe ?? { dir: a.pxe_dir, files: [], config: undefined };
  const preferred = t.era === 'legacy' ? SYSLINUX_DIRS.legacy : SYSLINUX_DIRS.modern;
  const syslinux = t.syslinuxDirs.find((d) => d.dir === preferred) ?? t.syslinuxDirs[0];
  if (!syslinux) {
    return {
      status: 'blocked',
      reason:
        t.era === 'legacy'
          ? 'no mboot.c32 in /usr/lib/syslinux: emerge sys-boot/syslinux (3.08 or later boots Xen)'
          : 'no mboot.c32 in /usr/share/syslinux: emerge sys-boot/syslinux (keyword ~amd64 in package.accept_keywords)',
    };
  }
  const major = t.syslinuxVersion
    ? Number(/^\d+/.exec(t.syslinuxVersion)?.[0] ?? '0')
    : syslinux.ldlinux
      ? 6
      : 3;
  const inputs = resolveEntryInputs(t, a, { needRoot: false });
  if (!inputs.ok) return { status: 'blocked', reason: inputs.reason };
  const v = inputs.value;
  const warnings = [...inputs.warnings];
  if (!v.root) {
    warnings.push(
      "dom0 gets no root= (the boot server's own / is not the node's): set [boot] root_device, e.g. /dev/nfs with nfsroot=… in kernel_args",
    );
  }
  try {
    // Names inside the TFTP root: the HOWTO serves xen.gz and the kernel under their /boot names.
    const entry = buildXenEntry({
      title: v.title,
      xenPath: 'xen.gz',
      kernelPath: v.kernel.file,
      ...(v.initrd ? { initrdPath: v.initrd } : {}),
      dom0Mem: v.dom0Mem.text,
      ...(v.root ? { rootDevice: v.root } : {}),
      ...(v.serial ? { serial: v.serial } : {}),
      noreboot: v.noreboot,
      xenArgs: v.xenArgs,
      kernelArgs: v.kernelArgs,
    });
    const cfgPath = `${pxe.dir}/${PXE_CONFIG_PATH}`;
    const merged = mergePxelinuxConfig(pxe.config ?? null, entry, { file: cfgPath });
    warnings.push(...merged.warnings);
    const sources: Record<string, string> = {
      'xen.gz': `/boot/${v.xen.file}`,
      [v.kernel.file]: `/boot/${v.kernel.file}`,
      ...(v.initrd ? { [v.initrd]: `/boot/${v.initrd}` } : {}),
    };
    const needed = pxelinuxTftpFiles(entry, { syslinuxDir: syslinux.dir, syslinuxMajor: major });
    const missing = needed.filter((f) => !pxe.files.includes(f.name));
    if (merged.action === 'unchanged' && missing.length === 0) {
      const label = merged.label === undefined ? '' : ` (LABEL ${merged.label})`;
      return {
        status: 'done',
        reason: `${cfgPath} boots Xen through mboot.c32${label} and ${pxe.dir} serves ${needed.map((f) => f.name).join(', ')}`,
        warnings,
      };
    }
    const changes: Change[] = [];
    if (!pxe.files.some((f) => f.startsWith('pxelinux.cfg/')) && pxe.config === undefined) {
      changes.push({ kind: 'directory', path: `${pxe.dir}/pxelinux.cfg` });
    }
    if (merged.action !== 'unchanged')
      changes.push({ kind: 'file', path: cfgPath, before: pxe.config ?? null, after: merged.text });
    for (const f of missing) {
      changes.push({
        kind: 'command',
        argv: ['cp', '-L', '--', f.source ?? sources[f.name] ?? `/boot/${f.name}`, `${pxe.dir}/${f.name}`],
        why: `the TFTP root must serve ${f.name}: ${f.why}`,
        inRoot: true,
      });
    }
    changes.push({
      kind: 'manual',
      text: `Point the DHCP server's boot file at pxelinux.0 (next-server = this TFTP server, root ${pxe.dir}) and enable PXE boot in the Xen host's BIOS.`,
    });
    if (major >= 5) {
      warnings.push(
        'syslinux 5 and later: pxelinux.0, ldlinux.c32, libcom32.c32 and mboot.c32 must all come from the same syslinux version',
      );
    }
    return {
      status: 'pending',
      reason: [
        ...(merged.action === 'unchanged'
          ? []
          : merged.label !== undefined
            ? [`update the Xen entry LABEL ${merged.label} (mboot.c32) in ${cfgPath}`]
            : [`write the mboot.c32 DEFAULT line in ${cfgPath}`]),
        ...(missing.length > 0 ? [`copy ${missing.map((f) => f.name).join(', ')} into ${pxe.dir}`] : []),
      ].join('; '),
      changes,
      warnings,
    };
  } catch (e) {
    return blockedByBootConfigError(e);
  }
}

export const bootPxelinuxStep = defineStep<Answers, BootTarget>({
  id: 'boot-pxelinux',
  title: 'Serve Xen over PXE (PXELinux mboot.c32)',
  phase: 'Updating your boot loader',
  howtoSection: 'Alternative: PXELinux',
  after: ['emerge-xen', 'kernel-build', 'dom0-mem'],
  detect: detectBootFromAnswers,
  plan: planBootPxelinux,
});
