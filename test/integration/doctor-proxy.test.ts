import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { tempHome } from '../helpers/cli.js';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { codes, finding, problems, runDoctor } from '../helpers/doctor.js';
import { freePort, startSquid, type Squid } from '../helpers/squid.js';

// This file's fixed port (range 18470-18489).
const REDIRECT_URI = 'http://127.0.0.1:18474/auth/callback';
const PROVIDER = 'idp.keyturn.invalid';

let ca: TestCa;
let issuer: RunningIssuer;
let open: Squid;
let auth: Squid;
let deny: Squid;
let home: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  // A corporate-looking setup: an HTTPS provider reached only through Debian's squid, under a name
  // only squid resolves (keyturn never proxies a loopback host such as localhost).
  ca = await createTestCa('keyturn proxy test CA');
  const leaf = await ca.issue([`DNS:${PROVIDER}`]);
  const port = await freePort();
  const hosts = { [PROVIDER]: '127.0.0.1' };
  [issuer, open, auth, deny] = await Promise.all([
    startIssuer({
      port,
      https: { key: leaf.key, cert: leaf.cert },
      publicUrl: `https://${PROVIDER}:${port}`,
    }),
    startSquid('open', hosts),
    startSquid('auth', hosts),
    startSquid('deny', hosts),
  ]);
});

afterAll(async () => {
  await Promise.all([issuer?.close(), open?.close(), auth?.close(), deny?.close()]);
  await ca?.cleanup();
});

afterEach(async () => {
  await cleanup?.();
});

async function doctorThrough(proxy: string, env: Record<string, string> = {}, variable = 'HTTPS_PROXY') {
  ({ home, cleanup } = await tempHome());
  return runDoctor(
    ['--issuer', issuer.issuer, '--client-id', issuer.clientId, '--redirect-uri', REDIRECT_URI],
    {
      home,
      env: { [variable]: proxy, NODE_EXTRA_CA_CERTS: ca.certPath, ...env },
    },
  );
}

describe('keyturn doctor through a proxy (squid)', () => {
  it('finds nothing wrong through a working proxy, and the traffic goes through it', async () => {
    const { code, report } = await doctorThrough(open.url);
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    expect(finding(report, 'proxy').evidence).toMatchObject({
      proxy: open.url,
      proxy_variable: 'HTTPS_PROXY',
      proxy_status: 200,
    });
    expect(codes(report, 'ok')).toEqual(
      expect.arrayContaining(['tls', 'discovery', 'authorization_endpoint', 'token_endpoint']),
    );
    const log = await open.accessLog();
    const port = new URL(issuer.issuer).port;
    expect(log).toMatch(new RegExp(`TCP_TUNNEL/200 .* CONNECT ${PROVIDER}:${port} `));
    // The probe's own tunnel, discovery, the authorization and the token request: several tunnels.
    expect(log.match(new RegExp(`CONNECT ${PROVIDER}:${port} `, 'g'))?.length).toBeGreaterThanOrEqual(3);
  });

  it('names a proxy that asks for credentials (proxy_auth_required)', async () => {
    const { code, report } = await doctorThrough(auth.url);
    expect(codes(report)).toEqual(['proxy_auth_required']);
    expect(code).toBe(1);
    expect(finding(report, 'proxy_auth_required').evidence).toMatchObject({
      proxy: auth.url,
      proxy_status: 407,
      proxy_authenticate: expect.stringContaining('keyturn-test-proxy'),
    });
  });

  it('gets through that proxy with the credentials in the proxy URL, and never shows them', async () => {
    const { code, report } = await doctorThrough(auth.urlWithCredentials);
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    const password = new URL(auth.urlWithCredentials).password;
    expect(JSON.stringify(report)).not.toContain(password);
    expect(finding(report, 'proxy').evidence.proxy).toBe(auth.url);
  });

  it('names the variable a proxy came from in its findings (lower-case https_proxy)', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const { report } = await doctorThrough(nowhere, {}, 'https_proxy');
    const unreachable = finding(report, 'proxy_unreachable');
    expect(unreachable.detail).toContain('(from https_proxy)');
    expect(unreachable.evidence.proxy_variable).toBe('https_proxy');
  });

  it('does not send HTTPS through HTTP_PROXY: with only HTTP_PROXY set, the provider is reached directly', async () => {
    const seen = (await open.accessLog()).length;
    const { report } = await doctorThrough(open.url, {}, 'HTTP_PROXY');
    // Directly, the name only squid knows does not resolve: proof the probe did not take the proxy.
    expect(codes(report)).toEqual(['dns_failed']);
    expect((await open.accessLog()).slice(seen)).not.toContain(`CONNECT ${PROVIDER}`);
  });

  it('names a proxy that refuses the CONNECT (proxy_denied)', async () => {
    const { report } = await doctorThrough(deny.url);
    expect(codes(report)).toEqual(['proxy_denied']);
    expect(finding(report, 'proxy_denied').evidence).toMatchObject({ proxy: deny.url, proxy_status: 403 });
  });

  it('names a proxy address where nothing listens (proxy_unreachable)', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const { report } = await doctorThrough(nowhere);
    expect(codes(report)).toEqual(['proxy_unreachable']);
    const unreachable = finding(report, 'proxy_unreachable');
    expect(unreachable.evidence).toMatchObject({ proxy: nowhere, errno: 'ECONNREFUSED' });
    expect(unreachable.detail).toContain('(from HTTPS_PROXY)');
  });

  it('goes around the proxy for the hosts in NO_PROXY (lower case too), as curl does', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    // Directly, this machine cannot resolve the name only squid knows: the probe says so, not "proxy".
    const { report } = await doctorThrough(nowhere, { no_proxy: `example.invalid,.keyturn.invalid` });
    expect(codes(report)).toEqual(['dns_failed']);
    expect(finding(report, 'dns_failed').evidence).toMatchObject({ host: PROVIDER });
    expect(JSON.stringify(report)).not.toContain(nowhere);
  });

  it('never sends a loopback provider through the proxy, whatever NO_PROXY says', async () => {
    const direct = await startIssuer({});
    try {
      ({ home, cleanup } = await tempHome());
      const { report } = await runDoctor(
        ['--issuer', direct.issuer, '--client-id', direct.clientId, '--redirect-uri', REDIRECT_URI],
        { home, env: { HTTP_PROXY: open.url, HTTPS_PROXY: open.url } },
      );
      expect(problems(report)).toEqual([]);
      expect(codes(report, 'ok')).toContain('connect');
      expect(codes(report, 'ok')).not.toContain('proxy');
      expect(await open.accessLog()).not.toContain(`:${new URL(direct.issuer).port} `);
    } finally {
      await direct.close();
    }
  });
});
