export { COMMANDS } from './commands.js';
export { parseAnswers, loadAnswers } from './lib/answers-file.js';
