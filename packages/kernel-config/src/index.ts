export * from './config-file.js';
export * from './fragments.js';
export * from './kconfig-expr.js';
export * from './kconfig.js';
export * from './check.js';
export * from './version.js';
export * from './kernel-image.js';
