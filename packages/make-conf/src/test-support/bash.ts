import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What bash sees after `source FILE` with an empty environment: the value of each variable in
 * `names`, or undefined when bash leaves it unset.
 */
export function bashView(text: string, names: Iterable<string>): Map<string, string | undefined> {
  const list = [...new Set(names)];
  const dir = mkdtempSync(join(tmpdir(), 'make-conf-bash-'));
  try {
    const file = join(dir, 'make.conf');
    writeFileSync(file, text);
    const script = `source "$1" >/dev/null 2>&1; shift; for n in "$@"; do if [ -n "\${!n+x}" ]; then printf 's%s\\0' "\${!n}"; else printf 'u\\0'; fi; done`;
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', file, ...list], {
      env: {},
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const values = out.split('\0').slice(0, list.length);
    return new Map(list.map((n, i) => [n, values[i]?.startsWith('s') ? values[i]?.slice(1) : undefined]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
