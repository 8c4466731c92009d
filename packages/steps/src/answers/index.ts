import { z } from './zod.js';
import { describeAnswersSchema, type AnswersSectionInfo } from './describe.js';
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

export { defaultAnswers } from './defaults.js';

export {
  describeAnswersSchema,
  expectedOf,
  metaOf,
  unwrapSchema,
  valuesOf,
  type AnswersKeyInfo,
  type AnswersSectionInfo,
} from './describe.js';

let described: AnswersSectionInfo[] | undefined;

/** Every section and key of the answers file with its description, default and values. */
export function describeAnswers(): AnswersSectionInfo[] {
  return (described ??= describeAnswersSchema(answersSchema));
}

/**
 * The answers as a JSON Schema (draft 2020-12), generated from the schema the parser uses: for
 * editors and for tools that write answers files. Each key carries its description, default,
 * allowed values and, as `howto`, the HOWTO section it comes from.
 */
export function answersJsonSchema(root: z.ZodObject = answersSchema): Record<string, unknown> {
  const generated = z.toJSONSchema(root, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  // Each key also says in words what it takes (a refinement has no JSON Schema form).
  type Node = { properties?: Record<string, Node>; additionalProperties?: Node | boolean; values?: string };
  for (const section of describeAnswersSchema(root)) {
    const node = (generated as Node).properties?.[section.name];
    const keys = section.named
      ? typeof node?.additionalProperties === 'object'
        ? node.additionalProperties.properties
        : undefined
      : node?.properties;
    for (const key of section.keys) {
      const target = keys?.[key.name];
      if (target) target.values = key.values;
    }
  }
  return {
    $schema: generated.$schema,
    title: 'xen-gentoo answers file',
    description:
      'The answers file of xen-gentoo (INI: one [section] per object below, key = value lines). Generated from the schema the parser uses; regenerate with pnpm answers:schema.',
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
  };
}

export * from './values.js';
export { detectAnswerValues, type DetectedAnswer } from './detected.js';
export { missingAnswers, type NeededAnswer, type SecretSources } from './needed.js';
