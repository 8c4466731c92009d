import { View, withoutCommands } from '@xen-gentoo/core';
import { kernel } from '@xen-gentoo/steps';
import { BaseCommand } from '../../lib/base-command.js';
import { kernelFlags, kernelPathFlags, withKernelFlags } from '../../lib/kernel-role.js';

export default class KernelCheck extends BaseCommand<typeof KernelCheck> {
  static override summary = "Check a resolved kernel .config against the HOWTO's Xen options.";
  static override description =
    "Every requested option Kconfig dropped or changed is listed with the dependency that is missing, read from the tree's own Kconfig files. Exit 0 when all were kept, 1 otherwise.";
  static override examples = ['<%= config.bin %> kernel check --role dom0 --source /usr/src/linux'];
  static override flags = { ...kernelFlags };

  async run(): Promise<void> {
    const paths = kernelPathFlags(this.flags);
    const answers = withKernelFlags(await this.loadAnswers(), { ...paths, base: this.flags.base });
    const role = this.flags.role as 'dom0' | 'domU';
    const view = new View(withoutCommands(this.host()));
    const facts = await kernel.detectKernelConfig(view, answers, role, paths.out);
    const where = facts.out ? `${facts.out}/.config` : '.config';
    if (!facts.tree) throw new kernelError(`no kernel source tree at ${facts.sourcesPath}`);
    if (!facts.fragment || !facts.out) throw new kernelError(`no Xen options for a ${facts.arch} kernel`);
    if (facts.fragment.refusal) throw new kernelError(facts.fragment.refusal);
    const configText = facts.current;
    if (configText === undefined)
      throw new kernelError(`${where} does not exist yet (run kernel config first)`);
    const tree = facts.tree;
    const check = await kernel.checkKernelConfig({
      fragment: facts.fragment,
      configText,
      readTreeFile: (p) => view.readFile(`${tree.realPath}/${p}`),
    });
    const ok = check.changes.length === 0;
    if (this.flags.json) {
      this.writeJson({
        config: where,
        ok,
        requested: check.requested,
        kept: check.kept,
        changes: check.changes,
        warnings: check.warnings,
      });
    } else {
      process.stdout.write(
        `${where}: ${check.requested - check.changes.length} of ${check.requested} requested Xen options kept\n`,
      );
      for (const c of check.changes) {
        const why = c.because.length ? c.because.join('; ') : 'no reason found in Kconfig';
        process.stdout.write(`  CONFIG_${c.symbol}=${c.requested} ${kernel.describeOutcome(c)}: ${why}\n`);
      }
      for (const u of facts.fragment.unmapped)
        process.stdout.write(`  (no option on this kernel) "${u.howtoText}": ${u.reason}\n`);
    }
    if (!ok) process.exitCode = 1;
  }
}

class kernelError extends Error {
  readonly expected = 'a configured kernel source tree';
  override name = 'KernelCheckError';
}
