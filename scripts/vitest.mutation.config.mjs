// The unit tests alone, for scripts/mutation.mjs: they are what should pin down the pure core.
export default {
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
  },
};
