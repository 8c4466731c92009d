import { z } from 'zod';
import { bootAnswersSchema } from './boot.js';
import { kernelAnswersSchema } from './kernel.js';
import { portageAnswersSchema, systemAnswersSchema, xenAnswersSchema } from './base.js';
import { guestAnswersSchema } from './guests.js';

export { bootAnswersKeys } from './boot.js';
export { kernelAnswersKeys } from './kernel.js';
export * from './guests.js';

/** The sections of the answers file that appear once each. */
const sectionsSchema = z.strictObject({
  system: systemAnswersSchema,
  portage: portageAnswersSchema,
  xen: xenAnswersSchema,
  kernel: kernelAnswersSchema,
  boot: bootAnswersSchema,
});

/**
 * The answers file: one INI section per concern, and one [guest.NAME] section per guest domain.
 * Every key has a default, so an empty file is valid. Unknown keys are errors (strict objects).
 */
export const answersSchema = sectionsSchema.extend({
  /** The guest domains, in the file's order, each from its [guest.NAME] section. */
  guests: z.array(guestAnswersSchema).default([]),
});
export type Answers = z.infer<typeof answersSchema>;
export type AnswersSection = keyof z.infer<typeof sectionsSchema>;

/** The sections of the answers file, in order (the [guest.NAME] sections come after them). */
export const ANSWERS_SECTIONS = Object.keys(sectionsSchema.shape) as AnswersSection[];

/** Whether `name` is a section of the answers file (an own key: never `constructor`, `__proto__` …). */
export function isAnswersSection(name: string): name is AnswersSection {
  return Object.hasOwn(sectionsSchema.shape, name);
}

/** The schema of each key of one section, by key name. */
export function answersSectionKeys(section: AnswersSection): Readonly<Record<string, z.ZodType>> {
  return sectionsSchema.shape[section].unwrap().shape;
}

/** Whether `key` is a key of `section` (an own key: never `constructor`, `__proto__` …). */
export function isAnswersKey(section: AnswersSection, key: string): boolean {
  return Object.hasOwn(answersSectionKeys(section), key);
}

/** Answers with every default filled in. */
export function defaultAnswers(): Answers {
  return answersSchema.parse({});
}
