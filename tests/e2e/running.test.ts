import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordedHost, type RunOptions, type RunResult } from '@xen-gentoo/core';
import { ALL_STEPS, defaultAnswers } from '@xen-gentoo/steps';
import { describe, expect, it } from 'vitest';
import { applyRecorded, put } from '../../packages/steps/src/testing/samples.js';
import { cli, copyRoot, dom0Root, REPO, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

const XEN_ROOT_FILES = { 'proc/xen/capabilities': 'control_d\n', 'sys/hypervisor/type': 'xen\n' };

/**
 * A recorded runner for the init systems' programs (rc-service, /etc/init.d/NAME, systemctl and
 * xl/xm are Gentoo-only or need a running Xen): it records every call and imitates the init
 * system's bookkeeping of a started service, so detection sees what a real start leaves.
 */
class RecordedInitHost extends RecordedHost {
  override async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await super.run(argv, options);
    const started = (dir: string, name: string): void => {
      mkdirSync(join(this.root, dir), { recursive: true });
      symlinkSync(`/etc/init.d/${name}`, join(this.root, dir, name));
    };
    if (argv[0] === 'rc-service' && argv[2] === 'start') started('run/openrc/started', argv[1] ?? '');
    const initd = /^\/etc\/init\.d\/(.+)$/.exec(argv[0] ?? '');
    if (initd && argv[1] === 'start') started('var/lib/init.d/started', initd[1] ?? '');
    return result;
  }
}

const applyRunning = (host: RecordedInitHost): Promise<string[]> =>
  applyRecorded(host, ALL_STEPS, defaultAnswers(), ['running']);

/** What running starts on the dom0 sample (OpenRC), in order, and its check. */
const SERVICE_COMMANDS = [
  'rc-service xencommons start',
  'rc-service xenstored start',
  'rc-service xenconsoled start',
  'rc-service xenqemudev start',
  'rc-service xendomains start',
  'xl info',
];
const runningLine = (out: string): string => out.split('\n').find((l) => / running /.test(l)) ?? '';

describe('running (phase 5): the reboot into Xen', () => {
  it.each([
    ['legacy', 'Xen / Linux 2.6.20-xen-r6" in GRUB\'s menu'],
    ['current', 'Gentoo GNU/Linux, with Xen hypervisor" in GRUB\'s menu (written by grub-mkconfig)'],
  ] as const)(
    'plan on the %s sample: running waits for the reboot, with nothing else',
    async (era, entry) => {
      const r = await cli(['plan', '--root', SAMPLES[era], '--json']);
      expect(r.exitCode).toBe(0);
      const step = (
        JSON.parse(String(r.stdout)) as { steps: { id: string; status: string; changes: unknown[] }[] }
      ).steps.find((s) => s.id === 'running');
      expect(step?.status).toBe('pending');
      expect(step?.changes).toEqual([
        {
          kind: 'manual',
          text: `Reboot and pick "${entry}; then run xen-gentoo apply again: it carries on with the Xen services (phase 5) and what follows.`,
        },
      ]);
    },
  );

  it('apply records where it stopped; the next apply tells no reboot, a plain-kernel boot and a dom0 apart', async () => {
    const root = copyRoot(SAMPLES.current);
    put(root, 'proc/sys/kernel/random/boot_id', 'aaaaaaaa-0000-0000-0000-000000000001\n');
    put(root, 'proc/version', 'Linux version 6.12.58-gentoo (root@h) (gcc 14) #1 SMP\n');
    const first = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    expect(String(first.stdout)).toContain(
      'For you to do:\n  Reboot and pick "Gentoo GNU/Linux, with Xen hypervisor"',
    );
    const state = JSON.parse(readFileSync(join(root, STATE_DIR, 'resume.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({
      version: 1,
      step: 'running',
      entry: 'Gentoo GNU/Linux, with Xen hypervisor',
      kernel: '6.12.58-gentoo',
      bootId: 'aaaaaaaa-0000-0000-0000-000000000001',
    });
    expect(state.runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);

    // Same boot: not rebooted yet.
    const same = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(String(same.stderr)).toContain(`Waiting: run ${String(state.runId)} stopped on `);
    expect(String(same.stderr)).toContain('this system has not rebooted since');

    // Rebooted into the plain kernel: which entry to pick instead.
    put(root, 'proc/sys/kernel/random/boot_id', 'aaaaaaaa-0000-0000-0000-000000000002\n');
    put(root, 'proc/cmdline', 'BOOT_IMAGE=/boot/vmlinuz-6.12.58-gentoo root=/dev/sda3 ro\n');
    const plain = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(String(plain.stderr)).toContain(
      'but this boot runs Linux 6.12.58-gentoo without Xen (booted /boot/vmlinuz-6.12.58-gentoo): reboot and pick "Gentoo GNU/Linux, with Xen hypervisor" in GRUB\'s menu (written by grub-mkconfig) instead; phase 5 (running) and later wait for it.',
    );
    expect(existsSync(join(root, STATE_DIR, 'resume.json'))).toBe(true);

    // Booted into Xen: the apply says so and carries on with phase 5.
    put(root, 'proc/sys/kernel/random/boot_id', 'aaaaaaaa-0000-0000-0000-000000000003\n');
    put(root, 'proc/cmdline', 'root=/dev/sda3 ro console=hvc0\n');
    for (const [path, text] of Object.entries(XEN_ROOT_FILES)) put(root, path, text);
    const xen = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(xen.exitCode, String(xen.stderr)).toBe(0);
    expect(String(xen.stderr)).toContain(`Resuming: run ${String(state.runId)} stopped on `);
    expect(String(xen.stderr)).toContain(
      "this system now runs as Xen's dom0, so apply carries on with phase 5 (running) and later.",
    );
    expect(String(xen.stdout)).toContain('rc-service xencommons start');

    // Once emerge has installed the tools and the services run, the record goes.
    execFileSync('cp', ['-a', `${join(REPO, 'samples/current-amd64-dom0/var')}/.`, join(root, 'var')]);
    const host = new RecordedInitHost(root);
    expect(await applyRunning(host)).toEqual(['running']);
    const done = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(existsSync(join(root, STATE_DIR, 'resume.json'))).toBe(false);
  });

  it('a run of other steps (--only, domu add) neither writes the resume record nor changes it', async () => {
    const root = copyRoot(SAMPLES.current);
    put(root, 'proc/sys/kernel/random/boot_id', 'aaaaaaaa-0000-0000-0000-000000000001\n');
    const some = await cli(['apply', '--yes', '--skip-commands', '--root', root, '--only', 'buildpkg']);
    expect(some.exitCode, String(some.stderr)).toBe(0);
    expect(existsSync(join(root, STATE_DIR, 'resume.json'))).toBe(false);
    const all = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(all.exitCode, String(all.stderr)).toBe(0);
    const recorded = readFileSync(join(root, STATE_DIR, 'resume.json'), 'utf8');
    const later = await cli(['apply', '--yes', '--skip-commands', '--root', root, '--only', 'net-bridge']);
    expect(later.exitCode, String(later.stderr)).toBe(0);
    expect(readFileSync(join(root, STATE_DIR, 'resume.json'), 'utf8')).toBe(recorded);
  });

  it('a resume record that is a symlink is refused, naming it (never followed)', async () => {
    const root = copyRoot(SAMPLES.current);
    mkdirSync(join(root, STATE_DIR), { recursive: true });
    symlinkSync('/etc/passwd', join(root, STATE_DIR, 'resume.json'));
    const r = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain(`${join(root, STATE_DIR, 'resume.json')}`);
  });
});

describe('running (phase 5): the sample after the reboot (dom0)', () => {
  it("booted into Xen with the tool's kernel: the kernel and boot loader phases are done, running is pending with the service commands", async () => {
    const root = dom0Root();
    const plan = await cli(['plan', '--root', root, '--json']);
    expect(plan.exitCode, String(plan.stderr)).toBe(0);
    const steps = (
      JSON.parse(String(plan.stdout)) as {
        steps: {
          id: string;
          phase: string;
          status: string;
          reason: string;
          changes: { argv?: string[] }[];
        }[];
      }
    ).steps;
    for (const phase of ['Building the kernel', 'Updating your boot loader']) {
      const inPhase = steps.filter((s) => s.phase === phase);
      expect(inPhase.length).toBeGreaterThan(0);
      for (const step of inPhase)
        expect([step.id, step.status], step.reason).toEqual([
          step.id,
          expect.stringMatching(/^(done|not-applicable)$/),
        ]);
    }
    expect(steps.filter((s) => s.status === 'done').map((s) => s.id)).toEqual(
      expect.arrayContaining(['kernel-dom0-config', 'kernel-domU-config', 'kernel-build', 'boot-grub']),
    );
    const running = steps.find((s) => s.id === 'running');
    expect(running?.status).toBe('pending');
    expect(running?.changes.map((c) => c.argv?.join(' '))).toEqual(SERVICE_COMMANDS);
    expect(steps.filter((s) => s.status === 'pending').map((s) => s.id)).toEqual(['running']);
  });

  it('plan shows the service commands; a dry run writes nothing; done once they ran; a second apply changes nothing', async () => {
    const root = dom0Root();
    const before = snapshot(root);
    const plan = await cli(['plan', '--root', root]);
    expect(plan.exitCode, String(plan.stderr)).toBe(0);
    expect(runningLine(String(plan.stdout))).toMatch(
      /pending +running +start xencommons, xenstored, xenconsoled, xenqemudev, xendomains and check with xl info; this system runs as Xen's dom0/,
    );
    expect(String(plan.stdout)).toContain('rc-service xencommons start');
    expect(String(plan.stdout)).toContain('xl info');
    const pretend = await cli(['apply', '-p', '--root', root]);
    expect(pretend.exitCode).toBe(0);
    expect(snapshot(root)).toEqual(before);

    const host = new RecordedInitHost(root);
    expect(await applyRunning(host)).toEqual(['running']);
    expect(host.calls.map((c) => c.argv.join(' '))).toEqual(SERVICE_COMMANDS);
    const after = await cli(['plan', '--root', root]);
    expect(runningLine(String(after.stdout))).toMatch(
      /done +running +this system runs as Xen's dom0 .*recorded as started \(\/run\/openrc\/started\/…\)/,
    );
    const again = snapshot(root, [STATE_DIR]);
    const second = new RecordedInitHost(root);
    expect(await applyRunning(second)).toEqual([]);
    expect(second.calls).toEqual([]);
    expect(snapshot(root, [STATE_DIR])).toEqual(again);
  });

  it('2007 after the reboot: /etc/init.d/xend start and xm info, done once baselayout records xend', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const apply = await cli(['apply', '--yes', '--skip-commands', '--root', root]);
    expect(apply.exitCode, String(apply.stderr)).toBe(0);
    for (const [path, text] of Object.entries(XEN_ROOT_FILES)) put(root, path, text);
    const pkg = join(root, 'var/db/pkg/app-emulation/xen-tools-3.1.2');
    mkdirSync(pkg, { recursive: true });
    for (const [name, text] of Object.entries({
      CATEGORY: 'app-emulation',
      PF: 'xen-tools-3.1.2',
      CFLAGS: '',
    }))
      writeFileSync(join(pkg, name), `${text}\n`);
    const host = new RecordedInitHost(root);
    expect(await applyRunning(host)).toEqual(['running']);
    expect(host.calls.map((c) => c.argv.join(' '))).toEqual(['/etc/init.d/xend start', 'xm info']);
    const after = await cli(['plan', '--root', root, '--only', 'running']);
    expect(runningLine(String(after.stdout))).toMatch(
      /done +running .*xend recorded as started \(\/var\/lib\/init\.d\/started\/…\)/,
    );
  });
});
