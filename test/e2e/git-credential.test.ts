import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { CLI, runCli } from '../helpers/cli.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { signedIn, stored, type Session } from '../helpers/signed-in.js';

/**
 * `keyturn credential git` driven by the real git: `git ls-remote` and `git clone` against a loopback
 * smart-HTTP server (git http-backend) that demands a token the provider accepts.
 * Fixed port of this file: 18701 (the sign-in's loopback redirect).
 */

let issuer: RunningIssuer;
let browser: Browser;
let session: Session;
let server: GitServer;
/** A second git server, for which keyturn is not configured. */
let elsewhere: GitServer;
let scratch: string;
const HELPER = `!'${process.execPath}' '${CLI}' credential git`;

beforeAll(async () => {
  [issuer, browser, scratch] = await Promise.all([
    startIssuer({ port: 0 }),
    launchBrowser(),
    mkdtemp(join(tmpdir(), 'keyturn-git-home-')),
  ]);
  [session, server, elsewhere] = await Promise.all([
    signedIn(browser, issuer, 18701),
    startGitServer(issuer.issuer),
    startGitServer(issuer.issuer, 'the other server\n'),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), elsewhere?.close()]);
  await issuer?.close();
  await session?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  server.seen.length = 0;
  elsewhere.seen.length = 0;
});

/** git with only the config lines given (no system or user config), no prompt, keyturn's environment. */
function git(
  args: string[],
  config: string[],
  cwd = scratch,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const params = config.flatMap((line) => ['-c', line]);
  return new Promise((resolve) => {
    execFile(
      'git',
      [...params, ...args],
      {
        cwd,
        env: {
          ...process.env,
          ...session.env,
          HOME: scratch,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: '',
          SSH_ASKPASS: '',
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

/** The line of the README: configure the helper for one host. */
const forServer = () => [`credential.${server.origin}.helper=${HELPER}`];

describe('keyturn credential git, with the real git', () => {
  it('git ls-remote and git clone sign in with the stored access token as user oauth2', async () => {
    const listed = await git(['ls-remote', server.repoUrl], forServer());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^[0-9a-f]{40}\tHEAD$/m);
    const { access_token: accessToken } = await stored(session.home);
    expect(server.seen.at(-1)).toEqual({ username: 'oauth2', password: accessToken, accepted: true });
    // git showed nothing of the token.
    expect(listed.stdout + listed.stderr).not.toContain(accessToken);

    const clone = await git(['clone', '-q', server.repoUrl, 'clone-1'], forServer());
    expect(clone.code, clone.stderr).toBe(0);
    expect(await readFile(join(scratch, 'clone-1', 'README.md'), 'utf8')).toBe('hello from the git server\n');
    // The token is not written into the clone's config or remote URL.
    expect(await readFile(join(scratch, 'clone-1', '.git', 'config'), 'utf8')).not.toContain(accessToken);
  });

  it('a token the server rejects: git erases it, and the next attempt refreshes and gets in', async () => {
    const before = await stored(session.home);
    // The server stops accepting the token (the provider would still take it: revoking it there
    // would end the whole grant, refresh token included).
    server.refuse(before.access_token);
    issuer.resetStats();

    const refused = await git(['ls-remote', server.repoUrl], forServer());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Authentication failed/);
    expect(issuer.stats.refreshRequests).toBe(0);
    // erase kept the sign-in, and marked its access token as expired.
    const erased = await stored(session.home);
    expect(erased.refresh_token).toBe(before.refresh_token);
    expect(erased.access_token).toBe(before.access_token);
    expect(erased.expires_at).toBeLessThan(Date.now() / 1000);

    const again = await git(['ls-remote', server.repoUrl], forServer());
    expect(again.code, again.stderr).toBe(0);
    expect(issuer.stats.refreshRequests).toBe(1);
    const after = await stored(session.home);
    expect(after.access_token).not.toBe(before.access_token);
    expect(server.seen.at(-1)).toEqual({ username: 'oauth2', password: after.access_token, accepted: true });
  });

  it('says nothing for a host it was not configured for, so git falls through (and the token stays home)', async () => {
    // keyturn is every host's helper here, but configured (by context) for `server` only.
    const config = [`credential.helper=${HELPER}`, ...forServer()];
    const other = await git(['ls-remote', elsewhere.repoUrl], config);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/could not read Username|terminal prompts disabled/);
    expect(elsewhere.seen).toEqual([]);
    const mine = await git(['ls-remote', server.repoUrl], config);
    expect(mine.code, mine.stderr).toBe(0);
  });

  it('git_hosts in the profile names the hosts it answers for', async () => {
    const configFile = join(session.home, 'config.toml');
    const original = await readFile(configFile, 'utf8');
    await writeFile(
      configFile,
      `${original}git_hosts = ["${new URL(server.origin).host}"]\ngit_username = "x-access-token"\n`,
    );
    try {
      const config = [`credential.helper=${HELPER}`];
      const mine = await git(['ls-remote', server.repoUrl], config);
      expect(mine.code, mine.stderr).toBe(0);
      expect(server.seen.at(-1)).toMatchObject({ username: 'x-access-token', accepted: true });
      const other = await git(['ls-remote', elsewhere.repoUrl], config);
      expect(other.code).not.toBe(0);
      expect(elsewhere.seen).toEqual([]);
    } finally {
      await writeFile(configFile, original);
    }
  });

  it('answers get with username, password and password_expiry_utc; store is a no-op', async () => {
    const { host } = new URL(server.origin);
    const gitconfig = join(scratch, 'gitconfig');
    await writeFile(
      gitconfig,
      `[credential "${server.origin}"]\n\thelper = "${HELPER.replace(/"/g, '\\"')}"\n`,
    );
    const get = await runCli(['credential', 'git', 'get'], {
      env: { ...session.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: gitconfig, HOME: scratch },
      input: `protocol=http\nhost=${host}\nwwwauth[]=Basic realm="keyturn test"\n\n`,
    });
    expect(get.code, get.stderr).toBe(0);
    const credentials = await stored(session.home);
    expect(get.stdout).toBe(
      `username=oauth2\npassword=${credentials.access_token}\npassword_expiry_utc=${credentials.expires_at}\n`,
    );
    expect(get.stderr).toBe('');

    const authBefore = await readFile(join(session.home, 'auth.json'), 'utf8');
    const store = await runCli(['credential', 'git', 'store'], {
      env: session.env,
      input: `protocol=http\nhost=${host}\nusername=oauth2\npassword=${credentials.access_token}\n`,
    });
    expect(store.code).toBe(0);
    expect(store.stdout + store.stderr).toBe('');
    expect(await readFile(join(session.home, 'auth.json'), 'utf8')).toBe(authBefore);
  });

  it('not configured for any host: silent on stdout, says why on stderr', async () => {
    const get = await runCli(['credential', 'git', 'get'], {
      env: { ...session.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: scratch },
      input: 'protocol=https\nhost=git.example.invalid\n\n',
    });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('');
    expect(get.stderr).toMatch(/none is: set `git_hosts`/);
  });

  it('not signed in: nothing on stdout, the error and its fix on stderr for git to show', async () => {
    const home = await mkdtemp(join(tmpdir(), 'keyturn-git-none-'));
    try {
      await writeFile(
        join(home, 'config.toml'),
        `[profiles.default]\nissuer = "${issuer.issuer}"\nclient_id = "${issuer.clientId}"\ngit_hosts = ["git.example.invalid"]\n`,
      );
      const get = await runCli(['credential', 'git', 'get'], {
        env: { KEYTURN_HOME: home, KEYTURN_STORE: 'file' },
        input: 'protocol=https\nhost=git.example.invalid\n\n',
      });
      expect(get.code).toBe(3);
      expect(get.stdout).toBe('');
      expect(get.stderr).toMatch(/^error\[not_signed_in\]: .*\nfix: .*keyturn login/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
