#!/usr/bin/env node
// The commands and oclif come from one bundle (see bundle.mjs), loaded once.
const { execute } = await import('../dist/bundle/commands.js');

await execute({ dir: import.meta.url });
