import { z } from './zod.js';
import { cleanAbsolutePath, cleanSegment, yesNo } from './base.js';
import { GUEST_NAME, GUEST_NAME_EXPECTED } from './values.js';

export {
  GUEST_NAME,
  GUEST_NAME_EXPECTED,
  guestHostname,
  guestImage,
  isGuestName,
  sizeBytes,
} from './values.js';

/** A size with M or G (MiB, GiB), as dd's bs=1M count=… counts it. */
const SIZE = /^[1-9][0-9]{0,6}[MG]$/;
const size = (example: string): z.ZodString =>
  z.string().regex(SIZE, `a size in MiB or GiB such as ${example} (a number, then M or G)`);

/** A hostname (RFC 1123 labels). */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The keys of a [guest.NAME] section, each with its own schema. */
export const guestAnswersKeys = z.strictObject({
  route: z.enum(['quickpkg', 'domi', 'prebuilt']).default('quickpkg').meta({
    description:
      'How the guest is made: quickpkg (the HOWTO\'s "Gentoo domU using quickpkg": an image built from a stage tarball and the host\'s binary packages), domi (app-emulation/domi, where the tree still has it), prebuilt (an image file you already have; only its configuration is written).',
    howto: 'Creating DomUs',
  }),
  memory: z.coerce
    .number({ error: 'a whole number of MiB between 32 and 1048576' })
    .int('a whole number of MiB between 32 and 1048576')
    .min(32, 'a whole number of MiB between 32 and 1048576')
    .max(1048576, 'a whole number of MiB between 32 and 1048576')
    .default(256)
    .meta({ description: "Memory of the guest in MiB (xl's and xm's memory=).", howto: 'Creating DomUs' }),
  disk_size: size('4G').default('4G').meta({
    description: 'Size of the disk image (sparse: it takes only what is written).',
    howto: 'Creating DomUs',
  }),
  filesystem: z.enum(['auto', 'ext4', 'ext3', 'reiserfs']).default('auto').meta({
    description:
      "Filesystem of the image: auto = reiserfs on a 2007 host that has reiserfsprogs (the HOWTO's), ext3 on other 2007 hosts, ext4 today.",
    howto: 'Creating DomUs',
  }),
  swap: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,6}[MG])$/, 'a size in MiB or GiB such as 256M, or 0 for no swap file')
    .default('256M')
    .meta({
      description: 'Size of the swap file in the image (/swap), or 0 for none.',
      howto: 'Creating DomUs',
    }),
  stage: cleanAbsolutePath('an absolute path to a stage tarball such as /root/stage3-amd64-openrc.tar.xz')
    .optional()
    .meta({
      description: 'The stage tarball the image starts from (.tar, .tar.gz, .tar.bz2, .tar.xz).',
      howto: 'Creating DomUs',
    }),
  image: cleanAbsolutePath('an absolute path such as /var/xen/web1.img').optional().meta({
    description: 'The disk image (default /var/xen/NAME.img); for route = prebuilt, the image you have.',
    howto: 'Creating DomUs',
  }),
  kernel: cleanAbsolutePath('an absolute path such as /boot/vmlinuz-6.12.58-gentoo-xenU').optional().meta({
    description: "The guest's kernel in dom0 (default: the newest /boot/vmlinuz-*-xenU).",
    howto: 'Creating DomUs',
  }),
  ramdisk: cleanAbsolutePath('an absolute path such as /boot/initramfs-6.12.58-gentoo-xenU.img')
    .optional()
    .meta({ description: "An initramfs for the guest's kernel (xl's ramdisk=).", howto: 'Creating DomUs' }),
  network: z.enum(['dhcp', 'none']).default('dhcp').meta({
    description: 'dhcp: one network interface on bridge, configured by DHCP; none: no network interface.',
    howto: 'Creating DomUs',
  }),
  bridge: z
    .string()
    .regex(/^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/, 'a bridge name such as xenbr0 (letters, digits, . _ -)')
    .default('xenbr0')
    .meta({ description: "The dom0 bridge the guest's interface joins.", howto: 'Creating DomUs' }),
  hostname: z.string().regex(HOSTNAME, 'a hostname such as web1 or web1.example.org').optional().meta({
    description: "The guest's hostname (default: its name, _ written as -).",
    howto: 'Creating DomUs',
  }),
  timezone: z
    .string()
    .refine(
      (value) => value.split('/').every(cleanSegment),
      'a time zone such as UTC or Europe/Berlin (letters, digits, . _ + - and /; no "." or ".." parts)',
    )
    .default('UTC')
    .meta({
      description: "The guest's time zone, a name under /usr/share/zoneinfo.",
      howto: 'Creating DomUs',
    }),
  root_password_file: cleanAbsolutePath('an absolute path such as /root/web1.password').optional().meta({
    description:
      "A file holding the guest's root password (its first line); read only while the image is built.",
    howto: 'Creating DomUs',
  }),
  root_password_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'an environment variable name such as WEB1_ROOT_PASSWORD')
    .optional()
    .meta({
      description:
        "An environment variable holding the guest's root password; read only while the image is built.",
      howto: 'Creating DomUs',
    }),
  autostart: yesNo.default('no').meta({
    description: 'Start the guest at boot (/etc/xen/auto/NAME and the xendomains service).',
    howto: 'Creating DomUs',
  }),
});

/** Keys a guest section may not have, with what to write instead. */
export const FORBIDDEN_GUEST_KEYS: Readonly<Record<string, string>> = {
  root_password:
    'root_password_file (a file holding the password) or root_password_env (an environment variable); the password itself is never written in the answers file',
};

export const guestAnswersSchema = guestAnswersKeys
  .extend({
    name: z.string().regex(GUEST_NAME, GUEST_NAME_EXPECTED),
  })
  .superRefine((guest, ctx) => {
    if (guest.root_password_file !== undefined && guest.root_password_env !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['root_password_env'],
        message: 'only one of root_password_file and root_password_env',
      });
  })
  .meta({
    section: 'guest',
    description: 'A guest domain (domU): how it is made, its disk, memory, network and root password.',
    howto: 'Creating DomUs',
    forbidden: FORBIDDEN_GUEST_KEYS,
  });
export type GuestAnswers = z.infer<typeof guestAnswersSchema>;
