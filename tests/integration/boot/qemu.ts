import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { MARKER } from './initramfs.js';

export interface BootResult {
  log: string;
  /** Why the run stopped. */
  outcome: 'marker' | 'panic' | 'exited' | 'timeout';
  /** From QEMU's start (power-on) to the outcome being seen (polled every 0.5 s). */
  seconds: number;
}

/** Lines that mean the boot failed: stop at once instead of waiting for the timeout. */
const FAILURE = /Panic on CPU|Hardware Dom0 crashed|Kernel panic|Dom0 crashed/;

export interface QemuOptions {
  memoryMiB: number;
  timeoutSeconds: number;
  /** The serial log shows the run reached its end. */
  finished: (log: string) => boolean;
  /** How long to wait once `finished` holds, for the rest of the last lines to arrive. */
  settleMs: number;
}

export interface QemuRun {
  log: string;
  /** Why the run stopped (`finished`: the options' `finished` held). */
  outcome: 'finished' | 'panic' | 'exited' | 'timeout';
  /** From QEMU's start (power-on) to the outcome being seen (polled every 0.5 s). */
  seconds: number;
}

/**
 * Run QEMU (software emulation, default CPU model, two CPUs) with the serial port in a file,
 * watch the file, and stop once the run finished, on a panic, on QEMU's exit or at the timeout.
 */
export async function runQemu(args: string[], logFile: string, options: QemuOptions): Promise<QemuRun> {
  const started = Date.now();
  const child = spawn(
    'qemu-system-x86_64',
    [
      '-nographic',
      '-monitor',
      'none',
      '-serial',
      `file:${logFile}`,
      '-no-reboot',
      '-m',
      String(options.memoryMiB),
      '-smp',
      '2',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const read = (): string => (existsSync(logFile) ? readFileSync(logFile, 'latin1') : '');
  let outcome: QemuRun['outcome'] = 'timeout';
  let seen: number | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const log = read();
    if (options.finished(log)) {
      seen = Date.now();
      await new Promise((r) => setTimeout(r, options.settleMs));
      outcome = 'finished';
      break;
    }
    if (FAILURE.test(log)) {
      seen = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      outcome = 'panic';
      break;
    }
    if (exited) {
      outcome = 'exited';
      break;
    }
    if (Date.now() - started > options.timeoutSeconds * 1000) break;
  }
  const seconds = ((seen ?? Date.now()) - started) / 1000;
  if (!exited) child.kill('SIGKILL');
  return { log: read() + (stderr ? `\n[qemu stderr]\n${stderr}` : ''), outcome, seconds };
}

/** Boot QEMU (2 GiB) until the test initramfs prints its marker line (see runQemu). */
export async function bootQemu(args: string[], logFile: string, timeoutSeconds = 300): Promise<BootResult> {
  const r = await runQemu(args, logFile, {
    memoryMiB: 2048,
    timeoutSeconds,
    finished: (log) => log.includes(MARKER) && /caps=/.test(log.slice(log.indexOf(MARKER))),
    settleMs: 1000,
  });
  return { ...r, outcome: r.outcome === 'finished' ? 'marker' : r.outcome };
}

/**
 * Boot QEMU with the serial log in `work`/serial.log (said on the console, named by `label`) and
 * make the checks every boot of Xen and dom0 makes: dom0's marker was reached, Xen's banner
 * shows, and dom0's Linux ran under Xen. The log and the marker line, for the test's own checks.
 */
export async function bootXenDom0(
  label: string,
  work: string,
  args: string[],
): Promise<{ log: string; marker: string | undefined }> {
  const r = await bootQemu(args, join(work, 'serial.log'));
  console.log(`${label} boot: ${r.outcome} after ${r.seconds.toFixed(1)} s (serial log: ${work}/serial.log)`);
  const c = bootChecks(r.log);
  expect(r.outcome, r.log.slice(-3000)).toBe('marker');
  expect(c.xenBanner).toBe(true);
  expect(c.dom0UnderXen).toBe(true);
  return { log: r.log, marker: c.marker };
}

/** The checks every boot test makes on the serial log. */
export function bootChecks(log: string): {
  xenBanner: boolean;
  dom0UnderXen: boolean;
  marker: string | undefined;
} {
  return {
    xenBanner: /\(XEN\) Xen version 4\.\d+/.test(log),
    dom0UnderXen:
      /Linux version 6\.\d+[^\n]*/.test(log) && /Booting kernel on Xen|Xen version: 4\.\d+/.test(log),
    marker: log
      .split(/\r?\n/)
      .find((l) => l.includes(MARKER))
      ?.trim(),
  };
}
