export { applyChange, DEFAULT_DIR_MODE, DEFAULT_FILE_MODE } from './apply-change.js';
export type { ApplyContext, ChangeOutcome } from './apply-change.js';
export { TEMP_SUFFIX, tempPathFor } from './fs-util.js';
export { listRuns, openJournal, readJournal } from './journal.js';
export type { Journal, JournalRecord, JournaledState, RunSummary, WriteRecord } from './journal.js';
export { acquireLock } from './lock.js';
export type { Lock, LockInfo } from './lock.js';
export { recoverInterrupted, recoverInterruptedRuns } from './recover.js';
export type { RecoveryReport } from './recover.js';
export { rollbackRun } from './rollback.js';
export type { RollbackOptions, RollbackResult } from './rollback.js';
export { STATE_DIR } from './state.js';
export { takeDownLeftovers } from './leftovers.js';
export {
  clearResumeState,
  readResumeState,
  resumeProblem,
  writeResumeState,
  RESUME_FILE,
  RESUME_VERSION,
} from './resume.js';
export type { ResumeState } from './resume.js';
