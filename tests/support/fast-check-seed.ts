import fc from 'fast-check';

/**
 * Property tests draw new cases on every local run. In CI (and whenever XG_FC_SEED is set) they
 * use one seed, so a gate run is reproducible; `XG_FC_SEED=<n> pnpm test` replays a failure.
 */
const seed = process.env.XG_FC_SEED ?? (process.env.CI ? '20070412' : undefined);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) });
