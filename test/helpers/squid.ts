import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Debian's squid, started as a child of the test on a loopback port with a configuration of the
 * test's own (no disk cache, logs in a temporary folder):
 * - `open`: tunnels (CONNECT) to any loopback port;
 * - `auth`: asks for Basic credentials (407) checked by basic_ncsa_auth against an htpasswd file;
 * - `deny`: refuses every CONNECT (403).
 * `hosts` maps names only squid resolves (`idp.keyturn.invalid`) to loopback addresses: keyturn never
 * proxies a loopback host, so a provider behind the proxy needs a name that is not one.
 */

export type SquidMode = 'open' | 'auth' | 'deny';

export interface Squid {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** For `auth`: the proxy URL with valid credentials. */
  urlWithCredentials: string;
  /** squid's access log so far (one line per request; CONNECT lines name the tunnelled host). */
  accessLog(): Promise<string>;
  close(): Promise<void>;
}

const run = promisify(execFile);
export const SQUID = '/usr/sbin/squid';
export const NCSA_AUTH = '/usr/lib/squid/basic_ncsa_auth';
const USER = 'keyturn';
const PASSWORD = 'proxy-pass-1';

/** A port that was free a moment ago (squid needs it in its configuration). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSquid(mode: SquidMode, hosts: Record<string, string> = {}): Promise<Squid> {
  const dir = await mkdtemp(join(tmpdir(), 'keyturn-squid-'));
  const port = await freePort();
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${dir}/squid.pid`,
    `access_log stdio:${dir}/access.log squid`,
    `cache_log ${dir}/cache.log`,
    'cache_store_log none',
    'cache deny all',
    'cache_mem 4 MB',
    `coredump_dir ${dir}`,
    'shutdown_lifetime 0 seconds',
    'acl loopback src 127.0.0.0/8',
    'acl CONNECT method CONNECT',
    `hosts_file ${dir}/hosts`,
  ];
  await writeFile(
    join(dir, 'hosts'),
    Object.entries(hosts)
      .map(([name, address]) => `${address} ${name}\n`)
      .join(''),
  );
  const root = process.getuid?.() === 0;
  // As root squid drops to an unprivileged user, which must be able to write its logs.
  if (root) lines.push('cache_effective_user proxy');
  if (mode === 'auth') {
    const { stdout } = await run('openssl', ['passwd', '-apr1', PASSWORD]);
    await writeFile(join(dir, 'htpasswd'), `${USER}:${stdout.trim()}\n`);
    lines.push(
      `auth_param basic program ${NCSA_AUTH} ${dir}/htpasswd`,
      'auth_param basic realm keyturn-test-proxy',
      'acl authenticated proxy_auth REQUIRED',
      'http_access deny !authenticated',
    );
  }
  if (mode === 'deny') lines.push('http_access deny CONNECT');
  lines.push('http_access allow loopback', 'http_access deny all');
  const config = join(dir, 'squid.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  if (root) {
    const { stdout } = await run('id', ['-u', 'proxy']);
    const uid = Number(stdout.trim());
    const { stdout: gid } = await run('id', ['-g', 'proxy']);
    for (const path of [dir, join(dir, 'htpasswd'), join(dir, 'hosts')])
      await chown(path, uid, Number(gid.trim())).catch(() => undefined);
  }
  const child: ChildProcess = spawn(SQUID, ['-N', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = Date.now();
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() - started > 15_000) {
      child.kill('SIGKILL');
      const log = await readFile(join(dir, 'cache.log'), 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`squid did not start on 127.0.0.1:${port}:\n${output}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    urlWithCredentials: `http://${USER}:${PASSWORD}@127.0.0.1:${port}`,
    accessLog: () => readFile(join(dir, 'access.log'), 'utf8').catch(() => ''),
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
