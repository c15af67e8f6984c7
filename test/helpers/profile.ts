import type { Profile } from '../../src/core/config.js';

/** A resolved profile with the defaults a test does not care about. */
export function profileWith(fields: Partial<Profile> = {}): Profile {
  return {
    name: 'default',
    scopes: ['openid'],
    redirectUri: 'http://localhost:1455/auth/callback',
    redirectPortFallback: false,
    store: 'file',
    ...fields,
  };
}
