import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Every test file starts without the shell's connector and AWS variables.
    setupFiles: ['test/setup/hermetic-env.ts'],
    // No results cache (node_modules/.vite/vitest/results.json): two runs at once
    // would write it while the other reads it, and vitest does not survive a torn read.
    cache: false,
  },
});
