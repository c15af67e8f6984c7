import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser and multi-process tests share 2 cores: keep files from starving each other.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
