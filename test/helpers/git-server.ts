/**
 * A git smart-HTTP server on loopback: `git http-backend` (git's own CGI program) behind a Node server
 * that demands HTTP Basic credentials whose password is an access token the provider accepts (asked
 * of its userinfo endpoint, as a resource server would). Every credential it was sent is recorded.
 * @see https://git-scm.com/docs/git-http-backend
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userinfoStatus } from './userinfo.js';

export interface GitServer {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  /** `${origin}/repo.git` */
  repoUrl: string;
  /** Every Basic credential sent, in order (the tokens, for the test's assertions only). */
  seen: { username: string; password: string; accepted: boolean }[];
  /** From now on refuse this token although the provider still accepts it (a server-side deny list). */
  refuse(token: string): void;
  close(): Promise<void>;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    stdio: 'pipe',
  });

/** A bare repository `repo.git` with one commit holding README.md = `content`. */
async function makeRepository(root: string, content: string): Promise<void> {
  const work = join(root, 'work');
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  await writeFile(join(work, 'README.md'), content);
  git(work, 'add', 'README.md');
  git(
    work,
    '-c',
    'user.name=keyturn test',
    '-c',
    'user.email=test@keyturn.invalid',
    'commit',
    '-q',
    '-m',
    'first',
  );
  git(root, 'clone', '-q', '--bare', work, join(root, 'repo.git'));
}

export async function startGitServer(
  issuer: string,
  content = 'hello from the git server\n',
): Promise<GitServer> {
  const root = await mkdtemp(join(tmpdir(), 'keyturn-git-'));
  await makeRepository(root, content);
  const seen: GitServer['seen'] = [];
  const refused = new Set<string>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const credential = basic(req.headers.authorization);
      const accepted =
        credential !== undefined &&
        !refused.has(credential.password) &&
        (await userinfoStatus(issuer, credential.password).catch(() => 0)) === 200;
      if (credential !== undefined) seen.push({ ...credential, accepted });
      if (!accepted) {
        req.resume();
        res.writeHead(401, {
          'www-authenticate': 'Basic realm="keyturn test"',
          'content-type': 'text/plain',
        });
        res.end('sign in\n');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const cgi = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: '1',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          REQUEST_METHOD: req.method,
          PATH_INFO: decodeURIComponent(url.pathname),
          QUERY_STRING: url.search.replace(/^\?/, ''),
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          REMOTE_USER: credential?.username,
          REMOTE_ADDR: '127.0.0.1',
          ...(req.headers['content-encoding'] === undefined
            ? {}
            : { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }),
          ...(req.headers['git-protocol'] === undefined
            ? {}
            : { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      req.pipe(cgi.stdin);
      const chunks: Buffer[] = [];
      cgi.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      cgi.on('close', () => {
        const output = Buffer.concat(chunks);
        const end = output.indexOf('\r\n\r\n');
        const head = output.subarray(0, end).toString('latin1').split('\r\n');
        let status = 200;
        const headers: Record<string, string> = {};
        for (const line of head) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === 'status') status = Number(value.split(' ')[0]);
          else headers[name] = value;
        }
        res.writeHead(status, headers);
        res.end(output.subarray(end + 4));
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    repoUrl: `${origin}/repo.git`,
    seen,
    refuse: (token) => refused.add(token),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function basic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
