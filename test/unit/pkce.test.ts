import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';

/**
 * The PKCE, state and nonce primitives exactly as flows/login-browser.ts uses them (openid-client v6).
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;

describe('PKCE (RFC 7636)', () => {
  it('derives the S256 challenge of RFC 7636 Appendix B from its verifier', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(await oidc.calculatePKCECodeChallenge(verifier)).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes verifiers of 43 to 128 unreserved characters (§4.1), with at least 256 bits of entropy', () => {
    const verifier = oidc.randomPKCECodeVerifier();
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(verifier.length).toBeLessThanOrEqual(128);
    expect(verifier).toMatch(UNRESERVED);
  });

  it('makes a fresh verifier every time, and a challenge that is not the verifier (S256, not plain)', async () => {
    const verifiers = new Set(Array.from({ length: 50 }, () => oidc.randomPKCECodeVerifier()));
    expect(verifiers.size).toBe(50);
    const [verifier] = verifiers as Set<string>;
    const challenge = await oidc.calculatePKCECodeChallenge(verifier as string);
    expect(challenge).not.toBe(verifier);
    // base64url of a SHA-256 digest without padding: 43 characters (§4.2).
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('state and nonce', () => {
  it('are unguessable values, fresh for every sign-in', () => {
    const states = new Set(Array.from({ length: 50 }, () => oidc.randomState()));
    const nonces = new Set(Array.from({ length: 50 }, () => oidc.randomNonce()));
    expect(states.size).toBe(50);
    expect(nonces.size).toBe(50);
    for (const value of [...states, ...nonces]) {
      expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
      // 32 random bytes, base64url: far above the 128 bits RFC 6749 §10.10 asks for.
      expect(value.length).toBeGreaterThanOrEqual(43);
    }
  });
});
