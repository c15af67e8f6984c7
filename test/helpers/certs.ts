import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Test certificates made with the openssl CLI: a CA of the test's own, and leaf certificates it
 * signs for the names a test needs (localhost, 127.0.0.1, a wrong name), valid or expired.
 */

const run = promisify(execFile);

export interface IssuedCert {
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

export interface TestCa {
  /** The CA's common name, as a TLS error names it. */
  name: string;
  /** PEM of the CA certificate, and the file holding it. */
  pem: string;
  certPath: string;
  /** Signs a leaf for `names` ("DNS:localhost", "IP:127.0.0.1"); `expired` puts its validity in 2020. */
  issue(names: string[], options?: { expired?: boolean }): Promise<IssuedCert>;
  cleanup(): Promise<void>;
}

function utc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export async function createTestCa(name = 'keyturn test CA'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'keyturn-ca-'));
  const caKey = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '30',
    '-keyout',
    caKey,
    '-out',
    certPath,
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  // `openssl ca` rather than `x509 -req`: only it sets arbitrary validity dates (for expired leaves).
  const config = join(dir, 'ca.cnf');
  await writeFile(
    config,
    `[ca]\ndefault_ca = test\n[test]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\n` +
      `default_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n[any]\ncommonName = supplied\n`,
  );
  let count = 0;
  // `openssl ca` keeps its serial number and database in files it rewrites (serial.new renamed over
  // serial): two at once on one CA race, and one fails ("Unable to rename … serial.new"). Leaves are
  // issued one after the other, also when a test asks for several at once.
  let queue: Promise<unknown> = Promise.resolve();
  const issue = async (names: string[], options: { expired?: boolean } = {}): Promise<IssuedCert> => {
    const id = `leaf${++count}`;
    const keyPath = join(dir, `${id}.key`);
    const csr = join(dir, `${id}.csr`);
    const out = join(dir, `${id}.pem`);
    const cn = (names[0] ?? 'localhost').replace(/^\w+:/, '');
    await run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      csr,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${names.join(',')}`,
    ]);
    const day = 86_400_000;
    const [start, end] = options.expired
      ? [new Date('2020-01-01T00:00:00Z'), new Date('2020-02-01T00:00:00Z')]
      : [new Date(Date.now() - day), new Date(Date.now() + 30 * day)];
    await run('openssl', [
      'ca',
      '-batch',
      '-notext',
      '-config',
      config,
      '-keyfile',
      caKey,
      '-cert',
      certPath,
      '-in',
      csr,
      '-out',
      out,
      '-startdate',
      utc(start),
      '-enddate',
      utc(end),
    ]);
    return {
      key: await readFile(keyPath, 'utf8'),
      cert: await readFile(out, 'utf8'),
      keyPath,
      certPath: out,
    };
  };
  return {
    name,
    pem: await readFile(certPath, 'utf8'),
    certPath,
    issue: (names, options) => {
      const issued = queue.then(() => issue(names, options));
      queue = issued.catch(() => undefined);
      return issued;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
