import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signInInBrowser } from '../helpers/browser.js';
import { issuerAndBrowser } from '../helpers/issuer-and-browser.js';
import { runCli, URL_LINE } from '../helpers/cli.js';
import { runInTerminal } from '../helpers/terminal.js';

/**
 * `keyturn login` on a terminal takes the redirect URL pasted from a browser on another machine (the
 * browser's sign-in ends on a page that does not load), with the same checks as the loopback callback.
 * Real Chromium, whose redirect to the loopback never arrives; the CLI on a pseudo-terminal.
 * Fixed port of this file: 18703 (the loopback redirect; one sign-in at a time).
 */

const REDIRECT_URI = 'http://127.0.0.1:18703/auth/callback';
const scene = issuerAndBrowser();

async function freshHome(): Promise<Record<string, string>> {
  return { KEYTURN_HOME: await scene.home(), KEYTURN_STORE: 'file' };
}

function login(env: Record<string, string>) {
  return runInTerminal(
    [
      'login',
      '--issuer',
      scene.issuer.issuer,
      '--client-id',
      scene.issuer.clientId,
      '--no-open',
      '--redirect-uri',
      REDIRECT_URI,
    ],
    env,
  );
}

/** The sign-in in a browser that cannot reach this machine: the address its last page shows. */
async function signInElsewhere(authorizationUrl: string): Promise<string> {
  const { finalUrl } = await signInInBrowser(scene.browser, authorizationUrl, { callbackUnreachable: true });
  expect(finalUrl.startsWith(`${REDIRECT_URI}?`)).toBe(true);
  return finalUrl;
}

describe('login with the redirect URL pasted into the terminal', () => {
  it('says where to find the URL, and a pasted one completes the sign-in', async () => {
    const env = await freshHome();
    const terminal = login(env);
    const [, url] = await terminal.waitFor(URL_LINE);
    await terminal.waitFor(/copy that page's address from the browser's address bar/);
    scene.issuer.resetStats();
    const pasted = await signInElsewhere(url as string);
    expect(scene.issuer.stats.authorizationCodeGrants).toBe(0);
    terminal.type(`${pasted}\n`);
    const result = await terminal.done;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/✓ Signed in to .* as Demo User/);
    expect(scene.issuer.stats.authorizationCodeGrants).toBe(1);
    const status = await runCli(
      ['status', '--issuer', scene.issuer.issuer, '--client-id', scene.issuer.clientId],
      {
        env,
      },
    );
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Signed in as Demo User');
  });

  it('refuses a URL whose state is not this sign-in’s, and keeps waiting for the right one', async () => {
    const env = await freshHome();
    const terminal = login(env);
    const [, url] = await terminal.waitFor(URL_LINE);
    const pasted = await signInElsewhere(url as string);
    const forged = new URL(pasted);
    forged.searchParams.set('state', 'not-this-sign-in');
    terminal.type(`${forged.href}\n`);
    await terminal.waitFor(/That is not the answer to this sign-in: The state does not match this sign-in/);
    terminal.type('not a url at all\n');
    await terminal.waitFor(/That is not the answer to this sign-in: That is not a URL\./);
    terminal.type(`${pasted}\n`);
    const result = await terminal.done;
    expect(result.code, result.output).toBe(0);
    expect(
      JSON.parse(await readFile(join(env.KEYTURN_HOME as string, 'auth.json'), 'utf8')).profiles.default,
    ).toMatchObject({ kind: 'oauth' });
  });

  it('checks iss as for the callback: a URL naming another issuer ends the sign-in, nothing stored', async () => {
    const env = await freshHome();
    const terminal = login(env);
    const [, url] = await terminal.waitFor(URL_LINE);
    const pasted = new URL(await signInElsewhere(url as string));
    expect(pasted.searchParams.get('iss')).toBe(scene.issuer.issuer);
    pasted.searchParams.set('iss', 'https://evil.example.invalid');
    scene.issuer.resetStats();
    terminal.type(`${pasted.href}\n`);
    const result = await terminal.done;
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /error\[issuer_mismatch\]: The authorization response came from a different issuer/,
    );
    // Refused before the code was sent to the token endpoint.
    expect(scene.issuer.stats.tokenRequests).toBe(0);
    await expect(readFile(join(env.KEYTURN_HOME as string, 'auth.json'), 'utf8')).rejects.toThrow();
  });

  it('a URL already used is refused by the next sign-in (its state is another’s); Ctrl-C ends it', async () => {
    const env = await freshHome();
    const first = login(env);
    const [, url] = await first.waitFor(URL_LINE);
    const pasted = await signInElsewhere(url as string);
    first.type(`${pasted}\n`);
    expect((await first.done).code).toBe(0);

    const second = login(env);
    await second.waitFor(URL_LINE);
    scene.issuer.resetStats();
    second.type(`${pasted}\n`);
    await second.waitFor(/That is not the answer to this sign-in: The state does not match/);
    expect(scene.issuer.stats.tokenRequests).toBe(0);
    second.type('\u0003');
    expect((await second.done).code).toBe(130);
  });
});
