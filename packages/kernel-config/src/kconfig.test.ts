import { describe, expect, it } from 'vitest';
import { checkConfig, compareConfig, describeOutcome, formatChange } from './check.js';
import { evalExpr, formatExpr, parseExpr } from './kconfig-expr.js';
import { readKconfig } from './kconfig.js';

const FILES: Record<string, string> = {
  Kconfig: `# SPDX
mainmenu "Linux/$(ARCH) Kernel Configuration"
source "arch/$(SRCARCH)/Kconfig"
source "drivers/Kconfig"
`,
  'arch/x86/Kconfig': `config 64BIT
	bool "64-bit kernel" if "$(ARCH)" = "x86"
	default "$(ARCH)" != "i386"
	help
	  Say yes to build a 64-bit kernel - formerly known as x86_64
	  Say no to build a 32-bit kernel - formerly known as i386

config X86_32
	def_bool y
	depends on !64BIT

config X86_64
	def_bool y
	depends on 64BIT

menuconfig HYPERVISOR_GUEST
	bool "Linux guest support"

if HYPERVISOR_GUEST

config PARAVIRT
	bool "Enable paravirtualization code"

source "arch/x86/xen/Kconfig"

endif # HYPERVISOR_GUEST

choice
	prompt "Processor family"
	default M686 if X86_32

config M686
	bool "Pentium-Pro"

config X86_GENERIC_CHOICE
	bool "Generic"

endchoice
`,
  'arch/x86/xen/Kconfig': `config XEN
	bool "Xen guest support"
	depends on PARAVIRT
	select PARAVIRT_CLOCK
	depends on X86_64 || (X86_32 && X86_PAE)
	help
	  This is the Linux Xen port.

	  if this were code it would still be help
config XEN_PV
	bool "Xen PV guest support"
	default y
	depends on XEN
	depends on X86_64

config XEN_DOM0
	bool "Xen Dom0 support"
	default XEN_PV
	depends on (XEN_PV && SWIOTLB_XEN) || (XEN_PVH && X86_64)
`,
  'drivers/Kconfig': `menu "Device Drivers"
source "drivers/xen/Kconfig"
osource "drivers/missing/Kconfig"
endmenu
`,
  'drivers/xen/Kconfig': `menu "Xen driver support"
	depends on XEN

config XEN_BACKEND
	bool "Backend driver support"
	default XEN_DOM0

config XEN_PCIDEV_BACKEND
	tristate "Xen PCI-device backend driver"
	depends on PCI && X86 && XEN
	depends on XEN_BACKEND
	default m

config SWIOTLB_XEN
	def_bool y
	depends on XEN_PV || ARM || ARM64
	select DMA_OPS

config PARAVIRT_CLOCK
	bool

config DMA_OPS
	bool

endmenu
`,
};

const readFile = (p: string) => FILES[p];

describe('expressions', () => {
  it('parses and prints with Kconfig precedence', () => {
    expect(formatExpr(parseExpr('A && (B || !C) && D = "x"'))).toBe('A && (B || !C) && D = "x"');
    expect(formatExpr(parseExpr('(A && B) || C'))).toBe('A && B || C');
    expect(formatExpr(parseExpr('!(A || B)'))).toBe('!(A || B)');
  });

  it('evaluates tristate logic', () => {
    const env = {
      values: new Map([
        ['A', 'y'],
        ['B', 'm'],
        ['S', '"x86"'],
        ['N', '0x10'],
      ]),
      isSymbol: (n: string) => 'ABSN'.includes(n),
    };
    expect(evalExpr(parseExpr('A && B'), env)).toBe(1);
    expect(evalExpr(parseExpr('!B'), env)).toBe(1);
    expect(evalExpr(parseExpr('A || C'), env)).toBe(2);
    expect(evalExpr(parseExpr('S = "x86"'), env)).toBe(2);
    expect(evalExpr(parseExpr('N >= 16'), env)).toBe(2);
    expect(evalExpr(parseExpr('m'), env)).toBe(1);
  });

  it('rejects garbage', () => {
    expect(() => parseExpr('A &&')).toThrow(/bad Kconfig expression/);
    expect(() => parseExpr('(A')).toThrow(/missing \)/);
  });
});

describe('readKconfig', () => {
  it('follows source with $(SRCARCH), skips help text, records inherited blocks', async () => {
    const tree = await readKconfig({ readFile, vars: { SRCARCH: 'x86', ARCH: 'x86' } });
    expect(tree.files).toEqual([
      'Kconfig',
      'arch/x86/Kconfig',
      'arch/x86/xen/Kconfig',
      'drivers/Kconfig',
      'drivers/xen/Kconfig',
    ]);
    expect(tree.warnings).toEqual([]);
    const xen = tree.definitions.get('XEN')?.[0];
    expect(xen?.parents.map((b) => b.kind)).toEqual(['if']);
    expect(xen?.dependsOn.map((e) => formatExpr(e))).toEqual(['PARAVIRT', 'X86_64 || X86_32 && X86_PAE']);
    expect(xen?.selects).toEqual([{ symbol: 'PARAVIRT_CLOCK' }]);
    const back = tree.definitions.get('XEN_PCIDEV_BACKEND')?.[0];
    expect(back?.parents.map((b) => b.title)).toEqual(['Device Drivers', 'Xen driver support']);
    expect(back?.type).toBe('tristate');
    const b64 = tree.definitions.get('64BIT')?.[0];
    expect(b64?.prompts[0]?.condition && formatExpr(b64.prompts[0].condition)).toBe('"x86" = "x86"');
    expect(tree.definitions.get('M686')?.[0]?.parents[0]?.members).toEqual(['M686', 'X86_GENERIC_CHOICE']);
  });

  it('falls back to arch/$(SRCARCH)/Kconfig for trees without a top Kconfig', async () => {
    const tree = await readKconfig({
      readFile: (p) => (p === 'arch/i386/Kconfig' ? 'config X86_XEN\n\tbool "Xen-compatible"\n' : undefined),
      vars: { SRCARCH: 'i386' },
    });
    expect([...tree.definitions.keys()]).toEqual(['X86_XEN']);
  });

  it('warns about an unreadable mandatory source', async () => {
    const tree = await readKconfig({
      readFile: (p) => (p === 'Kconfig' ? 'source "nope/Kconfig"\n' : undefined),
    });
    expect(tree.warnings).toEqual(['cannot read nope/Kconfig']);
  });
});

describe('checkConfig', () => {
  const i386 = `CONFIG_X86_32=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_M686=y
`;
  it('names the unmet terms with their values', async () => {
    const result = await checkConfig({
      requested: new Map([
        ['64BIT', 'y'],
        ['XEN', 'y'],
        ['XEN_PV', 'y'],
        ['XEN_DOM0', 'y'],
        ['PARAVIRT', 'y'],
        ['XEN_PCIDEV_BACKEND', 'n'],
      ]),
      resolvedConfig: i386,
      kconfig: { readFile, vars: { SRCARCH: 'x86', ARCH: 'i386' } },
    });
    expect(result.kept).toEqual(['PARAVIRT', 'XEN_PCIDEV_BACKEND']);
    const why = Object.fromEntries(result.changes.map((c) => [c.symbol, c.because]));
    expect(why['64BIT']).toEqual(['64BIT: prompt "64-bit kernel" hidden: if "i386" = "x86"']);
    expect(why.XEN).toEqual(['XEN: depends on X86_64 || X86_32 && X86_PAE (X86_64=n, X86_32=y)']);
    expect(why.XEN_PV).toEqual(['XEN_PV: depends on XEN (XEN=n)', 'XEN_PV: depends on X86_64 (X86_64=n)']);
    expect(why.XEN_DOM0).toEqual([
      'XEN_DOM0: depends on XEN_PV && SWIOTLB_XEN || XEN_PVH && X86_64 (XEN_PV=n, SWIOTLB_XEN=n, X86_64=n)',
    ]);
    expect(formatChange(result.changes[1]!)).toBe(
      'CONFIG_XEN requested y, Kconfig dropped it: XEN: depends on X86_64 || X86_32 && X86_PAE (X86_64=n, X86_32=y)',
    );
  });

  it('explains inherited menu dependencies, selects, choices and unknown symbols', async () => {
    const result = await checkConfig({
      requested: new Map([
        ['XEN_BACKEND', 'y'],
        ['DMA_OPS', 'n'],
        ['X86_GENERIC_CHOICE', 'y'],
        ['XEN_NETDEV_LOOPBACK', 'y'],
      ]),
      resolvedConfig:
        'CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_XEN_PV=y\nCONFIG_SWIOTLB_XEN=y\nCONFIG_DMA_OPS=y\nCONFIG_M686=y\n',
      kconfig: { readFile },
    });
    const why = Object.fromEntries(result.changes.map((c) => [c.symbol, c.because.join(' | ')]));
    expect(why.XEN_BACKEND).toMatch(
      /^XEN_BACKEND: depends on XEN \(XEN=n\) \(inside menu "Xen driver support" \(drivers\/xen\/Kconfig:1\)\)$/,
    );
    expect(why.DMA_OPS).toBe('DMA_OPS: selected by SWIOTLB_XEN (SWIOTLB_XEN=y)');
    expect(why.X86_GENERIC_CHOICE).toBe(
      'X86_GENERIC_CHOICE: choice "Processor family" has M686 selected instead',
    );
    expect(why.XEN_NETDEV_LOOPBACK).toMatch(/not defined in this tree/);
  });

  it('does not read Kconfig when everything was kept', async () => {
    let reads = 0;
    const result = await checkConfig({
      requested: new Map([
        ['A', 'y'],
        ['B', 'n'],
      ]),
      resolvedConfig: 'CONFIG_A=y\n',
      kconfig: { readFile: () => (reads++, undefined) },
    });
    expect(result.changes).toEqual([]);
    expect(reads).toBe(0);
  });

  it('compares hex numerically and treats a missing symbol as n', () => {
    const { kept, changes } = compareConfig(
      new Map([
        ['H', '0x10'],
        ['OFF', 'n'],
        ['M', 'y'],
      ]),
      new Map([
        ['H', '0x010'],
        ['M', 'm'],
      ]),
    );
    expect(kept).toEqual(['H', 'OFF']);
    expect(changes).toEqual([{ symbol: 'M', requested: 'y', resolved: 'm', kind: 'changed', because: [] }]);
  });

  it('reads an empty value (CONFIG_X=) as Kconfig does: ignored, as if absent', () => {
    const { kept, changes } = compareConfig(
      new Map([
        ['XEN', 'y'],
        ['OFF', 'n'],
        ['CMDLINE', '"console=hvc0"'],
        ['S', '"x"'],
      ]),
      new Map([
        ['XEN', ''],
        ['OFF', ''],
        ['CMDLINE', ''],
        ['S', '""'],
      ]),
    );
    expect(kept).toEqual(['OFF']);
    expect(changes.map((c) => [c.symbol, c.kind, describeOutcome(c)])).toEqual([
      ['XEN', 'dropped', 'dropped (CONFIG_XEN= has no value, which Kconfig ignores)'],
      ['CMDLINE', 'dropped', 'dropped (CONFIG_CMDLINE= has no value, which Kconfig ignores)'],
      ['S', 'changed', 'became ""'],
    ]);
    expect(formatChange({ ...changes[0]!, kind: 'changed' })).toBe(
      'CONFIG_XEN requested y, Kconfig made it ""',
    );
    expect(describeOutcome({ ...changes[0]!, kind: 'changed' })).toBe('became ""');
  });
});
