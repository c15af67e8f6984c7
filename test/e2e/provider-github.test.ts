import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHub, type GitHubStandIn } from '../providers/github.js';
import { providerSession } from '../providers/session.js';

/**
 * GitHub as documented (test/providers/github.ts): OAuth errors with HTTP 200, form-encoded answers
 * unless JSON is asked for, OAuth apps' tokens without expiry or refresh token, GitHub Apps' expiring
 * ones. The profile names GitHub's endpoints and the client; nothing else.
 */

const SECRET = 'github-client-secret-0123456789';
let oauthApp: GitHubStandIn;
let githubApp: GitHubStandIn;

beforeAll(async () => {
  oauthApp = await startGitHub({
    kind: 'oauth-app',
    interval: 1,
    client: { clientId: 'Ov23liOAuthApp', clientSecret: SECRET, redirectUris: ['http://127.0.0.1/callback'] },
  });
  githubApp = await startGitHub({
    kind: 'github-app',
    interval: 1,
    client: {
      clientId: 'Iv23liGitHubApp',
      clientSecret: SECRET,
      redirectUris: ['http://127.0.0.1/callback'],
    },
  });
});
afterAll(async () => {
  await oauthApp?.close();
  await githubApp?.close();
});

function profileOf(standIn: GitHubStandIn, clientId: string, redirectPort = 18660) {
  return {
    ...standIn.endpoints,
    client_id: clientId,
    scopes: ['read:user'],
    redirect_uri: `http://127.0.0.1:${redirectPort}/callback`,
  };
}

async function apiStatus(standIn: GitHubStandIn, token: string): Promise<number> {
  return (await fetch(`${standIn.url}/user`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('GitHub OAuth app', () => {
  it('device flow: pending answers with HTTP 200 are polled through; token, status and doctor work after', async () => {
    // The secret too: doctor probes the browser sign-in's code exchange, for which GitHub requires it.
    const session = await providerSession('github', profileOf(oauthApp, 'Ov23liOAuthApp'), {
      KEYTURN_CLIENT_SECRET: SECRET,
    });
    try {
      const { login, userCode, verificationUri } = await session.startDevice();
      expect(verificationUri).toBe(`${oauthApp.url}/login/device`);
      // Let it poll a few times unapproved: each answer is {"error":"authorization_pending"} with 200.
      await waitForPolls(oauthApp, 2);
      oauthApp.server.decideDevice(userCode, 'approved');
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);

      const token = await session.run(['token']);
      expect(token.code, token.stderr).toBe(0);
      expect(await apiStatus(oauthApp, token.stdout.trim())).toBe(200);
      // Valid until revoked: no expiry, no refresh token, and `token` never calls the token endpoint.
      const polls = oauthApp.server.tokenRequests.length;
      const again = await session.run(['token', '--min-ttl', '100000']);
      expect(again.stdout).toBe(token.stdout);
      expect(oauthApp.server.tokenRequests.length).toBe(polls);

      const status = await session.run(['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      const shown = JSON.parse(status.stdout) as Record<string, unknown>;
      expect(shown).toMatchObject({ signed_in: true, has_refresh_token: false });
      expect(status.stdout).not.toContain(token.stdout.trim());

      const { report, problems, stdout } = await session.doctor();
      expect(problems, stdout).toEqual([]);
      expect(report.findings.find((f) => f.code === 'token_endpoint')?.severity).toBe('ok');
    } finally {
      await session.cleanup();
    }
  });

  it('device flow: the user denies → error[access_denied] (sent with HTTP 200)', async () => {
    const session = await providerSession('github', profileOf(oauthApp, 'Ov23liOAuthApp'));
    try {
      const { login, userCode } = await session.startDevice();
      oauthApp.server.decideDevice(userCode, 'denied');
      const result = await login.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error\[access_denied\]/);
    } finally {
      await session.cleanup();
    }
  });

  it('browser flow with the client secret; a wrong secret is error[invalid_client], not internal', async () => {
    const session = await providerSession('github', profileOf(oauthApp, 'Ov23liOAuthApp'), {
      KEYTURN_CLIENT_SECRET: SECRET,
    });
    try {
      const { result, visit } = await session.browserLogin();
      expect(result.code, result.stderr).toBe(0);
      expect(visit?.body).toMatch(/Signed in/);
      const token = await session.run(['token']);
      expect(await apiStatus(oauthApp, token.stdout.trim())).toBe(200);

      const bad = await providerSession('github-bad', profileOf(oauthApp, 'Ov23liOAuthApp', 18661), {
        KEYTURN_CLIENT_SECRET: 'not-the-secret',
      });
      try {
        const failed = await bad.browserLogin(['--json']);
        expect(failed.result.code).toBe(1);
        const { error } = JSON.parse(failed.result.stdout) as { error: Record<string, unknown> };
        expect(error).toMatchObject({ code: 'invalid_client', oauth_error: 'incorrect_client_credentials' });
        expect(failed.result.stdout + failed.result.stderr).not.toContain('not-the-secret');
      } finally {
        await bad.cleanup();
      }
    } finally {
      await session.cleanup();
    }
  });
});

describe('GitHub App with expiring user tokens', () => {
  it('signs in, refreshes with the refresh token (form or JSON alike), and a dead refresh token says sign in again', async () => {
    const session = await providerSession('gh-app', profileOf(githubApp, 'Iv23liGitHubApp', 18662), {
      KEYTURN_CLIENT_SECRET: SECRET,
    });
    try {
      const { login, userCode } = await session.startDevice();
      githubApp.server.decideDevice(userCode, 'approved');
      expect((await login.done).code).toBe(0);
      const status = JSON.parse((await session.run(['status', '--json'])).stdout) as Record<string, unknown>;
      expect(status).toMatchObject({ has_refresh_token: true });

      const first = (await session.run(['token'])).stdout.trim();
      // Eight hours later (the token has expired): `token` refreshes first.
      await session.expireIn(-10);
      const refreshed = await session.run(['token']);
      expect(refreshed.code, refreshed.stderr).toBe(0);
      const second = refreshed.stdout.trim();
      expect(second).not.toBe(first);
      expect(await apiStatus(githubApp, second)).toBe(200);
      const refreshRequest = githubApp.server.tokenRequests.at(-1);
      expect(refreshRequest?.get('grant_type')).toBe('refresh_token');

      // GitHub forgets every refresh token (revoked app authorization): bad_refresh_token with HTTP 200.
      githubApp.server.refreshTokens.clear();
      await session.expireIn(-10);
      const dead = await session.run(['token', '--json']);
      expect(dead.code).toBe(3);
      const { error } = JSON.parse(dead.stdout) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ code: 'refresh_rejected', oauth_error: 'bad_refresh_token' });
      expect(String(error.fix)).toMatch(/keyturn login/);
    } finally {
      await session.cleanup();
    }
  });
});

async function waitForPolls(standIn: GitHubStandIn, count: number): Promise<void> {
  const start = standIn.server.tokenRequests.length;
  for (let i = 0; i < 200 && standIn.server.tokenRequests.length < start + count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
