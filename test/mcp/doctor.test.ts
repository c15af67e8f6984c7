import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { startCli, tempHome } from '../helpers/cli.js';
import { startMcpServer, type McpServerOptions, type RunningMcpServer } from '../helpers/mcp-server.js';

/**
 * `keyturn doctor --resource URL` walks the MCP discovery chain and names the step that fails.
 * MCP servers on the MCP SDK's server side, each broken in one way; the embedded issuer behind them.
 * The redirect URI is this file's own (port 18765, never listened on): doctor also checks that the
 * redirect port is free, and 1455 belongs to test/e2e/port-in-use.test.ts, which may hold it meanwhile.
 */

const REDIRECT_URI = 'http://127.0.0.1:18765/auth/callback';

interface Finding {
  code: string;
  severity: string;
  detail: string;
  evidence: Record<string, unknown>;
}

let open: RunningIssuer;
let closed: RunningIssuer;
let home: string;
let cleanup: () => Promise<void>;
const servers: RunningMcpServer[] = [];

beforeAll(async () => {
  [open, closed, { home, cleanup }] = await Promise.all([
    startIssuer({ port: 0, registration: true, resources: {} }),
    startIssuer({ port: 0, resources: {} }),
    tempHome(),
  ]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await open?.close();
  await closed?.close();
  await cleanup?.();
});

async function doctor(
  options: Omit<McpServerOptions, 'scope'>,
): Promise<{ code: number | null; findings: Finding[] }> {
  const server = await startMcpServer({ scope: 'mcp:tools', ...options });
  servers.push(server);
  const args = [
    'doctor',
    '--resource',
    server.url,
    '--redirect-uri',
    REDIRECT_URI,
    '--json',
    '--timeout',
    '5',
  ];
  const result = await startCli(args, {
    env: { KEYTURN_HOME: home, KEYTURN_STORE: 'file' },
  }).done;
  const report = JSON.parse(result.stdout) as { findings: Finding[] };
  return { code: result.code, findings: report.findings };
}

const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');

describe.concurrent('doctor --resource names the failing step of the discovery chain', () => {
  it('a healthy chain: challenge, resource metadata, authorization server metadata, registration', async () => {
    const { code, findings } = await doctor({ issuer: open.issuer });
    expect(errors(findings)).toEqual([]);
    expect(code).toBe(0);
    const ok = findings.filter((f) => f.severity === 'ok').map((f) => f.code);
    expect(ok).toEqual(
      expect.arrayContaining([
        'resource_challenge',
        'resource_metadata',
        'authorization_server_metadata',
        'registration',
      ]),
    );
  });

  it('no WWW-Authenticate and no metadata at any well-known path', async () => {
    const { findings } = await doctor({ issuer: open.issuer, bare: true });
    const challenge = findings.find((f) => f.evidence.step === 'challenge');
    expect(challenge?.code).toBe('discovery_failed');
    expect(challenge?.detail).toContain('without a `WWW-Authenticate: Bearer` challenge');
    const missing = findings.find((f) => f.evidence.step === 'resource_metadata');
    expect(missing?.severity).toBe('warning');
    expect(missing?.detail).toMatch(/oauth-protected-resource\/mcp → 404.*oauth-protected-resource → 404/);
  });

  it('authorization server metadata at no well-known path', async () => {
    const { findings } = await doctor({
      issuer: open.issuer,
      authorizationServer: `${open.issuer}/nothing-here`,
    });
    const [error] = errors(findings);
    expect(error?.code).toBe('discovery_failed');
    expect(error?.evidence.step).toBe('authorization_server_metadata');
    expect(error?.detail).toContain('/.well-known/oauth-authorization-server/nothing-here → 404');
  });

  it('an issuer that differs from the one the resource metadata names', async () => {
    const named = open.issuer.replace('127.0.0.1', 'localhost');
    const { findings } = await doctor({ issuer: open.issuer, authorizationServer: named });
    const [error] = errors(findings);
    expect(error?.code).toBe('issuer_mismatch');
    expect(error?.detail).toContain(`names the issuer "${open.issuer}"`);
  });

  it('resource metadata for another resource', async () => {
    const { findings } = await doctor({
      issuer: open.issuer,
      metadataResource: 'https://elsewhere.invalid/mcp',
    });
    expect(errors(findings).map((f) => f.code)).toEqual(['resource_mismatch']);
  });

  it('an authorization server that does not advertise PKCE S256', async () => {
    // RFC 8414 metadata without code_challenge_methods_supported: the MCP authorization spec
    // (2025-11-25, "Authorization Code Protection") says clients MUST refuse to proceed.
    const bare = createServer((req, res) => {
      const base = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
      if (req.url !== '/.well-known/oauth-authorization-server') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          response_types_supported: ['code'],
        }),
      );
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const as = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
      const { code, findings } = await doctor({ issuer: open.issuer, authorizationServer: as });
      const [error] = errors(findings);
      expect(error?.code).toBe('pkce_unsupported');
      expect(error?.evidence.step).toBe('pkce');
      expect(error?.detail).toContain('does not list S256 in code_challenge_methods_supported (null)');
      expect(code).not.toBe(0);
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it('no registration and no client configured', async () => {
    const { findings } = await doctor({ issuer: closed.issuer });
    const [error] = errors(findings);
    expect(error?.code).toBe('registration_refused');
    expect(error?.evidence.step).toBe('registration');
  });
});
