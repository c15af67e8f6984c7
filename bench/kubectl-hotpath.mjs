// bench/kubectl-hotpath: `keyturn credential kubectl` (kubectl runs it before its requests) with a valid
// cached id token against `node -e 0`, run alternately in one session, like bench/token-hotpath; also
// `credential kubectl --access-token` and `keyturn token` for comparison. Goal: ratio ≤ 1.15.
// Usage: node bench/kubectl-hotpath.mjs [--runs 20]
import { Buffer } from 'node:buffer';
import { rmSync } from 'node:fs';
import { KEYTURN, alternate, arg, cachedSignInHome, median, peakRss } from './lib/measure.mjs';

const runs = Number(arg('runs', '100'));
const now = Math.floor(Date.now() / 1000);
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
// Only the id token's `exp` is read on this path: a made-up signature does not matter here.
const idToken = `${part({ alg: 'RS256' })}.${part({ iss: 'https://id.example.invalid', aud: 'bench', sub: 'bench-user', exp: now + 3600, iat: now })}.c2ln`;
const home = cachedSignInHome('keyturn-bench-kubectl-', { id_token: idToken });
const env = {
  ...process.env,
  KEYTURN_HOME: home,
  NO_COLOR: '1',
  // What kubectl sets for an exec block of apiVersion client.authentication.k8s.io/v1.
  KUBERNETES_EXEC_INFO: JSON.stringify({
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1',
    spec: { interactive: false },
  }),
};

try {
  const commands = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'credential kubectl', args: [KEYTURN, 'credential', 'kubectl'] },
    { name: '… --access-token', args: [KEYTURN, 'credential', 'kubectl', '--access-token'] },
    { name: 'keyturn token', args: [KEYTURN, 'token'] },
  ];
  const { times, cpu } = alternate(commands, runs, env);
  const base = median(times[0]);
  const rss = commands.map((c) => median([0, 1, 2].map(() => peakRss(c.args, env))));
  console.log(`kubectl-hotpath: ${runs} runs each, alternating, on ${process.version}`);
  commands.forEach((c, k) => {
    const m = median(times[k]);
    console.log(
      `  ${c.name.padEnd(20)} median ${m.toFixed(1).padStart(6)} ms  (×${(m / base).toFixed(2)})   CPU ${cpu[k].toFixed(1)} ms (×${(cpu[k] / cpu[0]).toFixed(2)})   peak RSS ${rss[k].toFixed(1)} MiB (×${(rss[k] / rss[0]).toFixed(2)})`,
    );
  });
  const ratio = median(times[1]) / base;
  console.log(
    `  credential kubectl/node time ratio ${ratio.toFixed(3)} (goal ≤ 1.15)  RSS ratio ${(rss[1] / rss[0]).toFixed(3)}`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
