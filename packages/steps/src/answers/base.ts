import { z } from 'zod';

export const triState = z.enum(['auto', 'yes', 'no']);
export const yesNo = z.enum(['yes', 'no']);

/** [system] */
export const systemAnswersSchema = z
  .strictObject({
    /** Profile to select when the current one is unsupported, e.g. default/linux/amd64/23.0. */
    profile: z.string().optional(),
  })
  .prefault({});

/** [portage] */
export const portageAnswersSchema = z
  .strictObject({
    /** -mno-tls-direct-seg-refs: auto = only where it matters (32-bit x86). */
    tls_flag: triState.default('auto'),
    nptlonly: triState.default('auto'),
    buildpkg: yesNo.default('yes'),
    /** emerge -e @world after a CFLAGS change. */
    rebuild_world: yesNo.default('yes'),
    /** USE=hvm (and dev86 on amd64): auto = when /proc/cpuinfo has vmx or svm. */
    hvm: triState.default('auto'),
  })
  .prefault({});

/** [xen] */
export const xenAnswersSchema = z
  .strictObject({
    /** Accept ~arch keywords for Xen: auto = only where the tree has no stable version. */
    keywords: triState.default('auto'),
    /** Keep net.eth0 (or the named interface) out of the default runlevel. */
    interface: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('eth0'),
  })
  .prefault({});
