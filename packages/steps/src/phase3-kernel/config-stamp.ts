/**
 * The stamp protocol of the kernel configuration steps. The output directory gets a second file,
 * `.xen-gentoo.config`: the fragment itself (a valid Kconfig fragment, usable with
 * merge_config.sh) whose first line records the state, `applying` (written before the
 * configuration is touched) or `resolved` (written after Kconfig ran). It is what makes the step
 * truthful and convergent: "done" needs a configuration with every requested value and a stamp
 * saying Kconfig resolved it for this very fragment (a missing, empty or foreign stamp means the
 * resolve command runs again); a resolved configuration that lacks some is "blocked" (not
 * re-written forever); an interrupted run (`applying`) is resumed.
 */
import { renderFragment, type Fragment } from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';

export const STAMP_NAME = '.xen-gentoo.config';
const STATE_RE = /^# state: (applying|resolved)\n/;

/** The stamp file's text for a fragment in a state. */
export function stampText(fragment: Fragment, state: 'applying' | 'resolved'): string {
  return `# state: ${state}\n${renderFragment(fragment)}`;
}

/** The state recorded in a stamp, and whether it was written for this very fragment. */
export function readStamp(
  text: string | undefined,
  fragment: Fragment,
): { state: 'applying' | 'resolved'; current: boolean } | undefined {
  if (text === undefined) return undefined;
  const m = STATE_RE.exec(text);
  if (!m) return undefined;
  const state = m[1] as 'applying' | 'resolved';
  return { state, current: text.slice(m[0].length) === renderFragment(fragment) };
}

/** The command that lets Kconfig resolve a configuration: olddefconfig (3.7+) or the HOWTO's oldconfig. */
export function resolveCommand(source: string, out: string, baseVersion: string): string[] {
  const target = compareVersions(baseVersion, '3.7') >= 0 ? 'olddefconfig' : 'oldconfig';
  return out === source ? ['make', '-C', source, target] : ['make', '-C', source, `O=${out}`, target];
}

/**
 * The resolve command, followed by marking the stamp resolved only when Kconfig succeeded: the
 * mark is evidence that Kconfig ran, so a run that skipped or lost the command never reports
 * the configuration as checked. The paths reach the shell as arguments, never as code.
 */
export function markResolvedAfter(resolve: string[], stampPath: string): string[] {
  return [
    'sh',
    '-c',
    '"$@" && sed -i "1s/^# state: applying$/# state: resolved/" "$0"',
    stampPath,
    ...resolve,
  ];
}
