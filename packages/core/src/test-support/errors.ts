import { expect } from 'vitest';
import { InputError } from '../errors.js';

/** The InputError (exit 2) a promise rejects with; fails the test when it rejects with anything else. */
export async function inputError(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).exitCode).toBe(2);
  return error as InputError;
}
