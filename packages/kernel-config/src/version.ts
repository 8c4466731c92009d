/**
 * The one order of kernel release strings (`6.12.58-gentoo`, `2.6.20-xen-r6`, and the Xen image
 * versions in /boot names, `xen-4.17.3.gz`): the dotted numbers first, compared as numbers
 * (2.6.9 before 2.6.20), then the rest of the name with its numbers compared as numbers
 * (`-gentoo-r10` after `-gentoo-r9`, `-gentoo-r1` after `-gentoo`). Package versions are not
 * release strings: they follow the PMS order (make-conf's `compareVersions`).
 */
export function compareKernelVersions(a: string, b: string): number {
  const split = (v: string): [number[], string] => {
    const m = /^(\d+(?:\.\d+)*)(.*)$/s.exec(v);
    return m ? [m[1]!.split('.').map(Number), m[2]!] : [[], v];
  };
  const [an, ar] = split(a);
  const [bn, br] = split(b);
  for (let i = 0; i < Math.max(an.length, bn.length); i++) {
    const d = (an[i] ?? -1) - (bn[i] ?? -1);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(ar.localeCompare(br, 'en', { numeric: true }));
}
