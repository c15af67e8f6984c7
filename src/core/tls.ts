import { TLS_EXPIRED, type NetworkFacts } from './classify.js';
import { passed, type Finding } from './diagnosis.js';

/** One certificate of the presented chain, as evidence. */
export interface CertFacts {
  subject: string;
  issuer: string;
  valid_from: string;
  valid_to: string;
  fingerprint256: string;
}

/** What a TLS handshake showed, judged with the same trust as the HTTP layer. */
export interface TlsFacts {
  protocol: string | null;
  /** Leaf first. */
  chain: CertFacts[];
  /** The leaf's subjectAltName ("DNS:localhost, IP Address:127.0.0.1"). */
  altNames?: string;
  /** OpenSSL's verdict on the chain (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …). */
  authorizationError?: string;
  /** The certificate does not name the host (RFC 6125). */
  hostnameError?: string;
  /** Which trust store holds the chain's anchor: "Node's roots", "NODE_EXTRA_CA_CERTS (/path)", … */
  trustedBy?: string;
  /** An untrusted chain whose anchor this machine's OS store holds: TLS inspection, most likely. */
  osStoreFile?: string;
}

/**
 * What a TLS handshake's facts mean for the doctor: an expired or not-yet-valid certificate against
 * this machine's clock, an untrusted chain (TLS inspection when the OS store trusts it), a host name
 * the certificate does not carry, or a pass. Pure: `fail` builds the finding of a failure.
 */
export function tlsFinding(
  tls: TlsFacts,
  name: string,
  host: string,
  base: Record<string, unknown>,
  fail: (n: NetworkFacts, message: string, fix?: string, evidence?: Record<string, unknown>) => Finding,
  now: number,
): Finding {
  const leaf = tls.chain[0];
  const top = tls.chain[tls.chain.length - 1];
  const evidence: Record<string, unknown> = {
    protocol: tls.protocol,
    subject: leaf?.subject,
    issuer: top?.issuer,
    chain: tls.chain.map(({ subject, issuer, valid_from, valid_to }) => ({
      subject,
      issuer,
      valid_from,
      valid_to,
    })),
  };
  const code = tls.authorizationError;
  if (code !== undefined && TLS_EXPIRED.has(code)) {
    const stale =
      tls.chain.find((c) => Date.parse(c.valid_to) < now || Date.parse(c.valid_from) > now) ?? leaf;
    return fail(
      { code },
      `The certificate "${stale?.subject ?? '?'}" presented by ${name} is valid from ${stale?.valid_from ?? '?'} to ${stale?.valid_to ?? '?'}, and this machine's clock says ${new Date(now).toUTCString()}.`,
      undefined,
      { ...evidence, authorization_error: code },
    );
  }
  if (code !== undefined) {
    const anchor = top?.issuer ?? '?';
    const inspection =
      tls.osStoreFile === undefined
        ? ''
        : ` This machine's OS store trusts that CA (${tls.osStoreFile}) but Node does not: TLS inspection by a corporate proxy or security product, most likely.`;
    return fail(
      { code },
      `The certificate chain presented by ${name} (${leaf?.subject ?? '?'}) ends at "${anchor}", a CA that neither Node's roots nor NODE_EXTRA_CA_CERTS / SSL_CERT_FILE / ca_file hold (${code}).${inspection}`,
      tls.osStoreFile === undefined
        ? `If a corporate proxy or security product inspects TLS, get the certificate of "${anchor}" (from IT, or from the browser's certificate viewer) and set \`export NODE_EXTRA_CA_CERTS=/path/to/that-ca.pem\` (or \`ca_file\`). Never disable verification.`
        : `export NODE_EXTRA_CA_CERTS=${tls.osStoreFile}`,
      {
        ...evidence,
        authorization_error: code,
        ...(tls.osStoreFile === undefined ? {} : { os_store_file: tls.osStoreFile }),
      },
    );
  }
  if (tls.hostnameError !== undefined) {
    return fail(
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      `The certificate presented by ${name} (${leaf?.subject ?? '?'}) does not name ${host}; it names ${tls.altNames ?? 'no other host'}.`,
      `Use a host name the certificate carries in the issuer URL; if the URL is right, a proxy or captive portal is answering in place of the provider.`,
      { ...evidence, subject_alt_names: tls.altNames ?? null },
    );
  }
  return passed(
    'tls',
    `${name} presents a valid certificate for ${host} (${leaf?.subject ?? '?'}, issued by ${leaf?.issuer ?? '?'}, until ${leaf?.valid_to ?? '?'}), trusted by ${tls.trustedBy ?? 'Node'}`,
    { ...base, ...evidence, trusted_by: tls.trustedBy },
  );
}
