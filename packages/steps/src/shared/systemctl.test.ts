import { describe, expect, it } from 'vitest';
import { systemctlEnable } from './systemctl.js';

describe('systemctlEnable', () => {
  it('enables the units on the running system, and under --root= on a mounted root', () => {
    expect(systemctlEnable('/', ['xendomains.service'])).toEqual([
      'systemctl',
      'enable',
      'xendomains.service',
    ]);
    expect(systemctlEnable('/mnt/gentoo', ['xenstored.service', 'xenconsoled.service'])).toEqual([
      'systemctl',
      '--root=/mnt/gentoo',
      'enable',
      'xenstored.service',
      'xenconsoled.service',
    ]);
  });
});
