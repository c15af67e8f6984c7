// Preloaded (NODE_OPTIONS=-r) into keyturn and, through the environment, into its keyring helper
// processes: each helper (dist/keyring-child.cjs) writes a line to KEYTURN_CHILD_LOG as it starts, so a
// test can count them however short they live.
if (process.argv[1]?.endsWith('keyring-child.cjs') && process.env.KEYTURN_CHILD_LOG) {
  require('node:fs').appendFileSync(process.env.KEYTURN_CHILD_LOG, `${process.pid}\n`);
}
