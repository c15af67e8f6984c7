import { describe, expect, it } from 'vitest';
import { describeProgress, describeUserCode } from '../../src/core/progress.js';

const acme = { command: 'acme' };

describe('the lines a sign-in prints while it runs', () => {
  it('the authorization URL, the browser opened or not (naming the application’s command)', () => {
    expect(
      describeProgress({ type: 'authorization_url', url: 'https://id.example/authorize?x=1' }, acme),
    ).toBe('Open this URL to sign in: https://id.example/authorize?x=1');
    expect(describeProgress({ type: 'browser_opened' }, acme)).toBe(
      'Opened your browser; finish signing in there.',
    );
    expect(describeProgress({ type: 'browser_failed' }, acme)).toBe(
      'Could not open a browser: open the URL above yourself, or use `acme login --device`.',
    );
  });

  it('the user code, waiting and the end are shown otherwise: no line', () => {
    expect(
      describeProgress(
        {
          type: 'user_code',
          verification_uri: 'https://id.example/device',
          verification_uri_complete: null,
          user_code: 'ABCD-EFGH',
          expires_in: 600,
          interval: 5,
        },
        acme,
      ),
    ).toBeUndefined();
    expect(
      describeProgress({ type: 'waiting', for: 'callback', timeout_seconds: 300 }, acme),
    ).toBeUndefined();
    expect(describeProgress({ type: 'signed_in', profile: 'default', subject: null }, acme)).toBeUndefined();
  });

  it('the device code line, with the link that fills the code in when there is one', () => {
    const event = {
      type: 'user_code' as const,
      verification_uri: 'https://id.example/device',
      verification_uri_complete: null,
      user_code: 'ABCD-EFGH',
      expires_in: 600,
      interval: 5,
    };
    expect(describeUserCode(event)).toBe(
      'To sign in, open https://id.example/device and enter the code ABCD-EFGH.',
    );
    expect(
      describeUserCode({ ...event, verification_uri_complete: 'https://id.example/device?c=ABCD-EFGH' }),
    ).toBe(
      'To sign in, open https://id.example/device and enter the code ABCD-EFGH (or open https://id.example/device?c=ABCD-EFGH, which fills the code in).',
    );
  });
});
