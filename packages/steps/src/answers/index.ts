import { z } from 'zod';
import { bootAnswersSchema } from './boot.js';
import { kernelAnswersSchema } from './kernel.js';
import { portageAnswersSchema, systemAnswersSchema, xenAnswersSchema } from './base.js';

export { bootAnswersKeys } from './boot.js';
export { kernelAnswersKeys } from './kernel.js';

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
export type AnswersSection = keyof Answers;

/** The sections of the answers file, in order. */
export const ANSWERS_SECTIONS = Object.keys(answersSchema.shape) as AnswersSection[];

/** Whether `name` is a section of the answers file (an own key: never `constructor`, `__proto__` …). */
export function isAnswersSection(name: string): name is AnswersSection {
  return Object.hasOwn(answersSchema.shape, name);
}

/** The schema of each key of one section, by key name. */
export function answersSectionKeys(section: AnswersSection): Readonly<Record<string, z.ZodType>> {
  return answersSchema.shape[section].unwrap().shape;
}

/** Whether `key` is a key of `section` (an own key: never `constructor`, `__proto__` …). */
export function isAnswersKey(section: AnswersSection, key: string): boolean {
  return Object.hasOwn(answersSectionKeys(section), key);
}

/** Answers with every default filled in. */
export function defaultAnswers(): Answers {
  return answersSchema.parse({});
}
