// bench/refresh-storm: N processes ask for a token at once on an expiring token, against the
// built-in authorization server (rotating refresh tokens). keyturn (`keyturn token`, single flight
// across processes) and then a naive client (each process refreshes on its own with openid-client)
// on a second sign-in. Prints, for each: processes that got a token, distinct tokens, refresh
// requests the server saw, failures, wall time, and whether the sign-in still works afterwards.
// The floor, measured in the same run: N bare `node -e 0` started at once.
// Goal for keyturn on 2 cores (issue #14): N/N, 1 request, wall ≤ 1.5 × the floor.
// Usage: npm run build && node bench/refresh-storm.mjs [--n 32] [--rounds 5]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYTURN, arg, childrenCpuMs, median } from './lib/measure.mjs';
import { expireSoon, launchChromium, run, signIn, startIssuer } from './lib/signed-in.mjs';

const N = Number(arg('n', '32'));
const ROUNDS = Number(arg('rounds', '5'));
/** A redirect port of its own (the refresh work's range, 18500-18509). */
const REDIRECT_PORT = 18505;
const NAIVE = join(import.meta.dirname, 'lib/naive-refresh.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'keyturn-storm-'));

/** N processes at once; what they got, and what the server saw. */
async function storm(label, args, home) {
  expireSoon(home);
  const before = stats();
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: N }, () => run(args, { KEYTURN_HOME: home })));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuMs = childrenCpuMs() - cpuBefore;
  const after = stats();
  const ok = results.filter((r) => r.code === 0);
  const tokens = new Set(ok.map((r) => r.stdout.trim()));
  const errors = {};
  for (const r of results.filter((x) => x.code !== 0)) {
    const key = /error\[(\w+)\]/.exec(r.stderr)?.[1] ?? r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`;
    errors[key] = (errors[key] ?? 0) + 1;
  }
  return {
    label,
    ok: ok.length,
    tokens: tokens.size,
    requests: after.refreshRequests - before.refreshRequests,
    failed: after.refreshFailures - before.refreshFailures,
    wallMs,
    cpuMs,
    errors,
  };
}

/** Does the sign-in still refresh? One more `keyturn token` on an expiring token. */
async function survives(home, flags) {
  expireSoon(home);
  const result = await run([KEYTURN, 'token', ...flags], { KEYTURN_HOME: home });
  return result.code === 0
    ? 'kept'
    : `lost (${/error\[(\w+)\]/.exec(result.stderr)?.[1] ?? `exit ${result.code}`})`;
}

function line(r, after) {
  const errors = Object.entries(r.errors)
    .map(([k, v]) => `${v}× ${k}`)
    .join(', ');
  return (
    `  ${r.label.padEnd(14)} ${String(r.ok).padStart(3)}/${N} ok   ${r.tokens} distinct token(s)   ` +
    `refresh requests ${r.requests} (failed ${r.failed})   wall ${r.wallMs.toFixed(0)} ms ` +
    `(CPU ${(r.cpuMs / N).toFixed(0)} ms/process)   ` +
    `sign-in afterwards: ${after}${errors ? `   errors: ${errors}` : ''}`
  );
}

if (!existsSync(KEYTURN)) {
  console.error(`${KEYTURN} is missing: run \`npm run build\` first.`);
  process.exit(1);
}
const { child: issuer, facts, stats } = await startIssuer(scratch, 300);
const browser = await launchChromium();
try {
  const keyturnHome = await signIn(browser, facts, join(scratch, 'keyturn'), REDIRECT_PORT);
  const naiveHome = await signIn(browser, facts, join(scratch, 'naive'), REDIRECT_PORT);
  await browser.close();

  // Rounds alternate the floor and keyturn's storm, so both see the same machine; medians reported.
  const floors = [];
  const floorCpus = [];
  const storms = [];
  for (let round = 0; round < ROUNDS; round++) {
    const floorCpuBefore = childrenCpuMs();
    const floorStarted = process.hrtime.bigint();
    await Promise.all(Array.from({ length: N }, () => run(['-e', '0'], {})));
    floors.push(Number(process.hrtime.bigint() - floorStarted) / 1e6);
    floorCpus.push(childrenCpuMs() - floorCpuBefore);
    storms.push(await storm('keyturn token', [KEYTURN, 'token', ...keyturnHome.flags], keyturnHome.home));
  }
  const floorMs = median(floors);
  const k = {
    ...storms[0],
    wallMs: median(storms.map((r) => r.wallMs)),
    cpuMs: median(storms.map((r) => r.cpuMs)),
  };
  const everyRound = storms.every((r) => r.ok === N && r.tokens === 1 && r.requests === 1);
  const kAfter = await survives(keyturnHome.home, keyturnHome.flags);
  const n = await storm('naive client', [NAIVE], naiveHome.home);
  const nAfter = await survives(naiveHome.home, naiveHome.flags);

  console.log(
    `refresh-storm: ${N} processes at once on an expiring token, rotating refresh tokens, ` +
      `${process.version}, ${availableParallelism()} cores, ${ROUNDS} rounds (medians)`,
  );
  console.log(
    `  ${'floor'.padEnd(14)} ${N} × node -e 0 at once: wall ${floorMs.toFixed(0)} ms ` +
      `(CPU ${(median(floorCpus) / N).toFixed(0)} ms/process; rounds: ${floors.map((f) => f.toFixed(0)).join(', ')})`,
  );
  console.log(
    `${line(k, kAfter)}   (×${(k.wallMs / floorMs).toFixed(2)} of the floor; rounds: ` +
      `${storms.map((r, i) => `×${(r.wallMs / floors[i]).toFixed(2)} ${r.ok}/${N} ${r.requests} req`).join(', ')})`,
  );
  console.log(`${line(n, nAfter)}   (×${(n.wallMs / floorMs).toFixed(2)} of the floor)`);
  const pass = everyRound && k.wallMs <= 1.5 * floorMs;
  console.log(
    `  goal (keyturn: ${N}/${N}, 1 request in every round, median ≤ 1.5 × the floor): ${pass ? 'met' : 'NOT met'}`,
  );
} finally {
  await browser.close().catch(() => undefined);
  issuer.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
}
