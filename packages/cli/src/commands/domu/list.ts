import { LocalHost } from '@xen-gentoo/core';
import { BaseCommand } from '../../lib/base-command.js';

export interface GuestListing {
  name: string;
  config: string;
  memory: string | undefined;
  image: string | undefined;
  imagePresent: boolean;
  autostart: boolean;
}

/** The disk image a domU configuration names (xl's target= or xm's file:PATH,). */
export function imageOfConfig(text: string): string | undefined {
  return /target=([^,'"\]\s]+)/.exec(text)?.[1] ?? /file:([^,'"]+),/.exec(text)?.[1];
}

/** The domU configurations in /etc/xen (files with a name = line), with their autostart links and images. */
export async function listGuests(host: LocalHost): Promise<GuestListing[]> {
  const out: GuestListing[] = [];
  for (const name of (await host.list('/etc/xen')) ?? []) {
    const path = `/etc/xen/${name}`;
    if ((await host.stat(path))?.kind !== 'file') continue;
    let text: string | undefined;
    try {
      text = await host.readFile(path);
    } catch {
      continue;
    }
    if (text === undefined || !/^\s*name\s*=/m.test(text)) continue;
    const image = imageOfConfig(text);
    out.push({
      name,
      config: path,
      memory: /^\s*memory\s*=\s*(\d+)/m.exec(text)?.[1],
      image,
      imagePresent: image !== undefined && (await host.stat(image))?.kind === 'file',
      autostart: (await host.readlink(`/etc/xen/auto/${name}`)) !== undefined,
    });
  }
  return out;
}

export default class DomuList extends BaseCommand<typeof DomuList> {
  static override summary =
    'List the guest domains configured in /etc/xen, their images and autostart links.';

  async run(): Promise<void> {
    const guests = await listGuests(this.host());
    if (this.flags.json) {
      this.writeJson({ version: 1, guests });
      return;
    }
    if (guests.length === 0) {
      process.stdout.write('No guest configuration in /etc/xen.\n');
      return;
    }
    for (const g of guests)
      process.stdout.write(
        `${g.name.padEnd(16)} ${`${g.memory ?? '?'} MiB`.padEnd(10)} ${g.image ?? '(no image named)'}${g.image && !g.imagePresent ? ' (missing)' : ''}${g.autostart ? '  autostart' : ''}\n`,
      );
  }
}
