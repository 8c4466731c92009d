import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import { LockError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { readRegularFile } from '../regular-file.js';
import { errnoCode, fsyncDir, unlinkIfExists, writeNewFile } from './fs-util.js';
import { statePaths } from './state.js';

/** What a lock file says about the run holding it. */
export interface LockInfo {
  pid: number;
  startedAt: string;
  hostname: string;
  /** Kernel boot id: a lock from an earlier boot is stale whatever its pid. */
  bootId?: string;
  /** Start time of the process in clock ticks since boot: tells a reused pid apart. */
  processStart?: string;
  runId?: string;
  /** Makes every lock file's text unique, so a takeover marker names exactly one lock. */
  nonce?: string;
}

export interface Lock {
  /** Path of the lock file on this machine. */
  readonly path: string;
  readonly info: LockInfo;
  /** Set when the lock was left by a run that is no longer alive and was taken over. */
  readonly tookOverFrom?: LockInfo;
  release(): Promise<void>;
}

/**
 * The text of a file, or undefined when it cannot be read (never blocks on a FIFO or device).
 * `followSymlinks` only for the kernel's files in /proc; the state directory's files never.
 */
async function readText(path: string, followSymlinks = false): Promise<string | undefined> {
  try {
    return (await readRegularFile(path, path, { followSymlinks }))?.toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * The text of the lock file, or undefined when there is none. A directory, FIFO, device or
 * symlink in its place is bad input: no run can ever take that lock, and waiting for it would be
 * pointless (and a link is never followed out of the state directory).
 */
async function readLockText(path: string): Promise<string | undefined> {
  return (await readRegularFile(path, path, { followSymlinks: false }))?.toString('utf8');
}

/** Fields 3 on of /proc/<pid>/stat (state first), when /proc is there. */
async function processStat(pid: number): Promise<string[] | undefined> {
  const stat = await readText(`/proc/${pid}/stat`, true);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/<pid>/stat (the process's start time), when /proc is there. */
async function processStartTime(pid: number): Promise<string | undefined> {
  return (await processStat(pid))?.[19];
}

async function bootId(): Promise<string | undefined> {
  return (await readText('/proc/sys/kernel/random/boot_id', true))?.trim();
}

function parseLockInfo(text: string): LockInfo | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object') return undefined;
    const info = value as Partial<LockInfo>;
    if (!Number.isInteger(info.pid) || (info.pid ?? 0) <= 0 || typeof info.startedAt !== 'string')
      return undefined;
    return { hostname: '', ...info } as LockInfo;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** Why a lock is stale, or undefined when its holder may still be running. */
export async function staleReason(info: LockInfo): Promise<string | undefined> {
  const currentBoot = await bootId();
  if (info.bootId && currentBoot && info.bootId !== currentBoot) return 'it was taken before the last reboot';
  if (!pidAlive(info.pid)) return `process ${info.pid} is no longer running`;
  const stat = await processStat(info.pid);
  // A killed run whose parent has not waited for it yet (or never will, as an init that does
  // not reap) is a zombie: it has exited and runs nothing.
  if (stat?.[0] === 'Z' || stat?.[0] === 'X') return `process ${info.pid} has exited`;
  if (info.processStart) {
    const start = stat?.[19];
    if (start !== undefined && start !== info.processStart)
      return `process ${info.pid} is another program now`;
  }
  return undefined;
}

/**
 * Who holds the lock at `path`, for telling a running run from a killed one: `live` when a
 * process that may still be running holds it (one on another machine cannot be told dead).
 * Never throws: no lock, or one that cannot be read, has no live holder.
 */
export async function staleLockHolder(path: string): Promise<{ live: boolean; pid?: number }> {
  const text = await readText(path);
  const held = text === undefined ? undefined : parseLockInfo(text);
  if (!held) return { live: false };
  if (held.hostname && held.hostname !== hostname()) return { live: true, pid: held.pid };
  return { live: (await staleReason(held)) === undefined, pid: held.pid };
}

function describeHolder(info: LockInfo): string {
  return `pid ${info.pid}${info.hostname ? ` on ${info.hostname}` : ''}, started ${info.startedAt}`;
}

/**
 * Write a lock file (or a takeover marker) whole. Nothing of the lock is synced: it need not
 * survive a power cut, as a lock left by a run of an earlier boot is stale and taken over, and
 * every process sees the page cache whatever reached the disk.
 */
async function writeLockFile(path: string, text: string): Promise<void> {
  await writeNewFile(
    path,
    Buffer.from(text),
    (at) => open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644),
    false,
  );
}

const TAKEOVER_ATTEMPTS = 5;
/** Markers of markers are only needed when takers die while taking over; a few levels are plenty. */
const TAKEOVER_DEPTH = 4;

/**
 * The takeover marker of the file `name` while it holds `text`: only the run that created it may
 * remove that file with that text. Named after both, so that a lock, a marker of it and a marker
 * of that marker never share a name.
 */
function takeoverMarker(dir: string, name: string, text: string): string {
  const digest = createHash('sha256').update(`${name}\n${text}`).digest('hex').slice(0, 32);
  return posix.join(dir, `lock.takeover.${digest}`);
}

/**
 * Remove the file `name` of `dir`, judged stale while it held `staleText`, if it still holds it.
 * Moving a stale lock aside and putting it back when it turns out to be fresh leaves a gap where
 * a third run can link its own lock while the fresh lock's holder goes on: two runs would both
 * proceed. Instead, whoever removes a stale file first creates its takeover marker (exclusively,
 * by linking its own private lock file, `mine`): holding the marker, it reads the file again, and
 * if the text is still the stale one nobody else can change it before the unlink (its holder is
 * gone and no other run may remove it). A marker whose own holder died is stale in turn and
 * removed the same way, one level up.
 *
 * `removed` when this run removed it, `changed` when the file no longer holds `staleText` (another
 * run removed it, or it is gone), `busy` when a live run is taking it over right now.
 */
async function removeStale(
  dir: string,
  name: string,
  staleText: string,
  mine: string,
  depth = 0,
): Promise<'removed' | 'changed' | 'busy'> {
  if (depth > TAKEOVER_DEPTH) return 'busy';
  const path = posix.join(dir, name);
  const marker = takeoverMarker(dir, name, staleText);
  try {
    await link(mine, marker);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const markerText = await readLockText(marker);
    if (markerText === undefined) return 'changed'; // that taker is done: look again
    const taker = parseLockInfo(markerText);
    if (taker && taker.hostname && taker.hostname !== hostname()) return 'busy';
    if (taker && (await staleReason(taker)) === undefined) return 'busy';
    const outcome = await removeStale(dir, posix.basename(marker), markerText, mine, depth + 1);
    return outcome === 'busy' ? 'busy' : 'changed';
  }
  try {
    if ((await readText(path)) !== staleText) return 'changed';
    await unlinkIfExists(path);
    await fsyncDir(dir);
    return 'removed';
  } finally {
    await unlinkIfExists(marker);
  }
}

/**
 * Take the target's lock (`<root>/var/lib/xen-gentoo/lock`). The lock file is written whole
 * under a private name and then hard-linked to `lock`, which fails if `lock` exists: creation is
 * exclusive like O_EXCL, and nobody ever sees a lock file without its holder's pid. A lock whose
 * holder is gone (dead pid, reused pid, earlier boot) is stale and taken over, one run at a time
 * (see `removeStale`): of any number of runs that find the same stale lock, exactly one proceeds.
 */
export async function acquireLock(host: LocalHost, runId?: string): Promise<Lock> {
  const { dir, lock } = await statePaths(host, true);
  const info: LockInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    hostname: hostname(),
    bootId: await bootId(),
    processStart: await processStartTime(process.pid),
    runId,
    nonce: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(info)}\n`;
  const tmp = posix.join(dir, `lock.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeLockFile(tmp, text);
  let tookOverFrom: LockInfo | undefined;
  try {
    for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
      try {
        await link(tmp, lock);
        const taken: Lock = {
          path: lock,
          info,
          release: async () => {
            if ((await readText(lock)) !== text) return;
            await unlinkIfExists(lock);
          },
        };
        return tookOverFrom ? { ...taken, tookOverFrom } : taken;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
      const heldText = await readLockText(lock);
      if (heldText === undefined) continue; // released meanwhile
      const held = parseLockInfo(heldText);
      if (held) {
        if (held.hostname && held.hostname !== info.hostname) {
          throw new LockError(
            `another xen-gentoo run holds ${lock} (${describeHolder(held)}); ` +
              `if no run is active on ${held.hostname}, remove that file`,
          );
        }
        if ((await staleReason(held)) === undefined) {
          throw new LockError(`another xen-gentoo run holds ${lock} (${describeHolder(held)})`);
        }
      }
      const outcome = await removeStale(dir, posix.basename(lock), heldText, tmp);
      if (outcome === 'busy') {
        throw new LockError(
          `another xen-gentoo run is taking over ${lock}` +
            (held ? ` (left by ${describeHolder(held)})` : ''),
        );
      }
      if (outcome === 'removed') tookOverFrom = held ?? { pid: 0, startedAt: 'unknown', hostname: '' };
    }
    throw new LockError(`could not take ${lock}: other runs keep taking it`);
  } finally {
    await unlinkIfExists(tmp);
  }
}

/** Remove private lock files (`lock.<pid>.*`) left by processes that are gone. */
export async function removeDeadLockFiles(host: LocalHost): Promise<string[]> {
  const { dir } = await statePaths(host);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = posix.join(dir, name);
    let pid: number;
    const match = /^lock\.(\d+)\.[0-9a-f]+\.(tmp|stale)$/.exec(name);
    if (match) pid = Number(match[1]);
    else if (/^lock\.takeover\.[0-9a-f]+$/.test(name)) {
      // A takeover marker left by a run killed while taking over (called under the lock, so the
      // stale lock it names is gone; a marker a live run creates meanwhile has no power left).
      const text = await readText(path);
      const taker = text === undefined ? undefined : parseLockInfo(text);
      if (taker?.hostname && taker.hostname !== hostname()) continue;
      pid = taker?.pid ?? 0;
    } else continue;
    if (pid === process.pid || (pid > 0 && pidAlive(pid))) continue;
    if (await unlinkIfExists(path)) removed.push(path);
  }
  return removed;
}
