import { describe, expect, it } from 'vitest';
import { bindingOf } from '../../../src/core/binding.js';
import { resolveProfile } from '../../../src/core/config.js';
import type { OAuthCredentials } from '../../../src/core/credentials.js';
import { KeyturnError } from '../../../src/core/errors.js';
import { getAccessToken } from '../../../src/flows/token.js';
import { T0, MemoryStore, fakeDeps } from './fake-deps.js';

/**
 * `getAccessToken` and the refresh behind it over fake deps, the clock frozen at T0 (only the
 * flow's own sleeps move it). RFC 6749 §6.
 */

const NOW = T0 / 1000;
const profile = resolveProfile({}, {}, { issuer: 'https://id.example.com', clientId: 'cli' });

function signedIn(fields: Partial<OAuthCredentials> = {}): MemoryStore {
  const store = new MemoryStore();
  store.profiles.set('default', {
    kind: 'oauth',
    issuer: 'https://id.example.com',
    client_id: 'cli',
    access_token: 'at-old',
    token_type: 'Bearer',
    refresh_token: 'rt-old',
    obtained_at: NOW - 3600,
    expires_at: NOW + 30,
    provider: bindingOf(profile),
    ...fields,
  });
  return store;
}

const FRESH = { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-new' };

describe('getAccessToken over fake deps', () => {
  it('serves a token valid beyond min-ttl as stored, with no request at all', async () => {
    const { deps, recorded } = fakeDeps({}, { store: signedIn({ expires_at: NOW + 600 }) });
    await expect(getAccessToken(deps, { profile })).resolves.toMatchObject({ access_token: 'at-old' });
    expect(recorded.requests).toEqual([]);
    expect(recorded.locks).toEqual([]);
  });

  it('refreshes a token that expires within min-ttl once, under the profile lock, and stores the rotated set', async () => {
    const store = signedIn();
    const { deps, recorded } = fakeDeps({ refreshGrant: [FRESH] }, { store });

    const token = await getAccessToken(deps, { profile });

    expect(token).toEqual({
      access_token: 'at-new',
      token_type: 'Bearer',
      expires_at: NOW + 3600,
      scope: null,
    });
    expect(recorded.locks).toEqual(['refresh-default']);
    expect(recorded.requests).toEqual([{ step: 'configure' }, { step: 'refresh_token', detail: 'rt-old' }]);
    expect(store.profiles.get('default')).toMatchObject({
      access_token: 'at-new',
      refresh_token: 'rt-new',
      obtained_at: NOW,
      provider: bindingOf(profile),
    });
  });

  it('retries a transient failure after the backoff (on the flow clock), then succeeds', async () => {
    const down = new KeyturnError('server_error', 'The provider answered 503.', { transient: true });
    const { deps, recorded, clock } = fakeDeps({ refreshGrant: [down, FRESH] }, { store: signedIn() });

    await expect(getAccessToken(deps, { profile })).resolves.toMatchObject({ access_token: 'at-new' });

    expect(recorded.requests.filter((r) => r.step === 'refresh_token')).toHaveLength(2);
    expect(recorded.slept).toHaveLength(1);
    expect(clock.now - T0).toBe(recorded.slept[0]);
    expect(recorded.info.join('\n')).toMatch(/Retrying in \d+\.\d s/);
  });

  it('remembers a rejected refresh token: the next call fails at once, with no request', async () => {
    const rejected = new KeyturnError('refresh_rejected', 'The refresh token was rejected.');
    const store = signedIn();
    const { deps, recorded } = fakeDeps({ refreshGrant: [rejected] }, { store });

    await expect(getAccessToken(deps, { profile })).rejects.toMatchObject({ code: 'refresh_rejected' });
    expect(store.profiles.get('default')).toMatchObject({
      refresh_dead: { code: 'refresh_rejected', at: NOW },
    });
    const before = recorded.requests.length;
    await expect(getAccessToken(deps, { profile })).rejects.toMatchObject({ code: 'refresh_rejected' });
    expect(recorded.requests).toHaveLength(before);
  });

  it('keeps a sign-in that landed while the refresh was under way', async () => {
    const store = signedIn();
    const { deps } = fakeDeps(
      {
        refreshGrant: [FRESH],
        duringRefresh: () =>
          store.profiles.set('default', { kind: 'api_key', api_key: 'key-from-login', obtained_at: NOW }),
      },
      { store },
    );

    await expect(getAccessToken(deps, { profile })).resolves.toMatchObject({
      access_token: 'key-from-login',
    });
    expect(store.profiles.get('default')).toMatchObject({ kind: 'api_key' });
  });

  it('refuses a profile that now names another issuer before any request (config_invalid)', async () => {
    const elsewhere = resolveProfile({}, {}, { issuer: 'https://other.example', clientId: 'cli' });
    const { deps, recorded } = fakeDeps({ refreshGrant: [FRESH] }, { store: signedIn() });

    await expect(getAccessToken(deps, { profile: elsewhere })).rejects.toMatchObject({
      code: 'config_invalid',
    });
    expect(recorded.requests).toEqual([]);
  });
});
