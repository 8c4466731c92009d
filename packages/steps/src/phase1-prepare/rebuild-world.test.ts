/**
 * rebuild-world on copies of the sample roots, planned after the earlier steps over the view they
 * leave (as `plan` does; commands are refused, nothing runs here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answersSchema } from '../answers/index.js';
import { ALL_STEPS } from '../index.js';
import { copySample, planRoot, removeSampleCopies, SAMPLES_DIR } from '../testing/samples.js';

afterEach(removeSampleCopies);

const rebuildOf = async (root: string) => {
  const plan = await planRoot(root, ALL_STEPS, answersSchema.parse({}));
  const step = plan.steps.find((s) => s.id === 'rebuild-world');
  if (!step) throw new Error('no rebuild-world step');
  return step;
};

describe('rebuild-world on the sample roots', () => {
  it('2007: names glibc for the nptlonly the 2007.0 profile stacks on, next to the CFLAGS change, and keeps emerge -e world', async () => {
    const step = await rebuildOf(copySample('legacy-x86'));
    expect(step.status).toBe('pending');
    expect(step.reason).toMatch(/7 of 7 packages need a rebuild: 7 built with other CFLAGS/);
    expect(step.reason).toMatch(
      /1 built with other USE: sys-libs\/glibc-2\.5-r4 \(\+nptlonly from \/usr\/portage\/profiles\/default-linux\/x86\/2007\.0\/make\.defaults\)/,
    );
  });

  it('2007: an installed xen-tools built without the hvm that make.conf has (after the hvm step ran) is named', async () => {
    const dir = '/var/db/pkg/app-emulation/xen-tools-3.1.2';
    const makeConf = readFileSync(join(SAMPLES_DIR, 'legacy-x86/etc/make.conf'), 'utf8');
    const step = await rebuildOf(
      copySample('legacy-x86', {
        '/etc/make.conf': makeConf.replace('nptl ssl ipv6"', 'nptl ssl ipv6 hvm"'),
        [`${dir}/CATEGORY`]: 'app-emulation\n',
        [`${dir}/PF`]: 'xen-tools-3.1.2\n',
        [`${dir}/CFLAGS`]: '-O2 -march=i686 -pipe\n',
        [`${dir}/IUSE`]: 'debug doc hvm pygrub screen\n',
        [`${dir}/USE`]: 'pygrub x86\n',
      }),
    );
    expect(step.reason).toMatch(/app-emulation\/xen-tools-3\.1\.2 \(\+hvm from \/etc\/make\.conf\)/);
  });

  it('today: done on the sample; a package.use hvm for an installed xen-tools built without it asks for --newuse', async () => {
    expect((await rebuildOf(copySample('current-amd64'))).status).toBe('done');
    const dir = '/var/db/pkg/app-emulation/xen-tools-4.20.1';
    const step = await rebuildOf(
      copySample('current-amd64', {
        [`${dir}/CATEGORY`]: 'app-emulation\n',
        [`${dir}/PF`]: 'xen-tools-4.20.1\n',
        [`${dir}/CFLAGS`]: '-O2 -pipe\n',
        [`${dir}/IUSE`]: '+hvm +qemu systemd\n',
        [`${dir}/USE`]: 'amd64 qemu\n',
        '/etc/portage/package.use/xen': 'app-emulation/xen-tools hvm\n',
      }),
    );
    expect(step.status).toBe('pending');
    expect(step.reason).toMatch(
      /app-emulation\/xen-tools-4\.20\.1 \(\+hvm from \/etc\/portage\/package\.use\/xen\)/,
    );
    expect(step.reason).toMatch(/emerge --update --deep --newuse @world/);
  });
});
