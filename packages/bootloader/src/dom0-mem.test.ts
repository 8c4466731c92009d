import { describe, expect, it } from 'vitest';
import { BootConfigError } from './errors.js';
import { checkDom0Mem, formatSize, parseDom0Mem } from './dom0-mem.js';

describe('parseDom0Mem', () => {
  it.each([
    ['98M', '98M'],
    ['98m', '98M'],
    // the HOWTO: a bare number is KiB
    ['98304', '96M'],
    ['258048', '252M'],
    ['262144K', '256M'],
    ['1073741824B', '1024M'],
    ['1G', '1024M'],
    ['4G', '4G'],
    ['1000B', '1000B'],
    ['1024M,max:1024M', '1024M,max:1024M'],
    ['max:2G,1G', '1024M,max:2048M'],
    ['min:512M,max:4G', 'min:512M,max:4G'],
    ['-2G', '-2048M'],
    ['1G+25%', '1024M+25%'],
    ['10%', '10%'],
    ['dom0_mem=2G,max:2G', '2048M,max:2048M'],
  ])('%s → %s', (input, text) => {
    expect(parseDom0Mem(input).text).toBe(text);
  });

  it('is idempotent on its own output', () => {
    for (const v of ['98304', '1G', 'max:2G,1G', '1G+25%', '-512M']) {
      const once = parseDom0Mem(v).text;
      expect(parseDom0Mem(once).text).toBe(once);
    }
  });

  it('keeps bytes exactly', () => {
    expect(parseDom0Mem('98304').items[0]?.size.bytes).toBe(98304 * 1024);
  });

  it.each([
    ['', /empty/],
    ['lots', /"lots" is not a size/],
    ['98MB', /not a size/],
    ['1G,2G', /given twice/],
    ['max:1G,max:2G', /max: is given twice/],
    ['150%', /below 100/],
    ['avg:1G', /not a size/],
  ])('rejects %j', (input, message) => {
    expect(() => parseDom0Mem(input)).toThrow(message);
    try {
      parseDom0Mem(input);
    } catch (e) {
      expect(e).toBeInstanceOf(BootConfigError);
      expect((e as BootConfigError).expected).toMatch(/size/);
    }
  });

  it.each([
    ['0', 'xen4'],
    ['0', 'xen3'],
    ['0M', 'xen4'],
    ['max:0', 'xen4'],
    ['1G,min:0', 'xen4'],
    ['1G,max:0G', 'xen4'],
    ['-0', 'xen4'],
    ['0%', 'xen4'],
    ['1G+0%', 'xen4'],
    ['0+10%', 'xen4'],
  ] as const)('rejects a zero amount: %j (%s)', (input, syntax) => {
    expect(() => parseDom0Mem(input, syntax)).toThrow(BootConfigError);
    expect(() => parseDom0Mem(input, syntax)).toThrow(
      /is zero, which Xen takes as "not given" \(expected a size above zero/,
    );
  });

  it.each([
    ['min:512M,max:256M', /min:512M is more than max:256M \(expected min: no larger than max:/],
    ['max:256M,min:512M', /min:512M is more than max:256M/],
    ['min:-1G,max:-2G', /min:-1024M is more than max:-2048M/],
    ['2G,max:1G', /the size 2048M is above max:1024M \(expected a size between min: and max:/],
    ['256M,min:512M', /the size 256M is below min:512M/],
    ['256M,min:512M,max:1G', /below min:512M/],
  ])('rejects a contradictory list: %j', (input, message) => {
    expect(() => parseDom0Mem(input)).toThrow(message);
  });

  it.each([
    ['min:512M,max:512M', 'min:512M,max:512M'],
    ['1G,min:512M,max:2G', '1024M,min:512M,max:2048M'],
    ['1G,max:1G', '1024M,max:1024M'],
    // not comparable without the host's memory: left to Xen
    ['min:-1G,max:2G', 'min:-1024M,max:2048M'],
    ['4G,max:10%', '4G,max:10%'],
    ['-1G,max:512M', '-1024M,max:512M'],
  ])('accepts a consistent or host-dependent list: %j', (input, text) => {
    expect(parseDom0Mem(input).text).toBe(text);
  });

  it('Xen 3 syntax: one size only, no min/max, no negatives', () => {
    expect(parseDom0Mem('98M', 'xen3').text).toBe('98M');
    expect(() => parseDom0Mem('1024M,max:1024M', 'xen3')).toThrow(/single size/);
    expect(() => parseDom0Mem('max:1G', 'xen3')).toThrow(/needs Xen 4/);
    expect(() => parseDom0Mem('-1G', 'xen3')).toThrow(/negative/);
    expect(() => parseDom0Mem('10%', 'xen3')).toThrow(/Xen 4.12/);
  });
});

describe('checkDom0Mem', () => {
  it("warns about the HOWTO's 98M on a Xen 3 host", () => {
    const { value, warnings } = checkDom0Mem('98M', { syntax: 'xen3' });
    expect(value.text).toBe('98M');
    expect(warnings.join('\n')).toMatch(/98M and 2.6.16/);
  });

  it('accepts 256M on Xen 3 without warnings', () => {
    expect(checkDom0Mem('256M', { syntax: 'xen3' }).warnings).toEqual([]);
  });

  it('warns below 512M today, and without max:', () => {
    const w = checkDom0Mem('256M').warnings.join('\n');
    expect(w).toMatch(/below 512 MiB/);
    expect(w).toMatch(/no max:/);
  });

  it('is quiet for the recommended value', () => {
    expect(checkDom0Mem('1024M,max:1024M').warnings).toEqual([]);
  });

  it('warns when dom0 would take the whole machine', () => {
    const w = checkDom0Mem('4G,max:4G', { hostMemBytes: 2 * 1024 ** 3 }).warnings;
    expect(w.join('\n')).toMatch(/not less than the machine's memory/);
  });

  it('rejects zero', () => {
    expect(() => checkDom0Mem('0')).toThrow(/zero/);
  });
});

describe('formatSize', () => {
  it('never prints a bare number', () => {
    expect(formatSize(512)).toBe('512B');
    expect(formatSize(3 * 1024)).toBe('3K');
    expect(formatSize(8 * 1024 ** 3)).toBe('8G');
  });
});
