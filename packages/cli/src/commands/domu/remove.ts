import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import {
  ApplySession,
  defineStep,
  importOnDemand,
  renderChange,
  toPlannedStep,
  UsageError,
  type Change,
} from '@xen-gentoo/core';
import { GUEST_NAME_EXPECTED, isGuestName } from '@xen-gentoo/steps';
import { quoteName } from '../../lib/answers-reading.js';
import { BaseCommand } from '../../lib/base-command.js';
import { interactive } from '../../lib/output.js';
import { imageOfConfig } from './list.js';

export default class DomuRemove extends BaseCommand<typeof DomuRemove> {
  static override summary =
    'Remove a guest: /etc/xen/NAME and its autostart link (the image only with --image).';
  static override args = { name: Args.string({ required: true, description: 'The guest name.' }) };
  static override flags = {
    image: Flags.boolean({
      summary: 'Delete its disk image too (not kept: rollback cannot bring it back).',
      default: false,
    }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask.', default: false }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(DomuRemove);
    if (!isGuestName(args.name))
      throw new UsageError(`bad guest name ${quoteName(args.name)}; expected ${GUEST_NAME_EXPECTED}`);
    const name = args.name;
    const withImage = this.flags.image;
    const host = this.host();
    const step = defineStep<null, Change[]>({
      id: 'domu-remove',
      title: `Remove the guest ${name}`,
      phase: 'Creating DomUs',
      howtoSection: 'Autostart domU',
      async detect({ view }) {
        const changes: Change[] = [];
        const link = await view.readlink(`/etc/xen/auto/${name}`);
        if (link !== undefined) changes.push({ kind: 'remove', path: `/etc/xen/auto/${name}`, before: link });
        const config = await view.readFile(`/etc/xen/${name}`);
        if (config !== undefined) changes.push({ kind: 'remove', path: `/etc/xen/${name}`, before: config });
        const image = config === undefined ? undefined : imageOfConfig(config);
        if (withImage && image !== undefined && (await view.stat(image))?.kind === 'file')
          changes.push({ kind: 'remove-image', path: image });
        return changes;
      },
      plan(changes) {
        return changes.length
          ? {
              status: 'pending',
              reason: `remove ${changes.map((c) => ('path' in c ? c.path : '')).join(', ')}`,
              changes,
            }
          : { status: 'done', reason: `no /etc/xen/${name} and no /etc/xen/auto/${name}` };
      },
    });
    const { View } = await import('@xen-gentoo/core');
    const view = new View(host);
    const result = step.plan(await step.detect({ view, answers: null }), null);
    const shown = toPlannedStep(step, result);
    if (result.status !== 'pending') {
      if (this.flags.json) this.writeJson({ version: 1, removed: [] });
      else process.stdout.write(`Nothing to do: ${result.reason}.\n`);
      return;
    }
    if (!this.flags.json)
      for (const c of shown.changes) process.stdout.write(`${renderChange(c, this.color)}\n`);
    if (!this.flags.yes) {
      if (!interactive())
        throw new UsageError('domu remove asks first: pass --yes when there is no terminal');
      const { confirm } = await importOnDemand('@inquirer/prompts', () => import('../../lib/prompts.js'));
      if (!(await confirm({ message: `Remove the guest ${name}?`, default: false }))) {
        process.stderr.write('Nothing changed.\n');
        process.exitCode = 1;
        return;
      }
    }
    const session = await ApplySession.open(host, { skipCommands: false });
    let ok = false;
    try {
      await session.applyStep(step, shown, null);
      ok = true;
    } finally {
      await session.close(ok ? 'ok' : 'failed');
    }
    if (this.flags.json)
      this.writeJson({
        version: 1,
        runId: session.runId,
        removed: shown.changes.map((c) => ('path' in c ? c.path : '')),
      });
    else process.stdout.write(`Removed; undo the file removals with: xen-gentoo rollback ${session.runId}\n`);
  }
}
