import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { listRuns, rollbackRun, shellQuote } from '@xen-gentoo/core';
import { BaseCommand } from '../lib/base-command.js';

export default class Rollback extends BaseCommand<typeof Rollback> {
  static override summary = 'Restore the files an apply run changed (default: the newest run).';
  static override description =
    "Every path is checked first: when a file changed after the run wrote it, nothing is restored (exit 4) unless --force is given, which keeps the overwritten content in the run's backups. Commands the run ran are not undone; they are listed.";
  static override examples = [
    '<%= config.bin %> rollback --list',
    '<%= config.bin %> rollback 20261125-213501-3f2a',
  ];
  static override args = { run: Args.string({ description: 'Run id (see --list).', required: false }) };
  static override flags = {
    list: Flags.boolean({ summary: 'List the recorded runs.', default: false }),
    force: Flags.boolean({ summary: 'Restore even files that changed after the run.', default: false }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Rollback);
    const host = this.host();
    if (this.flags.list) {
      const runs = await listRuns(host);
      if (this.flags.json) this.writeJson({ runs });
      else if (runs.length === 0) process.stdout.write('no recorded runs\n');
      else
        for (const run of runs)
          process.stdout.write(
            `${run.runId}  ${run.startedAt}  ${run.changes} change(s)  ${run.status}${run.rolledBack ? '  (rolled back)' : ''}${run.damaged ? `  (journal damaged at line ${run.damaged.line}: ${run.damaged.problem})` : ''}\n`,
          );
      return;
    }
    const result = await rollbackRun(host, args.run, { force: this.flags.force });
    if (this.flags.json) {
      this.writeJson(result);
      return;
    }
    for (const line of result.leftovers) process.stderr.write(`${line}\n`);
    for (const path of result.restored)
      process.stdout.write(`restored ${path}${result.forced.includes(path) ? ' (forced)' : ''}\n`);
    for (const path of result.directoriesRemoved) process.stdout.write(`removed directory ${path}\n`);
    for (const path of result.directoriesKept) process.stdout.write(`kept directory ${path} (not empty)\n`);
    process.stdout.write(`run ${result.runId}: ${result.restored.length} path(s) restored\n`);
    if (result.commandsNotUndone.length) {
      process.stdout.write('commands that ran are not undone:\n');
      for (const argv of result.commandsNotUndone)
        process.stdout.write(`  ${argv.map(shellQuote).join(' ')}\n`);
    }
  }
}
