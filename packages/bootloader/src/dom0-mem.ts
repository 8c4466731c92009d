import { BootConfigError } from './errors.js';

/**
 * `dom0_mem`: the memory Xen gives the first domain.
 *
 * Xen 3.x (the HOWTO): one size, `<number>[B|K|M|G]`; a bare number is KiB ("if no suffix is
 * specified, the parameter defaults to kilobytes").
 * Xen 4.x (today, x86): `List of ( min:<sz> | max:<sz> | <sz> )`, where a size may be negative
 * (total memory minus that amount) and `<sz>` may be `[<size>+]<frac>%`; `T` is accepted too.
 */

export type Dom0MemSyntax = 'xen3' | 'xen4';

const UNIT_BYTES = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 } as const;
type Unit = keyof typeof UNIT_BYTES;

export interface Dom0MemSize {
  /** Signed byte count (negative: "all but"); undefined for a pure percentage. */
  bytes: number | undefined;
  /** Percentage of host memory added to `bytes` (Xen 4.12+), if any. */
  percent?: number;
}

export interface Dom0MemItem {
  kind: 'exact' | 'min' | 'max';
  size: Dom0MemSize;
}

export interface Dom0Mem {
  items: Dom0MemItem[];
  /** The canonical spelling: explicit units, `exact,min:…,max:…` order. */
  text: string;
}

export interface Dom0MemCheck {
  value: Dom0Mem;
  /** Known problems that do not stop the boot (too small, unusual forms). */
  warnings: string[];
}

/**
 * Smallest dom0 the project considers safe. The HOWTO notes that 98M gave "insufficient memory"
 * errors with 2.6.16 dom0 kernels; a current PV dom0 with udev, xenstored and the qemu device
 * models needs several hundred MiB (Xen's own example is 512M).
 */
export const DOM0_MEM_MINIMUM = { xen3: 128 * UNIT_BYTES.M, xen4: 512 * UNIT_BYTES.M } as const;

const SIZE_EXPECTED = 'a size such as 512M, 1G or 262144 (a bare number is KiB; units B, K, M, G)';
const LIST_EXPECTED = `a size, or a comma-separated list of <size>, min:<size>, max:<size> (${SIZE_EXPECTED})`;

function parseSize(raw: string, syntax: Dom0MemSyntax, whole: string): Dom0MemSize {
  const fail = (why: string): never => {
    throw new BootConfigError(`dom0_mem=${whole}: ${why}`, {
      expected: syntax === 'xen3' ? SIZE_EXPECTED : LIST_EXPECTED,
    });
  };
  // Xen reads a zero amount as "not given" and falls back to its default (dom0_mem=0: all memory
  // but a reserve; max:0: no limit), so the value would silently mean something else.
  const zero = (): never => {
    throw new BootConfigError(`dom0_mem=${whole}: "${raw}" is zero, which Xen takes as "not given"`, {
      expected: `a size above zero (${syntax === 'xen3' ? SIZE_EXPECTED : LIST_EXPECTED})`,
    });
  };
  if (raw === '') fail('empty size');
  let rest = raw;
  let percent: number | undefined;
  const pct = /^(?:(.*)\+)?(\d+)%$/.exec(rest);
  if (pct) {
    if (syntax === 'xen3') fail(`"${raw}": percentages need Xen 4.12 or later`);
    percent = Number(pct[2]);
    if (percent === 0) zero();
    if (percent >= 100) fail(`"${raw}": the percentage must be below 100`);
    rest = pct[1] ?? '';
    if (rest === '') return { bytes: undefined, percent };
  }
  const m = /^(-)?(\d+)([bBkKmMgGtT])?$/.exec(rest);
  if (!m) fail(`"${raw}" is not a size`);
  const [, minus, digits = '', unitRaw] = m as RegExpExecArray;
  if (minus && syntax === 'xen3') fail(`"${raw}": negative sizes need Xen 4`);
  const unit = (unitRaw?.toUpperCase() ?? 'K') as Unit;
  if (unit === 'T' && syntax === 'xen3') fail(`"${raw}": the T unit needs Xen 4`);
  if (Number(digits) === 0) zero();
  const bytes = Number(digits) * UNIT_BYTES[unit] * (minus ? -1 : 1);
  if (!Number.isSafeInteger(bytes)) fail(`"${raw}" is too large`);
  return percent === undefined ? { bytes } : { bytes, percent };
}

/** Print a byte count with the largest unit that divides it exactly (never bare: bare is KiB). */
export function formatSize(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  for (const unit of ['G', 'M', 'K'] as const) {
    const n = UNIT_BYTES[unit];
    // Keep MiB up to 4 GiB (1024M reads better than 1G next to Xen's docs); G beyond.
    if (unit === 'G' && abs < 4 * UNIT_BYTES.G) continue;
    if (abs % n === 0) return `${sign}${abs / n}${unit}`;
  }
  return `${sign}${abs}B`;
}

function formatItemSize(size: Dom0MemSize): string {
  const base = size.bytes === undefined ? '' : formatSize(size.bytes);
  if (size.percent === undefined) return base;
  return base === '' ? `${size.percent}%` : `${base}+${size.percent}%`;
}

/**
 * Two sizes compare without knowing the host's memory when neither has a percentage and both count
 * the same way: both amounts, or both "all but" amounts (-N, where a larger N is less memory).
 */
function comparable(a: Dom0MemSize, b: Dom0MemSize): boolean {
  return (
    a.percent === undefined &&
    b.percent === undefined &&
    a.bytes !== undefined &&
    b.bytes !== undefined &&
    a.bytes < 0 === b.bytes < 0
  );
}

/**
 * Reject lists that contradict themselves. Xen clamps the size into [min, max] and lets max win
 * over min, so `min:512M,max:256M` boots with 256M and `2G,max:1G` with 1G: the value would not
 * mean what it says, and the step would report the written size as done.
 */
function checkBounds(items: Dom0MemItem[], whole: string): void {
  const get = (kind: Dom0MemItem['kind']): Dom0MemSize | undefined =>
    items.find((i) => i.kind === kind)?.size;
  const exact = get('exact');
  const min = get('min');
  const max = get('max');
  const show = (size: Dom0MemSize): string => formatItemSize(size);
  if (min && max && comparable(min, max) && (min.bytes ?? 0) > (max.bytes ?? 0)) {
    throw new BootConfigError(`dom0_mem=${whole}: min:${show(min)} is more than max:${show(max)}`, {
      expected: 'min: no larger than max: (Xen would ignore min: and give dom0 max:)',
    });
  }
  for (const [bound, kind] of [
    [min, 'min'],
    [max, 'max'],
  ] as const) {
    if (!exact || !bound || !comparable(exact, bound)) continue;
    const e = exact.bytes ?? 0;
    const b = bound.bytes ?? 0;
    if (kind === 'min' ? e < b : e > b) {
      throw new BootConfigError(
        `dom0_mem=${whole}: the size ${show(exact)} is ${kind === 'min' ? 'below' : 'above'} ${kind}:${show(bound)}`,
        {
          expected: `a size between min: and max: (Xen would give dom0 ${kind}:${show(bound)} instead)`,
        },
      );
    }
  }
}

/**
 * Parse and normalise a dom0_mem value (without the `dom0_mem=` prefix). Throws
 * BootConfigError naming what was expected; zero amounts and contradictory lists (min: above
 * max:, a size outside [min:, max:]) are rejected here, so the answers file refuses them.
 */
export function parseDom0Mem(input: string, syntax: Dom0MemSyntax = 'xen4'): Dom0Mem {
  const whole = input.trim().replace(/^dom0_mem=/, '');
  if (whole === '') {
    throw new BootConfigError('dom0_mem is empty', {
      expected: syntax === 'xen3' ? SIZE_EXPECTED : LIST_EXPECTED,
    });
  }
  const parts = whole.split(',');
  if (syntax === 'xen3' && parts.length > 1) {
    throw new BootConfigError(`dom0_mem=${whole}: Xen 3 takes a single size`, { expected: SIZE_EXPECTED });
  }
  const items: Dom0MemItem[] = [];
  for (const part of parts) {
    const m = /^(min|max):(.*)$/.exec(part);
    if (m && syntax === 'xen3') {
      throw new BootConfigError(`dom0_mem=${whole}: "${part}" needs Xen 4`, { expected: SIZE_EXPECTED });
    }
    const kind = (m?.[1] ?? 'exact') as Dom0MemItem['kind'];
    if (items.some((i) => i.kind === kind)) {
      throw new BootConfigError(
        `dom0_mem=${whole}: ${kind === 'exact' ? 'the size' : `${kind}:`} is given twice`,
        {
          expected: LIST_EXPECTED,
        },
      );
    }
    items.push({ kind, size: parseSize(m ? (m[2] ?? '') : part, syntax, whole) });
  }
  checkBounds(items, whole);
  const order = { exact: 0, min: 1, max: 2 } as const;
  items.sort((a, b) => order[a.kind] - order[b.kind]);
  const text = items.map((i) => (i.kind === 'exact' ? '' : `${i.kind}:`) + formatItemSize(i.size)).join(',');
  return { items, text };
}

function mib(bytes: number): string {
  return `${Math.round(bytes / UNIT_BYTES.M)} MiB`;
}

/**
 * Parse, normalise and judge a dom0_mem value. `hostMemBytes` (from /proc/meminfo) enables the
 * "more than the machine has" check.
 */
export function checkDom0Mem(
  input: string,
  options: { syntax?: Dom0MemSyntax; hostMemBytes?: number } = {},
): Dom0MemCheck {
  const syntax = options.syntax ?? 'xen4';
  const value = parseDom0Mem(input, syntax);
  const warnings: string[] = [];
  const minimum = DOM0_MEM_MINIMUM[syntax];
  for (const item of value.items) {
    const { bytes, percent } = item.size;
    if (bytes === undefined || percent !== undefined) continue;
    if (bytes > 0 && bytes < minimum && item.kind !== 'min') {
      warnings.push(
        syntax === 'xen3'
          ? `dom0_mem ${item.kind === 'max' ? 'max ' : ''}${mib(bytes)} is below ${mib(minimum)}: the HOWTO reports "insufficient memory" errors with 98M and 2.6.16 dom0 kernels`
          : `dom0_mem ${item.kind === 'max' ? 'max ' : ''}${mib(bytes)} is below ${mib(minimum)}: a current dom0 (udev, xenstored, device models) risks running out of memory`,
      );
    }
    if (options.hostMemBytes !== undefined && bytes > 0 && bytes >= options.hostMemBytes) {
      warnings.push(
        `dom0_mem ${mib(bytes)} is not less than the machine's memory (${mib(options.hostMemBytes)}): nothing is left for guests`,
      );
    }
  }
  if (!value.items.some((i) => i.kind === 'max') && syntax === 'xen4') {
    warnings.push(
      `dom0_mem=${value.text} has no max: part, so dom0 may balloon without limit; Xen recommends a fixed size such as 1024M,max:1024M`,
    );
  }
  return { value, warnings };
}
