export * from './profile.js';
export * from './cflags-tls.js';
export * from './nptlonly.js';
export * from './buildpkg.js';
export * from './rebuild-world.js';
export * from './hvm.js';
