import { describe, expect, it } from 'vitest';
import { answersFile, cli, dom0Root, GUESTS, SAMPLES } from './helpers.js';

/**
 * The whole `plan` output of both sample roots, human and --json, for the default answers and for
 * the HOWTO's other roads, compared byte for byte with the committed files under __snapshots__/.
 * A change of behaviour shows here as a diff; when it is meant, regenerate them with
 * `pnpm build && pnpm vitest run tests/e2e/plan-snapshot.test.ts -u` and review the diff.
 */
const ROADS: Record<string, string> = {
  default: '',
  serial: '[boot]\nserial = yes\n',
  single: '[kernel]\nsplit = no\n',
  genkernel: '[kernel]\ngenkernel = yes\n',
  lilo: '[boot]\nloader = lilo\n',
  pxelinux: '[boot]\npxe_dir = /srv/tftp\n',
  'grub2-custom': '[boot]\ngrub2_mode = custom-entry\n',
  guests: GUESTS,
};

describe.each(Object.entries(SAMPLES))('plan output of the %s sample root', (era, sample) => {
  it.each(Object.entries(ROADS))(
    'with the %s answers is unchanged (human and --json)',
    async (road, text) => {
      const answers = text === '' ? undefined : answersFile(text);
      const args = ['plan', '--root', sample, ...(answers === undefined ? [] : ['--answers', answers])];
      const human = await cli(args);
      const json = await cli([...args, '--json']);
      const clean = (s: unknown): string =>
        `exit ${human.exitCode}\n${String(s)
          .split(sample)
          .join('<root>')
          .split(answers ?? '\0')
          .join('<answers>')}\n`;
      await expect(clean(human.stdout) + '--- stderr\n' + clean(human.stderr)).toMatchFileSnapshot(
        `__snapshots__/plan-${era}-${road}.txt`,
      );
      await expect(clean(json.stdout)).toMatchFileSnapshot(`__snapshots__/plan-${era}-${road}.json.txt`);
    },
  );
});

describe('plan output of the sample root after the reboot (dom0: samples/make-dom0-root.mjs)', () => {
  it('with the default answers is unchanged (human and --json)', async () => {
    const root = dom0Root();
    const human = await cli(['plan', '--root', root]);
    const json = await cli(['plan', '--root', root, '--json']);
    const clean = (s: unknown): string => `exit ${human.exitCode}\n${String(s).split(root).join('<root>')}\n`;
    await expect(clean(human.stdout) + '--- stderr\n' + clean(human.stderr)).toMatchFileSnapshot(
      '__snapshots__/plan-dom0-default.txt',
    );
    await expect(clean(json.stdout)).toMatchFileSnapshot('__snapshots__/plan-dom0-default.json.txt');
  });
});
