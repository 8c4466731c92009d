/**
 * Shell completions and the man page, rendered from the commands' own oclif definitions (flags,
 * arguments, summaries), so they cannot disagree with `--help`.
 */

/** What the renderers need of one oclif flag. */
interface FlagLike {
  type: 'boolean' | 'option';
  char?: string;
  summary?: string;
  description?: string;
  options?: readonly string[];
  allowNo?: boolean;
  hidden?: boolean;
  helpValue?: string | string[];
}

interface ArgLike {
  description?: string;
  options?: readonly string[];
  required?: boolean;
}

/** What the renderers need of one oclif command class. */
export interface CommandLike {
  summary?: string;
  description?: string;
  hidden?: boolean;
  flags?: Record<string, unknown>;
  baseFlags?: Record<string, unknown>;
  args?: Record<string, unknown>;
  examples?: readonly unknown[];
}

export interface DocCommand {
  /** Words of the command as typed: `['boot', 'render']`. */
  words: string[];
  summary: string;
  flags: Array<{ name: string } & FlagLike>;
  args: Array<{ name: string } & ArgLike>;
  examples: string[];
}

export interface DocInput {
  bin: string;
  version: string;
  commands: Record<string, CommandLike>;
  /** Values of `--only` (the step ids). */
  stepIds: readonly string[];
  /** The documented exit codes, in order. */
  exitCodes?: ReadonlyArray<{ code: string; meaning: string }>;
}

/** Flags whose values are directories or files, completed from the file system. */
const DIRECTORY_FLAGS = new Set(['root', 'from-root', 'source', 'out']);
const FILE_FLAGS = new Set(['answers', 'junit']);

export function describeCommands(commands: Record<string, CommandLike>): DocCommand[] {
  return Object.entries(commands)
    .filter(([, command]) => !command.hidden)
    .map(([id, command]) => {
      const all = { ...(command.baseFlags ?? {}), ...(command.flags ?? {}) } as Record<string, FlagLike>;
      return {
        words: id.split(':'),
        summary: oneLine(command.summary ?? command.description ?? ''),
        flags: Object.entries(all)
          .filter(([, flag]) => !flag.hidden)
          .map(([name, flag]) => ({ name, ...flag })),
        args: Object.entries((command.args ?? {}) as Record<string, ArgLike>).map(([name, arg]) => ({
          name,
          ...arg,
        })),
        examples: (command.examples ?? []).map((e) =>
          typeof e === 'string' ? e : String((e as { command?: string }).command ?? ''),
        ),
      };
    })
    .sort((a, b) => a.words.join(' ').localeCompare(b.words.join(' ')));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function valueWords(flag: { name: string } & FlagLike, stepIds: readonly string[]): string[] | undefined {
  if (flag.options) return [...flag.options];
  if (flag.name === 'only') return [...stepIds];
  return undefined;
}

const shellWord = /^[A-Za-z0-9_.:/+@=-]+$/;
function shq(word: string): string {
  if (!shellWord.test(word)) throw new Error(`not a plain word for a completion script: ${word}`);
  return word;
}

/** bash: `complete -F _xen_gentoo xen-gentoo`; needs nothing but bash itself. */
export function renderBashCompletion(input: DocInput): string {
  const commands = describeCommands(input.commands);
  const fn = `_${input.bin.replace(/[^A-Za-z0-9]/g, '_')}`;
  const topLevel = [...new Set(commands.map((c) => c.words[0]!))];
  const paths = new Set<string>();
  for (const c of commands)
    for (let i = 1; i <= c.words.length; i++) paths.add(c.words.slice(0, i).join(' '));
  const lines: string[] = [
    `# bash completion for ${input.bin} ${input.version}; generated from the commands' definitions.`,
    `${fn}() {`,
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
    '  local path="" i w',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w=${COMP_WORDS[i]}',
    '    [[ $w == -* ]] && continue',
    '    case "${path:+$path }$w" in',
    `      ${[...paths].map((p) => `'${p.split(' ').map(shq).join(' ')}'`).join('|')}) path="\${path:+$path }$w" ;;`,
    '      *) break ;;',
    '    esac',
    '  done',
    '  local flags="" subs="" args=""',
    '  case "$path" in',
    `    '') subs='${topLevel.map(shq).join(' ')}' ;;`,
  ];
  for (const topic of [...paths].filter((p) => !commands.some((c) => c.words.join(' ') === p))) {
    const children = commands
      .filter((c) => c.words.slice(0, -1).join(' ') === topic)
      .map((c) => c.words[c.words.length - 1]!);
    lines.push(`    '${topic.split(' ').map(shq).join(' ')}') subs='${children.map(shq).join(' ')}' ;;`);
  }
  for (const c of commands) {
    const names = c.flags.flatMap((f) => [
      `--${f.name}`,
      ...(f.allowNo ? [`--no-${f.name}`] : []),
      ...(f.char ? [`-${f.char}`] : []),
    ]);
    const argValues = c.args.flatMap((a) => a.options ?? []);
    lines.push(
      `    '${c.words.map(shq).join(' ')}') flags='${names.map(shq).join(' ')}'; args='${argValues.map(shq).join(' ')}' ;;`,
    );
  }
  lines.push('  esac');
  lines.push('  case "$prev" in');
  const byValue = new Map<string, string[]>();
  for (const c of commands)
    for (const f of c.flags) {
      if (f.type !== 'option') continue;
      const spelled = [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])];
      const values = valueWords(f, input.stepIds);
      const action = values
        ? `COMPREPLY=($(compgen -W '${values.map(shq).join(' ')}' -- "$cur")); return 0`
        : DIRECTORY_FLAGS.has(f.name)
          ? 'COMPREPLY=($(compgen -d -- "$cur")); return 0'
          : FILE_FLAGS.has(f.name)
            ? 'COMPREPLY=($(compgen -f -- "$cur")); return 0'
            : 'return 0';
      for (const s of spelled) {
        const key = `${c.words.join(' ')}\u0000${s}`;
        byValue.set(key, [c.words.join(' '), s, action]);
      }
    }
  // One pattern per flag spelling and action; commands that spell a flag alike share a case.
  const grouped = new Map<string, Set<string>>();
  for (const [, [path, spelled, action]] of byValue) {
    const k = `${spelled}\u0000${action}`;
    if (!grouped.has(k)) grouped.set(k, new Set());
    grouped.get(k)!.add(path!);
  }
  for (const [k, pathSet] of grouped) {
    const [spelled, action] = k.split('\u0000');
    const pathCase = [...pathSet].map((p) => `'${p}'`).join('|');
    lines.push(`    ${shq(spelled!)}) case "$path" in ${pathCase}) ${action} ;; esac ;;`);
  }
  lines.push('  esac');
  lines.push('  if [[ $cur == -* ]]; then');
  lines.push('    COMPREPLY=($(compgen -W "$flags" -- "$cur"))');
  lines.push('  elif [[ -n $subs ]]; then');
  lines.push('    COMPREPLY=($(compgen -W "$subs" -- "$cur"))');
  lines.push('  elif [[ -n $args ]]; then');
  lines.push('    COMPREPLY=($(compgen -W "$args" -- "$cur"))');
  lines.push('  fi');
  lines.push('  return 0');
  lines.push('}');
  lines.push(`complete -F ${fn} ${shq(input.bin)}`);
  return `${lines.join('\n')}\n`;
}

function zshEscape(text: string): string {
  return text.replace(/[\\'[\]:]/g, (c) => `\\${c}`).replace(/'/g, "'\\''");
}

/** zsh: a `#compdef` function for `site-functions`. */
export function renderZshCompletion(input: DocInput): string {
  const commands = describeCommands(input.commands);
  const fn = `_${input.bin.replace(/[^A-Za-z0-9]/g, '_')}`;
  const specs = (c: DocCommand): string[] =>
    c.flags.map((f) => {
      const names = [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])];
      const head = names.length > 1 ? `(${names.join(' ')})'{${names.join(',')}}'` : names[0]!;
      const help = zshEscape(oneLine(f.summary ?? f.description ?? ''));
      if (f.type === 'boolean') return `'${head}[${help}]'`;
      const values = valueWords(f, input.stepIds);
      const action = values
        ? `(${values.join(' ')})`
        : DIRECTORY_FLAGS.has(f.name)
          ? '_files -/'
          : FILE_FLAGS.has(f.name)
            ? '_files'
            : ' ';
      return `'${head}=[${help}]:${f.name}:${action}'`;
    });
  const lines = [
    `#compdef ${input.bin}`,
    `# zsh completion for ${input.bin} ${input.version}; generated from the commands' definitions.`,
    `${fn}() {`,
    '  local -a subs',
    '  local path="" i',
    '  for ((i = 2; i < CURRENT; i++)); do',
    '    [[ $words[i] == -* ]] && break',
    '    path="${path:+$path }$words[i]"',
    '  done',
    '  case "$path" in',
  ];
  const paths = new Set<string>(['']);
  for (const c of commands) for (let i = 1; i < c.words.length; i++) paths.add(c.words.slice(0, i).join(' '));
  for (const topic of paths) {
    const depth = topic === '' ? 0 : topic.split(' ').length;
    const children = new Map<string, string>();
    for (const c of commands)
      if (c.words.length > depth && c.words.slice(0, depth).join(' ') === topic) {
        const word = c.words[depth]!;
        if (!children.has(word))
          children.set(word, c.words.length === depth + 1 ? c.summary : `${word} commands`);
      }
    const described = [...children].map(([w, s]) => `'${w}:${zshEscape(s)}'`).join(' ');
    lines.push(`    '${topic}') subs=(${described}); _describe -t commands 'command' subs; return ;;`);
  }
  for (const c of commands) {
    const shift = c.words.length + 1;
    const argSpecs = c.args.map((a) => `':${a.name}:(${(a.options ?? []).join(' ')})'`);
    lines.push(`    '${c.words.join(' ')}')`);
    lines.push(`      words=("$words[1]" "\${(@)words[${shift},-1]}"); (( CURRENT -= ${shift - 2} ))`);
    lines.push(`      _arguments -s \\`);
    for (const spec of [...specs(c), ...argSpecs]) lines.push(`        ${spec} \\`);
    lines.push('      ;;');
  }
  lines.push('  esac');
  lines.push('}');
  lines.push(`${fn} "$@"`);
  return `${lines.join('\n')}\n`;
}

function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

/** xen-gentoo(8). */
export function renderManPage(input: DocInput): string {
  const commands = describeCommands(input.commands);
  const out: string[] = [
    `.TH ${input.bin.toUpperCase()} 8 "" "${input.bin} ${input.version}" "System Administration"`,
    '.SH NAME',
    `${input.bin} \\- take a Gentoo machine from a plain install to a working Xen host`,
    '.SH SYNOPSIS',
    ...commands.flatMap((c) => [
      '.B',
      `${input.bin} ${c.words.join(' ')}`,
      ...(c.args.length
        ? [
            `.RI ${c.args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`)).join(' ')}`,
          ]
        : []),
      '.RI [ OPTIONS ]',
      '.br',
    ]),
    '.SH DESCRIPTION',
    roff(
      `${input.bin} automates the Gentoo wiki page "HOWTO Xen and Gentoo" step by step, on the 2007-era Gentoo it was written for and on today's. Every step detects its state, shows the exact diffs and commands it would apply, and does nothing the second time.`,
    ),
    '.SH COMMANDS',
  ];
  for (const c of commands) {
    out.push(`.SS ${input.bin} ${c.words.join(' ')}`);
    out.push(roff(c.summary));
    for (const a of c.args) {
      out.push('.TP', `.I ${a.name.toUpperCase()}`);
      out.push(
        roff(`${oneLine(a.description ?? '')}${a.options ? ` One of: ${a.options.join(', ')}.` : ''}`),
      );
    }
    for (const f of c.flags) {
      const value = f.type === 'option' ? ` ${String(f.helpValue ?? f.name.toUpperCase())}` : '';
      out.push('.TP');
      out.push(
        `.B ${roff(`${f.char ? `-${f.char}, ` : ''}--${f.allowNo ? `[no-]` : ''}${f.name}`)}${value ? ` \\fI${roff(value.trim())}\\fR` : ''}`,
      );
      const values = f.options ? ` One of: ${f.options.join(', ')}.` : '';
      out.push(roff(`${oneLine(f.summary ?? f.description ?? '')}${values}`));
    }
    const examples = c.examples.filter(Boolean).map((e) => e.replace(/<%= config\.bin %>/g, input.bin));
    if (examples.length) {
      out.push('.PP', 'Examples:', '.RS', '.nf');
      for (const e of examples) out.push(roff(e));
      out.push('.fi', '.RE');
    }
  }
  if (input.exitCodes?.length) {
    out.push('.SH EXIT STATUS');
    for (const e of input.exitCodes) out.push('.TP', `.B ${e.code}`, roff(e.meaning.replace(/`/g, '')));
  }
  out.push(
    '.SH FILES',
    '.TP',
    '.I /var/lib/xen\\-gentoo/runs/',
    'one journal per run, with the backups that rollback restores',
    '.TP',
    '.I /var/lib/xen\\-gentoo/lock',
    'held while a run changes the target',
    '.SH SEE ALSO',
    '.BR emerge (1),',
    '.BR xl (1),',
    '.BR grub\\-mkconfig (8)',
  );
  return `${out.join('\n')}\n`;
}

/** The exit-code table of the README (`| code | meaning |` rows under `## Exit codes`). */
export function parseExitCodeTable(readme: string): Array<{ code: string; meaning: string }> {
  const section = readme.split(/^## Exit codes\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  return [...section.matchAll(/^\| *(\d+) *\| *(.+?) *\|$/gm)].map((m) => ({ code: m[1]!, meaning: m[2]! }));
}
