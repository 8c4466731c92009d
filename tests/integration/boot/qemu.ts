import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Boot QEMU (software emulation, default CPU model) with the serial port in a file, watch the
 * file, and stop on the marker, a panic, QEMU's exit or the hard timeout.
 */
export async function bootQemu(args: string[], logFile: string, timeoutSeconds = 300): Promise<BootResult> {
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
      '2048',
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
  let outcome: BootResult['outcome'] = 'timeout';
  let seen: number | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const log = read();
    if (log.includes(MARKER) && /caps=/.test(log.slice(log.indexOf(MARKER)))) {
      seen = Date.now();
      // let the rest of the marker line arrive
      await new Promise((r) => setTimeout(r, 1000));
      outcome = 'marker';
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
    if (Date.now() - started > timeoutSeconds * 1000) break;
  }
  const seconds = ((seen ?? Date.now()) - started) / 1000;
  if (!exited) child.kill('SIGKILL');
  return { log: read() + (stderr ? `\n[qemu stderr]\n${stderr}` : ''), outcome, seconds };
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
