// The unit tests alone, for scripts/mutation.mjs: they are what should pin down the pure core. The unit
// tests of adapters over real sockets, locks and processes are left out: they pin adapters, not the
// core, and their timeouts fail Stryker's initial run on a loaded machine.
export default {
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/http.test.ts', 'test/unit/lock.test.ts', 'test/unit/port-holder.test.ts'],
    testTimeout: 120_000,
  },
};
