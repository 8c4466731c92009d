// The answers with every default filled in, as the schema gives them for an empty answers file
// (a test holds the two equal). Kept written out so that a plan without an answers file builds no
// schema: building them all is most of what loading the answers' modules costs at start-up.
import type { Answers } from './index.js';

const DEFAULTS: Answers = {
  system: {},
  portage: {
    tls_flag: 'auto',
    nptlonly: 'auto',
    buildpkg: 'yes',
    rebuild_world: 'yes',
    hvm: 'auto',
  },
  xen: {
    keywords: 'auto',
    interface: 'eth0',
  },
  kernel: {
    sources: '/usr/src/linux',
    split: 'yes',
    base: 'auto',
    build: 'yes',
    genkernel: 'no',
    user_home: '/root',
    serial_console: 'auto',
  },
  boot: {
    loader: 'auto',
    firmware: 'auto',
    grub2_mode: 'default-grub',
    grub2_custom_file: '/etc/grub.d/40_custom',
    dom0_mem: 'auto',
    kernel_args: '',
    xen_args: '',
    serial: 'no',
    serial_port: 'com1',
    serial_speed: 115200,
    serial_vga: 'yes',
    noreboot: 'auto',
    lilo_label: 'xen',
  },
  guests: [],
};

/** Answers with every default filled in (a new copy each time: callers may change it). */
export function defaultAnswers(): Answers {
  return structuredClone(DEFAULTS);
}
