import { LocalHost, type TargetReader, type View } from '@xen-gentoo/core';

/**
 * What a loop mount needs on the machine the tool runs on (the image is made there, whatever the
 * target root): loop devices, the filesystem in its kernel, and root. Read from that machine:
 * the view itself when the target is the running system, else the machine's own files.
 */
export interface LoopMountFacts {
  loopControl: boolean;
  /** The tool's own uid (/proc/self/status). */
  uid: number | undefined;
  release: string | undefined;
  /** The filesystems /proc/filesystems lists. */
  kernelFilesystems: string[];
  /** Filesystem → a module for it under /lib/modules/$(uname -r). */
  modules: Record<string, boolean>;
}

/** The reads of the machine running the tool. */
export function machineOf(view: View): TargetReader {
  return view.root === '/' ? view : new LocalHost('/');
}

export async function probeLoopMount(machine: TargetReader, filesystems: string[]): Promise<LoopMountFacts> {
  const read = (path: string) => machine.readFile(path).catch(() => undefined);
  const uidLine = /^Uid:\s+\d+\s+(\d+)/m.exec((await read('/proc/self/status')) ?? '');
  const kernelFilesystems = ((await read('/proc/filesystems')) ?? '')
    .split('\n')
    .map((line) => line.trim().split(/\s+/).at(-1) ?? '')
    .filter((name) => name !== '');
  const release = (await read('/proc/sys/kernel/osrelease'))?.trim() || undefined;
  const modules: Record<string, boolean> = {};
  for (const fs of filesystems) {
    if (kernelFilesystems.includes(fs) || release === undefined) {
      modules[fs] = false;
      continue;
    }
    const dir = `/lib/modules/${release}`;
    const dep = (await read(`${dir}/modules.dep`)) ?? '';
    const inTree = ((await machine.list(`${dir}/kernel/fs/${fs}`).catch(() => undefined)) ?? []).some((n) =>
      n.startsWith(`${fs}.ko`),
    );
    modules[fs] = inTree || new RegExp(`(^|/)${fs}\\.ko[^:]*:`, 'm').test(dep);
  }
  return {
    loopControl: (await machine.stat('/dev/loop-control').catch(() => undefined)) !== undefined,
    uid: uidLine ? Number(uidLine[1]) : undefined,
    release,
    kernelFilesystems,
    modules,
  };
}

/** What stops a loop mount of `filesystem` here, each named; empty when it can be done. */
export function loopMountMissing(facts: LoopMountFacts, filesystem: string, guest: string): string[] {
  const missing: string[] = [];
  if (!facts.loopControl)
    missing.push('/dev/loop-control is missing (no loop devices on this machine, as in a container)');
  if (!facts.kernelFilesystems.includes(filesystem) && !facts.modules[filesystem]) {
    const removed = filesystem === 'reiserfs' ? ': Linux removed reiserfs in 6.13' : '';
    missing.push(
      `this kernel has no ${filesystem} (not in /proc/filesystems, no module)${removed}; choose ext4 with [guest.${guest}] filesystem = ext4, or build the image on a host whose kernel has it`,
    );
  }
  if (facts.uid !== 0)
    missing.push(
      `not running as root (${facts.uid === undefined ? 'no uid in /proc/self/status' : `uid ${facts.uid}`}): mount needs root`,
    );
  return missing;
}
