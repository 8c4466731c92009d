import { Args, Flags } from '@oclif/core';
import { listRuns, rollbackRun } from '@xen-gentoo/core';
import { BaseCommand } from '../lib/base-command.js';

export default class Rollback extends BaseCommand<typeof Rollback> {
  static override summary = 'Restore the files an apply run changed (default: the newest run).';
  static override examples = [
    '<%= config.bin %> rollback --list',
    '<%= config.bin %> rollback 20261125-213501-3f2a',
  ];
  static override args = { run: Args.string({ description: 'Run id (see --list).', required: false }) };
  static override flags = { list: Flags.boolean({ summary: 'List the recorded runs.', default: false }) };

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
            `${run.runId}  ${run.startedAt}  ${run.changes} change(s)${run.finished ? '' : '  (interrupted)'}\n`,
          );
      return;
    }
    const result = await rollbackRun(host, args.run);
    if (this.flags.json) this.writeJson(result);
    else {
      for (const path of result.restored) process.stdout.write(`restored ${path}\n`);
      process.stdout.write(`${result.restored.length} file(s) restored; commands that ran are not undone\n`);
    }
  }
}
