import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * A raw disk image with an MBR and one Linux partition (ext2, as a 2007 /boot was) holding
 * the contents of `dir`: what GRUB legacy's (hd0,0) names.
 */
export function buildBootDisk(image: string, dir: string, sizeMiB = 64): void {
  const sectors = sizeMiB * 2048;
  const start = 2048;
  const count = sectors - start;
  const mbr = Buffer.alloc(512);
  const entry = 446;
  mbr[entry] = 0x80; // bootable
  mbr.writeUInt8(0xfe, entry + 1); // CHS fields unused (LBA)
  mbr.writeUInt16LE(0xffff, entry + 2);
  mbr[entry + 4] = 0x83;
  mbr.writeUInt8(0xfe, entry + 5);
  mbr.writeUInt16LE(0xffff, entry + 6);
  mbr.writeUInt32LE(start, entry + 8);
  mbr.writeUInt32LE(count, entry + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const fd = openSync(image, 'w');
  writeSync(fd, mbr, 0, 512, 0);
  writeSync(fd, Buffer.alloc(1), 0, 1, sectors * 512 - 1);
  closeSync(fd);
  execFileSync(
    'mke2fs',
    ['-q', '-F', '-t', 'ext2', '-d', dir, '-E', `offset=${start * 512}`, image, `${Math.floor(count / 2)}k`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}
