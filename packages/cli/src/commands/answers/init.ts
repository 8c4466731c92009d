import * as Flags from '@oclif/core/flags';
import { LocalHost, View, withoutCommands } from '@xen-gentoo/core';
import { detectAnswerValues, type DetectedAnswer } from '@xen-gentoo/steps';
import { describeAnswers } from '@xen-gentoo/steps/answers';
import { renderAnswersTemplate } from '../../lib/answers-init.js';
import { BaseCommand } from '../../lib/base-command.js';

export default class AnswersInit extends BaseCommand<typeof AnswersInit> {
  static override summary =
    'Print a complete, commented answers file: every section and key with its default, values and HOWTO section.';
  static override description =
    'Every key is commented out, so the file as printed changes nothing; with --from-root DIR the values detection finds on that target (boot loader, root device, kernel version) are filled in. Nothing is written: redirect the output to a file.';
  static override examples = [
    '<%= config.bin %> answers init > /etc/xen-gentoo.ini',
    '<%= config.bin %> answers init --from-root /mnt/gentoo > host.ini',
  ];
  static override flags = {
    'from-root': Flags.directory({
      exists: true,
      summary: 'Fill in what detection finds on the target root mounted at DIR.',
    }),
  };

  async run(): Promise<void> {
    const from = this.flags['from-root'];
    let detected: Record<string, DetectedAnswer> = {};
    if (from !== undefined) {
      const host = new LocalHost(from);
      await this.checkGentooTarget(host);
      detected = await detectAnswerValues(new View(withoutCommands(host)));
    }
    const text = renderAnswersTemplate(describeAnswers(), { detected, root: from });
    if (this.flags.json) this.writeJson({ version: 1, text });
    else process.stdout.write(text);
  }
}
