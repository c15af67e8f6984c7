import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../src/adapters/probes/host.js';
import { createTestCa, type TestCa } from '../helpers/certs.js';

let ca: TestCa;
let server: Server;
let port: number;
let osStore: string;

beforeAll(async () => {
  // A TLS-inspecting proxy's root: trusted by this (pretend) OS store, unknown to Node.
  ca = await createTestCa('Corp Inspection Root');
  const leaf = await ca.issue(['DNS:localhost']);
  server = createServer({ key: leaf.key, cert: leaf.cert }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  osStore = await mkdtemp(join(tmpdir(), 'keyturn-os-store-'));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await ca?.cleanup();
  await rm(osStore, { recursive: true, force: true });
});

const probe = (osCertDirs: string[]) =>
  probeHost(
    { url: new URL(`https://localhost:${port}`), endpoints: ['issuer'] },
    { timeoutMs: 5000, caSources: [], now: Date.now, osCertDirs },
  );

describe('the TLS probe', () => {
  it('calls a chain the OS store trusts but Node does not TLS inspection, and names the file to set', async () => {
    const file = join(osStore, 'corp-inspection-root.pem');
    await copyFile(ca.certPath, file);
    const findings = await probe([osStore]);
    const untrusted = findings.find((f) => f.severity === 'error');
    expect(untrusted?.code).toBe('tls_untrusted');
    expect(untrusted?.detail).toContain('TLS inspection');
    expect(untrusted?.fix).toBe(`export NODE_EXTRA_CA_CERTS=${file}`);
    expect(untrusted?.evidence).toMatchObject({ os_store_file: file, issuer: 'CN=Corp Inspection Root' });
  });

  it('without the CA in the OS store, says what to ask for instead', async () => {
    const findings = await probe([join(osStore, 'missing')]);
    const untrusted = findings.find((f) => f.severity === 'error');
    expect(untrusted?.code).toBe('tls_untrusted');
    expect(untrusted?.detail).not.toContain('TLS inspection');
    expect(untrusted?.fix).toContain('"CN=Corp Inspection Root"');
  });

  it('passes DNS and TCP before judging the chain', async () => {
    const findings = await probe([]);
    expect(findings.map((f) => `${f.severity} ${f.code}`)).toEqual([
      'ok dns',
      'ok connect',
      'error tls_untrusted',
    ]);
  });
});
