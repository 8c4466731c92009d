import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, copyRoot, SAMPLES, snapshot } from './helpers.js';

describe('hostile input is bad input', () => {
  it('a file over the 8 MiB limit is refused by name before it is read (make.conf, answers file)', async () => {
    const root = copyRoot(SAMPLES.current);
    const conf = join(root, 'etc/portage/make.conf');
    // Sparse: the size is what counts, nothing is read.
    truncateSync(conf, 9 * 1024 * 1024);
    const before = snapshot(root);
    for (const command of ['plan', 'apply']) {
      const result = await cli([command, '--root', root, ...(command === 'apply' ? ['--yes'] : [])]);
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(String(result.stderr)).toContain(
        '/etc/portage/make.conf: is 9 MiB, more than the 8 MiB the tool reads from a file; expected a file of at most 8 MiB',
      );
    }
    expect(snapshot(root)).toEqual(before);

    const answers = join(copyRoot(SAMPLES.current), 'answers.ini');
    writeFileSync(answers, '[boot]\n');
    truncateSync(answers, 8 * 1024 * 1024 + 1);
    const result = await cli(['plan', '--root', SAMPLES.current, '--answers', answers]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${answers}: is 8.0 MiB, more than the 8 MiB`);
  });

  it('a byte order mark in make.conf is named, with no invisible character in the message', async () => {
    const root = copyRoot(SAMPLES.current);
    const conf = join(root, 'etc/portage/make.conf');
    writeFileSync(conf, `\uFEFF${readFileSync(conf, 'utf8')}`);
    const result = await cli(['plan', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(
      '/etc/portage/make.conf:1: the file starts with a byte order mark (U+FEFF)',
    );
    expect(String(result.stderr)).not.toMatch(/\p{Cf}/u);
  });

  it('a source chain deeper than 16 is bad input naming the file and line', async () => {
    const root = copyRoot(SAMPLES.current);
    appendFileSync(join(root, 'etc/portage/make.conf'), 'source d1.conf\n');
    for (let i = 1; i <= 20; i++)
      writeFileSync(join(root, `etc/portage/d${i}.conf`), `V${i}=x\nsource d${i + 1}.conf\n`);
    writeFileSync(join(root, 'etc/portage/d21.conf'), 'DEEP=1\n');
    const result = await cli(['plan', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(
      /\/etc\/portage\/d16\.conf:2: source \/etc\/portage\/d17\.conf: sourced files nest more than 16 deep/,
    );
  });

  it('boot render --dom0-mem -5G is refused like the answers file refuses it', async () => {
    const flag = await cli(['boot', 'render', 'grub2', '--kernel', '6.1.0', '--dom0-mem', '-5G']);
    expect(flag.exitCode).toBe(2);
    expect(String(flag.stderr)).toMatch(/for --dom0-mem; expected a size above zero/);
    expect(String(flag.stdout)).toBe('');
    const answers = join(copyRoot(SAMPLES.current), 'answers.ini');
    writeFileSync(answers, '[boot]\ndom0_mem = -5G\n');
    const file = await cli(['boot', 'render', 'grub2', '--kernel', '6.1.0', '--answers', answers]);
    expect(file.exitCode).toBe(2);
    expect(String(file.stderr)).toMatch(/answers\.ini:2: .*expected a size above zero/);
  });
});
