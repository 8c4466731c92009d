import { z } from './zod.js';

declare module 'zod' {
  interface GlobalMeta {
    /** The HOWTO section a key (or a whole section) comes from. */
    howto?: string;
    /** What an optional key means when it is not set. */
    unset?: string;
    /** The value says where a secret is (a file or an environment variable), never the secret. */
    secret?: boolean;
    /** A repeating section's header word ([guest.NAME] for the `guests` list). */
    section?: string;
    /** Keys a section refuses, each with what to write instead (a secret written inline). */
    forbidden?: Readonly<Record<string, string>>;
  }
}

/** One key of a section, as the answers schema defines it. */
export interface AnswersKeyInfo {
  name: string;
  schema: z.ZodType;
  description: string | undefined;
  howto: string | undefined;
  /** What an optional key means when unset. */
  unset: string | undefined;
  examples: readonly unknown[];
  /** The value a missing key takes (undefined: none, the key stays unset or is required). */
  defaultValue: unknown;
  /** A key with no default that is not optional: an answers file must give it. */
  required: boolean;
  /** The values the key takes, in words (the same words an error about the key uses). */
  values: string;
  secret: boolean;
}

/** One section of the answers file: `[name]`, or `[name.NAME]` for a section that repeats. */
export interface AnswersSectionInfo {
  /** The word in the header: [boot], [guest.NAME]. */
  name: string;
  /** The answers property it fills (`guests` for [guest.NAME]). */
  property: string;
  /**
   * A section that repeats, one per NAME (`[guest.web]`); its names are checked with nameSchema.
   * `list`: the answers hold a list of objects, each with its `name` (else an object by NAME).
   */
  named: boolean;
  list: boolean;
  nameSchema: z.ZodType | undefined;
  /** Keys refused in this section, with what to write instead. */
  forbidden: Readonly<Record<string, string>>;
  description: string | undefined;
  howto: string | undefined;
  keys: AnswersKeyInfo[];
}

/** The schema a wrapper (optional, default, prefault, nullable) wraps; undefined for any other. */
function wrapped(schema: z.ZodType): z.ZodType | undefined {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodNullable
  )
    return schema.unwrap() as z.ZodType;
  return undefined;
}

/** The schema inside optional/default/prefault/nullable wrappers. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let inner = schema;
  for (let next = wrapped(inner); next !== undefined; next = wrapped(inner)) inner = next;
  return inner;
}

/** The metadata of a schema and of the schemas it wraps; the outermost wins. */
export function metaOf(schema: z.ZodType): z.GlobalMeta {
  const layers: z.ZodType[] = [];
  for (let layer: z.ZodType | undefined = schema; layer !== undefined; layer = wrapped(layer))
    layers.push(layer);
  const meta: z.GlobalMeta = {};
  for (const layer of layers.reverse()) Object.assign(meta, z.globalRegistry.get(layer) ?? {});
  return meta;
}

/**
 * What a schema allows, in words, from one of its issues: the listed values of an enum, else the
 * message the schema gives (every answers key has one).
 */
export function expectedOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return issue.values.map((v) => String(v)).join(' | ');
  return issue.message;
}

/** A value no key takes: quotes, a backslash, a space and a `..` part. */
const NO_KEY_TAKES = 'x \'"\\ ../y';

/** The values a key takes, in words: an enum's values, else what the key says when it refuses a value. */
export function valuesOf(schema: z.ZodType): string {
  const inner = unwrapSchema(schema);
  if (inner instanceof z.ZodEnum) return inner.options.map(String).join(' | ');
  const result = inner.safeParse(NO_KEY_TAKES);
  return result.success ? 'any text' : expectedOf(result.error.issues[0]!);
}

function keyInfo(name: string, schema: z.ZodType, section: z.GlobalMeta): AnswersKeyInfo {
  const meta = metaOf(schema);
  const missing = schema.safeParse(undefined);
  return {
    name,
    schema,
    description: meta.description,
    howto: meta.howto ?? section.howto,
    unset: meta.unset,
    examples: Array.isArray(meta.examples) ? (meta.examples as unknown[]) : [],
    defaultValue: missing.success ? missing.data : undefined,
    required: !missing.success,
    values: valuesOf(schema),
    secret: meta.secret === true,
  };
}

/**
 * Every section and key of an answers schema, in order, with what the schema says of them:
 * `answers init`, `answers check`, the JSON Schema and the wizard all read the schema through
 * this, so a key added to the schema is documented and checked everywhere at once.
 */
export function describeAnswersSchema(root: z.ZodObject): AnswersSectionInfo[] {
  return Object.entries(root.shape).map(([property, schema]) => {
    const section = schema as z.ZodType;
    const inner = unwrapSchema(section);
    const list = inner instanceof z.ZodArray;
    const named = list || inner instanceof z.ZodRecord;
    const element = list ? inner.element : inner instanceof z.ZodRecord ? inner.valueType : inner;
    const object = unwrapSchema(element as z.ZodType);
    if (!(object instanceof z.ZodObject))
      throw new Error(`answers section ${property} is not an object of keys`);
    const meta = { ...metaOf(section), ...(named ? metaOf(element as z.ZodType) : {}) };
    const shape = object.shape as Record<string, z.ZodType>;
    return {
      name: meta.section ?? property,
      property,
      named,
      list,
      nameSchema: list ? shape.name : inner instanceof z.ZodRecord ? (inner.keyType as z.ZodType) : undefined,
      forbidden: meta.forbidden ?? {},
      description: meta.description,
      howto: meta.howto,
      keys: Object.entries(shape)
        .filter(([key]) => !(list && key === 'name'))
        .map(([key, keySchema]) => keyInfo(key, keySchema, meta)),
    };
  });
}
