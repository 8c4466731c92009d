import * as Args from '@oclif/core/args';
import { readAnswers, readAnswersText } from '../../lib/answers-file.js';
import { problemsError } from '../../lib/answers-reading.js';
import { BaseCommand } from '../../lib/base-command.js';

export default class AnswersCheck extends BaseCommand<typeof AnswersCheck> {
  static override summary =
    'Check an answers file: every problem at once, each with file and line (exit 2); reads no target.';
  static override examples = ['<%= config.bin %> answers check /etc/xen-gentoo.ini'];
  static override args = { file: Args.string({ required: true, description: 'the answers file' }) };

  async run(): Promise<void> {
    const file = this.args.file;
    const reading = readAnswers(await readAnswersText(file), file);
    if (reading.problems.length > 0) throw problemsError(reading.problems);
    if (this.flags.json) this.writeJson({ version: 1, file, ok: true, problems: [] });
    else process.stdout.write(`${file}: fine (${reading.located.length} key(s) set)\n`);
  }
}
