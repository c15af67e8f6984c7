/**
 * `keyturn doctor --codex` end to end: the real CLI against CODEX_HOME folders written as OpenAI's
 * Codex CLI writes them and a stand-in of auth.openai.com (test/providers/openai.ts). Each scene runs
 * in its own network namespace (test/helpers/codex-scene.ts), because Codex's callback ports 1455
 * and 1457 are fixed.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, Finding } from '../../src/core/diagnosis.js';
import { createTestCa, type IssuedCert, type TestCa } from '../helpers/certs.js';
import { writeCodexHome, type CodexHome, type CodexHomeOptions } from '../helpers/codex-home.js';
import { cleanupScenes, runCodexScene, type CodexScene } from '../helpers/codex-scene.js';
import { CODEX_CLIENT_ID } from '../providers/openai.js';
import { runCli, tempHome } from '../helpers/cli.js';

// Ports of this file: 18720-18739 (the dead proxy); 1455/1457 only inside the scenes' namespaces.
const DEAD_PROXY = 'http://127.0.0.1:18721';

let ca: TestCa;
let leaf: IssuedCert;
const homes: CodexHome[] = [];
let reports: string;

beforeAll(async () => {
  // A corporate proxy's "inspection" CA, which no public root store holds.
  ca = await createTestCa('Corp TLS Inspection CA');
  leaf = await ca.issue(['DNS:localhost', 'IP:127.0.0.1']);
  reports = await mkdtemp(join(tmpdir(), 'kt-codex-reports-'));
});

afterEach(async () => {
  await Promise.all(homes.splice(0).map((h) => h.cleanup()));
});

afterAll(async () => {
  await ca?.cleanup();
  await cleanupScenes();
  await rm(reports, { recursive: true, force: true });
});

async function codexHome(options: CodexHomeOptions = {}): Promise<CodexHome> {
  const home = await writeCodexHome(options);
  homes.push(home);
  return home;
}

interface Run {
  code: number | null;
  report: DoctorReport;
  stdout: string;
  stderr: string;
  markdown: string;
  ms: number;
  requests: { method: string; path: string; body: string }[];
}

/** Runs the scene with --json and again with --report, as a user attaching it to a ticket would. */
async function doctor(
  home: CodexHome,
  scene: Omit<CodexScene, 'cli' | 'env'> & { env?: CodexScene['env'] } = {},
): Promise<Run> {
  const reportFile = join(reports, `report-${Math.random().toString(36).slice(2)}.md`);
  const env = { CODEX_HOME: home.home, ...scene.env };
  const json = await runCodexScene({ ...scene, env, args: ['--json', '--report', reportFile] });
  if (json.report === undefined)
    throw new Error(`no JSON (exit ${json.code}):\n${json.stdout}\n${json.stderr}`);
  const markdown = await readFile(reportFile, 'utf8');
  return { ...json, report: json.report, markdown };
}

const problems = (report: DoctorReport) =>
  report.findings
    .filter((f) => f.severity === 'error' || f.severity === 'warning')
    .map((f) => `${f.severity} ${f.code}: ${f.detail}`);
const find = (report: DoctorReport, code: string, severity?: Finding['severity']): Finding => {
  const found = report.findings.find(
    (f) => f.code === code && (severity === undefined || f.severity === severity),
  );
  if (found === undefined) throw new Error(`no ${code} finding in ${JSON.stringify(report, null, 2)}`);
  return found;
};

/** No token or key of that CLI's auth.json in anything the doctor wrote. */
function expectNoSecret(home: CodexHome, run: Run): void {
  expect(home.secrets.length).toBeGreaterThan(0);
  for (const secret of home.secrets) {
    for (const [where, text] of Object.entries({
      stdout: run.stdout,
      stderr: run.stderr,
      report: run.markdown,
    })) {
      expect(text.includes(secret), `a secret of auth.json in ${where}`).toBe(false);
    }
  }
}

describe('keyturn doctor --codex, a healthy setup', () => {
  it('finds nothing wrong with a ChatGPT sign-in, probes the token endpoint as that CLI, and changes nothing', async () => {
    const home = await codexHome();
    const before = { text: await readFile(home.authPath, 'utf8'), stat: await stat(home.authPath) };
    const run = await doctor(home);
    expect(problems(run.report)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.report).toMatchObject({ ok: true, profile: 'codex' });
    expect(find(run.report, 'signed_in', 'ok')).toMatchObject({
      title: expect.stringMatching(
        /ChatGPT as dev@example.com \(plus\); the access token is valid for 9 days/,
      ),
      evidence: { mode: 'chatgpt' },
    });
    expect(find(run.report, 'token_endpoint', 'ok').evidence).toMatchObject({
      oauth_error: 'invalid_grant',
      client_id: CODEX_CLIENT_ID,
    });
    expect(run.report.findings.filter((f) => f.code === 'redirect_port').map((f) => f.evidence.port)).toEqual(
      [1455, 1457],
    );
    // The token endpoint saw what that CLI sends: its client, its redirect URI, a made-up code.
    const post = run.requests.find((r) => r.method === 'POST' && r.path === '/oauth/token');
    expect(Object.fromEntries(new URLSearchParams(post?.body))).toMatchObject({
      grant_type: 'authorization_code',
      client_id: CODEX_CLIENT_ID,
      redirect_uri: 'http://localhost:1455/auth/callback',
      code: expect.stringMatching(/^keyturn-doctor-/),
    });
    expectNoSecret(home, run);
    expect(run.markdown).toMatch(/\| codex_home \| .*kt-codex-home-/);
    expect(await readFile(home.authPath, 'utf8')).toBe(before.text);
    const after = await stat(home.authPath);
    expect([after.mode, after.mtimeMs]).toEqual([before.stat.mode, before.stat.mtimeMs]);
  });

  it('names an API-key sign-in, and never prints the key', async () => {
    const home = await codexHome({ mode: 'api_key' });
    const run = await doctor(home);
    expect(problems(run.report)).toEqual([]);
    expect(find(run.report, 'signed_in', 'ok')).toMatchObject({ title: expect.stringMatching(/API key/) });
    expectNoSecret(home, run);
  });

  it('trusts the inspection CA named by CODEX_CA_CERTIFICATE, as that CLI does', async () => {
    const home = await codexHome();
    const run = await doctor(home, { tls: leaf, env: { CODEX_CA_CERTIFICATE: ca.certPath } });
    expect(problems(run.report)).toEqual([]);
    expect(find(run.report, 'tls', 'ok').evidence).toMatchObject({
      trusted_by: expect.stringMatching(/CODEX_CA_CERTIFICATE/),
    });
  });
});

describe("keyturn doctor --codex names what is wrong, in that CLI's words", () => {
  it('auth.json readable by others: store_insecure, chmod 600', async () => {
    const home = await codexHome({ fileMode: 0o644 });
    const run = await doctor(home);
    expect(run.code).toBe(1);
    expect(problems(run.report)).toEqual([
      expect.stringMatching(/^error store_insecure: .*auth\.json has mode 0644/),
    ]);
    expect(find(run.report, 'store_insecure').fix).toContain(`chmod 600 ${home.authPath}`);
    expectNoSecret(home, run);
  });

  it('a truncated auth.json: store_unreadable naming the file, fixed with codex logout then codex login', async () => {
    const home = await codexHome({ truncated: true });
    const run = await doctor(home);
    expect(problems(run.report)).toEqual([
      expect.stringMatching(/^error store_unreadable: .*auth\.json is not valid JSON/),
    ]);
    const finding = find(run.report, 'store_unreadable');
    expect(finding.detail).toContain(home.authPath);
    expect(finding.fix).toMatch(/`codex logout`.*`codex login`/);
    // Half the file holds some of the tokens: none of them, whole or in part, is printed.
    expectNoSecret(home, run);
    expect(run.stdout + run.markdown).not.toMatch(/eyJ[\w-]{20}/);
  });

  it('a dead proxy in $CODEX_HOME/.env: proxy_unreachable, named with the file; a CODEX_ variable there is ignored', async () => {
    const home = await codexHome({
      dotEnv: `# set by an old VPN client\nHTTPS_PROXY=${DEAD_PROXY}\nCODEX_CA_CERTIFICATE=/etc/corp/ca.pem\n`,
    });
    const run = await doctor(home, { issuer: 'https://auth.openai.invalid' });
    const finding = find(run.report, 'proxy_unreachable');
    expect(finding.severity).toBe('error');
    expect(finding.detail).toContain(`HTTPS_PROXY is set in ${home.home}/.env`);
    expect(finding.fix).toContain(`\`HTTPS_PROXY=…\` in ${home.home}/.env`);
    expect(find(run.report, 'proxy', 'info').title).toContain(`${home.home}/.env sets HTTPS_PROXY`);
    // That CLI takes no CODEX_* variable from its .env: the doctor says so rather than trusting it.
    expect(find(run.report, 'ca_files', 'info').title).toMatch(
      /sets CODEX_CA_CERTIFICATE, which that CLI ignores there/,
    );
    expect(run.report.findings.some((f) => f.code === 'ca_file_invalid')).toBe(false);
  });

  it('TLS inspection by a CA that CLI does not trust: tls_untrusted naming the CA, fixed with CODEX_CA_CERTIFICATE', async () => {
    const home = await codexHome();
    const run = await doctor(home, { tls: leaf });
    const finding = find(run.report, 'tls_untrusted');
    expect(finding.detail).toContain('Corp TLS Inspection CA');
    expect(finding.fix).toMatch(/export CODEX_CA_CERTIFICATE=/);
    expect(finding.fix).not.toMatch(/NODE_EXTRA_CA_CERTS|keyturn/);
  });

  it('NODE_EXTRA_CA_CERTS holding that CA does not help: that CLI never reads it, and neither does the check', async () => {
    const home = await codexHome();
    const run = await doctor(home, { tls: leaf, env: { NODE_EXTRA_CA_CERTS: ca.certPath } });
    expect(find(run.report, 'tls_untrusted').fix).toMatch(/export CODEX_CA_CERTIFICATE=/);
  });

  it('a CODEX_CA_CERTIFICATE that names no file: ca_file_invalid', async () => {
    const home = await codexHome();
    const run = await doctor(home, { env: { CODEX_CA_CERTIFICATE: '/nonexistent/corp.pem' } });
    expect(find(run.report, 'ca_file_invalid').detail).toContain(
      'CODEX_CA_CERTIFICATE=/nonexistent/corp.pem',
    );
  });

  it("a Cloudflare challenge at the token endpoint: endpoint_blocked, said as such, with that CLI's way out", async () => {
    const home = await codexHome();
    const run = await doctor(home, { block: 'cloudflare-token' });
    expect(problems(run.report)).toEqual([
      expect.stringMatching(
        /^error endpoint_blocked: .*Cloudflare challenge page \(cf-mitigated: challenge\)/,
      ),
    ]);
    const finding = find(run.report, 'endpoint_blocked');
    expect(finding.evidence).toMatchObject({ cf_mitigated: 'challenge', status: 403, server: 'cloudflare' });
    expect(finding.fix).toMatch(/codex login --with-api-key/);
  });

  it('a Cloudflare challenge on every request is named at discovery already', async () => {
    const home = await codexHome();
    const run = await doctor(home, { block: 'cloudflare' });
    expect(find(run.report, 'endpoint_blocked').evidence).toMatchObject({
      cf_mitigated: 'challenge',
      phase: 'discovery',
    });
  });

  it("OpenAI's region block: endpoint_blocked, naming the region", async () => {
    const home = await codexHome();
    const run = await doctor(home, { block: 'region' });
    const finding = find(run.report, 'endpoint_blocked');
    expect(finding.detail).toMatch(/does not serve the country or region/);
    expect(finding.evidence).toMatchObject({ region_block: 'unsupported_country_region_territory' });
  });

  it("wslrelay.exe on 1455: port_in_use naming it, fixed with the IDE's WSL setting; 1457 still free", async () => {
    const home = await codexHome();
    const run = await doctor(home, { holders: [{ name: 'wslrelay.exe', port: 1455 }] });
    expect(problems(run.report)).toEqual([
      expect.stringMatching(/^warning port_in_use: Port 1455 .* wslrelay\.exe \(pid \d+\)/),
    ]);
    const finding = find(run.report, 'port_in_use');
    expect(finding.evidence).toMatchObject({ port: 1455, process_name: 'wslrelay.exe' });
    expect(finding.fix).toContain('"Run Codex In Windows Subsystem For Linux"');
    expect(run.code).toBe(0);
  });

  it('1455 held by another codex login and 1457 by something else: errors, each with its holder', async () => {
    const home = await codexHome();
    const run = await doctor(home, {
      holders: [
        { name: 'codex', port: 1455 },
        { name: 'python3', port: 1457 },
      ],
    });
    expect(run.code).toBe(1);
    const held = run.report.findings.filter((f) => f.code === 'port_in_use');
    expect(held.map((f) => [f.severity, f.evidence.port, f.evidence.process_name])).toEqual([
      ['error', 1455, 'codex'],
      ['error', 1457, 'python3'],
    ]);
    expect(held[0]?.fix).toMatch(/new `codex login` asks it to cancel/);
  });

  it('config.toml forcing API-key sign-in over a ChatGPT sign-in: config_invalid', async () => {
    const home = await codexHome({
      configToml: 'forced_login_method = "api"\ncli_auth_credentials_store = "file"\n',
    });
    const run = await doctor(home);
    expect(problems(run.report)).toEqual([
      expect.stringMatching(/^error config_invalid: .*forced_login_method = "api"/),
    ]);
  });
});

describe('keyturn doctor --codex with the flags of a keyturn profile', () => {
  it('refuses them (exit 2) instead of diagnosing something else than asked', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const result = await runCli(['doctor', '--codex', '--profile', 'work', '--client-id', 'x'], {
        env: { KEYTURN_HOME: home, CODEX_HOME: home },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^error\[usage\]: --profile, --client-id do not apply to `doctor --codex`/m,
      );
      expect(result.stderr).toMatch(/^fix: Leave out --profile, --client-id;/m);
    } finally {
      await cleanup();
    }
  });
});
