import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../src/core/classify.js';

const TOKEN_URL = 'https://login.example.com/oauth/token';
const atRefresh = (oauthError: string, extra: { status?: number; oauthErrorDescription?: string } = {}) =>
  classifyExchange({ phase: 'refresh', url: TOKEN_URL, status: 400, oauthError, ...extra });

describe('at a refresh, only a dead grant ends the sign-in (refresh_rejected)', () => {
  it.each([
    ['invalid_client', 'invalid_client'],
    ['unauthorized_client', 'unauthorized_client'],
    ['invalid_scope', 'invalid_scope'],
    ['access_denied', 'access_denied'],
    ['invalid_request', 'invalid_request'],
    ['server_error', 'server_error'],
    ['temporarily_unavailable', 'server_error'],
    ['slow_down', 'rate_limited'],
    ['unsupported_grant_type', 'unauthorized_client'],
    ['consent_required', 'access_denied'],
  ])('%s at a refresh is %s: the refresh token may still be good', (oauthError, code) => {
    const error = atRefresh(oauthError);
    expect(error.code).toBe(code);
    expect(error.message).not.toContain('sign in again');
  });

  it('an unknown OAuth error at a refresh is not taken for a dead refresh token', () => {
    expect(atRefresh('mystery_error').code).toBe('internal');
    expect(atRefresh('mystery_error', { status: 503 }).code).toBe('server_error');
    expect(atRefresh('mystery_error', { status: 429 }).code).toBe('rate_limited');
  });

  it('invalid_grant at a refresh is a dead refresh token, said with the provider’s words', () => {
    const error = atRefresh('invalid_grant', { oauthErrorDescription: 'grant expired after 30 days' });
    expect(error.code).toBe('refresh_rejected');
    expect(error.message).toBe(
      'The refresh token has expired (invalid_grant: grant expired after 30 days). Your sign-in has ended; sign in again.',
    );
  });

  it('invalid_grant without a known cause says only that the refresh token was rejected', () => {
    expect(atRefresh('invalid_grant').message).toBe(
      'The refresh token was rejected (invalid_grant). Your sign-in has ended; sign in again.',
    );
  });

  it('invalid_grant at the code exchange stays a rejected grant: no refresh token was lost', () => {
    const error = classifyExchange({
      phase: 'token',
      url: TOKEN_URL,
      status: 400,
      oauthError: 'invalid_grant',
    });
    expect(error.code).toBe('invalid_grant');
    expect(error.message).toBe(
      'The provider answered invalid_grant exchanging the authorization code for tokens.',
    );
  });

  it.each([
    ['the refresh token was revoked', 'was revoked'],
    ['user logged out', 'was revoked'],
    ['password changed', 'was revoked'],
    ['token invalidated', 'was revoked'],
    ['refresh token consumed', 'already used'],
    ['token already been used', 'already used'],
    ['token redeemed', 'already used'],
    ['session inactive', 'has expired'],
    ['lifetime exceeded', 'has expired'],
  ])('a dead refresh token said as "%s" says it %s', (description, words) => {
    const error = atRefresh('invalid_grant', { oauthErrorDescription: description });
    expect(error.code).toBe('refresh_rejected');
    expect(error.message).toContain(words);
  });
});
