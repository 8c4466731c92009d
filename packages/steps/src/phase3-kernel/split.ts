import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, type ShellConfFile } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { getSystem } from '../shared/system-cache.js';
import { methodMismatch, readKernelTree, type KernelTree } from './tree.js';
import { COPY_CONFIG_TEMPLATE, KERNEL_ALIASES_TEMPLATE } from '../templates.generated.js';

/** The HOWTO's aliases (one per line; the HOWTO prints them on one line of its box). */
/** The HOWTO's make0/makeU aliases for ~/.bash_profile (templates/kernel-aliases.sh). */
export const ALIASES = KERNEL_ALIASES_TEMPLATE.trimEnd().split('\n');

/**
 * The HOWTO's ~/bin/copy-config, fixed (templates/copy-config.sh). In the HOWTO the second `cp`
 * is not chained with `&&`, so it runs even when `mkdir` or the first `cp` failed, and the
 * script's exit status only reports the last copy: a failed dom0 copy went unnoticed before
 * `make0 oldconfig`. Here every command must succeed (`set -e` and `&&`), and a missing argument
 * is an error instead of copying from `/_dom0`.
 */
export const COPY_CONFIG = COPY_CONFIG_TEMPLATE;

export interface KernelSplitFacts {
  mismatch: string | undefined;
  sourcesPath: string;
  tree: KernelTree | undefined;
  dirs: { path: string; exists: boolean }[];
  home: string;
  bashProfile: string | undefined;
  binExists: boolean;
  copyConfig: string | undefined;
  conf: ShellConfFile;
}

export const kernelSplitStep = defineStep<Answers, KernelSplitFacts>({
  id: 'kernel-split',
  title: 'Separate the dom0 and domU builds',
  phase: 'Building the kernel',
  howtoSection: 'Separating dom0 and domU',
  after: ['kernel-sources'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const tree = await readKernelTree(view, answers.kernel.sources);
    const home = answers.kernel.user_home;
    const dirs = tree
      ? await Promise.all(
          ['_dom0', '_domU'].map(async (d) => {
            const path = `${tree.realPath}/${d}`;
            return { path, exists: (await view.stat(path))?.kind === 'directory' };
          }),
        )
      : [];
    return {
      mismatch: methodMismatch(answers.kernel, 'split'),
      sourcesPath: answers.kernel.sources,
      tree,
      dirs,
      home,
      bashProfile: await view.readFile(`${home}/.bash_profile`),
      binExists: (await view.stat(`${home}/bin`)) !== undefined,
      copyConfig: await view.readFile(`${home}/bin/copy-config`),
      conf: await readMakeConfSet(view, sys.makeConfPath),
    };
  },
  plan(f): StepPlan {
    if (f.mismatch) return { status: 'not-applicable', reason: f.mismatch };
    if (!f.tree)
      return { status: 'blocked', reason: `no kernel source tree at ${f.sourcesPath} (step kernel-sources)` };
    const changes: Change[] = [];
    const what: string[] = [];
    for (const d of f.dirs) if (!d.exists) changes.push({ kind: 'directory', path: d.path });
    if (changes.length > 0) what.push('_dom0 and _domU build directories');

    const profile = f.bashProfile ?? '';
    const missing = ALIASES.filter((a) => !profile.split('\n').some((l) => l.trim() === a));
    const warnings: string[] = [];
    for (const a of missing) {
      const name = a.slice(6, 11);
      if (profile.split('\n').some((l) => l.trim().startsWith(`alias ${name}=`))) {
        warnings.push(
          `${f.home}/.bash_profile already defines ${name} differently; the HOWTO's alias is added after it and wins`,
        );
      }
    }
    if (missing.length > 0) {
      const sep = profile === '' || profile.endsWith('\n') ? '' : '\n';
      const after = `${profile}${sep}# make0/makeU: build the dom0 and domU kernels from one source tree\n${missing.join('\n')}\n`;
      changes.push({ kind: 'file', path: `${f.home}/.bash_profile`, before: f.bashProfile ?? null, after });
      what.push(`the make0/makeU aliases in ${f.home}/.bash_profile`);
    }
    if (f.copyConfig !== COPY_CONFIG) {
      if (!f.binExists) changes.push({ kind: 'directory', path: `${f.home}/bin` });
      changes.push({
        kind: 'file',
        path: `${f.home}/bin/copy-config`,
        before: f.copyConfig ?? null,
        after: COPY_CONFIG,
        mode: 0o755,
      });
      what.push(`${f.home}/bin/copy-config`);
      if (f.copyConfig !== undefined)
        warnings.push(
          `${f.home}/bin/copy-config differs from the tool's version and is replaced (kept in the journal)`,
        );
    }
    const kernelDir = f.sourcesPath;
    const wantOutput = `${kernelDir}/_dom0`;
    const vars = f.conf.vars;
    if (vars.get('KERNEL_DIR') !== kernelDir || vars.get('KBUILD_OUTPUT') !== wantOutput) {
      const { change } = planShellConfEdits(f.conf, [
        { op: 'set', variable: 'KERNEL_DIR', value: kernelDir },
        { op: 'set', variable: 'KBUILD_OUTPUT', value: '${KERNEL_DIR}/_dom0' },
      ]);
      if (change) {
        changes.push(change);
        what.push(`KERNEL_DIR and KBUILD_OUTPUT in ${f.conf.path} (external modules build against _dom0)`);
      }
    }
    warnings.push(...f.conf.warnings);
    if (changes.length === 0) {
      return {
        status: 'done',
        reason: `${f.tree.realPath} has _dom0 and _domU, make0/makeU and copy-config are in place, KBUILD_OUTPUT=${wantOutput}`,
        warnings,
      };
    }
    return { status: 'pending', reason: `set up ${what.join(', ')}`, changes, warnings };
  },
});
