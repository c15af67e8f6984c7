// Preloaded with `node -r` by the hot-path test: on exit, writes which modules the process loaded.
process.on('exit', () => {
  require('node:fs').writeFileSync(
    process.env.KEYTURN_TRACE_OUT,
    JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList }),
  );
});
