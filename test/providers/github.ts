/**
 * GitHub's OAuth endpoints as GitHub documents them, on loopback. Not OpenID Connect: no discovery, no
 * id token; a profile names the three endpoints.
 *
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 *   (web application flow, device flow, "Loopback redirect urls": any port for a loopback URL; the
 *   token response is form-encoded by default, JSON with `Accept: application/json`; slow_down adds
 *   5 s and "the error response includes the new interval")
 * @see https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 *   (incorrect_client_credentials, redirect_uri_mismatch, bad_verification_code — all with HTTP 200)
 * @see https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-authorization-request-errors
 *   (a redirect_uri that does not match is answered by a redirect to the registered callback URL with
 *   error=redirect_uri_mismatch)
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 *   (GitHub Apps' expiring user tokens: expires_in 28800, refresh_token, refresh_token_expires_in
 *   15897600; bad_refresh_token)
 */
import {
  ALICE,
  StandInServer,
  consentPage,
  form,
  json,
  loopbackRedirectMatches,
  pkceMatches,
  randomToken,
  redirect,
  html,
  type ClientRegistration,
  type StandInAnswer,
  type StandInRequest,
} from './base.js';

export interface GitHubOptions {
  /** `oauth-app`: tokens that never expire, no refresh token; `github-app`: expiring user tokens. */
  kind: 'oauth-app' | 'github-app';
  client: ClientRegistration;
  /** Seconds between device polls GitHub asks for (GitHub says 5; tests ask for less). */
  interval?: number;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const ERROR_URI =
  'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

export interface GitHubStandIn {
  server: StandInServer;
  url: string;
  /** What a profile names (GitHub has no discovery). */
  endpoints: {
    authorization_endpoint: string;
    token_endpoint: string;
    device_authorization_endpoint: string;
  };
  close(): Promise<void>;
}

export async function startGitHub(options: GitHubOptions): Promise<GitHubStandIn> {
  const server = new StandInServer();
  const { client } = options;
  const interval = options.interval ?? 5;

  /** "By default, the response takes the following form … You can also receive the response in different formats if you provide the format in the Accept header." */
  const answer = (request: StandInRequest, body: Record<string, string | number>): StandInAnswer =>
    /application\/json/.test(request.headers.accept ?? '') ? json(200, body) : form(200, body);
  const error = (request: StandInRequest, code: string, description: string) =>
    answer(request, {
      error: code,
      error_description: description,
      error_uri: `${ERROR_URI}#${code.replace(/_/g, '-')}`,
    });

  const issueTokens = (clientId: string, scope: string): Record<string, string | number> => {
    if (options.kind === 'oauth-app') {
      const accessToken = randomToken('gho_');
      server.accessTokens.set(accessToken, { clientId, scope });
      return { access_token: accessToken, scope, token_type: 'bearer' };
    }
    const accessToken = randomToken('ghu_');
    const refreshToken = randomToken('ghr_');
    const now = Math.floor(Date.now() / 1000);
    server.accessTokens.set(accessToken, { clientId, scope, expiresAt: now + 28800 });
    server.refreshTokens.set(refreshToken, { clientId, scope, expiresAt: now + 15897600 });
    return {
      access_token: accessToken,
      expires_in: 28800,
      refresh_token: refreshToken,
      refresh_token_expires_in: 15897600,
      scope: '',
      token_type: 'bearer',
    };
  };

  server.route('GET', '/login/oauth/authorize', (request) => {
    const p = request.params;
    if (p.get('client_id') !== client.clientId)
      return html(404, '<h1>404</h1><p>This is not the web page you are looking for.</p>');
    const redirectUri = p.get('redirect_uri') ?? client.redirectUris[0] ?? '';
    if (!loopbackRedirectMatches(client.redirectUris, redirectUri, true)) {
      const back = new URL(client.redirectUris[0] ?? '');
      back.searchParams.set('error', 'redirect_uri_mismatch');
      back.searchParams.set(
        'error_description',
        'The redirect_uri MUST match the registered callback URL for this application.',
      );
      back.searchParams.set(
        'error_uri',
        'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2',
      );
      const state = p.get('state');
      if (state !== null) back.searchParams.set('state', state);
      return redirect(back.href);
    }
    return consentPage('/login/oauth/authorize', p, 'Authorize keyturn test app');
  });
  server.route('POST', '/login/oauth/authorize', (request) => {
    const p = request.params;
    // No redirect_uri: GitHub uses the app's registered callback URL.
    if (!p.has('redirect_uri')) p.set('redirect_uri', client.redirectUris[0] ?? '');
    const { code, redirectUri } = server.approve(p);
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    const state = p.get('state');
    if (state !== null) back.searchParams.set('state', state);
    return redirect(back.href);
  });

  server.route('POST', '/login/device/code', (request) => {
    if (request.client.id !== client.clientId) return json(404, { error: 'Not Found' });
    const { deviceCode, userCode } = server.newDeviceGrant(
      client.clientId,
      request.params.get('scope') ?? '',
      900,
      interval,
    );
    return answer(request, {
      device_code: deviceCode,
      expires_in: 900,
      interval,
      user_code: userCode,
      verification_uri: `${server.url}/login/device`,
    });
  });

  server.route('POST', '/login/oauth/access_token', async (request) => {
    server.tokenRequests.push(request.params);
    server.requestHeaders.push(request.headers);
    const p = request.params;
    const grantType = p.get('grant_type');
    if (grantType === DEVICE_GRANT) {
      const grant = server.devices.get(p.get('device_code') ?? '');
      if (request.client.id !== client.clientId)
        return error(
          request,
          'incorrect_client_credentials',
          'The client_id and/or client_secret passed are incorrect.',
        );
      if (grant === undefined)
        return error(request, 'incorrect_device_code', 'The device_code provided is not valid.');
      if (Date.now() > grant.expiresAt)
        return error(request, 'expired_token', 'The device code has expired.');
      const now = Date.now();
      if (grant.lastPoll !== undefined && now - grant.lastPoll < grant.interval * 1000 - 250) {
        grant.lastPoll = now;
        grant.interval += 5;
        return answer(request, {
          error: 'slow_down',
          error_description: 'Too many requests have been made in the same timeframe.',
          error_uri: ERROR_URI,
          interval: grant.interval,
        });
      }
      grant.lastPoll = now;
      if (grant.status === 'denied')
        return error(request, 'access_denied', 'The authorization request was denied.');
      if (grant.status === 'pending')
        return error(request, 'authorization_pending', 'The authorization request is still pending.');
      server.devices.delete(grant.deviceCode);
      return answer(request, issueTokens(grant.clientId, grant.scope));
    }
    if (grantType === 'refresh_token') {
      if (options.kind === 'oauth-app')
        return error(request, 'unsupported_grant_type', 'The grant type is not supported.');
      if (request.client.id !== client.clientId || request.client.secret !== client.clientSecret)
        return error(
          request,
          'incorrect_client_credentials',
          'The client_id and/or client_secret passed are incorrect.',
        );
      const held = server.refreshTokens.get(p.get('refresh_token') ?? '');
      if (held === undefined)
        return error(request, 'bad_refresh_token', 'The refresh token passed is incorrect or expired.');
      server.refreshTokens.delete(p.get('refresh_token') ?? '');
      return answer(request, issueTokens(held.clientId, held.scope));
    }
    // Web application flow: client_secret is required.
    if (request.client.id !== client.clientId || request.client.secret !== client.clientSecret)
      return error(
        request,
        'incorrect_client_credentials',
        'The client_id and/or client_secret passed are incorrect.',
      );
    const pending = server.codes.get(p.get('code') ?? '');
    if (pending === undefined)
      return error(request, 'bad_verification_code', 'The code passed is incorrect or expired.');
    server.codes.delete(p.get('code') ?? '');
    if (p.get('redirect_uri') !== null && p.get('redirect_uri') !== pending.redirectUri)
      return error(
        request,
        'redirect_uri_mismatch',
        'The redirect_uri MUST match the registered callback URL for this application.',
      );
    if (!(await pkceMatches(p.get('code_verifier'), pending.codeChallenge)))
      return error(request, 'bad_verification_code', 'The code passed is incorrect or expired.');
    return answer(request, issueTokens(pending.clientId, pending.scope));
  });

  // The API: GET /user with the token (what `gh auth status` checks); 401 "Bad credentials" otherwise.
  server.route('GET', '/user', (request) => {
    const token = /^(?:Bearer|token)\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const held = token === undefined ? undefined : server.accessTokens.get(token);
    if (held === undefined || (held.expiresAt !== undefined && held.expiresAt * 1000 < Date.now()))
      return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    return json(200, { login: ALICE.login, id: Number(ALICE.sub), name: ALICE.name, email: ALICE.email });
  });

  const url = await server.start();
  return {
    server,
    url,
    endpoints: {
      authorization_endpoint: `${url}/login/oauth/authorize`,
      token_endpoint: `${url}/login/oauth/access_token`,
      device_authorization_endpoint: `${url}/login/device/code`,
    },
    close: () => server.close(),
  };
}
