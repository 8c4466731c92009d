import type { CommandChange } from '@xen-gentoo/core';

/**
 * The HOWTO's initrd fix for Xen 3.x: "gunzip then gzip the initrd file again" (the loader
 * choked on bytes after the end of the gzip stream). As argv commands, no shell.
 */
export function rezipCommands(path: string): CommandChange[] {
  const gz = path.endsWith('.gz') ? path : `${path}.gz`;
  const plain = gz.slice(0, -3);
  const why =
    'the HOWTO\'s fix: Xen 3.x rejects the initrd because of garbage after the gzip data ("gunzip then gzip")';
  const out: CommandChange[] = [];
  if (gz !== path) out.push({ kind: 'command', argv: ['mv', path, gz], why, inRoot: true });
  out.push(
    { kind: 'command', argv: ['gunzip', '-f', gz], why, inRoot: true },
    { kind: 'command', argv: ['gzip', '-9', '-n', plain], why, inRoot: true },
  );
  if (gz !== path) out.push({ kind: 'command', argv: ['mv', gz, path], why, inRoot: true });
  return out;
}
