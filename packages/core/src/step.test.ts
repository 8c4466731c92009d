import { describe, expect, it } from 'vitest';
import { checkStepOrder } from './step.js';

describe('checkStepOrder', () => {
  it('accepts a catalogue whose order keeps every after', () => {
    expect(() =>
      checkStepOrder([{ id: 'a' }, { id: 'b', after: ['a'] }, { id: 'c', after: ['a', 'b'] }]),
    ).not.toThrow();
  });

  it('refuses a step listed before a step it must come after', () => {
    expect(() => checkStepOrder([{ id: 'b', after: ['a'] }, { id: 'a' }])).toThrow(/b must come after a/);
  });

  it('refuses an after that names no step', () => {
    expect(() => checkStepOrder([{ id: 'a', after: ['nope'] }])).toThrow(/which is no step/);
  });
});
