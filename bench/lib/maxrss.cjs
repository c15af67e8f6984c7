// Preloaded with `node -r` by benchmarks: writes this process's peak RSS (KiB) to $KEYTURN_BENCH_RSS at exit.
process.on('exit', () => {
  require('node:fs').appendFileSync(process.env.KEYTURN_BENCH_RSS, `${process.resourceUsage().maxRSS}\n`);
});
