import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COPY_CONFIG_TEMPLATE, KERNEL_ALIASES_TEMPLATE } from './templates.generated.js';

const dir = join(import.meta.dirname, '../../../templates');

describe('templates', () => {
  it('the embedded copies match the files in templates/', () => {
    expect(COPY_CONFIG_TEMPLATE).toBe(readFileSync(join(dir, 'copy-config.sh'), 'utf8'));
    expect(KERNEL_ALIASES_TEMPLATE).toBe(readFileSync(join(dir, 'kernel-aliases.sh'), 'utf8'));
  });
});

describe('copy-config', () => {
  it('copies both configurations from the old tree, and fails when one is missing', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const work = mkdtempSync(join(tmpdir(), 'xg-copy-config-'));
    const script = join(work, 'copy-config');
    writeFileSync(script, COPY_CONFIG_TEMPLATE, { mode: 0o755 });
    const old = join(work, 'linux-old');
    const next = join(work, 'linux-new');
    mkdirSync(join(old, '_dom0'), { recursive: true });
    mkdirSync(join(old, '_domU'), { recursive: true });
    mkdirSync(next);
    writeFileSync(join(old, '_dom0/.config'), 'CONFIG_XEN_DOM0=y\n');
    writeFileSync(join(old, '_domU/.config'), 'CONFIG_XEN_BLKDEV_FRONTEND=y\n');
    expect(spawnSync('sh', [script, old], { cwd: next }).status).toBe(0);
    expect(readFileSync(join(next, '_dom0/.config'), 'utf8')).toBe('CONFIG_XEN_DOM0=y\n');
    expect(readFileSync(join(next, '_domU/.config'), 'utf8')).toBe('CONFIG_XEN_BLKDEV_FRONTEND=y\n');
    // The HOWTO's version would go on after a failed first copy; this one stops.
    const broken = join(work, 'linux-broken');
    mkdirSync(join(broken, '_domU'), { recursive: true });
    writeFileSync(join(broken, '_domU/.config'), 'X\n');
    const third = join(work, 'linux-third');
    mkdirSync(third);
    expect(spawnSync('sh', [script, broken], { cwd: third }).status).not.toBe(0);
    expect(existsSync(join(third, '_domU/.config'))).toBe(false);
    expect(spawnSync('sh', [script], { cwd: third }).status).toBe(2);
  });
});
