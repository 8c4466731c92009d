import { execFileSync } from 'node:child_process';
import {
  describeXenElfInfo,
  isXenCompatible,
  parseXenGuestString,
  readXenElfInfo,
} from '@xen-gentoo/kernel-config';
import { describe, expect, it } from 'vitest';
import { bzImage, elf64, gzip, xenNotes } from '../testing/kernel-images.js';
import { inspectKernelBytes } from './kernel-image.js';

const haveXz = (() => {
  try {
    execFileSync('xz', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('Xen ELF notes', () => {
  it('reads the notes of a PT_NOTE segment: PV (ENTRY) and PVH (PHYS32_ENTRY)', () => {
    const info = readXenElfInfo(elf64(xenNotes({ pvh: true })))!;
    expect(info).toMatchObject({ elfClass: 64, pv: true, pvh: true, xenGuest: undefined });
    expect(info.notes).toMatchObject({
      GUEST_OS: 'linux',
      XEN_VERSION: 'xen-3.0',
      ENTRY: '0xffffffff81000000',
    });
    expect(describeXenElfInfo(info)).toBe(
      'Xen ELF notes for PV and PVH (GUEST_OS=linux, XEN_VERSION=xen-3.0)',
    );
  });

  it('a kernel without Xen support: only GNU notes, not Xen-compatible', () => {
    const info = readXenElfInfo(elf64(Buffer.concat([])))!;
    expect(info.notes).toEqual({});
    expect(isXenCompatible(info)).toBe(false);
    expect(describeXenElfInfo(info)).toBe('64-bit ELF without Xen notes');
  });

  it("the 2007 xenified kernel's __xen_guest section (what `readelf -a | egrep xen_guest` finds)", () => {
    const section = Buffer.from('GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,PAE=no\0');
    const info = readXenElfInfo(elf64(Buffer.alloc(0), [{ name: '__xen_guest', data: section }]))!;
    expect(info.xenGuest).toMatchObject({ GUEST_OS: 'linux', XEN_VER: 'xen-3.0', PAE: 'no' });
    expect(isXenCompatible(info)).toBe(true);
    expect(describeXenElfInfo(info)).toBe(
      '__xen_guest section: GUEST_OS=linux, GUEST_VER=2.6, XEN_VER=xen-3.0, PAE=no',
    );
  });

  it('parses __xen_guest strings and stops at the NUL', () => {
    expect(parseXenGuestString('A=1,LOADER=generic,FLAG\0junk')).toEqual({
      A: '1',
      LOADER: 'generic',
      FLAG: '',
    });
  });

  it('damaged headers give no notes, never an exception', () => {
    const elf = elf64(xenNotes());
    expect(readXenElfInfo(elf.subarray(0, 80))?.notes).toEqual({});
    expect(readXenElfInfo(Buffer.from('not an elf'))).toBeUndefined();
  });
});

describe('kernel image shapes', () => {
  it('a plain vmlinux (ELF)', () => {
    expect(inspectKernelBytes(elf64(xenNotes()), '/boot/vmlinux')).toMatchObject({
      shape: 'elf',
      info: { pv: true },
    });
  });

  it('a gzip-compressed vmlinux (the 2007 x86_32 vmlinuz-…-xen0)', () => {
    const r = inspectKernelBytes(gzip(elf64(xenNotes())), '/boot/vmlinuz-2.6.20-xen0');
    expect(r).toMatchObject({ shape: 'compressed-elf', compression: 'gzip', info: { pv: true } });
  });

  it('a bzImage with a gzip payload, with and without Xen', () => {
    const xen = inspectKernelBytes(bzImage(gzip(elf64(xenNotes({ pvh: true })))), '/boot/vmlinuz');
    expect(xen).toMatchObject({
      shape: 'bzimage',
      protocol: '2.15',
      compression: 'gzip',
      info: { pv: true, pvh: true },
    });
    const plain = inspectKernelBytes(bzImage(gzip(elf64(Buffer.alloc(0)))), '/boot/vmlinuz');
    expect(plain).toMatchObject({ shape: 'bzimage', info: { pv: false, pvh: false } });
  });

  it('an old bzImage (boot protocol 2.04: no payload fields) is searched for the gzip stream', () => {
    const r = inspectKernelBytes(bzImage(gzip(elf64(xenNotes())), 0x0204), '/boot/vmlinuz-2.6.18');
    expect(r).toMatchObject({ shape: 'bzimage', protocol: '2.04', compression: 'gzip', info: { pv: true } });
  });

  it.skipIf(!haveXz)('a bzImage with an xz payload, through xz on this machine', () => {
    const xz = execFileSync('xz', ['-c', '--check=crc32'], { input: elf64(xenNotes()) });
    expect(inspectKernelBytes(bzImage(xz), '/boot/vmlinuz')).toMatchObject({
      compression: 'xz',
      info: { pv: true },
    });
  });

  it('a damaged payload says why, and anything else is an unknown format', () => {
    const broken = bzImage(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.alloc(40, 0xff)]));
    const r = inspectKernelBytes(broken, '/boot/x');
    expect(r).toMatchObject({ shape: 'bzimage', error: expect.stringMatching(/^gzip: /) });
    expect(r.info).toBeUndefined();
    expect(inspectKernelBytes(Buffer.alloc(1024), '/boot/x')).toMatchObject({ shape: 'unknown' });
  });
});
