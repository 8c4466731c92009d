import { constants } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as Flags from '@oclif/core/flags';
import {
  importOnDemand,
  InputError,
  planSteps,
  renderPlan,
  UsageError,
  View,
  withoutCommands,
} from '@xen-gentoo/core';
import {
  ALL_STEPS,
  defaultAnswers,
  detectSystem,
  GUEST_NAME_EXPECTED,
  isGuestName,
  type Answers,
  type GuestAnswers,
} from '@xen-gentoo/steps';
import { answersSchema, guestAnswersKeys } from '@xen-gentoo/steps/answers';
import { stringify } from 'ini';
import { loadAnswersReading } from '../lib/answers-reading.js';
import { BaseCommand } from '../lib/base-command.js';
import { interactive } from '../lib/output.js';

const triChoices = [
  { name: 'auto (decide from the target)', value: 'auto' },
  { name: 'yes', value: 'yes' },
  { name: 'no', value: 'no' },
] as const;

/** The code of a Node.js fs error, else the error as text. */
function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** A word as a POSIX shell reads it back unchanged: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Check --out before any question: not a directory (nor another non-file), in an existing,
 * writable directory. Returns whether the file exists already.
 */
export async function checkOutFile(out: string): Promise<boolean> {
  if (out === '') throw new UsageError('--out needs a file name (it was given an empty one)');
  let exists = false;
  try {
    const st = await stat(out);
    if (st.isDirectory()) throw new InputError(out, undefined, 'is a directory; --out needs a file name');
    if (!st.isFile()) throw new InputError(out, undefined, 'is not a regular file; --out needs a file name');
    exists = true;
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (errnoOf(error) !== 'ENOENT')
      throw new InputError(out, undefined, `cannot use it for the answers file (${errnoOf(error)})`);
  }
  const parent = dirname(resolve(out));
  try {
    if (!(await stat(parent)).isDirectory())
      throw new InputError(out, undefined, `cannot write the answers file: ${parent} is not a directory`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      out,
      undefined,
      `cannot write the answers file: its directory ${parent} does not exist (${errnoOf(error)})`,
    );
  }
  try {
    await access(parent, constants.W_OK);
  } catch (error) {
    throw new InputError(
      out,
      undefined,
      `cannot write the answers file: its directory ${parent} is not writable (${errnoOf(error)})`,
    );
  }
  return exists;
}

/** Write the answers file through a temporary file; any fs error is bad input naming the file. */
async function writeAnswersFile(out: string, text: string): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, out);
  } catch (error) {
    await rm(tmp, { force: true, recursive: false }).catch(() => undefined);
    throw new InputError(out, undefined, `cannot write the answers file (${errnoOf(error)})`);
  }
}

/** Keys the wizard asks about; every other key of an existing file is kept when it is replaced. */
const ASKED: Record<string, readonly string[]> = {
  system: ['profile'],
  portage: ['tls_flag', 'nptlonly', 'buildpkg', 'rebuild_world', 'hvm'],
  xen: ['keywords', 'interface'],
  kernel: ['sources', 'split', 'genkernel', 'build'],
  boot: ['dom0_mem', 'serial', 'pxe_dir'],
};

/** The values of an existing file the wizard does not ask about and that differ from the defaults. */
function keptValues(previous: Answers): Record<string, Record<string, string>> {
  const defaults = defaultAnswers() as unknown as Record<string, Record<string, unknown>>;
  const kept: Record<string, Record<string, string>> = {};
  for (const [section, values] of Object.entries(
    previous as unknown as Record<string, Record<string, string | number | undefined>>,
  )) {
    if (section === 'guests') continue;
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined || ASKED[section]?.includes(key)) continue;
      if (JSON.stringify(value) === JSON.stringify(defaults[section]?.[key])) continue;
      (kept[section] ??= {})[key] = String(value);
    }
  }
  return kept;
}

/** Guest keys the wizard asks about; the others keep the existing file's values. */
const GUEST_ASKED = [
  'memory',
  'disk_size',
  'stage',
  'root_password_file',
  'root_password_env',
  'autostart',
] as const;

/** The answer to the root password question: `$NAME` is an environment variable, else a file. */
function passwordReference(value: string): Record<string, string> {
  if (value.startsWith('$')) return { root_password_env: value.slice(1) };
  return value ? { root_password_file: value } : {};
}

/** The lines of one [guest.NAME] section: every key that differs from its default. */
export function guestSectionText(guest: Record<string, string | number | undefined>): string {
  const defaults = guestAnswersKeys.parse({}) as Record<string, unknown>;
  const lines = [`[guest.${String(guest.name)}]`];
  for (const [key, value] of Object.entries(guest)) {
    if (key === 'name' || value === undefined || value === '' || defaults[key] === value) continue;
    lines.push(`${key} = ${String(value)}`);
  }
  return lines.join('\n') + '\n';
}

type Prompts = typeof import('../lib/prompts.js');

/** A guest's values as its section holds them (the keys that are set). */
function guestSectionValues(guest: GuestAnswers): Record<string, string> {
  return Object.fromEntries(
    Object.entries(guest)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, String(value)]),
  );
}

/** Ask for one guest's main values; `previous` gives the defaults (and the values not asked). */
async function askGuest(
  prompts: Prompts,
  previous: GuestAnswers | undefined,
  taken: Set<string>,
): Promise<Record<string, string>> {
  const { confirm, input } = prompts;
  const name =
    previous?.name ??
    (await input({
      message: 'Guest name (file name in /etc/xen; letters, digits, _ and -)',
      validate: (value) =>
        !isGuestName(value) ? GUEST_NAME_EXPECTED : taken.has(value) ? 'that guest is there already' : true,
    }));
  const kept = Object.fromEntries(
    Object.entries(previous ?? {})
      .filter(([key, value]) => value !== undefined && !(GUEST_ASKED as readonly string[]).includes(key))
      .map(([key, value]) => [key, String(value)]),
  );
  const check =
    (key: keyof typeof guestAnswersKeys.shape, optional = false) =>
    (value: string): true | string => {
      if (optional && value === '') return true;
      const result = guestAnswersKeys.shape[key].safeParse(value);
      return result.success || (result.error.issues[0]?.message ?? 'not valid');
    };
  const answers: Record<string, string> = {
    ...kept,
    name,
    memory: await input({
      message: `${name}: memory in MiB`,
      default: String(previous?.memory ?? 256),
      validate: check('memory'),
    }),
    disk_size: await input({
      message: `${name}: disk image size (M or G)`,
      default: previous?.disk_size ?? '4G',
      validate: check('disk_size'),
    }),
    stage: await input({
      message: `${name}: stage tarball (empty: name it later)`,
      default: previous?.stage ?? '',
      validate: check('stage', true),
    }),
    ...passwordReference(
      await input({
        message: `${name}: root password: a file holding it, or $VARIABLE naming an environment variable (never the password itself; empty: none)`,
        default: previous?.root_password_env
          ? `$${previous.root_password_env}`
          : (previous?.root_password_file ?? ''),
        validate: (value) =>
          value.startsWith('$')
            ? check('root_password_env')(value.slice(1))
            : check('root_password_file', true)(value),
      }),
    ),
    autostart: (await confirm({
      message: `${name}: start it when dom0 boots?`,
      default: previous?.autostart === 'yes',
    }))
      ? 'yes'
      : 'no',
  };
  return Object.fromEntries(Object.entries(answers).filter(([, value]) => value !== ''));
}

export default class Wizard extends BaseCommand<typeof Wizard> {
  static override summary =
    'Ask what the answers file holds, write it, show the plan, then apply it if you agree.';
  static override examples = ['<%= config.bin %> wizard --out /root/xen-gentoo.ini'];
  static override flags = {
    out: Flags.file({ summary: 'Where to write the answers file.', default: 'xen-gentoo.ini' }),
    review: Flags.boolean({
      summary: 'Ask every question again, also those the existing --out file answers.',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const out = this.flags.out;
    const host = this.host();
    // Everything that can be checked is checked before the first question.
    await this.checkGentooTarget(host);
    const outExists = await checkOutFile(out);
    // An existing file: its values are the questions' defaults (and a file that does not parse is
    // bad input now, not after every question).
    const reading = outExists ? await loadAnswersReading(out) : undefined;
    const previous = reading?.answers ?? defaultAnswers();
    // A question the existing file answers is not asked again, unless --review.
    const review = this.flags.review;
    const given = new Set(
      (reading?.located ?? [])
        .filter((l) => l.name === undefined && ASKED[l.section]?.includes(l.key))
        .map((l) => `${l.section}.${l.key}`),
    );
    const ask = <T>(keys: string[], answer: T, question: () => Promise<T>): Promise<T> =>
      !review && keys.some((k) => given.has(k)) ? Promise.resolve(answer) : question();
    if (!interactive())
      throw new UsageError('the wizard needs a terminal; use --answers FILE for unattended runs');
    const { confirm, input, select } = await importOnDemand(
      '@inquirer/prompts',
      () => import('../lib/prompts.js'),
    );
    if (outExists) {
      process.stdout.write(`Defaults from ${out}\n`);
      const kept = [...given, ...(previous.guests.length ? ['[guest.NAME] sections'] : [])];
      if (!review && kept.length)
        process.stdout.write(`Not asked again (${out} answers them; --review asks): ${kept.join(', ')}\n`);
    }
    const sys = await detectSystem(new View(withoutCommands(host)));
    process.stdout.write(
      `Target ${host.root}: ${sys.era === 'legacy' ? '2007-era' : 'current'} Gentoo (${sys.eraEvidence}), arch ${sys.arch}, profile ${sys.profile ?? 'none'}, init ${sys.initSystem}\n\n`,
    );
    const raw = {
      system: {} as Record<string, string>,
      portage: {
        tls_flag: await ask(['portage.tls_flag'], previous.portage.tls_flag, () =>
          select({
            message: '-mno-tls-direct-seg-refs in CFLAGS?',
            choices: triChoices,
            default: previous.portage.tls_flag,
          }),
        ),
        nptlonly: await ask(['portage.nptlonly'], previous.portage.nptlonly, () =>
          select({
            message: 'USE=nptlonly?',
            choices: triChoices,
            default: previous.portage.nptlonly,
          }),
        ),
        buildpkg: (await ask(['portage.buildpkg'], previous.portage.buildpkg === 'yes', () =>
          confirm({
            message: 'Keep binary packages for the domUs (FEATURES=buildpkg)?',
            default: previous.portage.buildpkg === 'yes',
          }),
        ))
          ? 'yes'
          : 'no',
        rebuild_world: (await ask(['portage.rebuild_world'], previous.portage.rebuild_world === 'yes', () =>
          confirm({
            message: 'Rebuild every package when CFLAGS change (emerge -e @world)?',
            default: previous.portage.rebuild_world === 'yes',
          }),
        ))
          ? 'yes'
          : 'no',
        hvm: await ask(['portage.hvm'], previous.portage.hvm, () =>
          select({
            message: 'HVM guest support (needs vmx/svm)?',
            choices: triChoices,
            default: previous.portage.hvm,
          }),
        ),
      },
      xen: {
        keywords: await ask(['xen.keywords'], previous.xen.keywords, () =>
          select({
            message: 'Accept testing (~arch) Xen versions?',
            choices: triChoices,
            default: previous.xen.keywords,
          }),
        ),
        interface: await ask(['xen.interface'], previous.xen.interface, () =>
          input({
            message: 'Network interface the bridge will use',
            default: previous.xen.interface,
          }),
        ),
      },
    };
    const kernelWay = await ask(
      ['kernel.split', 'kernel.genkernel'],
      previous.kernel.genkernel === 'yes'
        ? 'genkernel'
        : previous.kernel.split === 'yes'
          ? 'split'
          : 'single',
      () =>
        select({
          message: 'How should the kernel be built?',
          choices: [
            { name: "two kernels from one tree, dom0 and domU (the HOWTO's make0/makeU)", value: 'split' },
            { name: 'one kernel for dom0 and the domUs', value: 'single' },
            { name: 'genkernel', value: 'genkernel' },
          ],
          default:
            previous.kernel.genkernel === 'yes'
              ? 'genkernel'
              : previous.kernel.split === 'yes'
                ? 'split'
                : 'single',
        }),
    );
    const kernel: Record<string, string> = {
      sources: await ask(['kernel.sources'], previous.kernel.sources, () =>
        input({ message: 'Kernel source tree', default: previous.kernel.sources }),
      ),
      split: kernelWay === 'split' ? 'yes' : 'no',
      genkernel: kernelWay === 'genkernel' ? 'yes' : 'no',
      build: (await ask(['kernel.build'], previous.kernel.build === 'yes', () =>
        confirm({
          message: 'Build and install the kernels (takes long)?',
          default: previous.kernel.build === 'yes',
        }),
      ))
        ? 'yes'
        : 'no',
    };
    const bootAnswers: Record<string, string> = {
      dom0_mem: await ask(['boot.dom0_mem'], previous.boot.dom0_mem, () =>
        input({
          message:
            "Memory for dom0 (dom0_mem; auto = the tool's choice: 256M on 2007 hosts, 1024M,max:1024M today)",
          default: previous.boot.dom0_mem,
        }),
      ),
      serial: (await ask(['boot.serial'], previous.boot.serial === 'yes', () =>
        confirm({
          message: 'Serial console for Xen and dom0 (com1)?',
          default: previous.boot.serial === 'yes',
        }),
      ))
        ? 'yes'
        : 'no',
    };
    const pxe = await ask(['boot.pxe_dir'], previous.boot.pxe_dir ?? '', () =>
      input({
        message: 'TFTP root of a PXE boot server (empty: none)',
        default: previous.boot.pxe_dir ?? '',
      }),
    );
    if (pxe) bootAnswers.pxe_dir = pxe;
    const profile = await ask(['system.profile'], previous.system.profile ?? '', () =>
      input({
        message: 'Profile to select (empty: keep the current one)',
        default: previous.system.profile ?? '',
      }),
    );
    if (profile) raw.system.profile = profile;
    const prompts = await importOnDemand('@inquirer/prompts', () => import('../lib/prompts.js'));
    const guests: Record<string, string>[] = [];
    const taken = new Set<string>();
    const guestsGiven = !review && previous.guests.length > 0;
    for (const guest of previous.guests) {
      if (guestsGiven) {
        taken.add(guest.name);
        guests.push(guestSectionValues(guest));
        continue;
      }
      if (!(await confirm({ message: `Keep guest domain ${guest.name}?`, default: true }))) continue;
      taken.add(guest.name);
      guests.push(await askGuest(prompts, guest, taken));
    }
    while (
      !guestsGiven &&
      (await confirm({
        message: guests.length === 0 ? 'Create a guest domain (domU)?' : 'Create another guest domain?',
        default: false,
      }))
    ) {
      const guest = await askGuest(prompts, undefined, taken);
      taken.add(guest.name ?? '');
      guests.push(guest);
    }
    // Keys the wizard does not ask about keep the existing file's values.
    const kept = keptValues(previous);
    const full = {
      system: { ...kept.system, ...raw.system },
      portage: { ...kept.portage, ...raw.portage },
      xen: { ...kept.xen, ...raw.xen },
      kernel: { ...kept.kernel, ...kernel },
      boot: { ...kept.boot, ...bootAnswers },
    };
    const parsed = answersSchema.safeParse({ ...full, guests });
    if (!parsed.success)
      throw new UsageError(
        `the answers are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const answers: Answers = parsed.data;
    const text = [
      `; xen-gentoo answers file, written by the wizard\n${stringify(full)}`,
      ...guests.map((guest) => guestSectionText(guest)),
    ].join('\n');
    if (outExists && !(await confirm({ message: `${out} exists; replace it?`, default: false }))) {
      process.stderr.write(`Nothing written; ${out} is unchanged.\n`);
      process.exitCode = 1;
      return;
    }
    await writeAnswersFile(out, text);
    this.interruptedNote = `${out} was written; the target was not changed`;
    process.stdout.write(`\nWrote ${out}\n\n`);
    const plan = await planSteps(ALL_STEPS, withoutCommands(host), answers);
    process.stdout.write(renderPlan(plan, { color: this.color }));
    // Answers the run needs and the file lacks: applied now, it would stop at them; named instead.
    this.answersPath = out;
    this.answerHeaders = (await loadAnswersReading(out)).headers;
    const missing = await this.neededAnswers(
      host,
      answers,
      ALL_STEPS.map((s) => s.id),
    );
    for (const m of missing)
      process.stdout.write(`missing answer: ${this.missingAnswerProblem(m).message}\n`);
    if (
      missing.length === 0 &&
      plan.steps.some((s) => s.status === 'pending') &&
      (await confirm({ message: 'Apply this plan now?', default: false }))
    ) {
      await this.config.runCommand('apply', ['--root', host.root, '--answers', out, '--yes']);
    } else {
      const rootGiven = this.argv.some((a) => a === '--root' || a.startsWith('--root='));
      const root = rootGiven || this.flags.root !== '/' ? ` --root ${shellQuote(this.flags.root)}` : '';
      process.stdout.write(
        `${missing.length ? 'Set them, then apply' : 'Apply later'} with: xen-gentoo apply${root} --answers ${shellQuote(out)}\n`,
      );
    }
  }
}
