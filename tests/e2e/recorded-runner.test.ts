import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSteps, RecordedHost, withoutCommands, type RunOptions, type RunResult } from '@xen-gentoo/core';
import { ALL_STEPS, defaultAnswers, detectSystem, rebuildWorldStep } from '@xen-gentoo/steps';
import { View } from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import { applyRecorded } from '../../packages/steps/src/testing/samples.js';
import { bashVars, copyRoot, SAMPLES, snapshot, STATE_DIR, PHASE_1_2 } from './helpers.js';

/**
 * A recorded command runner for the Gentoo-only programs this machine cannot run (emerge,
 * eselect, rc-update …). It records every call and imitates Portage's bookkeeping, so that
 * detection (which reads /var/db/pkg) sees what a real emerge would have left.
 */
class RecordedGentooHost extends RecordedHost {
  override async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await super.run(argv, options);
    if (argv[0] === 'emerge') await this.#emerge(argv.slice(1));
    return result;
  }

  async #emerge(args: string[]): Promise<void> {
    const sys = await detectSystem(new View(this));
    const makeConf = join(this.root, sys.makeConfPath);
    const cflags = bashVars(makeConf, ['CFLAGS']).CFLAGS;
    const record = (catpn: string, version: string): void => {
      const [category, name] = catpn.split('/') as [string, string];
      const dir = join(this.root, 'var/db/pkg', category, `${name}-${version}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'CATEGORY'), `${category}\n`);
      writeFileSync(join(dir, 'PF'), `${name}-${version}\n`);
      writeFileSync(join(dir, 'CFLAGS'), `${cflags}\n`);
    };
    if (args.includes('--emptytree') || args.includes('--resume') || args.includes('--newuse')) {
      // Portage records the USE each package was rebuilt with; the USE stacking rebuild-world
      // reads stands in for Portage's own here.
      const { useChanged } = await rebuildWorldStep.detect({
        view: new View(this),
        answers: defaultAnswers(),
      });
      const vdb = join(this.root, 'var/db/pkg');
      for (const category of readdirSync(vdb))
        for (const pf of readdirSync(join(vdb, category))) {
          if (!args.includes('--newuse')) writeFileSync(join(vdb, category, pf, 'CFLAGS'), `${cflags}\n`);
          const flags = useChanged.find((u) => u.pkg === `${category}/${pf}`)?.flags ?? [];
          if (flags.length === 0) continue;
          const useFile = join(vdb, category, pf, 'USE');
          const use = new Set(readFileSync(useFile, 'utf8').split(/\s+/).filter(Boolean));
          for (const f of flags) {
            if (f.on) use.add(f.flag);
            else use.delete(f.flag);
          }
          writeFileSync(useFile, `${[...use].sort().join(' ')}\n`);
        }
      return;
    }
    for (const atom of args.filter((a) => !a.startsWith('-'))) {
      const ebuilds = await sys.available(atom);
      const best = ebuilds.filter((e) => e.keywords.includes(sys.arch)).at(-1) ?? ebuilds.at(-1);
      if (best) record(atom, best.version);
    }
  }
}

const applyAll = (host: RecordedGentooHost): Promise<string[]> =>
  applyRecorded(host, ALL_STEPS, defaultAnswers(), PHASE_1_2);

describe.each(Object.entries(SAMPLES))(
  'recorded command runner (emerge, rc-update are Gentoo-only): %s root',
  (_era, sample) => {
    it('the first apply runs the commands; the second runs none and writes nothing', async () => {
      const root = copyRoot(sample);
      const host = new RecordedGentooHost(root);
      await applyAll(host);
      const firstCalls = host.calls.map((c) => c.argv.join(' '));
      expect(firstCalls.some((c) => c.startsWith('emerge --verbose --noreplace app-emulation/xen'))).toBe(
        true,
      );

      const before = snapshot(root, [STATE_DIR]);
      host.calls.length = 0;
      const steps = await applyAll(host);
      expect(steps).toEqual([]);
      expect(host.calls).toEqual([]);
      expect(snapshot(root, [STATE_DIR])).toEqual(before);

      const plan = await planSteps(ALL_STEPS, withoutCommands(host), defaultAnswers(), { only: PHASE_1_2 });
      for (const step of plan.steps)
        expect(['done', 'not-applicable'], `${step.id}: ${step.reason}`).toContain(step.status);
    });
  },
);

describe('xen-services on each era', () => {
  it('legacy: xend in the default runlevel; current: xencommons, xenstored, xenconsoled, xendomains, xenqemudev', async () => {
    for (const [era, sample] of Object.entries(SAMPLES)) {
      const root = copyRoot(sample);
      await applyAll(new RecordedGentooHost(root));
      const links = execFileSync('ls', [join(root, 'etc/runlevels/default')], { encoding: 'utf8' }).split(
        '\n',
      );
      if (era === 'legacy') {
        expect(links).toContain('xend');
        expect(links).not.toContain('net.eth0');
      } else {
        expect(links).toEqual(
          expect.arrayContaining([
            'xencommons',
            'xenstored',
            'xenconsoled',
            'xendomains',
            'xenqemudev',
            'net.eth0',
          ]),
        );
        expect(readFileSync(join(root, 'etc/conf.d/xenqemudev'), 'utf8')).toMatch(
          /^XENQEMUDEV_FILE_BACKEND_ENABLE=yes$/m,
        );
      }
    }
  });
});
