import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { posix } from 'node:path';
import type { ImageChange, ImagePart, SecretChange, SecretSource } from '../change.js';
import { CommandError, DriftError, InputError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { readMountInfo, unmountAll } from '../mounts.js';
import {
  ArchiveFormatError,
  hostileMember,
  isCompressed,
  memberKey,
  readArchiveMembers,
  tarStream,
  TarMembers,
  type ArchiveMember,
} from './archive.js';
import type { ApplyContext, ChangeOutcome } from './apply-change.js';
import { errnoCode, fsyncDir } from './fs-util.js';
import { md5Crypt } from './md5-crypt.js';
import { SET_ASIDE_TAIL } from './set-aside.js';
import { sha512Crypt } from './sha512-crypt.js';

/**
 * Check every member of a stage tarball before anything is unpacked: an absolute name, a ".."
 * part, a hard link out of the archive, a symbolic link whose relative target leaves the tree,
 * or a member reached through a symbolic link of the archive is bad input naming the member.
 */
export async function checkArchive(archiveDisk: string, archive: string): Promise<number> {
  const check = new MemberCheck(archive);
  try {
    for await (const member of readArchiveMembers(archiveDisk)) check.member(member);
  } catch (error) {
    throw unreadable(archive, error);
  }
  return check.end();
}

/** An archive that cannot be read as a (compressed) tar archive is bad input naming it. */
function unreadable(archive: string, error: unknown): unknown {
  if (error instanceof ArchiveFormatError)
    return new InputError(archive, undefined, `is not a tar archive: ${error.message}`, 'a stage tarball');
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return new InputError(
      archive,
      undefined,
      `is not a readable gzip-compressed archive (${(error as Error).message})`,
      'a stage tarball',
    );
  return error;
}

/** The member check, member by member in archive order (links seen so far, count). */
class MemberCheck {
  readonly #archive: string;
  readonly #after: string;
  readonly #links = new Set<string>();
  #count = 0;

  /** `after`: what became of the build, for the message. */
  constructor(archive: string, after = 'nothing was unpacked') {
    this.#archive = archive;
    this.#after = after;
  }

  /** Throws the InputError naming a member that could land outside the tree. */
  member(member: ArchiveMember): void {
    this.#count++;
    const why = hostileMember(member, this.#links);
    if (why !== undefined)
      throw new InputError(
        this.#archive,
        undefined,
        `member ${JSON.stringify(member.name.slice(0, 80))} has ${why}; ${this.#after}`,
        'a stage tarball whose members stay inside the image',
      );
    const key = memberKey(member.name);
    if (member.type === '2') this.#links.add(key);
    else this.#links.delete(key);
  }

  /** After the last member: how many there were (none is bad input). */
  end(): number {
    if (this.#count === 0)
      throw new InputError(this.#archive, undefined, 'is not a tar archive with members', 'a stage tarball');
    return this.#count;
  }
}

/**
 * A compressed stage tarball, decompressed once: its tar stream goes to `tar` (reading its
 * standard input) a chunk at a time, each chunk only after every member whose header it
 * completes was checked. tar acts on a member only once its whole header is in, so a refused
 * member never reaches it: tar is stopped and the InputError thrown (the caller removes what
 * tar unpacked before).
 */
async function unpackChecked(
  ctx: ApplyContext,
  archiveDisk: string,
  archive: string,
  tarArgv: string[],
): Promise<void> {
  const { stream, done } = await tarStream(archiveDisk);
  const child = spawn(tarArgv[0]!, tarArgv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => ctx.onOutput?.(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    ctx.onOutput?.(chunk.toString());
  });
  // tar gone (it failed): writes to it fail, and its exit status says why.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => {
    child.on('error', (error) => {
      stderr += error.message;
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
  let exitCode: number | undefined;
  void exited.then((code) => (exitCode = code));
  const check = new MemberCheck(archive, 'tar never saw it, and what it unpacked before was removed');
  const members = new TarMembers();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const member of members.feed(chunk)) check.member(member);
      if (exitCode !== undefined) break;
      if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), exited]);
    }
    if (exitCode === undefined) check.end();
    child.stdin.end();
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw unreadable(archive, error);
  } finally {
    await done();
  }
  const code = await exited;
  if (code !== 0) throw new CommandError(tarArgv, code, stderr);
}

/** A secret's value: the first line of its file, or its environment variable. Never shown. */
export async function readSecret(source: SecretSource): Promise<string> {
  if ('env' in source) {
    const value = process.env[source.env];
    if (value === undefined || value === '')
      throw new InputError(
        `$${source.env}`,
        undefined,
        'the environment variable is not set',
        'the root password',
      );
    return value;
  }
  let text: string;
  try {
    text = await readFile(source.file, 'utf8');
  } catch (error) {
    throw new InputError(
      source.file,
      undefined,
      `cannot read the password file (${errnoCode(error) ?? 'error'})`,
    );
  }
  const first = text.split(/\r?\n/)[0] ?? '';
  if (first === '')
    throw new InputError(source.file, 1, 'the password file is empty', 'the password on its first line');
  return first;
}

/** The shadow file's text with `user`'s password field replaced by `hash` (a line is added when missing). */
export function setShadowPassword(text: string, user: string, hash: string): string {
  const days = Math.floor(Date.now() / 86_400_000);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const index = lines.findIndex((l) => l.split(':')[0] === user);
  if (index === -1) lines.push(`${user}:${hash}:${days}:0:99999:7:::`);
  else {
    const fields = lines[index]!.split(':');
    fields[1] = hash;
    if (fields.length > 2) fields[2] = String(days);
    lines[index] = fields.join(':');
  }
  return lines.join('\n') + '\n';
}

/** How a password is hashed: SHA-512 crypt ($6$), or MD5 crypt ($1$) for a glibc older than 2.7. */
export type CryptScheme = 'sha512' | 'md5';

/** Compare dotted version numbers (2.5 < 2.7 < 2.10). */
function versionLess(a: string, b: string): boolean {
  const x = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const y = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/**
 * The glibc version of a system tree: Portage's record of sys-libs/glibc, else the name of
 * libc-X.Y.so (glibc before 2.34), else undefined.
 */
export async function treeGlibcVersion(tree: LocalHost): Promise<string | undefined> {
  // Resolved inside the tree: a link of the tree never leads out of it.
  const names = async (dir: string): Promise<string[]> =>
    tree
      .resolve(dir)
      .then((disk) => readdir(disk))
      .catch(() => []);
  const recorded = (await names('/var/db/pkg/sys-libs'))
    .map((n) => /^glibc-(\d+(?:\.\d+)+)/.exec(n)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => (versionLess(a, b) ? -1 : 1));
  if (recorded.length) return recorded.at(-1);
  for (const dir of ['/lib', '/lib64', '/lib32', '/usr/lib', '/usr/lib64']) {
    const found = (await names(dir))
      .map((n) => /^libc-(\d+(?:\.\d+)+)\.so$/.exec(n)?.[1])
      .find((v) => v !== undefined);
    if (found) return found;
  }
  return undefined;
}

/** SHA-512 crypt came with glibc 2.7: an older (known) glibc gets MD5 crypt. */
export function cryptSchemeFor(glibc: string | undefined): CryptScheme {
  return glibc !== undefined && versionLess(glibc, '2.7') ? 'md5' : 'sha512';
}

/** Apply a secret change to a shadow file on this machine's disk (the file is kept 0600 or its own mode). */
export async function applySecretAt(
  disk: string,
  change: SecretChange,
  scheme: CryptScheme = 'sha512',
): Promise<void> {
  const password = await readSecret(change.source);
  await writeShadowHash(disk, change.user, scheme === 'md5' ? md5Crypt(password) : sha512Crypt(password));
}

/** Set `user`'s password hash in a shadow file on this machine's disk (kept 0600 or its own mode). */
async function writeShadowHash(disk: string, user: string, hash: string): Promise<void> {
  let before = '';
  let mode = 0o600;
  try {
    before = await readFile(disk, 'utf8');
    mode = (await lstat(disk)).mode & 0o7777;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  const tmp = `${disk}.xen-gentoo-tmp`;
  await writeFile(tmp, setShadowPassword(before, user, hash), { mode: 0o600 });
  await chmod(tmp, mode);
  await rename(tmp, disk);
}

async function writeZeros(path: string, bytes: number): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let done = 0; done < bytes; done += chunk.length)
      await handle.write(chunk, 0, Math.min(chunk.length, bytes - done));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A sparse file of `bytes` (nothing written but its size). */
async function sparseFile(path: string, bytes: number): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}

async function run(
  ctx: ApplyContext,
  argv: string[],
  options: { inRoot?: boolean; env?: Record<string, string> } = {},
): Promise<void> {
  const result = await ctx.host.run(argv, { ...options, onOutput: ctx.onOutput });
  if (result.exitCode !== 0) throw new CommandError(argv, result.exitCode, result.stderr);
}

/**
 * One of this machine's tools (tar, mke2fs, cp, mkswap, debugfs), on the target's paths as this
 * machine sees them: spawned directly, without a shell and without the command runner's library
 * (loading it cost more than a small image's mkswap and cp together).
 */
export function spawnHere(
  argv: string[],
  onOutput?: (text: string) => void,
): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => onOutput?.(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onOutput?.(chunk.toString());
    });
    child.on('error', (error) => resolve({ exitCode: 127, stderr: error.message }));
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? 128 + ((signal && (osConstants.signals as Record<string, number>)[signal]) || 0),
        stderr,
      }),
    );
  });
}

async function runHere(ctx: ApplyContext, argv: string[]): Promise<void> {
  const result = await spawnHere(argv, ctx.onOutput);
  if (result.exitCode !== 0) throw new CommandError(argv, result.exitCode, result.stderr);
}

/** What applyImage readies for the parts before and while the stage tarball is unpacked. */
interface Prepared {
  /** Each secret part's password (read before anything is written) and its SHA-512 crypt hash. */
  secrets: Map<ImagePart, { password: string; sha512: string }>;
  /**
   * The swap file is staged sparse (only mkswap's header written): mke2fs -d copies its data
   * blocks only and debugfs then allocates the rest inside the image. A loop-mounted build
   * copies the file with cp, which would keep the holes, so there it is written out in full.
   */
  sparseSwap: boolean;
}

async function applyPart(
  part: ImagePart,
  tree: LocalHost,
  ctx: ApplyContext,
  skipped: ImagePart[],
  prepared: Prepared,
): Promise<void> {
  switch (part.kind) {
    case 'file': {
      const disk = await tree.resolve(part.path);
      await mkdir(posix.dirname(disk), { recursive: true, mode: 0o755 });
      await rm(disk, { force: true });
      await writeFile(disk, part.content, { mode: part.mode ?? 0o644 });
      await chmod(disk, part.mode ?? 0o644);
      return;
    }
    case 'symlink': {
      const disk = await tree.resolve(part.path, false);
      await mkdir(posix.dirname(disk), { recursive: true, mode: 0o755 });
      await rm(disk, { force: true });
      await symlink(part.target, disk);
      return;
    }
    case 'copy': {
      const from = await ctx.host.resolve(part.from);
      const to = await tree.resolve(part.path);
      const info = await lstat(from).catch(() => undefined);
      if (info === undefined) return;
      await mkdir(info.isDirectory() ? to : posix.dirname(to), { recursive: true, mode: 0o755 });
      await runHere(
        ctx,
        info.isDirectory()
          ? ['cp', '-a', `${from}/.`, `${to}/`]
          : ['cp', '-a', '--remove-destination', from, to],
      );
      return;
    }
    case 'swap': {
      const disk = await tree.resolve(part.path);
      await mkdir(posix.dirname(disk), { recursive: true, mode: 0o755 });
      await rm(disk, { force: true });
      if (!prepared.sparseSwap) {
        await writeZeros(disk, part.bytes);
        await runHere(ctx, ['mkswap', disk]);
        return;
      }
      await sparseFile(disk, part.bytes);
      // Not shown: mkswap warns that the staged file has holes, which the image's copy will not.
      const result = await spawnHere(['mkswap', disk]);
      if (result.exitCode !== 0) throw new CommandError(['mkswap', disk], result.exitCode, result.stderr);
      return;
    }
    case 'secret': {
      // The guest's own glibc reads the hash: the tree as it is now (after the merge, when it ran).
      const secret = prepared.secrets.get(part)!;
      const scheme = cryptSchemeFor(await treeGlibcVersion(tree));
      const hash = scheme === 'md5' ? md5Crypt(secret.password) : secret.sha512;
      const disk = await tree.resolve(part.path);
      await mkdir(posix.dirname(disk), { recursive: true, mode: 0o755 });
      await writeShadowHash(disk, part.user, hash);
      return;
    }
    case 'command': {
      if (ctx.skipCommands) {
        skipped.push(part);
        return;
      }
      await run(ctx, part.argv, { inRoot: part.inRoot, env: part.env });
      return;
    }
  }
}

/**
 * Remove the staged tree. With `setAside`, the image being built, the tree is first recorded and
 * renamed to a name of its own (at once), so that its removal can be left for later (see
 * ApplySession) and no other build of the same image can meet it; the next run removes what a
 * killed run left (and so does the next build of that image).
 */
async function removeStage(
  stage: string,
  stageTarget: string,
  setAside: ((tree: string) => Promise<void>) | undefined,
): Promise<void> {
  if (setAside === undefined) {
    await rm(stage, { recursive: true, force: true });
    return;
  }
  const tail = `${SET_ASIDE_TAIL}${process.pid}-${Date.now()}`;
  try {
    await setAside(`${stageTarget}${tail}`);
    await rename(stage, `${stage}${tail}`);
  } catch {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * Build an image (see ImageChange). Returns the commands of the parts that were skipped
 * (--skip-commands): the machine's own tools (tar, mke2fs, mkswap) always run.
 */
export async function applyImage(
  change: ImageChange,
  ctx: ApplyContext,
): Promise<{ outcome: ChangeOutcome; skipped: ImagePart[] }> {
  const { host, journal } = ctx;
  const disk = await host.resolve(change.path);
  if ((await lstat(disk).catch(() => undefined)) !== undefined)
    throw new DriftError(change.path, 'the plan expected no image there, but there is a file');
  const archiveDisk = await host.resolve(change.archive);
  // The staged tree's own name, never followed: a link left there is removed, not what it names.
  const stage = posix.join(await host.resolve(posix.dirname(change.stage)), posix.basename(change.stage));
  const tmp = `${disk}.xen-gentoo-tmp`;
  const mnt = `${stage}.mnt`;
  const skipped: ImagePart[] = [];
  // Every secret is read before anything is written, and so is every member of a plain tarball
  // (by its headers); a compressed one is decompressed once, its members checked as they go to
  // tar (unpackChecked), and when one is refused nothing of the build is kept.
  const compressed = await isCompressed(archiveDisk);
  if (!compressed) await checkArchive(archiveDisk, change.archive);
  const passwords = new Map<ImagePart, string>();
  for (const part of change.parts)
    if (part.kind === 'secret') passwords.set(part, await readSecret(part.source));
  const seq = journal.nextSeq();
  await journal.append({
    t: 'image',
    seq,
    path: change.path,
    filesystem: change.filesystem,
    bytes: change.bytes,
  });
  const made = await mkdir(posix.dirname(disk), { recursive: true, mode: 0o755 });
  // A staging directory or temporary image left by an interrupted build is the tool's own, and
  // so is a staged tree set aside for removal by a build whose removal did not finish.
  await rm(stage, { recursive: true, force: true });
  // A killed loop-mounted build's mount point (its name the tool's own, never followed): still
  // mounted when nothing took it down (the next run does, from the journal, but not on the
  // running system), then removed.
  if (readMountInfo().some((m) => m.point === mnt)) await unmountAll([mnt]);
  const leftMnt = await lstat(mnt).catch(() => undefined);
  if (leftMnt?.isDirectory()) await rmdir(mnt);
  else if (leftMnt) await unlink(mnt);
  await rm(tmp, { force: true });
  const setAside = `${posix.basename(stage)}${SET_ASIDE_TAIL}`;
  for (const name of await readdir(posix.dirname(stage)).catch(() => []))
    if (name.startsWith(setAside))
      await rm(posix.join(posix.dirname(stage), name), { recursive: true, force: true });
  let built = false;
  let mounted = false;
  try {
    await mkdir(stage, { mode: 0o755 });
    const tarArgv = [
      'tar',
      '--extract',
      '--preserve-permissions',
      '--same-owner',
      '--numeric-owner',
      '--xattrs',
      '--xattrs-include=*.*',
      '--file',
      compressed ? '-' : archiveDisk,
      '--directory',
      stage,
    ];
    const unpacked = compressed
      ? unpackChecked(ctx, archiveDisk, change.archive, tarArgv)
      : runHere(ctx, tarArgv);
    // SHA-512 crypt's 5000 rounds are done while tar unpacks (MD5 crypt, for an old glibc, later).
    const prepared: Prepared = { secrets: new Map(), sparseSwap: !change.mount };
    for (const [part, password] of passwords)
      prepared.secrets.set(part, { password, sha512: sha512Crypt(password) });
    await unpacked;
    const tree = new LocalHost(stage);
    for (const part of change.parts) await applyPart(part, tree, ctx, skipped, prepared);
    const kib = `${Math.floor(change.bytes / 1024)}k`;
    if (!change.mount) {
      // The image holds the guest's /etc/shadow: readable by root alone from the start (mke2fs
      // would make it with the umask's mode).
      const image = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await image.close();
      await runHere(ctx, [
        'mke2fs',
        '-q',
        '-F',
        '-t',
        change.filesystem,
        '-b',
        '4096',
        '-d',
        stage,
        tmp,
        kib,
      ]);
      // mke2fs -d leaves zero blocks out (holes), and swapon refuses a swap file with holes:
      // allocate them (unwritten extents read as zeros).
      for (const part of change.parts) {
        if (part.kind !== 'swap') continue;
        // The file itself: where a link in the tree at its path leads (debugfs follows none).
        const file = `/${posix.relative(stage, await tree.resolve(part.path))}`;
        const argv = ['debugfs', '-w', '-R', `fallocate ${file} 0 ${Math.ceil(part.bytes / 4096) - 1}`, tmp];
        const result = await spawnHere(argv);
        if (result.exitCode !== 0 || /fallocate: /.test(result.stderr))
          throw new CommandError(argv, result.exitCode || 1, result.stderr);
      }
    } else {
      const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.truncate(change.bytes);
      await handle.close();
      await runHere(
        ctx,
        change.filesystem === 'reiserfs'
          ? ['mkreiserfs', '-f', '-f', '-q', tmp]
          : ['mke2fs', '-q', '-F', '-t', change.filesystem, tmp],
      );
      await mkdir(mnt, { mode: 0o700 });
      // Recorded first: a run killed while it is mounted has it taken down by the next run.
      await journal.append({ t: 'mounts', seq, mounts: [`${change.stage}.mnt`], namespace: false });
      await runHere(ctx, ['mount', '-o', 'loop', tmp, mnt]);
      mounted = true;
      await runHere(ctx, ['cp', '-a', `${stage}/.`, `${mnt}/`]);
      mounted = false;
      await runHere(ctx, ['umount', mnt]);
    }
    await rename(tmp, disk);
    await fsyncDir(posix.dirname(disk));
    built = true;
  } finally {
    if (mounted) await spawnHere(['umount', mnt]);
    await rmdir(mnt).catch(() => undefined);
    await removeStage(stage, change.stage, built ? ctx.setAside : undefined);
    await unlink(tmp).catch(() => undefined);
    // A refused archive or a failed build leaves nothing: not even the image's directory, when
    // the build made it (a directory something else was put in meanwhile stays).
    if (!built && made !== undefined)
      for (let dir = posix.dirname(disk); dir.length >= made.length; dir = posix.dirname(dir))
        if (
          !(await rmdir(dir).then(
            () => true,
            () => false,
          ))
        )
          break;
  }
  await journal.append({ t: 'done', seq });
  for (const part of skipped) if (part.kind === 'command') ctx.onSkipped?.(part);
  return { outcome: 'applied', skipped };
}
