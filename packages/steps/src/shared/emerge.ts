/**
 * What an emerge may change in the target: the files packages install (everywhere but the home
 * directories), Portage's own database and caches, and in /etc only what packages add: Portage
 * never overwrites an existing file there (CONFIG_PROTECT), it adds init scripts and their
 * settings, Xen's configuration directory, and the files env-update and ldconfig regenerate.
 */
export const EMERGE_TOUCHES: string[] = [
  '/bin',
  '/boot',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
  '/sbin',
  '/usr',
  '/var/db/pkg',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/etc/init.d',
  '/etc/conf.d',
  '/etc/xen',
  '/etc/udev',
  '/etc/systemd',
  '/etc/env.d',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/profile.env',
  '/etc/csh.env',
];
