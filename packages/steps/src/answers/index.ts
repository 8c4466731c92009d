import { z } from 'zod';
import { bootAnswersSchema } from './boot.js';
import { kernelAnswersSchema } from './kernel.js';
import { portageAnswersSchema, systemAnswersSchema, xenAnswersSchema } from './base.js';

/**
 * The answers file: one INI section per concern. Every key has a default, so an empty file
 * is valid. Unknown keys are errors (strict objects).
 */
export const answersSchema = z.strictObject({
  system: systemAnswersSchema,
  portage: portageAnswersSchema,
  xen: xenAnswersSchema,
  kernel: kernelAnswersSchema,
  boot: bootAnswersSchema,
});
export type Answers = z.infer<typeof answersSchema>;

/** Answers with every default filled in. */
export function defaultAnswers(): Answers {
  return answersSchema.parse({});
}
