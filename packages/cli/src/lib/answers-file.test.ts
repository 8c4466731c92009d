import { InputError, UsageError } from '@xen-gentoo/core';
import { ANSWERS_SECTIONS, answersSectionKeys, bootAnswersKeys } from '@xen-gentoo/steps/answers';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersError } from '../test-support/answers.js';
import { checkFlagValue, parseAnswers } from './answers-file.js';
import { loadAnswers, quoteName } from './answers-reading.js';

const FILE = '/etc/xen-gentoo.ini';

const errorOf = (text: string): InputError => answersError(text, FILE);

describe('parseAnswers: sections and keys', () => {
  it('reads values as ini does (quotes, ; comments) and fills in the defaults', () => {
    const answers = parseAnswers(
      '[portage]\nhvm = no ; not on this box\n[boot]\ntitle = "Xen; today"\nserial_speed = 9600\n',
      FILE,
    );
    expect(answers.portage.hvm).toBe('no');
    expect(answers.boot.title).toBe('Xen; today');
    expect(answers.boot.serial_speed).toBe(9600);
    expect(answers.xen.interface).toBe('eth0');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'portage.sub', 'valueOf'])(
    '[%s] is an unknown section, with its line and the sections there are',
    (name) => {
      const error = errorOf(`; answers\n[portage]\nbuildpkg = yes\n[${name}]\nx = 1\n`);
      expect(error.line).toBe(4);
      expect(error.message).toBe(
        `${FILE}:4: unknown section [${name}]; expected one of [system], [portage], [xen], [kernel], [boot] or [guest.NAME]`,
      );
    },
  );

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    '%s = no is an unknown key, with its line and the keys of the section',
    (key) => {
      const error = errorOf(`[portage]\n${key} = no\n`);
      expect(error.message).toBe(
        `${FILE}:2: unknown key "${key}" in [portage]; expected one of tls_flag, nptlonly, buildpkg, rebuild_world, hvm`,
      );
    },
  );

  it('a UTF-8 byte order mark before the first section is not part of it', () => {
    expect(parseAnswers('\uFEFF[portage]\r\nhvm = yes\r\n', FILE).portage.hvm).toBe('yes');
    expect(errorOf('\uFEFF[portage]\nhvm = maybe\n').line).toBe(2);
  });

  it('a lone CR ends a line, so line numbers stay right', () => {
    expect(errorOf('[portage]\rbuildpkg = yes\rhvm = maybe\r').line).toBe(3);
  });

  it('a section or key given twice names the second line', () => {
    expect(errorOf('[xen]\n[portage]\n[xen]\n').message).toBe(
      `${FILE}:3: section [xen] appears twice; expected each section once`,
    );
    expect(errorOf('[xen]\ninterface = eth0\ninterface = eth1\n').line).toBe(3);
  });
});

describe('parseAnswers: no file content in messages', () => {
  it('a line that is not key = value is named by its number only', () => {
    const shadow = 'root:$6$saltsalt$Q9cQ2hashhashhashhash:19000:0:99999:7:::\n';
    const error = errorOf(shadow);
    expect(error.message).toBe(
      `${FILE}:1: cannot read this line; expected "key = value", "[section]" or a ; comment`,
    );
    expect(error.message).not.toContain('saltsalt');
  });

  it('binary garbage never reaches the terminal raw', () => {
    const garbage = '\u007fELF\u0002\u0001\u0001\u001b[2J\u0000\u0000\ufffd\ufffd';
    for (const text of [garbage, `[${garbage}]`, `[portage]\n${garbage}\n`]) {
      const error = errorOf(text);
      // eslint-disable-next-line no-control-regex
      expect(error.message).not.toMatch(/[\x00-\x1f\x7f\ufffd]/);
    }
    expect(errorOf(`[\u001b[31m${'x'.repeat(100)}]`).message).toBe(
      `${FILE}:1: unknown section ["\\u001b[31m${'x'.repeat(35)}…"]; expected one of [system], [portage], [xen], [kernel], [boot] or [guest.NAME]`,
    );
  });

  it('a key name is shown JSON-quoted and cut at 40 characters; values never', () => {
    const long = 'k'.repeat(100);
    expect(errorOf(`[portage]\n${long} = secret\n`).message).toContain(`unknown key "${'k'.repeat(40)}…"`);
    expect(errorOf(`${long} = secret\n`).message).toBe(
      `${FILE}:1: "${'k'.repeat(40)}…" is outside any section; expected a [section] header first`,
    );
    expect(errorOf('[kernel]\nsources = my secret\n').message).not.toContain('secret');
  });

  it('quoteName escapes everything outside printable ASCII', () => {
    expect(quoteName('a\u202eb\u00e9\n')).toBe('"a\\u202eb\\u00e9\\n"');
  });
});

describe('parseAnswers: every key says in words what it takes', () => {
  const bad = 'x \'"\\ ../y';
  for (const section of ANSWERS_SECTIONS)
    for (const key of Object.keys(answersSectionKeys(section)))
      it(`[${section}] ${key}`, () => {
        const error = errorOf(`[${section}]\n\n${key} = ${JSON.stringify(bad)}\n`);
        expect(error.line).toBe(3);
        expect(error.message).toMatch(
          new RegExp(`^${FILE}:3: bad value for ${key} in \\[${section}\\]; expected `),
        );
        expect(error.expected).not.toMatch(/invalid|pattern|received|\/\^|^expected/i);
        expect(error.message).not.toContain('../y');
      });

  it('the interface is named as such', () => {
    expect(errorOf('[xen]\ninterface = eth 0\n').expected).toBe(
      'a network interface name (letters, digits, . _ -)',
    );
  });
});

describe('parseAnswers: paths and names stay where they belong', () => {
  it.each([
    '../../../../../../etc',
    '/default/linux/amd64/23.0',
    'default/linux/../../../etc',
    'default//linux',
    'default/linux/./amd64',
    'default/linux/amd64/23.0/',
    'default/linux/amd64 23.0',
    '',
  ])('[system] profile = %j is refused', (profile) => {
    const error = errorOf(`[system]\nprofile = ${JSON.stringify(profile)}\n`);
    expect(error.message).toMatch(
      new RegExp(`^${FILE}:2: bad value for profile in \\[system\\]; expected a profile name`),
    );
  });

  it.each([
    'default/linux/amd64/23.0',
    'default/linux/amd64/23.0/no-multilib/systemd',
    'default-linux/x86/2007.0',
  ])('[system] profile = %s is taken', (profile) => {
    expect(parseAnswers(`[system]\nprofile = ${profile}\n`, FILE).system.profile).toBe(profile);
  });

  it.each([
    '../etc/shadow',
    '/boot/../../../etc/shadow',
    '/boot/../etc/shadow',
    '/etc/shadow',
    '/boot/sub/vmlinuz',
    '/boot/',
    '/boot/..',
    '6.1..2',
    '-rf',
    '6.1 init=/bin/sh',
  ])('[boot] kernel = %j is refused', (kernel) => {
    const error = errorOf(`[boot]\nkernel = ${JSON.stringify(kernel)}\n`);
    expect(error.line).toBe(2);
    expect(error.expected).toMatch(/^a kernel version .* or a file directly in \/boot/);
  });

  it.each(['6.12.58-gentoo', '2.6.20-xen-r6', '6.1.0+', '/boot/vmlinuz-6.12.58-gentoo-xen0'])(
    '[boot] kernel = %s is taken',
    (kernel) => {
      expect(parseAnswers(`[boot]\nkernel = ${kernel}\n`, FILE).boot.kernel).toBe(kernel);
    },
  );

  it.each([
    ['boot', 'initrd', 'initramfs.img'],
    ['boot', 'initrd', '/boot/../x'],
    ['boot', 'pxe_dir', '/srv/../etc'],
    ['boot', 'grub2_custom_file', 'etc/grub.d/40_custom'],
    ['kernel', 'sources', '/usr/src/linux/../../etc'],
    ['kernel', 'user_home', 'root'],
    ['boot', 'root_device', '/dev/sda1 init=/bin/sh'],
    ['boot', 'xen_args', 'a\u001bb'],
    ['boot', 'title', 'Xen\u0007'],
  ])('[%s] %s = %j is refused', (section, key, value) => {
    expect(errorOf(`[${section}]\n${key} = ${JSON.stringify(value)}\n`).line).toBe(2);
  });
});

describe('loadAnswers', () => {
  it('no --answers: the defaults; --answers "": a usage error', async () => {
    expect((await loadAnswers(undefined)).boot.loader).toBe('auto');
    await expect(loadAnswers('')).rejects.toBeInstanceOf(UsageError);
  });
});

describe('checkFlagValue', () => {
  it('checks a flag with the schema of its answers key, naming the flag', () => {
    expect(checkFlagValue('--kernel', bootAnswersKeys.shape.kernel, '6.1')).toBe('6.1');
    expect(() =>
      checkFlagValue('--root-device', bootAnswersKeys.shape.root_device, '/dev/sda1 init=/bin/sh'),
    ).toThrow(
      new UsageError(
        'bad value "/dev/sda1 init=/bin/sh" for --root-device; expected a device such as /dev/sda3 or UUID=… (no spaces, quotes or backslashes)',
      ),
    );
    expect(() => checkFlagValue('--serial-speed', bootAnswersKeys.shape.serial_speed, 12)).toThrow(
      /^bad value for --serial-speed; expected one of 9600/,
    );
  });
});

describe('loadAnswers on files that are not plain text files', () => {
  it('a FIFO is refused without waiting for a writer; invalid UTF-8 names its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-answers-'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await expect(loadAnswers(join(dir, 'fifo'))).rejects.toThrow(/is not a regular file/);
    writeFileSync(join(dir, 'latin1.ini'), Buffer.from('[boot]\ntitle = Xen \xe9\n', 'latin1'));
    await expect(loadAnswers(join(dir, 'latin1.ini'))).rejects.toThrow(/latin1\.ini:2: .*UTF-8/);
    await expect(loadAnswers(join(dir, 'missing.ini'))).rejects.toThrow(/missing\.ini: cannot read/);
  });
});
