import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Generous ceilings: a busy machine (two cores, other jobs) must slow the tests down, not fail them.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Each file starts its own local services on free ports: files run in parallel safely.
    pool: 'forks',
  },
});
