import type { FileChange } from '@xen-gentoo/core';
import { planPackageEntry, type PackageConfigFiles } from '@xen-gentoo/make-conf';

/**
 * Plan one package.* entry and return the config as it would be afterwards, so several
 * entries can be planned one after another into the same file.
 */
export function applyPackageEntryToConfig(
  config: PackageConfigFiles,
  entry: { atom: string; tokens?: string[] },
  newFileName = 'xen-gentoo',
): { config: PackageConfigFiles; change?: FileChange } {
  const planned = planPackageEntry(config, entry, newFileName);
  if (!planned) return { config };
  const change: FileChange = { kind: 'file', ...planned };
  const others = config.files.filter((file) => file.path !== planned.path);
  const files = [...others, { path: planned.path, content: planned.after }];
  const kind =
    config.kind === 'missing' ? (planned.path === config.path ? 'file' : 'directory') : config.kind;
  const path =
    kind === 'directory' && config.kind === 'missing'
      ? planned.path.slice(0, planned.path.lastIndexOf('/'))
      : config.path;
  return { config: { path, kind, files }, change };
}
