// Runs the benchmarks against the built dist/: `npm run bench` runs every bench/*.mjs;
// `npm run bench -- refresh-storm token-hotpath` runs those; other arguments (`--n 8`) go to each.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const args = process.argv.slice(2);
const flagsAt = args.findIndex((a) => a.startsWith('--'));
const names = flagsAt < 0 ? args : args.slice(0, flagsAt);
const flags = flagsAt < 0 ? [] : args.slice(flagsAt);
const all = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs');
const chosen = names.length === 0 ? all : names.map((n) => (n.endsWith('.mjs') ? n : `${n}.mjs`));
let failed = 0;
for (const file of chosen) {
  const result = spawnSync(process.execPath, [join(here, file), ...flags], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
