export { COMMANDS } from './commands.js';
export { parseAnswers } from './lib/answers-file.js';
export { loadAnswers } from './lib/answers-reading.js';
