import type { Change } from '@xen-gentoo/core';
import { fragmentValues, setConfigText, type Fragment, type KernelRole } from '@xen-gentoo/kernel-config';
import type { ConfigBase } from './config-base.js';
import { markResolvedAfter, resolveCommand, STAMP_NAME, stampText } from './config-stamp.js';

export interface PlanKernelConfigInput {
  role: KernelRole;
  fragment: Fragment;
  /** Kernel source tree (real path). */
  source: string;
  /** Output directory (`O=`); the source itself for an in-tree build. */
  out: string;
  /** Tree version (decides olddefconfig vs oldconfig). */
  baseVersion: string;
  hasMergeConfig: boolean;
  base: ConfigBase;
  /** Current OUT/.config text, if any. */
  current: string | undefined;
  /** Current stamp text, if any. */
  stamp: string | undefined;
  /** Whether OUT exists already (kernel-split may have made it). */
  outExists?: boolean;
}

/**
 * The changes that merge the fragment into the base and let Kconfig resolve it. Pure. The
 * changes are: stamp "applying"; the base (a file written from text, or commands that make it)
 * with the fragment merged; the Kconfig resolve command; stamp "resolved".
 */
export function planKernelConfig(input: PlanKernelConfigInput): {
  changes: Change[];
  reason: string;
  complete: boolean;
} {
  const { fragment, source, out } = input;
  const values = fragmentValues(fragment);
  const stampPath = `${out}/${STAMP_NAME}`;
  const configPath = `${out}/.config`;
  const changes: Change[] = [];
  if (out !== source && input.current === undefined && !input.outExists)
    changes.push({ kind: 'directory', path: out });
  if (input.stamp !== stampText(fragment, 'applying'))
    changes.push({
      kind: 'file',
      path: stampPath,
      before: input.stamp ?? null,
      after: stampText(fragment, 'applying'),
    });
  const resolve = resolveCommand(source, out, input.baseVersion);
  const resolveChange: Change = {
    kind: 'command',
    argv: markResolvedAfter(resolve, stampPath),
    why: `Kconfig resolves the ${input.role} configuration: dependencies, defaults, and any option the fragment cannot have`,
    inRoot: true,
    // oldconfig (trees before 3.7) asks about every new option: take the defaults.
    ...(resolve.includes('oldconfig') ? { acceptDefaults: true } : {}),
  };
  const o = out === source ? [] : [`O=${out}`];
  let from: string;
  let complete = true;
  switch (input.base.kind) {
    case 'existing':
    case 'boot': {
      from =
        input.base.kind === 'existing'
          ? `the existing ${configPath}`
          : `${input.base.path}${input.base.why ? ` (${input.base.why})` : ''}`;
      const merged = setConfigText(input.base.text, values);
      if (merged !== (input.current ?? null)) {
        changes.push({ kind: 'file', path: configPath, before: input.current ?? null, after: merged });
      }
      break;
    }
    case 'proc':
    case 'defconfig': {
      from =
        input.base.kind === 'proc' ? 'the running kernel (/proc/config.gz)' : 'the architecture defconfig';
      if (input.base.kind === 'proc') {
        changes.push(
          {
            kind: 'command',
            argv: ['cp', '/proc/config.gz', `${configPath}.gz`],
            why: "the running kernel's configuration is the base",
            inRoot: true,
          },
          {
            kind: 'command',
            argv: ['gzip', '-df', `${configPath}.gz`],
            why: `unpacks it to ${configPath}`,
            inRoot: true,
          },
        );
      } else {
        changes.push({
          kind: 'command',
          argv: ['make', '-C', source, ...o, 'defconfig'],
          why: 'the architecture defconfig is the base',
          inRoot: true,
        });
      }
      if (input.hasMergeConfig) {
        changes.push({
          kind: 'command',
          argv: [`${source}/scripts/kconfig/merge_config.sh`, '-m', '-O', out, configPath, stampPath],
          why: `merges the Xen options (${stampPath}) into it`,
          inRoot: true,
        });
      } else {
        // No merge script in 2.6-era trees: the next run merges into the .config made here.
        complete = false;
        return {
          changes: changes.filter((c) => c.kind !== 'file'),
          reason: `${input.role}: base is ${from}; this tree has no merge_config.sh, so the Xen options are merged on the next run`,
          complete,
        };
      }
      break;
    }
  }
  changes.push(resolveChange);
  return {
    changes,
    reason: `${input.role}: merge ${fragment.items.length} Xen options into ${from}, then \`${resolve.join(' ')}\` and check what Kconfig kept`,
    complete,
  };
}
