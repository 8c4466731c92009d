import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isDom0Config,
  configValues,
  formatConfigLine,
  getConfigValue,
  parseConfig,
  quoteConfigString,
  renderConfig,
  setConfigText,
  unquoteConfigString,
} from './config-file.js';

const SAMPLE = `#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.176 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"
CONFIG_GCC_VERSION=120200
CONFIG_PHYSICAL_START=0x1000000
CONFIG_64BIT=y
CONFIG_BLK_DEV_LOOP=m
# CONFIG_XEN is not set

# comment
CONFIG_HZ_250=y
`;

describe('parse/render', () => {
  it('is lossless on a real-looking .config', () => {
    expect(renderConfig(parseConfig(SAMPLE))).toBe(SAMPLE);
  });

  it('is lossless on any text (CRLF, no final newline, garbage)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('C', 'O', 'N', 'F', 'I', 'G', '_', '=', '#', ' ', 'y', '\n', '\r', '"', 'x'),
        }),
        (text) => {
          expect(renderConfig(parseConfig(text))).toBe(text);
        },
      ),
    );
  });

  it('reads every kind of value', () => {
    const values = configValues(parseConfig(SAMPLE));
    expect(values.get('CC_VERSION_TEXT')).toBe('"gcc (Debian 12.2.0-14) 12.2.0"');
    expect(values.get('GCC_VERSION')).toBe('120200');
    expect(values.get('PHYSICAL_START')).toBe('0x1000000');
    expect(values.get('64BIT')).toBe('y');
    expect(values.get('BLK_DEV_LOOP')).toBe('m');
    expect(values.get('XEN')).toBe('n');
    expect(values.has('NOT_THERE')).toBe(false);
  });

  it('lets the last assignment win, as Kconfig does', () => {
    expect(getConfigValue(parseConfig('CONFIG_A=y\n# CONFIG_A is not set\n'), 'A')).toBe('n');
  });

  it('strips a CR from values', () => {
    expect(getConfigValue(parseConfig('CONFIG_A=m\r\n'), 'A')).toBe('m');
  });

  it('quotes and unquotes strings', () => {
    const s = 'a "b" \\ c';
    expect(unquoteConfigString(quoteConfigString(s))).toBe(s);
    expect(formatConfigLine('CMDLINE', quoteConfigString('console=hvc0'))).toBe(
      'CONFIG_CMDLINE="console=hvc0"',
    );
    expect(formatConfigLine('XEN', 'n')).toBe('# CONFIG_XEN is not set');
  });
});

describe('setConfigText', () => {
  it('changes values in place and appends new ones before the final newline', () => {
    const out = setConfigText(
      SAMPLE,
      new Map([
        ['XEN', 'y'],
        ['BLK_DEV_LOOP', 'y'],
        ['64BIT', 'n'],
        ['XEN_DOM0', 'y'],
        ['XEN_FBDEV_FRONTEND', 'n'],
      ]),
    );
    const lines = out.split('\n');
    expect(lines).toContain('CONFIG_XEN=y');
    expect(lines).toContain('CONFIG_BLK_DEV_LOOP=y');
    expect(lines).toContain('# CONFIG_64BIT is not set');
    expect(lines.indexOf('CONFIG_XEN=y')).toBe(SAMPLE.split('\n').indexOf('# CONFIG_XEN is not set'));
    expect(out.endsWith('CONFIG_HZ_250=y\nCONFIG_XEN_DOM0=y\n# CONFIG_XEN_FBDEV_FRONTEND is not set\n')).toBe(
      true,
    );
  });

  it('is idempotent and leaves unchanged text byte-identical', () => {
    const values = new Map([
      ['XEN', 'y'],
      ['NEW', '"x"'],
    ]);
    const once = setConfigText(SAMPLE, values);
    expect(setConfigText(once, values)).toBe(once);
    expect(setConfigText(SAMPLE, new Map([['64BIT', 'y']]))).toBe(SAMPLE);
  });

  it('adds a final newline to a file without one, keeps CRLF on changed lines', () => {
    expect(setConfigText('CONFIG_A=y', [['B', 'm']])).toBe('CONFIG_A=y\nCONFIG_B=m\n');
    expect(setConfigText('', [['B', 'y']])).toBe('CONFIG_B=y\n');
    expect(setConfigText('CONFIG_A=y\r\n', [['A', 'n']])).toBe('# CONFIG_A is not set\r\n');
  });

  it('changes every occurrence so no earlier line contradicts the new value', () => {
    expect(setConfigText('CONFIG_A=y\nCONFIG_A=m\n', [['A', 'n']])).toBe(
      '# CONFIG_A is not set\n# CONFIG_A is not set\n',
    );
  });

  it('setting then reading gives the values set (property)', () => {
    const sym = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/);
    const val = fc.constantFrom('y', 'm', 'n', '"s"', '12', '0x1f');
    fc.assert(
      fc.property(fc.dictionary(sym, val), fc.dictionary(sym, val), (base, wanted) => {
        const text = Object.entries(base)
          .map(([s, v]) => formatConfigLine(s, v))
          .join('\n');
        const out = setConfigText(text, Object.entries(wanted));
        const values = configValues(parseConfig(out));
        for (const [s, v] of Object.entries(wanted)) expect(values.get(s)).toBe(v);
        for (const [s, v] of Object.entries(base)) if (!(s in wanted)) expect(values.get(s)).toBe(v);
        expect(setConfigText(out, Object.entries(wanted))).toBe(out);
      }),
    );
  });
});

describe('isDom0Config', () => {
  it.each([
    ['CONFIG_XEN_DOM0=y\n', true],
    ['CONFIG_XEN_PRIVILEGED_GUEST=y\r\n', true],
    ['# CONFIG_XEN_DOM0 is not set\n', false],
    ['CONFIG_XEN_DOM0=m\n', false],
    ['', false],
  ])('%j → %s', (text, dom0) => {
    expect(isDom0Config(text)).toBe(dom0);
  });
});
