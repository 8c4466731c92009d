// The entry of the release's single file (scripts/release.mjs bundles it with everything it
// imports): oclif is configured inline, as there is no package.json beside the installed file,
// and its explicit command target is this same file, so oclif and the commands share one copy.
import { COMMANDS, execute } from './commands.js';

declare const XEN_GENTOO_VERSION: string;

export { COMMANDS };

if (require.main === module) {
  const pjson = {
    name: 'xen-gentoo',
    version: XEN_GENTOO_VERSION,
    oclif: {
      bin: 'xen-gentoo',
      dirname: 'xen-gentoo',
      commands: { strategy: 'explicit', target: __filename, identifier: 'COMMANDS' },
      topicSeparator: ' ',
    },
  };
  void execute({ loadOptions: { root: __dirname, pjson: pjson as never } });
}
