import { X509Certificate } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import {
  checkServerIdentity,
  connect as tlsConnect,
  rootCertificates,
  type DetailedPeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { isIP } from 'node:net';
import { pemCertificates, readCaFile, type CaSource } from '../ca.js';
import { withDeadline } from './deadline.js';

export type { CertFacts, TlsFacts } from '../../core/tls.js';
import type { TlsFacts } from '../../core/tls.js';

/** The OS trust store: Debian/Ubuntu, Fedora/RHEL, Alpine, macOS-with-openssl layouts. */
export const OS_CERT_DIRS = ['/etc/ssl/certs', '/etc/pki/tls/certs', '/etc/pki/ca-trust/source/anchors'];

export function formatName(name: Record<string, string | string[] | undefined> | undefined): string {
  if (name === undefined) return '';
  return Object.entries(name)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function chainOf(leaf: DetailedPeerCertificate): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  let current: DetailedPeerCertificate | undefined = leaf;
  while (current !== undefined && Object.keys(current).length > 0 && !chain.includes(current)) {
    chain.push(current);
    current = current.issuerCertificate === current ? undefined : current.issuerCertificate;
  }
  return chain;
}

/** Does `anchors` hold the certificate that ends this chain (the top itself, or the one that signed it)? */
function anchoredIn(top: X509Certificate, anchors: readonly X509Certificate[]): X509Certificate | undefined {
  return anchors.find(
    (anchor) =>
      anchor.fingerprint256 === top.fingerprint256 ||
      (top.checkIssued(anchor) && top.verify(anchor.publicKey)),
  );
}

function parsePems(pems: readonly string[]): X509Certificate[] {
  const certs: X509Certificate[] = [];
  for (const pem of pems) {
    try {
      certs.push(new X509Certificate(pem));
    } catch {
      // not a certificate: skipped
    }
  }
  return certs;
}

/** Finds the file of the OS store that holds the anchor of `top`, so the fix can name it. */
async function findInOsStore(top: X509Certificate, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    // Single-certificate files first (the exact file to name), the bundles last.
    const files = names
      .filter((n) => /\.(pem|crt)$/.test(n))
      .sort((a, b) => Number(/bundle|ca-certificates/.test(a)) - Number(/bundle|ca-certificates/.test(b)));
    for (const name of files) {
      const path = join(dir, name);
      const text = await readFile(path, 'utf8').catch(() => '');
      if (anchoredIn(top, parsePems(pemCertificates(text))) !== undefined) return path;
    }
  }
  return undefined;
}

/**
 * TLS handshake (over `socket` when given, e.g. a proxy tunnel) with the trust the HTTP layer uses,
 * without rejecting, so the chain can be described whatever its verdict.
 */
export async function handshake(options: {
  host: string;
  port: number;
  servername: string;
  socket?: Socket;
  ca?: string[];
  timeoutMs: number;
}): Promise<TLSSocket> {
  const socket = tlsConnect({
    ...(options.socket === undefined
      ? { host: options.host, port: options.port }
      : { socket: options.socket }),
    ...(isIP(options.servername) === 0 ? { servername: options.servername } : {}),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    // Verification is judged below from authorizationError; never used to send anything.
    rejectUnauthorized: false,
  });
  await withDeadline(
    new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', reject);
    }),
    options.timeoutMs,
    () => socket.destroy(),
  );
  return socket;
}

/** Describes the chain a handshake presented: trusted by what, naming the host or not, valid or not. */
export async function judgeTls(
  socket: TLSSocket,
  hostname: string,
  sources: readonly CaSource[],
  osCertDirs: readonly string[] = OS_CERT_DIRS,
): Promise<TlsFacts> {
  const leaf = socket.getPeerCertificate(true);
  const chain = chainOf(leaf);
  const facts: TlsFacts = {
    protocol: socket.getProtocol(),
    chain: chain.map((c) => ({
      subject: formatName(c.subject as unknown as Record<string, string>),
      issuer: formatName(c.issuer as unknown as Record<string, string>),
      valid_from: c.valid_from,
      valid_to: c.valid_to,
      fingerprint256: c.fingerprint256,
    })),
  };
  if (leaf.subjectaltname !== undefined) facts.altNames = leaf.subjectaltname;
  if (!socket.authorized) facts.authorizationError = String(socket.authorizationError);
  const identity = checkServerIdentity(hostname.replace(/^\[|\]$/g, ''), leaf);
  if (identity !== undefined) facts.hostnameError = (identity as { code?: string }).code ?? identity.message;
  const last = chain[chain.length - 1];
  if (last === undefined) return facts;
  const top = new X509Certificate(last.raw);
  if (socket.authorized) {
    for (const source of sources) {
      let pems: string[] = [];
      try {
        pems = readCaFile(source);
      } catch {
        continue;
      }
      if (anchoredIn(top, parsePems(pems)) !== undefined) {
        facts.trustedBy = `${source.setting} (${source.path})`;
        return facts;
      }
    }
    facts.trustedBy = anchoredIn(top, parsePems(rootCertificates)) ? "Node's roots" : "Node's default store";
    return facts;
  }
  const osFile = await findInOsStore(top, osCertDirs);
  if (osFile !== undefined) facts.osStoreFile = osFile;
  return facts;
}
