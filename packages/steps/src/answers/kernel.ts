import { z } from 'zod';

/** [kernel] section of the answers file. */
export const kernelAnswersSchema = z.strictObject({}).prefault({});
export type KernelAnswers = z.infer<typeof kernelAnswersSchema>;
