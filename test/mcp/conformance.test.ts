import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { conformanceTools } from '../../scripts/conformance-setup.mjs';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) runs its auth scenarios
 * against a thin client over keyturn's public library and the MCP SDK (conformance-client.mjs).
 * Its servers listen on every interface, so each scenario runs in a private network namespace with
 * only loopback. `npm test` installs the suite and its Node 22 once per machine
 * (scripts/conformance-setup.mjs).
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const tools = conformanceTools() as { node: string; conformance: string; dir: string };

/** Every 2025-11-25 and 2025-03-26 auth scenario of the suite, and the draft ones of issue #13. */
const SCENARIOS = [
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
  'auth/2025-03-26-oauth-metadata-backcompat',
  'auth/2025-03-26-oauth-endpoint-fallback',
  'auth/resource-mismatch',
  'auth/offline-access-scope',
  'auth/offline-access-not-supported',
];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  description: string;
}

interface Outcome {
  scenario: string;
  checks: Check[];
  stderr: string;
}

const outcomes: Outcome[] = [];

/** Scenarios run three at a time: each is two servers, the suite's runner and a client process. */
const CONCURRENCY = 3;
let running = 0;
const queue: (() => void)[] = [];
async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

function runScenario(scenario: string): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'keyturn-conformance-'));
  const out = join(home, 'results');
  const client = `${process.execPath} ${join(here, 'conformance-client.mjs')}`;
  return new Promise((resolve, reject) => {
    execFile(
      'unshare',
      [
        '-n',
        'bash',
        '-c',
        'ip link set lo up && exec "$@"',
        'isolated',
        tools.node,
        tools.conformance,
        'client',
        '--command',
        client,
        '--scenario',
        scenario,
        // Generous: the machine may be busy with other tests; a passing client takes seconds.
        '--timeout',
        '120000',
        '-o',
        out,
      ],
      {
        env: {
          ...process.env,
          KEYTURN_HOME: home,
          KEYTURN_STORE: 'file',
          BROWSER: join(here, 'http-browser.mjs'),
        },
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, _stdout, stderr) => {
        try {
          // The runner exits 1 on warnings too: the checks file is the verdict.
          // Results land in <out>/auth/<name>-<timestamp>/checks.json.
          const [group, name] = scenario.split('/') as [string, string];
          const run = readdirSync(join(out, group)).find((entry) => entry.startsWith(`${name}-`));
          if (run === undefined) throw error ?? new Error('no results');
          const checks = JSON.parse(readFileSync(join(out, group, run, 'checks.json'), 'utf8')) as Check[];
          resolve({ scenario, checks, stderr });
        } catch (cause) {
          reject(new Error(`${scenario}: no checks (${String(cause)}): ${stderr.slice(-2000)}`));
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      },
    );
  });
}

const count = (checks: Check[], status: Check['status']) => checks.filter((c) => c.status === status).length;

describe.concurrent('the MCP conformance suite, client auth scenarios, against keyturn', () => {
  it('has its tools installed (npm test runs scripts/conformance-setup.mjs)', () => {
    expect(existsSync(tools.node), `missing ${tools.node}: run node scripts/conformance-setup.mjs`).toBe(
      true,
    );
  });

  for (const scenario of SCENARIOS) {
    it(`passes ${scenario}`, { timeout: 900_000 }, async () => {
      const outcome = await inTurn(() => runScenario(scenario));
      outcomes.push(outcome);
      const failed = outcome.checks.filter((c) => c.status === 'FAILURE');
      expect(failed.map((c) => `${c.id}: ${c.description}`)).toEqual([]);
      expect(count(outcome.checks, 'SUCCESS')).toBeGreaterThan(0);
    });
  }

  afterAll(() => {
    const rows = SCENARIOS.map((scenario) => {
      const outcome = outcomes.find((o) => o.scenario === scenario);
      if (outcome === undefined) return `| ${scenario} | not run | | | |`;
      const { checks } = outcome;
      const graded = checks.filter((c) => c.status !== 'INFO').length;
      const verdict = count(checks, 'FAILURE') === 0 ? 'PASS' : 'FAIL';
      const warnings = checks
        .filter((c) => c.status === 'WARNING')
        .map((c) => c.id)
        .join(', ');
      return `| ${scenario} | ${verdict} | ${count(checks, 'SUCCESS')}/${graded} | ${count(checks, 'FAILURE')} | ${warnings} |`;
    });
    const passed = outcomes.filter((o) => count(o.checks, 'FAILURE') === 0).length;
    console.log(
      [
        `MCP conformance suite (client, auth): ${passed}/${SCENARIOS.length} scenarios passed`,
        '| scenario | verdict | checks passed | failed | warnings |',
        '| --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n'),
    );
  });
});
