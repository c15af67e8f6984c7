import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { createClient } from '../../src/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { startCli, tempHome, URL_LINE, type CliResult } from '../helpers/cli.js';
import { startMcpServer, type RunningMcpServer } from '../helpers/mcp-server.js';

/**
 * An MCP server on the MCP SDK's server side with bearer auth, and the embedded issuer with dynamic
 * registration and resource indicators: `keyturn login --resource URL` from the URL alone (real
 * Chromium at the consent page), `token --resource`, a tool call through the SDK's client with
 * `client.fetch`, expiry and refresh, 32 processes at once. Fixed port of this file: 18760.
 */

const REDIRECT_URI = 'http://127.0.0.1:18760/auth/callback';
const SCOPE = 'mcp:tools';

let issuer: RunningIssuer;
let mcp: RunningMcpServer;
let browser: Browser;
let home: string;
let cleanup: () => Promise<void>;
const resources: Record<string, { scope: string }> = {};
const runs: CliResult[] = [];

beforeAll(async () => {
  [issuer, browser, { home, cleanup }] = await Promise.all([
    startIssuer({ port: 0, registration: true, resources }),
    launchBrowser(),
    tempHome(),
  ]);
  mcp = await startMcpServer({ issuer: issuer.issuer, scope: SCOPE });
  resources[mcp.url] = { scope: SCOPE };
});

afterAll(async () => {
  await mcp?.close();
  await browser?.close();
  await issuer?.close();
  await cleanup?.();
});

const env = () => ({ KEYTURN_HOME: home, KEYTURN_STORE: 'file' });

async function cli(args: string[]): Promise<CliResult> {
  const result = await startCli(args, { env: env() }).done;
  runs.push(result);
  return result;
}

async function stored(): Promise<Record<string, unknown>> {
  const doc = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
    profiles: Record<string, Record<string, unknown>>;
  };
  const credentials = doc.profiles[`default@${mcp.url}`];
  if (credentials === undefined)
    throw new Error(`no sign-in for ${mcp.url}: ${Object.keys(doc.profiles).join(', ')}`);
  return credentials;
}

/** Moves the stored access token's expiry into the past, as time passing would. */
async function expireStoredToken(): Promise<void> {
  const path = join(home, 'auth.json');
  const doc = JSON.parse(await readFile(path, 'utf8')) as {
    profiles: Record<string, Record<string, unknown>>;
  };
  const credentials = doc.profiles[`default@${mcp.url}`] as Record<string, unknown>;
  credentials.expires_at = Math.floor(Date.now() / 1000) - 30;
  await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
}

describe.sequential('signing in to an MCP server from its URL alone', () => {
  it('login --resource discovers the server, registers keyturn and signs in with resource and PKCE', async () => {
    const login = startCli(['login', '--resource', mcp.url, '--redirect-uri', REDIRECT_URI, '--no-open'], {
      env: env(),
    });
    const [, url] = await login.waitForStderr(URL_LINE, 30_000);
    const authorizationUrl = new URL(url as string);
    expect(authorizationUrl.origin).toBe(issuer.issuer);
    expect(authorizationUrl.searchParams.get('resource')).toBe(mcp.url);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('scope')?.split(' ')).toEqual([SCOPE, 'offline_access']);
    const page = await signInInBrowser(browser, url as string);
    expect(page.bodyText).toContain('Signed in');
    const result = await login.done;
    runs.push(result);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Signed in to ${mcp.url}`);

    const credentials = await stored();
    const binding = credentials.mcp as Record<string, unknown>;
    expect(binding.client_source).toBe('registered');
    expect(binding.resource).toBe(mcp.url);
    expect((binding.server as { issuer: string }).issuer).toBe(issuer.issuer);
    expect(credentials.refresh_token).toEqual(expect.any(String));
  });

  it('token --resource prints an access token for that server only (audience = the resource)', async () => {
    const result = await cli(['token', '--resource', mcp.url]);
    expect(result.code, result.stderr).toBe(0);
    const claims = decodeJwt(result.stdout.trim());
    expect(claims.aud).toBe(mcp.url);
    expect(String(claims.scope).split(' ')).toContain(SCOPE);
  });

  it('the MCP SDK client calls a tool with client.fetch as its transport fetch', async () => {
    const keyturn = createClient({
      home,
      resource: mcp.url,
      env: { ...process.env, ...env(), BROWSER: 'none' },
    });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { fetch: keyturn.fetch });
    await client.connect(transport);
    const answer = await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    expect(answer.content).toEqual([{ type: 'text', text: 'hello demo-user-1' }]);
    expect(mcp.calls.at(-1)).toEqual({ subject: 'demo-user-1', scopes: expect.arrayContaining([SCOPE]) });
  });

  it('an expired token is refreshed for the same resource, and the refreshed one works', async () => {
    const before = (await stored()).access_token;
    const refreshes = issuer.stats.refreshRequests;
    await expireStoredToken();
    const result = await cli(['token', '--resource', mcp.url]);
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(token).not.toBe(before);
    expect(issuer.stats.refreshRequests).toBe(refreshes + 1);
    expect(decodeJwt(token).aud).toBe(mcp.url);
    const response = await fetch(mcp.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(200);
  });

  it('32 processes asking at once after expiry share one refresh', async () => {
    await expireStoredToken();
    const refreshes = issuer.stats.refreshRequests;
    const results = await Promise.all(
      Array.from({ length: 32 }, () => cli(['token', '--resource', mcp.url])),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(new Set(results.map((r) => r.stdout.trim())).size).toBe(1);
    expect(issuer.stats.refreshRequests).toBe(refreshes + 1);
  });

  it("status --resource reports that server's sign-in, not the profile's own (which has none)", async () => {
    const result = await cli(['status', '--resource', mcp.url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    const credentials = await stored();
    expect(report).toMatchObject({
      signed_in: true,
      kind: 'oauth',
      issuer: issuer.issuer,
      client_id: credentials.client_id,
      expires_at: credentials.expires_at,
      has_refresh_token: true,
    });
    const plain = await cli(['status']);
    expect(plain.code).not.toBe(0);
  });

  it('no run printed a token, a refresh token or the client registration', async () => {
    const credentials = await stored();
    const secrets = [credentials.refresh_token, credentials.access_token].filter(
      (s): s is string => typeof s === 'string',
    );
    for (const run of runs) for (const secret of secrets) expect(run.stderr).not.toContain(secret);
  });
  it("logout --resource revokes and removes that server's sign-in; token --resource then says so", async () => {
    const revocations = issuer.stats.revocations;
    const result = await cli(['logout', '--resource', mcp.url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    // oidc-provider revokes the refresh token, and says unsupported_token_type for the access token
    // (a JWT for the resource, RFC 7009 §2.2.1): not a failure, said as such.
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      revocation: 'done',
      revoked: ['refresh_token'],
      removed: true,
    });
    expect(result.stderr).toContain('does not revoke this kind of access token (unsupported_token_type)');
    expect(result.stderr).not.toContain('warning');
    await expect(stored()).rejects.toThrow(/no sign-in/);
    // Revoked at the authorization server the sign-in was made with.
    expect(issuer.stats.revocations).toBe(revocations + 1);
    const after = await cli(['token', '--resource', mcp.url]);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain(`Not signed in to ${mcp.url}`);
    const again = await cli(['logout', '--resource', mcp.url]);
    expect(again.code).toBe(0);
  });
});
