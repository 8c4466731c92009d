import { describe, expect, it } from 'vitest';
import { answersSchema, defaultAnswers } from './index.js';

describe('answers schema', () => {
  it('parses without generating code at run time (no code cache could keep it)', () => {
    const original = globalThis.Function;
    let made = 0;
    globalThis.Function = new Proxy(original, {
      construct: (target, args): object => (made++, Reflect.construct(target, args) as object),
      apply: (target, self, args): unknown => (made++, Reflect.apply(target, self, args) as unknown),
    });
    try {
      defaultAnswers();
      answersSchema.parse({ system: { profile: 'default/linux/amd64/23.0' }, boot: { loader: 'grub2' } });
    } finally {
      globalThis.Function = original;
    }
    expect(made).toBe(0);
  });
});
