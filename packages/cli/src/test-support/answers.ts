import { InputError } from '@xen-gentoo/core';
import { expect } from 'vitest';
import { parseAnswers } from '../lib/answers-file.js';

/** The InputError parseAnswers throws for `text` read from `file`; fails the test when it accepts it. */
export function answersError(text: string, file: string): InputError {
  try {
    parseAnswers(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('the answers were accepted');
}
