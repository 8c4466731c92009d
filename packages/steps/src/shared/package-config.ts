import type { View } from '@xen-gentoo/core';
import type { PackageConfigFiles } from '@xen-gentoo/make-conf';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { SystemFacts } from '../system.js';
import { follow, portageFileList } from './portage-files.js';

/**
 * The keyword file layout the host uses: package.accept_keywords (file or directory) where it
 * exists or where Portage is new enough (2.1.9+), else the 2007 package.keywords.
 */
export async function readKeywordsConfig(view: View, sys: SystemFacts): Promise<PackageConfigFiles> {
  const accept = await readPackageConfig(view, '/etc/portage/package.accept_keywords');
  if (accept.kind !== 'missing') return accept;
  const legacy = await readPackageConfig(view, '/etc/portage/package.keywords');
  const portage = sys.installedVersion('sys-apps/portage');
  const portageKnowsAccept = portage ? compareVersions(portage, '2.1.9') >= 0 : sys.era === 'modern';
  if (!portageKnowsAccept) return legacy;
  // A modern host: accept_keywords, as a directory like today's handbook sets it up.
  return { ...accept, kind: 'missing', path: '/etc/portage/package.accept_keywords/xen-gentoo' };
}

/**
 * Read a package.* file, or every file under a package.* directory as Portage reads it
 * (subdirectories included; see portageFileList). The tool's own entry goes to `<dir>/xen-gentoo`
 * (planPackageEntry's new file name).
 */
export async function readPackageConfig(view: View, path: string): Promise<PackageConfigFiles> {
  const { kind } = await follow(view, path);
  if (kind === undefined) return { path, kind: 'missing', files: [] };
  if (kind === 'directory') {
    const files: { path: string; content: string }[] = [];
    for (const file of await portageFileList(view, path)) {
      files.push({ path: file, content: (await view.readFile(file)) ?? '' });
    }
    return { path, kind: 'directory', files };
  }
  return { path, kind: 'file', files: [{ path, content: (await view.readFile(path)) ?? '' }] };
}
