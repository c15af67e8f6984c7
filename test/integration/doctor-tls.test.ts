import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { tempHome } from '../helpers/cli.js';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { codes, finding, problems, runDoctor } from '../helpers/doctor.js';

// This file's fixed port (range 18470-18489).
const REDIRECT_URI = 'http://127.0.0.1:18473/auth/callback';

let ca: TestCa;
let issuer: RunningIssuer;
let expired: Server;
let expiredPort: number;
let home: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  // The issuer's certificate names localhost only, and comes from a CA no store knows.
  ca = await createTestCa('keyturn doctor test CA');
  const leaf = await ca.issue(['DNS:localhost']);
  issuer = await startIssuer({ https: { key: leaf.key, cert: leaf.cert } });
  const stale = await ca.issue(['DNS:localhost'], { expired: true });
  expired = createServer({ key: stale.key, cert: stale.cert }, (_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => expired.listen(0, '127.0.0.1', resolve));
  expiredPort = (expired.address() as { port: number }).port;
});

afterAll(async () => {
  await issuer?.close();
  await new Promise((resolve) => expired?.close(resolve));
  await ca?.cleanup();
});

afterEach(async () => {
  await cleanup?.();
});

async function freshHome(): Promise<string> {
  ({ home, cleanup } = await tempHome());
  return home;
}

const provider = (issuerUrl = issuer.issuer) => [
  '--issuer',
  issuerUrl,
  '--client-id',
  issuer.clientId,
  '--redirect-uri',
  REDIRECT_URI,
];

describe('keyturn doctor and TLS', () => {
  it('names a chain from an unknown CA (tls_untrusted), naming that CA', async () => {
    const { code, report } = await runDoctor(provider(), { home: await freshHome() });
    expect(codes(report)).toEqual(['tls_untrusted']);
    expect(code).toBe(1);
    const untrusted = finding(report, 'tls_untrusted');
    expect(untrusted.evidence).toMatchObject({
      issuer: 'CN=keyturn doctor test CA',
      subject: 'CN=localhost',
    });
    expect(untrusted.detail).toContain('keyturn doctor test CA');
    expect(untrusted.fix).toContain('NODE_EXTRA_CA_CERTS');
  });

  it.each([
    ['NODE_EXTRA_CA_CERTS', (path: string) => ({ env: { NODE_EXTRA_CA_CERTS: path }, args: [] })],
    ['SSL_CERT_FILE', (path: string) => ({ env: { SSL_CERT_FILE: path }, args: [] })],
    ['ca_file', (path: string) => ({ env: {}, args: ['--ca-file', path] })],
  ])('trusts the CA added through %s, and finds nothing wrong', async (setting, how) => {
    const { env, args } = how(ca.certPath);
    const { code, report } = await runDoctor([...provider(), ...args], { home: await freshHome(), env });
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    expect(finding(report, 'tls').evidence.trusted_by).toBe(`${setting} (${ca.certPath})`);
    expect(codes(report, 'ok')).toEqual(expect.arrayContaining(['discovery', 'token_endpoint']));
  });

  it('names a certificate that does not name the host (tls_hostname_mismatch)', async () => {
    const port = new URL(issuer.issuer).port;
    const { report } = await runDoctor(provider(`https://127.0.0.1:${port}`), {
      home: await freshHome(),
      env: { NODE_EXTRA_CA_CERTS: ca.certPath },
    });
    expect(codes(report)).toEqual(['tls_hostname_mismatch']);
    expect(finding(report, 'tls_hostname_mismatch').evidence).toMatchObject({
      host: '127.0.0.1',
      subject_alt_names: 'DNS:localhost',
    });
  });

  it('names an expired certificate (tls_expired)', async () => {
    const { report } = await runDoctor(provider(`https://localhost:${expiredPort}`), {
      home: await freshHome(),
      env: { NODE_EXTRA_CA_CERTS: ca.certPath },
    });
    expect(codes(report)).toEqual(['tls_expired']);
    expect(finding(report, 'tls_expired').detail).toContain('2020');
  });

  it('names a CA file that does not exist (ca_file_invalid)', async () => {
    const missing = join(await freshHome(), 'no-such-ca.pem');
    const { code, report } = await runDoctor([...provider(), '--ca-file', missing], { home });
    expect(codes(report)).toEqual(['ca_file_invalid']);
    expect(code).toBe(1);
    expect(finding(report, 'ca_file_invalid').evidence).toMatchObject({
      setting: 'ca_file',
      path: missing,
      errno: 'ENOENT',
    });
  });

  it('names a CA variable whose file holds no PEM certificate (ca_file_invalid)', async () => {
    const notPem = join(await freshHome(), 'ca.der');
    await writeFile(notPem, 'this is not a certificate\n');
    const { report } = await runDoctor(provider(), { home, env: { SSL_CERT_FILE: notPem } });
    expect(codes(report)).toEqual(['ca_file_invalid']);
    expect(finding(report, 'ca_file_invalid').evidence).toMatchObject({
      setting: 'SSL_CERT_FILE',
      path: notPem,
    });
  });
});
