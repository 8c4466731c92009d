export * from './change.js';
export * from './errors.js';
export * from './host.js';
export * from './local-host.js';
export {
  HostMountError,
  assertNoHostMounts,
  chrootMounts,
  hostMountsUnder,
  readMountInfo,
} from './mounts.js';
export * from './paths.js';
export * from './plan.js';
export * from './recorded-host.js';
export * from './render.js';
export * from './step.js';
export * from './view.js';
export * from './apply-session.js';
export * from './apply/index.js';
export * from './memory-host.js';
export * from './import-on-demand.js';
export { readRegularFile, decodeUtf8, MAX_INPUT_BYTES } from './regular-file.js';
export * from './read-cache.js';
