#!/usr/bin/env node
// The commands and oclif come from one bundle (see bundle.mjs), loaded once.
import { load } from './load.js';

await load().execute({ dir: import.meta.url });
