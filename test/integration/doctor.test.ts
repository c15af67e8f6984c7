import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { runCli, tempHome } from '../helpers/cli.js';
import { CLEAN_ENV, codes, finding, problems, runDoctor } from '../helpers/doctor.js';
import { isTokenRequest, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { freePort } from '../helpers/squid.js';

// Fixed ports of this file (range 18470-18489); 1455 belongs to test/e2e/port-in-use.test.ts.
const REDIRECT_URI = 'http://127.0.0.1:18470/auth/callback';
const HELD_PORT = 18471;
const UNREGISTERED_REDIRECT_URI = 'http://127.0.0.1:18472/not/registered';

let proxy: FaultProxy;
let issuer: RunningIssuer;
let home: string;
let cleanup: () => Promise<void>;
const discoveryPath = '/.well-known/openid-configuration';
const isDiscovery = (req: { method: string; path: string }) =>
  req.method === 'GET' && req.path === discoveryPath;

beforeAll(async () => {
  // Every endpoint of discovery goes through the fault proxy, so a test can break any one of them.
  proxy = await startFaultProxy();
  issuer = await startIssuer({ publicUrl: proxy.url });
  proxy.setTarget(`http://127.0.0.1:${issuer.port}`);
});

afterAll(async () => {
  await issuer?.close();
  await proxy?.close();
});

afterEach(async () => {
  proxy.clearRules();
  await cleanup?.();
});

async function freshHome(): Promise<string> {
  ({ home, cleanup } = await tempHome());
  return home;
}

const provider = (overrides: { issuer?: string; clientId?: string; redirectUri?: string } = {}) => [
  '--issuer',
  overrides.issuer ?? proxy.url,
  '--client-id',
  overrides.clientId ?? issuer.clientId,
  '--redirect-uri',
  overrides.redirectUri ?? REDIRECT_URI,
];

async function discoveryDocument(): Promise<Record<string, unknown>> {
  return (await (await fetch(`${proxy.url}${discoveryPath}`)).json()) as Record<string, unknown>;
}

describe('keyturn doctor against the embedded issuer', () => {
  it('finds nothing wrong with a healthy setup, and probes the token endpoint with a made-up code', async () => {
    const { code, report } = await runDoctor(provider(), { home: await freshHome() });
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.profile).toBe('default');
    expect(codes(report, 'ok')).toEqual(
      expect.arrayContaining([
        'redirect_port',
        'connect',
        'discovery',
        'clock',
        'authorization_endpoint',
        'token_endpoint',
      ]),
    );
    expect(finding(report, 'token_endpoint').evidence).toMatchObject({ oauth_error: 'invalid_grant' });
    const tokenPost = proxy.requests.find((r) => isTokenRequest('authorization_code')(r));
    expect(Object.fromEntries(new URLSearchParams(tokenPost?.body))).toMatchObject({
      client_id: issuer.clientId,
      redirect_uri: REDIRECT_URI,
      code: expect.stringMatching(/^keyturn-doctor-/),
      code_verifier: expect.stringMatching(/^[\w-]{43,128}$/),
    });
    for (const f of report.findings)
      expect(Object.keys(f).sort()).toEqual(['code', 'detail', 'evidence', 'fix', 'severity', 'title']);
  });

  it('names an unknown client (invalid_client), seen at the authorization and the token endpoint', async () => {
    const { code, report } = await runDoctor(provider({ clientId: 'no-such-client' }), {
      home: await freshHome(),
    });
    expect(codes(report)).toEqual(['invalid_client']);
    expect(code).toBe(1);
    expect(finding(report, 'invalid_client').evidence).toMatchObject({
      oauth_error: 'invalid_client',
      also_at: `${proxy.url}/token`,
    });
  });

  it('names a redirect URI the provider has not registered (redirect_uri_mismatch)', async () => {
    const { report } = await runDoctor(provider({ redirectUri: UNREGISTERED_REDIRECT_URI }), {
      home: await freshHome(),
    });
    expect(codes(report)).toEqual(['redirect_uri_mismatch']);
    expect(finding(report, 'redirect_uri_mismatch').evidence).toMatchObject({
      redirect_uri: UNREGISTERED_REDIRECT_URI,
      oauth_error: 'invalid_redirect_uri',
    });
  });

  it('names a discovery document that speaks for another issuer (issuer_mismatch)', async () => {
    const document = { ...(await discoveryDocument()), issuer: 'https://login.other-provider.invalid' };
    proxy.addRule({
      match: isDiscovery,
      respond: {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(document),
      },
    });
    const { report } = await runDoctor(provider(), { home: await freshHome() });
    expect(codes(report)).toEqual(['issuer_mismatch']);
    expect(finding(report, 'issuer_mismatch').evidence).toMatchObject({
      expected: proxy.url,
      discovered: 'https://login.other-provider.invalid',
    });
  });

  it('names an HTML 403 from the token endpoint as a block in front of OAuth (endpoint_blocked)', async () => {
    proxy.addRule({
      match: isTokenRequest(),
      respond: {
        status: 403,
        headers: { server: 'AkamaiGHost', 'content-type': 'text/html; charset=iso-8859-1' },
        body: '<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>You don\'t have permission to access "/token" on this server.<p>Reference&#32;&#35;18.2d351ab8.1700000000.5e5e5e</body></html>',
      },
    });
    const { code, report } = await runDoctor(provider(), { home: await freshHome() });
    expect(codes(report)).toEqual(['endpoint_blocked']);
    expect(code).toBe(1);
    const blocked = finding(report, 'endpoint_blocked');
    expect(blocked.evidence).toMatchObject({
      status: 403,
      server: 'AkamaiGHost',
      content_type: 'text/html; charset=iso-8859-1',
    });
    expect(blocked.evidence.body_excerpt).toContain('Access Denied');
    expect(blocked.detail).toContain('AkamaiGHost');
  });

  it('prints one line per check, the cause and the fix, without --json', async () => {
    proxy.addRule({ match: isTokenRequest(), respond: { status: 403, body: '<h1>Forbidden</h1>' } });
    const result = await runCli(['doctor', ...provider()], {
      env: { ...CLEAN_ENV, KEYTURN_HOME: await freshHome() },
    });
    expect(result.code).toBe(1);
    // The result is on stdout (`keyturn doctor | grep` works); stderr has nothing of it.
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^✗ An endpoint refused the request before OAuth saw it \[endpoint_blocked\]$/m,
    );
    expect(result.stdout).toMatch(/^ {4}fix: .*keyturn doctor --report/m);
    expect(result.stdout).toMatch(/^✓ The authorization endpoint accepts client keyturn-demo/m);
    expect(result.stdout).toMatch(/^1 error, 0 warnings, \d+ checks passed/m);
  });

  it("names a clock hours away from the provider's Date header (clock_skew)", async () => {
    const document = await discoveryDocument();
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toUTCString();
    proxy.addRule({
      match: isDiscovery,
      respond: {
        status: 200,
        headers: { 'content-type': 'application/json', date: threeHoursAgo },
        body: JSON.stringify(document),
      },
    });
    const { report } = await runDoctor(provider(), { home: await freshHome() });
    expect(codes(report)).toEqual(['clock_skew']);
    const offset = finding(report, 'clock_skew').evidence.clock_offset_seconds as number;
    expect(Math.abs(offset - 3 * 3600)).toBeLessThan(120);
  });

  it('names a host that does not resolve (dns_failed), once', async () => {
    const { report } = await runDoctor(provider({ issuer: 'https://keyturn-doctor-test.invalid' }), {
      home: await freshHome(),
    });
    expect(codes(report)).toEqual(['dns_failed']);
    expect(finding(report, 'dns_failed').evidence).toMatchObject({ host: 'keyturn-doctor-test.invalid' });
  });

  it('names a port where nothing listens (connect_failed)', async () => {
    const port = await freePort();
    const { report } = await runDoctor(provider({ issuer: `http://127.0.0.1:${port}` }), {
      home: await freshHome(),
    });
    expect(codes(report)).toEqual(['connect_failed']);
    expect(finding(report, 'connect_failed').evidence).toMatchObject({ errno: 'ECONNREFUSED', port });
  });

  it('names a server that accepts connections and never answers (connect_failed), within --timeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const { report } = await runDoctor(
        [...provider({ issuer: `http://127.0.0.1:${port}` }), '--timeout', '1'],
        {
          home: await freshHome(),
        },
      );
      expect(codes(report)).toEqual(['connect_failed']);
      expect(codes(report, 'ok')).toContain('connect');
      expect(finding(report, 'connect_failed').evidence).toMatchObject({ errno: 'TimeoutError' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('names the process holding the redirect port (port_in_use), by pid and name, never its arguments', async () => {
    // A dev server started with a secret on its command line: the shareable report must not carry it.
    const argument = '--api-key=sk-holder-argument-secret-0123456789';
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${HELD_PORT}, '127.0.0.1', () => console.log('listening'))`,
        '--',
        argument,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const home = await freshHome();
      const reportFile = join(home, 'report.md');
      const { report } = await runDoctor(
        [...provider({ redirectUri: `http://127.0.0.1:${HELD_PORT}/auth/callback` }), '--report', reportFile],
        { home },
      );
      expect(codes(report)).toEqual(['port_in_use']);
      const held = finding(report, 'port_in_use');
      expect(held.evidence).toMatchObject({ port: HELD_PORT, pid: holder.pid, process_name: 'node' });
      expect(held.detail).toContain(`pid ${holder.pid}`);
      expect(held.fix).toContain(`kill ${holder.pid}`);
      const markdown = await readFile(reportFile, 'utf8');
      expect(markdown).toContain(`pid ${holder.pid}`);
      for (const shared of [JSON.stringify(report), markdown]) {
        expect(shared).not.toContain('holder-argument-secret');
        expect(shared).not.toContain('createServer');
      }
    } finally {
      holder.kill();
    }
  });

  it('names a credential file that is not JSON (store_unreadable)', async () => {
    const dir = await freshHome();
    await writeFile(join(dir, 'auth.json'), '{"version": 1, "profiles": {', { mode: 0o600 });
    const { report } = await runDoctor(provider(), { home: dir });
    expect(codes(report)).toEqual(['store_unreadable']);
    expect(finding(report, 'store_unreadable').detail).toContain(join(dir, 'auth.json'));
  });

  it('names a world-readable credential file (store_insecure), with the chmod that fixes it', async () => {
    const dir = await freshHome();
    const file = join(dir, 'auth.json');
    await writeFile(file, JSON.stringify({ version: 1, profiles: {} }));
    await chmod(file, 0o644);
    const { report } = await runDoctor(provider(), { home: dir });
    expect(codes(report)).toEqual(['store_insecure']);
    expect(finding(report, 'store_insecure')).toMatchObject({
      evidence: { file_mode: '0644' },
      fix: expect.stringContaining(`chmod 600 ${file}`),
    });
  });

  it('writes a Markdown report holding none of the secrets of the store', async () => {
    const dir = await freshHome();
    const now = Math.floor(Date.now() / 1000);
    const secrets = {
      access_token:
        'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vLXVzZXItMSJ9.c2lnbmF0dXJlLW9mLWEtZmFrZS1hY2Nlc3MtdG9rZW4',
      refresh_token: 'rt-doctor-report-never-shows-this-0123456789',
      id_token:
        'eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImRlbW9Aa2V5dHVybi5pbnZhbGlkIn0.ZmFrZS1pZC10b2tlbi1zaWduYXR1cmU',
      api_key: 'sk-doctor-other-profile-key-abcdef123456',
    };
    await writeFile(
      join(dir, 'auth.json'),
      JSON.stringify({
        version: 1,
        profiles: {
          default: {
            kind: 'oauth',
            issuer: proxy.url,
            client_id: issuer.clientId,
            access_token: secrets.access_token,
            refresh_token: secrets.refresh_token,
            id_token: secrets.id_token,
            token_type: 'Bearer',
            expires_at: now + 3600,
            obtained_at: now,
            claims: { sub: 'demo-user-1', email: 'demo@keyturn.invalid' },
          },
          other: { kind: 'api_key', api_key: secrets.api_key, obtained_at: now },
        },
      }),
      { mode: 0o600 },
    );
    const reportFile = join(dir, 'doctor-report.md');
    const { code, report } = await runDoctor([...provider(), '--report', reportFile], { home: dir });
    expect(code).toBe(0);
    expect(finding(report, 'signed_in').title).toContain('demo@keyturn.invalid');
    const markdown = await readFile(reportFile, 'utf8');
    expect(markdown).toMatch(/^# keyturn doctor report$/m);
    expect(markdown).toContain('## Findings');
    expect(markdown).toContain(`POST | ${proxy.url}/token`);
    for (const secret of Object.values(secrets)) expect(markdown).not.toContain(secret);
    // Not even a piece of one (a JWT's payload, the middle of a refresh token).
    expect(markdown).not.toContain('never-shows-this');
    expect(markdown).not.toContain(secrets.access_token.split('.')[1]);
  });
});
