import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAgent } from 'undici';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { startAuth0 } from '../providers/auth0.js';
import { startOkta } from '../providers/okta.js';
import { startKeycloak } from '../providers/keycloak.js';
import { ENTRA_HOST, ENTRA_TENANT, startEntra } from '../providers/entra.js';
import { startConnectProxy, type ConnectProxy } from '../providers/connect-proxy.js';
import type { OidcStandIn } from '../providers/oidc-engine.js';
import { providerSession, type ProviderSession } from '../providers/session.js';

/**
 * Auth0, Okta, Keycloak and Microsoft Entra as each documents its answers (test/providers/*.ts), with
 * the real CLI: device flow, browser flow, token, refresh, status, doctor. Each profile names only the
 * issuer and the client. Ports 18670-18689.
 */

const CLIENT = 'cli-client-0oa1';
const redirect = (port: number) => `http://127.0.0.1:${port}/callback`;

interface Case {
  name: string;
  port: number;
  start(): Promise<OidcStandIn>;
  /** Environment for the CLI (Entra: the proxy and the CA). */
  env?: () => Record<string, string>;
  /** What differs from the standard, proven below. */
  quirk: string;
}

let ca: TestCa;
let proxy: ConnectProxy | undefined;
let entraDispatcher: ProxyAgent | undefined;

const CASES: Case[] = [
  {
    name: 'Auth0',
    port: 18670,
    quirk: 'issuer with a trailing slash; polling answers 403 and 429; invalid_grant with 403',
    start: () =>
      startAuth0({ clientId: CLIENT, redirectUris: [redirect(18670), redirect(18671)] }, { interval: 1 }),
  },
  {
    name: 'Okta',
    port: 18672,
    quirk: 'refresh token only with offline_access; 8-letter user codes; login page by redirect',
    start: () =>
      startOkta({ clientId: CLIENT, redirectUris: [redirect(18672), redirect(18673)] }, { interval: 1 }),
  },
  {
    name: 'Keycloak',
    port: 18674,
    quirk: 'unauthorized_client with 401 for bad client credentials; iss on the authorization response',
    start: () =>
      startKeycloak({ clientId: CLIENT, redirectUris: [redirect(18674), redirect(18675)] }, { interval: 1 }),
  },
  {
    name: 'Microsoft Entra (common)',
    port: 18676,
    quirk: 'discovery issuer is the {tenantid} template; id token iss names the tenant (tid)',
    start: async () => {
      const leaf = await ca.issue([`DNS:${ENTRA_HOST}`]);
      const entra = await startEntra(
        { clientId: CLIENT, redirectUris: ['http://127.0.0.1/callback'] },
        { key: leaf.key, cert: leaf.cert },
        { interval: 1 },
      );
      proxy = await startConnectProxy({ [`${ENTRA_HOST}:443`]: entra.server.port });
      entraDispatcher = new ProxyAgent({ uri: proxy.url, requestTls: { ca: ca.pem } });
      return entra;
    },
    env: () => ({ HTTPS_PROXY: proxy?.url ?? '', SSL_CERT_FILE: ca.certPath }),
  },
];

const standIns = new Map<string, OidcStandIn>();

beforeAll(async () => {
  ca = await createTestCa('keyturn providers test CA');
  for (const c of CASES) standIns.set(c.name, await c.start());
});
afterAll(async () => {
  for (const standIn of standIns.values()) await standIn.close();
  await proxy?.close();
  await entraDispatcher?.close();
  await ca?.cleanup();
});

async function session(c: Case, port = c.port): Promise<ProviderSession> {
  const standIn = standIns.get(c.name) as OidcStandIn;
  return providerSession(
    'work',
    {
      issuer: c.name.startsWith('Microsoft') ? `https://${ENTRA_HOST}/common/v2.0` : standIn.issuer,
      client_id: CLIENT,
      redirect_uri: redirect(port),
    },
    c.env?.() ?? {},
  );
}

describe.each(CASES)('$name ($quirk)', (c) => {
  it('device flow signs in; token, status and doctor work; the refresh token rotates', async () => {
    const standIn = standIns.get(c.name) as OidcStandIn;
    const s = await session(c);
    try {
      const { login, userCode } = await s.startDevice(['--json']);
      const before = standIn.pollAnswers.length;
      for (let i = 0; i < 400 && standIn.pollAnswers.length < before + 1; i++)
        await new Promise((r) => setTimeout(r, 50));
      standIn.server.decideDevice(
        [...standIn.server.devices.values()].find((g) =>
          g.userCode.replace('-', '').startsWith(userCode.replace('-', '')),
        )?.userCode ?? userCode,
        'approved',
      );
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);
      expect(standIn.pollAnswers.slice(before)).toContain('authorization_pending');
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, email: 'alice@example.test' });

      const status = JSON.parse((await s.run(['status', '--json'])).stdout) as Record<string, unknown>;
      expect(status).toMatchObject({ signed_in: true, has_refresh_token: true, email: 'alice@example.test' });
      const first = await s.run(['token']);
      expect(first.code, first.stderr).toBe(0);
      await s.expireIn(-10);
      const second = await s.run(['token']);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).not.toBe(first.stdout);

      const { problems, stdout } = await s.doctor();
      expect(problems, stdout).toEqual([]);
    } finally {
      await s.cleanup();
    }
  });

  it('browser flow signs in through the provider’s own pages', async () => {
    const s = await session(c, c.port + 1);
    try {
      const dispatcherFor = (url: string) =>
        entraDispatcher !== undefined && new URL(url).hostname === ENTRA_HOST ? entraDispatcher : undefined;
      const { result, visit } = await s.browserLogin(['--json'], { dispatcherFor });
      expect(result.code, result.stderr).toBe(0);
      expect(visit?.body).toMatch(/Signed in/);
      const outcome = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(outcome).toMatchObject({ ok: true, email: 'alice@example.test' });
      if (c.name.startsWith('Microsoft')) {
        // The tenant's own issuer, from the template and the id token's tid.
        expect(outcome.issuer).toBe(`https://${ENTRA_HOST}/${ENTRA_TENANT}/v2.0`);
      }
      const token = await s.run(['token']);
      expect(token.code, token.stderr).toBe(0);
    } finally {
      await s.cleanup();
    }
  });

  it('a refresh token the provider no longer knows ends in error[refresh_rejected], exit 3', async () => {
    const standIn = standIns.get(c.name) as OidcStandIn;
    const s = await session(c);
    try {
      const { login, userCode } = await s.startDevice();
      standIn.server.decideDevice(
        [...standIn.server.devices.values()].find((g) =>
          g.userCode.replace('-', '').startsWith(userCode.replace('-', '')),
        )?.userCode ?? userCode,
        'approved',
      );
      expect((await login.done).code).toBe(0);
      standIn.server.refreshTokens.clear();
      await s.expireIn(-10);
      const dead = await s.run(['token', '--json']);
      expect(dead.code, dead.stderr).toBe(3);
      const { error } = JSON.parse(dead.stdout) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ code: 'refresh_rejected', oauth_error: 'invalid_grant' });
    } finally {
      await s.cleanup();
    }
  });
});
