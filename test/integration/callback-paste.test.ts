import { afterEach, describe, expect, it } from 'vitest';
import { startCallbackServer, type CallbackServer } from '../../src/adapters/loopback.js';

/**
 * The loopback callback server takes a pasted redirect URL through the same screening as a request,
 * and only one answer per sign-in, whichever way it comes.
 */

const STATE = 'state-of-this-sign-in';
let server: CallbackServer;

afterEach(async () => server?.close());

async function start(): Promise<CallbackServer> {
  server = await startCallbackServer({
    redirectUri: 'http://127.0.0.1:0/auth/callback',
    expectedState: STATE,
  });
  return server;
}

describe('a pasted redirect URL', () => {
  it('is refused with the reason when it is not this sign-in’s answer, and the sign-in keeps waiting', async () => {
    const callback = await start();
    const base = `http://127.0.0.1:${callback.port}`;
    expect(callback.paste('no url')).toEqual({ accepted: false, reason: 'That is not a URL.' });
    expect(callback.paste(`${base}/auth/callback?code=c&state=other`)).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/state does not match/),
    });
    expect(callback.paste(`${base}/elsewhere?code=c&state=${STATE}`)).toMatchObject({ accepted: false });
    expect(callback.paste(`${base}/auth/callback?code=c&code=d&state=${STATE}`)).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/"code" appears more than once/),
    });
    expect(callback.paste(`${base}/auth/callback?state=${STATE}`)).toMatchObject({ accepted: false });
    // Still waiting: the browser's answer is taken.
    const waiting = callback.wait();
    const response = fetch(`${base}/auth/callback?code=from-browser&state=${STATE}`);
    const result = await waiting;
    expect(result.currentUrl.searchParams.get('code')).toBe('from-browser');
    await result.respond('success', 'Signed in', 'ok');
    expect((await response).status).toBe(200);
  });

  it('ends the wait as the callback would, with the redirect URI in use; then nothing else is taken', async () => {
    const callback = await start();
    const pasted = `  http://localhost:${callback.port}/auth/callback?code=pasted&state=${STATE}&iss=https%3A%2F%2Fid.example  `;
    expect(callback.paste(pasted)).toEqual({ accepted: true });
    const result = await callback.wait();
    expect(result.verdict.kind).toBe('code');
    // Validated against this server's redirect URI, whatever host the browser showed.
    expect(result.currentUrl.href).toBe(
      `http://127.0.0.1:${callback.port}/auth/callback?code=pasted&state=${STATE}&iss=https%3A%2F%2Fid.example`,
    );
    expect(callback.paste(pasted)).toEqual({ accepted: false, reason: 'This sign-in is already finished.' });
    const late = await fetch(`http://127.0.0.1:${callback.port}/auth/callback?code=late&state=${STATE}`);
    expect(late.status).toBe(410);
  });
});
