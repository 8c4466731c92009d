import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
    setupFiles: ['tests/support/fast-check-seed.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
