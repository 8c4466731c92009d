import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { describeAnswers, describeAnswersSchema } from './index.js';

const SEED_HEADINGS_OR_PHASES = [
  'Profile',
  'Preparing the System',
  'TLS and CFLAGS',
  'nptlonly USE flag',
  'Activating buildpkg',
  'Applying Changes',
  'Windows and other Unmodified Guests in domU (a.k.a. HVM Guests)',
  'Building the hypervisor and applications',
  'Building the kernel',
  'Separating dom0 and domU',
  'Only one domain 0 kernel',
  'Using genkernel',
  'Domain 0 Kernel Configuration',
  'Updating your boot loader',
  'GRUB',
  'Alternative: LILO',
  'Alternative: PXELinux',
  'Troubleshooting',
  'Creating DomUs',
];

describe('describeAnswers', () => {
  it('every section and key has a description and a HOWTO section', () => {
    for (const section of describeAnswers()) {
      expect(section.description, `[${section.name}]`).toBeTruthy();
      for (const key of section.keys) {
        expect(key.description, `[${section.name}] ${key.name}`).toBeTruthy();
        expect(key.howto, `[${section.name}] ${key.name}`).toBeTruthy();
        expect(key.values, `[${section.name}] ${key.name}`).not.toBe('any text');
      }
    }
  });

  it('defaults, optional keys and values come from the schema', () => {
    const [, portage, , kernel, boot, guest] = describeAnswers();
    expect(guest).toMatchObject({ name: 'guest', property: 'guests', named: true, list: true });
    expect(guest?.keys.map((k) => k.name)).not.toContain('name');
    expect(guest?.forbidden).toHaveProperty('root_password');
    expect(portage?.keys.find((k) => k.name === 'buildpkg')).toMatchObject({
      defaultValue: 'yes',
      required: false,
      values: 'yes | no',
      howto: 'Activating buildpkg',
    });
    expect(kernel?.keys.find((k) => k.name === 'version')).toMatchObject({
      defaultValue: undefined,
      required: false,
      unset: "read from the tree's Makefile",
    });
    expect(boot?.keys.find((k) => k.name === 'serial_speed')?.defaultValue).toBe(115200);
    expect(boot?.keys.find((k) => k.name === 'dom0_mem')?.values).toMatch(/^auto, a size such as 512M/);
  });

  it('HOWTO sections are names the steps use', () => {
    const howtos = describeAnswers().flatMap((s) => [s.howto, ...s.keys.map((k) => k.howto)]);
    for (const howto of howtos) expect(SEED_HEADINGS_OR_PHASES).toContain(howto);
  });

  it('a section that repeats ([guest.NAME]) and required keys are recognised', () => {
    const root = z.strictObject({
      thing: z
        .record(z.string().regex(/^[a-z]+$/, 'a lower-case name'), z.strictObject({ size: z.string() }))
        .meta({ description: 'Things.' })
        .prefault({}),
    });
    const [thing] = describeAnswersSchema(root);
    expect(thing).toMatchObject({ name: 'thing', named: true, description: 'Things.' });
    expect(thing?.keys[0]).toMatchObject({ name: 'size', required: true, values: 'any text' });
  });
});
