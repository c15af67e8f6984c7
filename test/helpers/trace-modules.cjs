// Preloaded with `node -r` by the hot-path tests: on exit, writes which modules the process loaded, to
// KEYTURN_TRACE_OUT, or to <pid>.json in KEYTURN_TRACE_DIR (many processes at once).
process.on('exit', () => {
  const dir = process.env.KEYTURN_TRACE_DIR;
  const out = dir ? require('node:path').join(dir, `${process.pid}.json`) : process.env.KEYTURN_TRACE_OUT;
  require('node:fs').writeFileSync(
    out,
    JSON.stringify({
      main: process.argv[1],
      files: Object.keys(require.cache),
      builtins: process.moduleLoadList,
    }),
  );
});
