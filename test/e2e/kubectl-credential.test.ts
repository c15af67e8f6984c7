import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { CLI } from '../helpers/cli.js';
import { startKubeApiServer, type KubeApiServer } from '../helpers/kube-apiserver.js';
import { restore, signedIn, stored, type Session } from '../helpers/signed-in.js';

/**
 * `keyturn credential kubectl` driven by the real kubectl (/usr/bin/kubectl) against a loopback HTTPS
 * stand-in of an API server that authenticates the id token as the Kubernetes OIDC authenticator does.
 * Fixed ports of this file: 18702 and 18704 (the sign-ins' loopback redirects).
 */

let issuer: RunningIssuer;
let browser: Browser;
let session: Session;
let ca: TestCa;
let apiServer: KubeApiServer;
let accessApiServer: KubeApiServer;

beforeAll(async () => {
  [issuer, browser, ca] = await Promise.all([
    startIssuer({ port: 0 }),
    launchBrowser(),
    createTestCa('kube test CA'),
  ]);
  [session, apiServer, accessApiServer] = await Promise.all([
    signedIn(browser, issuer, 18702),
    startKubeApiServer(ca, { issuer: issuer.issuer, clientId: issuer.clientId, accept: 'id' }),
    startKubeApiServer(ca, { issuer: issuer.issuer, clientId: issuer.clientId, accept: 'access' }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([apiServer?.close(), accessApiServer?.close()]);
  await issuer?.close();
  await session?.cleanup();
  await ca?.cleanup();
});

/** The kubeconfig of the README, with the exec block's API version and extra plugin arguments. */
async function kubeconfig(
  server: KubeApiServer,
  apiVersion: string,
  extraArgs: string[] = [],
): Promise<string> {
  const path = join(session.home, `kubeconfig-${apiVersion.split('/')[1]}-${extraArgs.length}`);
  const args = [CLI, 'credential', 'kubectl', ...extraArgs]
    .map((a) => `        - ${JSON.stringify(a)}`)
    .join('\n');
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: ${server.url}
      certificate-authority: ${ca.certPath}
users:
  - name: keyturn
    user:
      exec:
        apiVersion: ${apiVersion}
        command: ${JSON.stringify(process.execPath)}
        args:
${args}
        interactiveMode: Never
contexts:
  - name: test
    context: { cluster: test, user: keyturn }
current-context: test
`,
  );
  return path;
}

function kubectl(config: string, ...args: string[]) {
  return kubectlAs(session, config, ...args);
}

function kubectlAs(
  who: Session,
  config: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/kubectl',
      ['--kubeconfig', config, ...args],
      { env: { ...process.env, ...who.env, HOME: who.home } },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

describe('keyturn credential kubectl, with the real kubectl', () => {
  for (const version of ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']) {
    it(`kubectl get --raw /version authenticates with the id token (${version})`, async () => {
      const run = await kubectl(await kubeconfig(apiServer, version), 'get', '--raw', '/version');
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ gitVersion: 'v1.32.4-keyturn-stand-in' });
      expect(apiServer.requests.at(-1)).toBe('demo-user-1');
      const { id_token: idToken } = await stored(session.home);
      expect(run.stdout + run.stderr).not.toContain(idToken);
    });
  }

  it('--access-token hands over the access token instead', async () => {
    const config = await kubeconfig(accessApiServer, 'client.authentication.k8s.io/v1', ['--access-token']);
    const run = await kubectl(config, 'get', '--raw', '/version');
    expect(run.code, run.stderr).toBe(0);
    expect(accessApiServer.requests.at(-1)).toBe('access-token-user');
    // The id-token server refuses the access token: the flag is what changed the token.
    const refused = await kubectl(
      await kubeconfig(apiServer, 'client.authentication.k8s.io/v1', ['--access-token']),
      'get',
      '--raw',
      '/version',
    );
    expect(refused.code).not.toBe(0);
    expect(apiServer.requests.at(-1)).toBe(null);
  });

  it('refreshes a token that is due, and kubectl gets in with the new id token', async () => {
    const before = await stored(session.home);
    await restore(session.home, (c) => {
      // Obtained an hour ago, expiring in 5 s: due for refresh.
      c.obtained_at = Math.floor(Date.now() / 1000) - 3600;
      c.expires_at = Math.floor(Date.now() / 1000) + 5;
    });
    issuer.resetStats();
    const run = await kubectl(
      await kubeconfig(apiServer, 'client.authentication.k8s.io/v1'),
      'get',
      '--raw',
      '/version',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(issuer.stats.refreshRequests).toBe(1);
    const after = await stored(session.home);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.id_token).not.toBe(before.id_token);
  });

  it('an id token that runs out before the access token is renewed, with one refresh', async () => {
    // Tokens of a minute; the stored access token claims an hour more, its id token does not.
    const short = await startIssuer({ port: 0, accessTokenTtl: 60 });
    const shortSession = await signedIn(browser, short, 18704);
    try {
      const shortApi = await startKubeApiServer(ca, {
        issuer: short.issuer,
        clientId: short.clientId,
        accept: 'id',
      });
      try {
        await restore(shortSession.home, (c) => {
          c.obtained_at = Math.floor(Date.now() / 1000) - 3600;
          c.expires_at = Math.floor(Date.now() / 1000) + 3600;
        });
        const before = await stored(shortSession.home);
        const idExp = () =>
          JSON.parse(Buffer.from((before.id_token as string).split('.')[1] as string, 'base64url').toString())
            .exp as number;
        // Wait until the id token has less than 55 s left: due for `--min-ttl 55`; a fresh one has 60.
        while (idExp() - Date.now() / 1000 > 54) await new Promise((r) => setTimeout(r, 250));
        short.resetStats();
        const config = await kubeconfig(shortApi, 'client.authentication.k8s.io/v1', ['--min-ttl', '55']);
        const run = await kubectlAs(shortSession, config, 'get', '--raw', '/version');
        expect(run.code, run.stderr).toBe(0);
        expect(short.stats.refreshRequests).toBe(1);
        const after = await stored(shortSession.home);
        expect(after.id_token).not.toBe(before.id_token);
        expect(shortApi.requests.at(-1)).toBe('demo-user-1');
      } finally {
        await shortApi.close();
      }
    } finally {
      await shortSession.cleanup();
      await short.close();
    }
  });

  it('a sign-in that cannot give a token: kubectl fails and shows keyturn’s error and fix', async () => {
    await restore(session.home, (c) => {
      c.refresh_dead = {
        at: 1,
        code: 'refresh_rejected',
        message: 'The refresh token was revoked.',
        fix: 'Sign in again: `keyturn login`.',
      };
      c.expires_at = 1;
    });
    const run = await kubectl(
      await kubeconfig(apiServer, 'client.authentication.k8s.io/v1'),
      'get',
      '--raw',
      '/version',
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('error[refresh_rejected]: The refresh token was revoked.');
    expect(run.stderr).toContain('fix: Sign in again: `keyturn login`.');
  });
});
