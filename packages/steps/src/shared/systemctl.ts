/** `systemctl enable UNITS`; on a mounted root, with --root= so that the links are made under it. */
export function systemctlEnable(root: string, units: readonly string[]): string[] {
  return ['systemctl', ...(root === '/' ? [] : [`--root=${root}`]), 'enable', ...units];
}
