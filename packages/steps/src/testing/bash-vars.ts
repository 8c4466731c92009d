import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What bash sees after sourcing a file, as the network scripts do: each named variable as a
 * string, an array of strings, or undefined when unset. For tests.
 */
export function bashVars(text: string, names: string[]): Record<string, string | string[] | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'xg-bash-'));
  try {
    const file = join(dir, 'net');
    writeFileSync(file, text);
    const script = [
      'source "$1" >/dev/null 2>&1',
      'shift',
      'for v in "$@"; do',
      '  if ! declare -p "$v" >/dev/null 2>&1; then printf "%s\\tunset\\n" "$v"',
      '  elif [[ "$(declare -p "$v")" == "declare -a"* ]]; then',
      '    eval "n=\\${#$v[@]}"; printf "%s\\tarray" "$v"',
      '    eval "for e in \\"\\${$v[@]}\\"; do printf \'\\\\t%s\' \\"\\$(printf %s \\"\\$e\\" | base64 -w0)\\"; done"; printf "\\n"',
      '  else printf "%s\\tstring\\t%s\\n" "$v" "$(printf %s "${!v}" | base64 -w0)"; fi',
      'done',
    ].join('\n');
    const result = spawnSync('bash', ['-c', script, 'bash', file, ...names], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`bash failed: ${result.stderr}`);
    const out: Record<string, string | string[] | undefined> = {};
    const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    for (const line of result.stdout.split('\n').filter(Boolean)) {
      const [name, kind, ...rest] = line.split('\t');
      if (kind === 'unset') out[name!] = undefined;
      else if (kind === 'array') out[name!] = rest.map(decode);
      else out[name!] = decode(rest[0] ?? '');
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
