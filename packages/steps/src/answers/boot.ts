import { z } from 'zod';

/** [boot] section of the answers file. */
export const bootAnswersSchema = z.strictObject({}).prefault({});
export type BootAnswers = z.infer<typeof bootAnswersSchema>;
