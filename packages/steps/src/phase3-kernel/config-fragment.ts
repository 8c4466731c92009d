/** The Xen options a kernel of one role gets on one tree. */
import {
  buildFragment,
  combineFragments,
  type Fragment,
  type KernelArch,
  type KernelEra,
  type KernelRole,
} from '@xen-gentoo/kernel-config';

/** The fragment for a role on a tree (one kernel for both roles when `single`). */
export function fragmentFor(options: {
  role: KernelRole;
  era: KernelEra;
  arch: KernelArch;
  single?: boolean;
  serialConsole?: boolean;
}): Fragment {
  const base = {
    era: options.era,
    arch: options.arch,
    ...(options.serialConsole === undefined ? {} : { serialConsole: options.serialConsole }),
  };
  const dom0 = buildFragment({ ...base, role: 'dom0' });
  if (options.single) return combineFragments(dom0, buildFragment({ ...base, role: 'domU' }));
  return options.role === 'dom0' ? dom0 : buildFragment({ ...base, role: 'domU' });
}
