export {
  runningStep,
  planRunning,
  runningServices,
  startCommands,
  startedRecord,
  infoCheck,
  rebootText,
  OPENRC_START_ORDER,
  type RunningFacts,
} from './running.js';
