// The release's man page and shell completions, rendered from the same command definitions the
// release file runs (scripts/release.mjs bundles this module and calls renderReleaseDocs).
import { ALL_STEPS } from '@xen-gentoo/steps';
import { COMMANDS } from './commands.js';
import {
  parseExitCodeTable,
  renderBashCompletion,
  renderManPage,
  renderZshCompletion,
  type DocInput,
} from './lib/cli-docs.js';

export function renderReleaseDocs(
  version: string,
  readme: string,
): { bash: string; zsh: string; man: string } {
  const input: DocInput = {
    bin: 'xen-gentoo',
    version,
    commands: COMMANDS,
    stepIds: ALL_STEPS.map((s) => s.id),
    exitCodes: parseExitCodeTable(readme),
  };
  return { bash: renderBashCompletion(input), zsh: renderZshCompletion(input), man: renderManPage(input) };
}
