import { InputError } from '@xen-gentoo/core';
import { guestAnswersKeys } from '@xen-gentoo/steps/answers';
import { describe, expect, it } from 'vitest';
import { answersError } from '../test-support/answers.js';
import { parseAnswers } from './answers-file.js';

const FILE = '/root/guests.ini';

const errorOf = (text: string): InputError => answersError(text, FILE);

describe('answers: [guest.NAME] sections', () => {
  it('reads any number of guests in file order, with their defaults', () => {
    const answers = parseAnswers(
      [
        '[xen]',
        'interface = eth0',
        '[guest.web1]',
        'memory = 512',
        'stage = /root/stage3-amd64-openrc.tar.xz',
        'root_password_file = /root/web1.password',
        'autostart = yes',
        '[guest.db_2]',
        'route = prebuilt',
        'image = /srv/xen/db.img',
        'root_password_env = DB_ROOT_PW',
        '',
      ].join('\n'),
      FILE,
    );
    expect(answers.guests.map((g) => g.name)).toEqual(['web1', 'db_2']);
    const [web1, db] = answers.guests;
    expect(web1).toMatchObject({
      route: 'quickpkg',
      memory: 512,
      disk_size: '4G',
      filesystem: 'auto',
      swap: '256M',
      network: 'dhcp',
      bridge: 'xenbr0',
      timezone: 'UTC',
      autostart: 'yes',
    });
    expect(db).toMatchObject({
      route: 'prebuilt',
      image: '/srv/xen/db.img',
      root_password_env: 'DB_ROOT_PW',
    });
    expect(parseAnswers('', FILE).guests).toEqual([]);
  });

  it('a guest without keys is a guest with every default', () => {
    expect(parseAnswers('[guest.a]\n', FILE).guests).toMatchObject([{ name: 'a', memory: 256 }]);
  });

  it.each(['../etc', 'a/b', 'a.b', '-rf', 'x y', '$(reboot)', 'web1;', '', 'a_', 'é'])(
    '[guest.%s] is refused before anything is read, naming its line',
    (name) => {
      const error = errorOf(`[portage]\nhvm = no\n[guest.${name}]\nmemory = 256\n`);
      expect(error.line).toBe(3);
      expect(error.expected).toMatch(/^a guest name of letters, digits, _ and -/);
    },
  );

  it('a guest given twice names the second header', () => {
    expect(errorOf('[guest.a]\n[guest.b]\n[guest.a]\n').message).toBe(
      `${FILE}:3: section [guest.a] appears twice; expected each guest once`,
    );
  });

  it('the root password inline is refused without repeating it', () => {
    const error = errorOf('[guest.web1]\nroot_password = hunter2-secret\n');
    expect(error.line).toBe(2);
    expect(error.message).not.toContain('hunter2');
    expect(error.expected).toMatch(/root_password_file .* or root_password_env/);
  });

  it('unknown keys list the guest keys', () => {
    expect(errorOf('[guest.web1]\nram = 1\n').expected).toBe(
      `one of ${Object.keys(guestAnswersKeys.shape).join(', ')}`,
    );
  });

  it.each([
    ['stage', '../stage3.tar.xz'],
    ['stage', '/root/../etc/shadow'],
    ['image', 'relative.img'],
    ['image', '/var/xen/a b.img'],
    ['kernel', '/boot/$(id)'],
    ['root_password_file', '/root/pw;rm'],
    ['root_password_env', 'A-B'],
    ['timezone', '../../etc/shadow'],
    ['timezone', '/UTC'],
    ['hostname', 'web1;reboot'],
    ['bridge', 'xenbr0 x'],
    ['memory', '12abc'],
    ['memory', '16'],
    ['disk_size', '4T'],
    ['disk_size', '0G'],
    ['swap', '-1'],
    ['route', 'debootstrap'],
    ['filesystem', 'btrfs'],
  ])('%s = %j is refused, naming file and line', (key, value) => {
    const error = errorOf(`[guest.web1]\n\n${key} = ${JSON.stringify(value)}\n`);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(
      new RegExp(`^${FILE}:3: bad value for ${key} in \\[guest\\.web1\\]; expected `),
    );
    expect(error.message).not.toContain(value === '' ? '\0' : value);
  });

  it('the password from a file or from the environment, not both', () => {
    const error = errorOf('[guest.web1]\nroot_password_file = /root/pw\nroot_password_env = PW\n');
    expect(error.line).toBe(3);
    expect(error.expected).toBe('only one of root_password_file and root_password_env');
  });
});

describe('the wizard writes guest sections the parser reads back', () => {
  it('guestSectionText round-trips, keeping only what differs from the defaults', async () => {
    const { guestSectionText } = await import('../commands/wizard.js');
    const text = guestSectionText({
      name: 'web1',
      memory: '512',
      disk_size: '4G',
      stage: '/root/stage3.tar.xz',
      root_password_file: '/root/web1.password',
      autostart: 'yes',
    });
    expect(text).not.toContain('disk_size');
    expect(parseAnswers(text, FILE).guests).toMatchObject([
      { name: 'web1', memory: 512, stage: '/root/stage3.tar.xz', autostart: 'yes' },
    ]);
  });
});
