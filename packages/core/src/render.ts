import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import type { Change, ImageChange, SecretSource } from './change.js';
import { combinedFileChanges, countByStatus, type Plan, type PlannedStep } from './plan.js';
import { PHASES, type Phase, type StepStatus } from './step.js';

export interface RenderOptions {
  color: boolean;
  /** One diff per step instead of one combined diff per file. */
  perStep?: boolean;
  /** A line shown under a phase that has no step here (e.g. where a phase's work lives instead). */
  phaseNotes?: Partial<Record<Phase, string>>;
}

type Colors = ReturnType<typeof pc.createColors>;

const STATUS_LABEL: Record<StepStatus, string> = {
  done: 'done',
  pending: 'pending',
  'not-applicable': 'not applicable',
  blocked: 'blocked',
};

function statusColor(c: Colors, status: StepStatus): (s: string) => string {
  switch (status) {
    case 'done':
      return c.green;
    case 'pending':
      return c.yellow;
    case 'blocked':
      return c.red;
    case 'not-applicable':
      return c.dim;
  }
}

/** Files that hold password hashes (shadow(5)); their diffs show the hashes redacted. */
export function holdsPasswordHashes(path: string): boolean {
  return /(^|\/)g?shadow-?$/.test(path);
}

/**
 * A file's text fit to print or serialise: in a shadow file every password field that holds a
 * hash (not empty, `*`, `!` or `x`) becomes `<redacted>`; other files are returned as they are.
 */
export function redactSecrets(path: string, text: string): string {
  if (!holdsPasswordHashes(path)) return text;
  return text.replace(/^([^:\n]*):([^:\n]*)/gm, (line, user: string, field: string) =>
    /^[!*]*$|^x$/.test(field) ? line : `${user}:<redacted>`,
  );
}

/**
 * The unified diff (without its "====" line) of a file that is new or was empty: what
 * createTwoFilesPatch gives, without running a diff algorithm that finds every line added (and
 * takes milliseconds over a kernel configuration).
 */
export function addedFilePatch(from: string, to: string, text: string): string[] {
  const lines = [`--- ${from}`, `+++ ${to}`];
  if (text === '') return lines;
  const added = text.split('\n');
  const newlineAtEnd = added.at(-1) === '';
  if (newlineAtEnd) added.pop();
  lines.push(`@@ -0,0 +1,${added.length} @@`);
  for (const line of added) lines.push(`+${line}`);
  if (!newlineAtEnd) lines.push('\\ No newline at end of file');
  return lines;
}

/** A unified diff of one file, coloured when asked (password hashes redacted). */
export function renderDiff(path: string, before: string | null, after: string, color: boolean): string {
  const c = pc.createColors(color);
  const from = before === null ? '/dev/null' : `a${path}`;
  const lines =
    before === null || before === ''
      ? addedFilePatch(from, `b${path}`, redactSecrets(path, after))
      : createTwoFilesPatch(
          from,
          `b${path}`,
          redactSecrets(path, before),
          redactSecrets(path, after),
          undefined,
          undefined,
          { context: 3 },
        )
          .split('\n')
          .slice(1); // drop the "====" line
  return lines
    .filter((line) => line !== '')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return c.bold(line);
      if (line.startsWith('@@')) return c.cyan(line);
      if (line.startsWith('+')) return c.green(line);
      if (line.startsWith('-')) return c.red(line);
      return line;
    })
    .join('\n');
}

export function renderChange(change: Change, color: boolean): string {
  const c = pc.createColors(color);
  switch (change.kind) {
    case 'file':
      return renderDiff(change.path, change.before, change.after, color);
    case 'symlink':
      return `${c.bold('symlink')} ${change.path} -> ${change.target}${change.before !== null ? c.dim(` (was -> ${change.before})`) : ''}`;
    case 'directory':
      return `${c.bold('mkdir')} ${change.path}`;
    case 'remove':
      return `${c.bold('remove')} ${change.path} ${c.dim('(kept in the run journal)')}`;
    case 'command':
      return `${c.bold('run')} ${change.argv.map(shellQuote).join(' ')}${change.inRoot ? c.dim(' (in the target root)') : ''}${change.acceptDefaults ? c.dim(' (every question answered with its default)') : ''}\n    ${c.dim(`# ${change.why}`)}`;
    case 'manual':
      return `${c.bold(c.magenta('you:'))} ${change.text}`;
    case 'secret':
      return `${c.bold('password')} of ${change.user} in ${change.path}: ${describeSecretSource(change.source)} ${c.dim('(SHA-512 crypt; never shown)')}`;
    case 'remove-image':
      return `${c.bold('remove image')} ${change.path} ${c.dim('(not kept: rollback cannot bring it back)')}`;
    case 'image':
      return renderImage(change, color);
  }
}

function describeSecretSource(source: SecretSource): string {
  return 'file' in source
    ? `set from the file ${source.file}`
    : `set from the environment variable ${source.env}`;
}

function sizeText(bytes: number): string {
  return bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** An image build: what it is made from and how, then each part (files as diffs inside the image). */
function renderImage(change: ImageChange, color: boolean): string {
  const c = pc.createColors(color);
  const how = change.mount
    ? `filled through a loop mount (${change.filesystem} cannot be made from a directory), always unmounted`
    : `made from the staged tree without mounting (mke2fs -d)`;
  const lines = [
    `${c.bold('image')} ${change.path}: ${sizeText(change.bytes)} ${change.filesystem}, sparse; ${how}`,
    `    ${c.dim(`# ${change.why}`)}`,
    `    unpack ${change.archive} into ${change.stage} (every member checked first; owners, modes, devices and xattrs kept; removed afterwards)`,
  ];
  for (const part of change.parts) {
    const text =
      part.kind === 'file'
        ? renderDiff(`${change.path}:${part.path}`, null, part.content, color)
        : part.kind === 'symlink'
          ? `${c.bold('symlink')} ${part.path} -> ${part.target}`
          : part.kind === 'copy'
            ? `${c.bold('copy')} ${part.from} -> ${part.path}`
            : part.kind === 'swap'
              ? `${c.bold('swap file')} ${part.path} (${sizeText(part.bytes)}, mkswap)`
              : part.kind === 'secret'
                ? `${c.bold('password')} of ${part.user} in ${part.path}: ${describeSecretSource(part.source)} ${c.dim("(SHA-512 crypt, or MD5 crypt when the image's glibc is older than 2.7; never shown)")}`
                : renderChange(part, color);
    lines.push(...text.split('\n').map((line) => `    ${line}`));
  }
  return lines.join('\n');
}

/** Quote an argument for display the way a shell user would type it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The human view of a plan: steps by phase with state and reason, then the diffs and commands. */
export function renderPlan(plan: Plan, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  for (const phase of PHASES) {
    const steps = plan.steps.filter((s) => s.phase === phase);
    const note = options.phaseNotes?.[phase];
    if (steps.length === 0 && note !== undefined) {
      out.push(c.bold(c.underline(phase)), `  ${note}`, '');
      continue;
    }
    if (steps.length === 0) continue;
    out.push(c.bold(c.underline(phase)));
    for (const step of steps) out.push(renderStepLine(step, c));
    out.push('');
  }
  const files = combinedFileChanges(plan);
  const pending = plan.steps.filter((s) => s.status === 'pending');
  if (options.perStep) {
    for (const step of pending) {
      out.push(c.bold(`== ${step.id}: ${step.title}`));
      for (const change of step.changes) out.push(renderChange(change, options.color));
      out.push('');
    }
  } else {
    if (files.length > 0) {
      out.push(c.bold(`Files (${files.length})`));
      for (const file of files) {
        out.push(c.dim(`# ${file.path} — ${file.steps.join(', ')}`));
        out.push(renderDiff(file.path, file.before, file.after, options.color));
        out.push('');
      }
    }
    const others = pending.flatMap((step) =>
      step.changes.filter((ch) => ch.kind !== 'file').map((ch) => ({ step, ch })),
    );
    if (others.length > 0) {
      out.push(c.bold('Commands and other changes, in order'));
      for (const { step, ch } of others)
        out.push(`${c.dim(`[${step.id}]`)} ${renderChange(ch, options.color)}`);
      out.push('');
    }
  }
  const counts = countByStatus(plan);
  out.push(
    `${counts.pending} pending, ${counts.done} done, ${counts['not-applicable']} not applicable, ${counts.blocked} blocked`,
  );
  return out.join('\n') + '\n';
}

function renderStepLine(step: PlannedStep, c: Colors): string {
  const label = statusColor(c, step.status)(STATUS_LABEL[step.status].padEnd(14));
  const lines = [`  ${label} ${c.bold(step.id.padEnd(20))} ${step.reason}`];
  for (const warning of step.warnings)
    lines.push(`  ${' '.repeat(14)} ${' '.repeat(20)} ${c.yellow(`warning: ${warning}`)}`);
  for (const note of step.notes)
    lines.push(`  ${' '.repeat(14)} ${' '.repeat(20)} ${c.dim(`note: ${note}`)}`);
  return lines.join('\n');
}
