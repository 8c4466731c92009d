type Importer = (specifier: string) => Promise<unknown>;

/**
 * Load a package only when a command needs it. The CLI's launcher (bin/load.js) runs the bundled
 * code from a V8 code cache, where a bundle's own `import()` is not available; it provides an
 * importer instead. Elsewhere (tests, the unbundled build) the given fallback imports directly.
 */
export function importOnDemand<T>(specifier: string, fallback: () => Promise<T>): Promise<T> {
  const importer = (globalThis as { __xenGentooImport?: Importer }).__xenGentooImport;
  return importer ? (importer(specifier) as Promise<T>) : fallback();
}
