import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestCa } from '../helpers/certs.js';

describe("the tests' own CA (test/helpers/certs.ts)", () => {
  it('issues several leaves asked for at once, each signed by it with its own serial', async () => {
    const ca = await createTestCa('concurrent test CA');
    try {
      const leaves = await Promise.all(
        Array.from({ length: 12 }, (_, i) => ca.issue([`DNS:leaf${i}.localhost`])),
      );
      const authority = new X509Certificate(ca.pem);
      const serials = new Set<string>();
      for (const [i, leaf] of leaves.entries()) {
        const cert = new X509Certificate(leaf.cert);
        expect(cert.subjectAltName).toBe(`DNS:leaf${i}.localhost`);
        expect(cert.verify(authority.publicKey)).toBe(true);
        serials.add(cert.serialNumber);
      }
      expect(serials.size).toBe(12);
    } finally {
      await ca.cleanup();
    }
  });
});
