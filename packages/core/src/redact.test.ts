import { describe, expect, it } from 'vitest';
import { redactSecrets, renderDiff } from './render.js';

describe('password hashes in diffs', () => {
  const hash = '$6$saltsaltsaltsalt$Q9cQ2hashhashhashhash';
  it('a shadow file shows every hash redacted, locked and empty fields as they are', () => {
    const before = `root:${hash}:19000:0:99999:7:::\nbin:*:19000::::::\nlp:!:1::::::\n`;
    const after = `root:$6$other$xyz:19001:0:99999:7:::\nbin:*:19000::::::\nlp:!:1::::::\n`;
    const diff = renderDiff('/etc/shadow', before, after, false);
    expect(diff).not.toContain('saltsalt');
    expect(diff).not.toContain('xyz');
    expect(diff).toContain('-root:<redacted>:19000');
    expect(diff).toContain('+root:<redacted>:19001');
    expect(redactSecrets('/var/xen/web1.img:/etc/shadow-', before)).not.toContain(hash);
    expect(redactSecrets('/etc/fstab', `a:${hash}\n`)).toContain(hash);
  });
});
