import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Separate processes, not worker threads: spawn and exec refuse to run from a
    // worker thread (PDEATHSIG follows the creating thread, NODE-PITFALLS 8, 14).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
