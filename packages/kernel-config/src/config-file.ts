/**
 * Lossless reading and writing of a kernel `.config` file.
 *
 * Every line is kept as written; `renderConfig(parseConfig(x)) === x` for any text. Values are
 * kept in `.config` syntax: `y`, `m`, `n` (written as `# CONFIG_X is not set`), a quoted string
 * (`"abc"`), a decimal or a hex number. Symbols are named without the `CONFIG_` prefix.
 */

export type ConfigLine =
  /** `CONFIG_X=value` */
  | { kind: 'value'; symbol: string; value: string; text: string }
  /** `# CONFIG_X is not set` */
  | { kind: 'unset'; symbol: string; text: string }
  /** Anything else: comments, blank lines, lines Kconfig would ignore. */
  | { kind: 'other'; text: string };

export interface KernelConfig {
  readonly lines: readonly ConfigLine[];
}

/** The prefix Kconfig writes in front of every symbol. */
export const CONFIG_PREFIX = 'CONFIG_';

const VALUE_RE = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET_RE = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

function parseLine(raw: string): ConfigLine {
  const body = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const set = VALUE_RE.exec(body);
  if (set) return { kind: 'value', symbol: set[1] ?? '', value: set[2] ?? '', text: raw };
  const unset = UNSET_RE.exec(body);
  if (unset) return { kind: 'unset', symbol: unset[1] ?? '', text: raw };
  return { kind: 'other', text: raw };
}

/** Parse `.config` text. Never fails: lines Kconfig would not understand are kept as `other`. */
export function parseConfig(text: string): KernelConfig {
  return { lines: text.split('\n').map(parseLine) };
}

/** Print a parsed config back to text (byte-identical to the input when unchanged). */
export function renderConfig(config: KernelConfig): string {
  return config.lines.map((l) => l.text).join('\n');
}

/** The line Kconfig itself would write for a symbol and value. */
export function formatConfigLine(symbol: string, value: string): string {
  return value === 'n' ? `# ${CONFIG_PREFIX}${symbol} is not set` : `${CONFIG_PREFIX}${symbol}=${value}`;
}

/** Quote a string value the way Kconfig does (`"` and `\` escaped). */
export function quoteConfigString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Undo `quoteConfigString`; a value that is not quoted is returned unchanged. */
export function unquoteConfigString(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

/**
 * Every symbol's value as Kconfig would read it: the last assignment wins, `is not set` reads
 * as `n`. Symbols that do not appear are absent from the map.
 */
export function configValues(config: KernelConfig): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of config.lines) {
    if (line.kind === 'value') values.set(line.symbol, line.value);
    else if (line.kind === 'unset') values.set(line.symbol, 'n');
  }
  return values;
}

/** One symbol's value (`n` for `is not set`), or undefined when the file does not mention it. */
export function getConfigValue(config: KernelConfig, symbol: string): string | undefined {
  return configValues(config).get(symbol);
}

/**
 * Set values: a symbol already in the file is changed where it stands (every occurrence, so
 * no earlier line can contradict the new value); new symbols are appended at the end, in the
 * order given. Returns a new config; the input is not modified. Line endings (CRLF) of changed
 * lines are kept.
 */
export function setConfigValues(
  config: KernelConfig,
  values: Iterable<readonly [string, string]> | ReadonlyMap<string, string>,
): KernelConfig {
  const wanted = new Map<string, string>(values);
  const seen = new Set<string>();
  const lines: ConfigLine[] = config.lines.map((line) => {
    if (line.kind === 'other') return line;
    const value = wanted.get(line.symbol);
    if (value === undefined) return line;
    seen.add(line.symbol);
    const eol = line.text.endsWith('\r') ? '\r' : '';
    const current = line.kind === 'value' ? line.value : 'n';
    if (current === value && line.kind === (value === 'n' ? 'unset' : 'value')) return line;
    return parseLine(formatConfigLine(line.symbol, value) + eol);
  });
  const added = [...wanted].filter(([symbol]) => !seen.has(symbol));
  if (added.length === 0) return { lines };
  const newLines = added.map(([symbol, value]) => parseLine(formatConfigLine(symbol, value)));
  const last = lines[lines.length - 1];
  if (last && last.kind === 'other' && last.text === '') {
    lines.splice(lines.length - 1, 0, ...newLines);
  } else {
    lines.push(...newLines, { kind: 'other', text: '' });
  }
  return { lines };
}

/** Text in, text out: set values in `.config` text (see `setConfigValues`). */
export function setConfigText(
  text: string,
  values: Iterable<readonly [string, string]> | ReadonlyMap<string, string>,
): string {
  return renderConfig(setConfigValues(parseConfig(text), values));
}

/** Whether a value means "off" for a bool/tristate symbol (absent counts as off). */
export function isOff(value: string | undefined): boolean {
  return value === undefined || value === 'n';
}

/**
 * Whether a kernel configuration builds a dom0-capable kernel: mainline's `CONFIG_XEN_DOM0=y`
 * or xen-sources' `CONFIG_XEN_PRIVILEGED_GUEST=y` (what GRUB 2's 20_linux_xen looks for).
 */
export function isDom0Config(text: string): boolean {
  const config = parseConfig(text);
  return getConfigValue(config, 'XEN_DOM0') === 'y' || getConfigValue(config, 'XEN_PRIVILEGED_GUEST') === 'y';
}
