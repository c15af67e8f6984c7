import { describe, expect, it } from 'vitest';
import type { NetworkFacts } from '../../src/core/classify.js';
import type { Finding } from '../../src/core/diagnosis.js';
import { tlsFinding, type CertFacts, type TlsFacts } from '../../src/core/tls.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const cert = (subject: string, issuer: string, from: string, to: string): CertFacts => ({
  subject,
  issuer,
  valid_from: from,
  valid_to: to,
  fingerprint256: 'AA:BB',
});
const LEAF = cert('CN=id.example', 'CN=Intermediate CA', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
const INTERMEDIATE = cert('CN=Intermediate CA', 'CN=Root CA', '2025-01-01T00:00:00Z', '2030-01-01T00:00:00Z');

/** The failure as the doctor would build it: what tlsFinding says, kept as it was said. */
function judge(tls: Partial<TlsFacts>) {
  const said: { network: NetworkFacts; message: string; fix?: string; evidence?: Record<string, unknown> }[] =
    [];
  const fail = (
    network: NetworkFacts,
    message: string,
    fix?: string,
    evidence?: Record<string, unknown>,
  ): Finding => {
    said.push({
      network,
      message,
      ...(fix === undefined ? {} : { fix }),
      ...(evidence === undefined ? {} : { evidence }),
    });
    return {
      code: 'tls_untrusted',
      severity: 'error',
      title: 'failed',
      detail: message,
      fix: fix ?? null,
      evidence: evidence ?? {},
    };
  };
  const finding = tlsFinding(
    { protocol: 'TLSv1.3', chain: [LEAF, INTERMEDIATE], ...tls },
    'the issuer',
    'id.example',
    { host: 'id.example', port: 443 },
    fail,
    NOW,
  );
  return { finding, failure: said[0] };
}

const CHAIN_EVIDENCE = {
  protocol: 'TLSv1.3',
  subject: 'CN=id.example',
  issuer: 'CN=Root CA',
  chain: [
    {
      subject: 'CN=id.example',
      issuer: 'CN=Intermediate CA',
      valid_from: LEAF.valid_from,
      valid_to: LEAF.valid_to,
    },
    {
      subject: 'CN=Intermediate CA',
      issuer: 'CN=Root CA',
      valid_from: INTERMEDIATE.valid_from,
      valid_to: INTERMEDIATE.valid_to,
    },
  ],
};

describe('what a TLS handshake means for the doctor', () => {
  it('a trusted chain naming the host passes, saying who issued it, until when, and which store trusts it', () => {
    const { finding, failure } = judge({ trustedBy: "Node's roots" });
    expect(failure).toBeUndefined();
    expect(finding).toEqual({
      code: 'tls',
      severity: 'ok',
      title: `the issuer presents a valid certificate for id.example (CN=id.example, issued by CN=Intermediate CA, until ${LEAF.valid_to}), trusted by Node's roots`,
      detail: '',
      fix: null,
      evidence: { host: 'id.example', port: 443, ...CHAIN_EVIDENCE, trusted_by: "Node's roots" },
    });
  });

  it('an expired certificate in the chain is named, not the leaf, with this machine’s clock', () => {
    const expired = cert('CN=Intermediate CA', 'CN=Root CA', '2020-01-01T00:00:00Z', '2026-05-31T00:00:00Z');
    const { failure } = judge({ chain: [LEAF, expired], authorizationError: 'CERT_HAS_EXPIRED' });
    expect(failure?.network).toEqual({ code: 'CERT_HAS_EXPIRED' });
    expect(failure?.message).toBe(
      `The certificate "CN=Intermediate CA" presented by the issuer is valid from 2020-01-01T00:00:00Z to 2026-05-31T00:00:00Z, and this machine's clock says ${new Date(NOW).toUTCString()}.`,
    );
    expect(failure?.fix).toBeUndefined();
    expect(failure?.evidence).toMatchObject({
      authorization_error: 'CERT_HAS_EXPIRED',
      issuer: 'CN=Root CA',
    });
  });

  it('a certificate not yet valid is named too', () => {
    const early = cert('CN=id.example', 'CN=Intermediate CA', '2026-07-01T00:00:00Z', '2027-07-01T00:00:00Z');
    const { failure } = judge({ chain: [INTERMEDIATE, early], authorizationError: 'CERT_NOT_YET_VALID' });
    expect(failure?.message).toContain('"CN=id.example"');
  });

  it('when no certificate is out of its dates by this clock, the leaf is named', () => {
    const { failure } = judge({ authorizationError: 'CERT_HAS_EXPIRED' });
    expect(failure?.message).toContain('The certificate "CN=id.example"');
  });

  it('an untrusted chain names its anchor and asks for NODE_EXTRA_CA_CERTS, never to disable verification', () => {
    const { failure } = judge({ authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(failure?.network).toEqual({ code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(failure?.message).toBe(
      'The certificate chain presented by the issuer (CN=id.example) ends at "CN=Root CA", a CA that neither Node\'s roots nor NODE_EXTRA_CA_CERTS / SSL_CERT_FILE / ca_file hold (SELF_SIGNED_CERT_IN_CHAIN).',
    );
    expect(failure?.fix).toContain('get the certificate of "CN=Root CA"');
    expect(failure?.fix).toContain('Never disable verification.');
    expect(failure?.evidence).toEqual({
      ...CHAIN_EVIDENCE,
      authorization_error: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });

  it('an untrusted chain the OS store trusts is TLS inspection, and the fix names that file', () => {
    const { failure } = judge({
      authorizationError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      osStoreFile: '/etc/ssl/certs/ca-certificates.crt',
    });
    expect(failure?.message).toContain(
      "This machine's OS store trusts that CA (/etc/ssl/certs/ca-certificates.crt) but Node does not: TLS inspection",
    );
    expect(failure?.fix).toBe('export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt');
    expect(failure?.evidence).toMatchObject({ os_store_file: '/etc/ssl/certs/ca-certificates.crt' });
  });

  it('a certificate for another host names the names it carries', () => {
    const { failure } = judge({ hostnameError: 'does not match', altNames: 'DNS:portal.example' });
    expect(failure?.network).toEqual({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(failure?.message).toBe(
      'The certificate presented by the issuer (CN=id.example) does not name id.example; it names DNS:portal.example.',
    );
    expect(failure?.fix).toContain('a proxy or captive portal is answering');
    expect(failure?.evidence).toMatchObject({ subject_alt_names: 'DNS:portal.example' });
    const bare = judge({ hostnameError: 'does not match' }).failure;
    expect(bare?.message).toContain('it names no other host.');
    expect(bare?.evidence).toMatchObject({ subject_alt_names: null });
  });

  it('an empty chain still gives a sentence, with "?" for what is unknown', () => {
    const { finding } = judge({ chain: [] });
    expect(finding.title).toBe(
      'the issuer presents a valid certificate for id.example (?, issued by ?, until ?), trusted by Node',
    );
  });
});
