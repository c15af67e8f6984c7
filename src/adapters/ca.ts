import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { KeyturnError } from '../core/errors.js';

/** The CA settings and how their files are read: the one place that decides whom TLS trusts. */

export interface CaSource {
  /** Where the setting came from: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE or ca_file. */
  setting: string;
  path: string;
}

/** One PEM certificate block; the only pattern keyturn reads certificates with. */
export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of a text. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** The CA settings in force: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and the profile's ca_file. */
export function caSources(env: Record<string, string | undefined>, caFile?: string): CaSource[] {
  const sources: CaSource[] = [];
  for (const setting of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'] as const) {
    const value = env[setting];
    if (value !== undefined && value !== '') sources.push({ setting, path: value });
  }
  if (caFile !== undefined && caFile !== '') sources.push({ setting: 'ca_file', path: caFile });
  return sources;
}

/** Reads the PEM certificates of one CA setting, or throws ca_file_invalid naming it. */
export function readCaFile(source: CaSource): string[] {
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new KeyturnError(
      'ca_file_invalid',
      `${source.setting}=${source.path} cannot be read (${code === 'ENOENT' ? 'no such file' : code}).`,
      {
        fix: `Point ${source.setting} at an existing PEM file, or unset it.`,
        evidence: { setting: source.setting, path: source.path, errno: code },
      },
    );
  }
  const certs = pemCertificates(text);
  if (certs.length === 0) {
    throw new KeyturnError('ca_file_invalid', `${source.setting}=${source.path} holds no PEM certificate.`, {
      fix: `Put the CA certificate(s) in PEM form ("-----BEGIN CERTIFICATE-----") in ${source.path}.`,
      evidence: { setting: source.setting, path: source.path },
    });
  }
  return certs;
}

/** Node's roots plus every extra CA: trust is only ever added to (SPEC "Security floor"). */
export function trustedCas(sources: readonly CaSource[]): string[] | undefined {
  if (sources.length === 0) return undefined;
  return bundledRootsAnd(sources);
}

/**
 * Exactly Node's bundled roots plus these settings: another program's trust (the doctor's `--codex`),
 * without this process's NODE_EXTRA_CA_CERTS, which that program never reads.
 */
export function bundledRootsAnd(sources: readonly CaSource[]): string[] {
  return [...rootCertificates, ...sources.flatMap(readCaFile)];
}
