import { answersJsonSchema, describeAnswers, describeAnswersSchema } from '@xen-gentoo/steps/answers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readAnswers } from './answers-file.js';
import { iniText, renderAnswersTemplate } from './answers-init.js';

const FILE = '/etc/xen-gentoo.ini';
const REPO = join(import.meta.dirname, '../../../..');

describe('answers init', () => {
  const text = renderAnswersTemplate(describeAnswers());

  it('lists every section and key of the schema, with values, default and HOWTO section', () => {
    for (const section of describeAnswers()) {
      expect(text).toContain(section.named ? `[${section.name}.NAME]` : `\n[${section.name}]\n`);
      for (const key of section.keys) {
        const block = text.slice(0, text.indexOf(`;${key.name} = `, text.indexOf(`[${section.name}`)));
        const own = block.slice(block.lastIndexOf('\n\n'));
        expect(own, `[${section.name}] ${key.name}`).toContain('; values: ');
        expect(own).toMatch(/; (default|required): /);
        expect(own).toContain(`; HOWTO: ${key.howto}`);
      }
    }
  });

  it('passes answers check and means the defaults', () => {
    const reading = readAnswers(text, FILE);
    expect(reading.problems).toEqual([]);
    expect(reading.located).toEqual([]);
  });

  it('every default, uncommented, passes answers check and gives the same answers', () => {
    const uncommented = text
      .replace(/^;([a-z_0-9]+ = .+|\[guest\.example\])$/gm, '$1')
      .replace(/^;([a-z_0-9]+ = )$/gm, '');
    const reading = readAnswers(uncommented, FILE);
    expect(reading.problems.map((p) => p.message)).toEqual([]);
    expect(reading.answers?.boot.dom0_mem).toBe('auto');
  });

  it('values detected on a target are filled in, saying where they were found', () => {
    const filled = renderAnswersTemplate(describeAnswers(), {
      root: '/mnt/gentoo',
      detected: {
        'boot.root_device': { value: '/dev/sda3', found: 'the / line of /etc/fstab' },
        'kernel.version': { value: 'bad value with spaces', found: 'the /usr/src/linux link' },
      },
    });
    expect(filled).toContain('; found in the / line of /etc/fstab\nroot_device = /dev/sda3\n');
    expect(filled).toContain(';version = 6.12.58-gentoo');
    expect(readAnswers(filled, FILE).answers?.boot.root_device).toBe('/dev/sda3');
  });

  it('a section that repeats is shown as a commented example that reads back as one', () => {
    expect(text).toContain(';[guest.example]');
    const root = z.strictObject({
      guest: z
        .record(
          z.string().regex(/^[a-z]+$/, 'lower-case letters'),
          z.strictObject({
            memory: z.string().default('256M').meta({ description: 'Memory.', howto: 'Creating DomUs' }),
            disk: z.string().meta({ description: 'Disk.', examples: ['/var/xen/a.img'] }),
          }),
        )
        .meta({ description: 'A guest domain.', howto: 'Creating DomUs' })
        .prefault({}),
    });
    const out = renderAnswersTemplate(describeAnswersSchema(root));
    expect(out).toContain(';[guest.example]');
    expect(out).toContain('; required: no default');
    expect(readAnswers(out, FILE, root).problems).toEqual([]);
    const uncommented = out.replace(/^;(\[guest\.example\]|[a-z_]+ = .*)$/gm, '$1');
    expect(readAnswers(uncommented, FILE, root).answers).toEqual({
      guest: { example: { memory: '256M', disk: '/var/xen/a.img' } },
    });
  });

  it('iniText quotes what ini would read differently', () => {
    expect(iniText('1024M,max:1024M')).toBe('1024M,max:1024M');
    expect(iniText('Xen; today')).toBe('"Xen; today"');
    expect(iniText(' x')).toBe('" x"');
    expect(iniText('')).toBe('');
  });
});

describe('answers check: every problem at once', () => {
  it('five different mistakes give five messages, each with its line', () => {
    const text = [
      '[portage]', // 1
      'buildpkg = maybe', // 2: bad value
      'colour = blue', // 3: unknown key
      '[network]', // 4: unknown section
      'ignored = yes', // 5: in a refused section, not looked at
      '[boot]', // 6
      'this line is not an assignment', // 7: unreadable line
      'serial_speed = 1234', // 8: bad value
      '[portage]', // 9: a section twice
    ].join('\n');
    const reading = readAnswers(text, FILE);
    expect(reading.answers).toBeUndefined();
    expect(reading.problems.map((p) => [p.line, p.message.slice(FILE.length + 1)])).toEqual([
      [2, '2: bad value for buildpkg in [portage]; expected yes | no'],
      [
        3,
        '3: unknown key "colour" in [portage]; expected one of tls_flag, nptlonly, buildpkg, rebuild_world, hvm',
      ],
      [4, expect.stringMatching(/^4: unknown section \[network\]; expected one of \[system\]/)],
      [7, '7: cannot read this line; expected "key = value", "[section]" or a ; comment'],
      [8, '8: bad value for serial_speed in [boot]; expected one of 9600, 19200, 38400, 57600, 115200'],
      [9, '9: section [portage] appears twice; expected each section once'],
    ]);
  });

  it('a required key missing from a repeating section is named with its section line; every one at once', () => {
    const root = z.strictObject({
      guest: z
        .record(
          z.string().regex(/^[a-z]+$/, 'lower-case letters'),
          z.strictObject({
            root_password_file: z.string().regex(/^\//, 'an absolute path'),
            disk: z.string(),
          }),
        )
        .prefault({}),
    });
    const reading = readAnswers('[guest.web]\n\n[guest.db]\ndisk = 4G\n[guest.Bad]\n[guest]\n', FILE, root);
    expect(reading.missing).toEqual([
      { section: '[guest.web]', key: 'root_password_file', line: 1, values: 'an absolute path' },
      { section: '[guest.web]', key: 'disk', line: 1, values: 'any text' },
      { section: '[guest.db]', key: 'root_password_file', line: 3, values: 'an absolute path' },
    ]);
    expect(reading.problems.map((p) => p.message)).toEqual([
      `${FILE}:1: missing key root_password_file in [guest.web]; expected an absolute path`,
      `${FILE}:1: missing key disk in [guest.web]; expected any text`,
      `${FILE}:3: missing key root_password_file in [guest.db]; expected an absolute path`,
      `${FILE}:5: bad guest section [guest.Bad]; expected lower-case letters`,
      `${FILE}:6: section [guest] needs a name; expected [guest.NAME]`,
    ]);
  });

  it('an inline secret is refused with how to give it, and never repeated', () => {
    const reading = readAnswers('[guest.web]\nroot_password = hunter2\nmemory = 1\n', FILE);
    expect(reading.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(reading.problems[0]?.message).toMatch(
      /:2: root_password is not allowed in \[guest\.web\]; expected root_password_file .* or root_password_env/,
    );
    expect(reading.problems[0]?.message).not.toContain('hunter2');
  });
});

describe('the JSON Schema of the answers', () => {
  it('docs/answers.schema.json is the one the schema generates (else: pnpm build && pnpm answers:schema)', () => {
    const committed: unknown = JSON.parse(readFileSync(join(REPO, 'docs/answers.schema.json'), 'utf8'));
    expect(committed).toEqual(answersJsonSchema());
  });

  it('carries each key with its description, default, values and HOWTO section', () => {
    const schema = answersJsonSchema() as {
      properties: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };
    expect(schema.properties.portage?.properties.buildpkg).toMatchObject({
      default: 'yes',
      enum: ['yes', 'no'],
      howto: 'Activating buildpkg',
      description: expect.stringContaining('buildpkg'),
    });
    for (const section of describeAnswers().filter((s) => !s.named))
      for (const key of section.keys)
        expect(schema.properties[section.name]?.properties[key.name]?.description).toBe(key.description);
  });
});
