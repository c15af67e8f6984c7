/**
 * Google's OAuth 2.0 / OpenID Connect endpoints as Google documents them, on loopback.
 *
 * @see https://developers.google.com/identity/protocols/oauth2/limited-input-device
 *   (device flow: the answer names `verification_url`; polling errors `authorization_pending` with
 *   HTTP 428, `slow_down` with 403, `access_denied` with 403, `expired_token` with 400,
 *   `invalid_client` with 401; the device flow's "allowed scopes" exclude `offline_access`; a refresh
 *   token always comes back; the client secret is sent)
 * @see https://developers.google.com/identity/protocols/oauth2/native-app
 *   (iOS & desktop apps: loopback redirect on any port, PKCE, client_secret on the token request;
 *   error pages `Error 400: invalid_scope`, `Error 400: redirect_uri_mismatch`, `Error 401: invalid_client`
 *   instead of a redirect; a refresh token only with `access_type=offline`)
 * @see https://developers.google.com/identity/openid-connect/openid-connect#discovery
 *   (discovery document: `scopes_supported: ["openid","email","profile"]`, no `offline_access`)
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
 *   (token response fields; `invalid_grant` "Token has been expired or revoked." on refresh)
 */
import {
  ALICE,
  StandInServer,
  consentPage,
  html,
  json,
  loopbackRedirectMatches,
  pkceMatches,
  randomToken,
  redirect,
  escapeHtml,
  type ClientRegistration,
  type StandInAnswer,
} from './base.js';

export interface GoogleOptions {
  /** A "Desktop app" client: any loopback redirect URI; a "Web application" client: exact URIs only. */
  desktop: ClientRegistration;
  web?: ClientRegistration;
  /** Seconds between device polls (Google says 5; tests ask for less). */
  interval?: number;
  /** Answer this many polls with slow_down, as Google does to a client it finds polling too often. */
  slowDownPolls?: number;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SCOPES_SUPPORTED = ['openid', 'email', 'profile'];
/** "Allowed scopes" for the device flow (the OIDC ones, and a few APIs' scopes). */
const DEVICE_SCOPES = new Set(['openid', 'email', 'profile', 'https://www.googleapis.com/auth/drive.file']);
const BROWSER_SCOPES = new Set([...DEVICE_SCOPES, 'https://www.googleapis.com/auth/userinfo.email']);

export interface GoogleStandIn {
  server: StandInServer;
  /** The error (or "tokens") of each device poll, in order. */
  pollAnswers: string[];
  /** The next `polls` polls are answered slow_down. */
  slowDown(polls: number): void;
  issuer: string;
  close(): Promise<void>;
}

/** The error page Google shows instead of redirecting back (an unknown client, an unregistered URI, a bad scope). */
function errorPage(status: number, code: string, detail: string): StandInAnswer {
  return html(
    status,
    `<!doctype html><html><head><title>Error ${status}: ${code}</title></head><body>` +
      `<h1>Access blocked: This app's request is invalid</h1><p>${escapeHtml(detail)}</p>` +
      `<p><b>Error ${status}: ${code}</b></p></body></html>`,
  );
}

export async function startGoogle(options: GoogleOptions): Promise<GoogleStandIn> {
  const server = new StandInServer();
  const interval = options.interval ?? 5;
  let slowDowns = options.slowDownPolls ?? 0;
  const pollAnswers: string[] = [];
  const polled = (answer: StandInAnswer, what: string) => {
    pollAnswers.push(what);
    return answer;
  };
  const clients = [options.desktop, ...(options.web === undefined ? [] : [options.web])];
  const clientOf = (id: string | undefined) => clients.find((c) => c.clientId === id);
  const authenticated = (id: string | undefined, secret: string | undefined) => {
    const client = clientOf(id);
    return client !== undefined && client.clientSecret === secret ? client : undefined;
  };
  const invalidClient = () => json(401, { error: 'invalid_client', error_description: 'Unauthorized' });

  const idToken = (clientId: string, nonce?: string) =>
    server.signJwt({
      iss: server.url,
      azp: clientId,
      aud: clientId,
      sub: ALICE.sub,
      email: ALICE.email,
      email_verified: true,
      name: ALICE.name,
      ...(nonce === undefined ? {} : { nonce }),
    });

  const tokens = async (clientId: string, scope: string, refresh: boolean, nonce?: string) => {
    const accessToken = randomToken('ya29.');
    server.accessTokens.set(accessToken, {
      clientId,
      scope,
      expiresAt: Math.floor(Date.now() / 1000) + 3599,
    });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: 3599,
      scope,
      token_type: 'Bearer',
    };
    if (refresh) {
      const refreshToken = randomToken('1//0');
      server.refreshTokens.set(refreshToken, { clientId, scope });
      body.refresh_token = refreshToken;
    }
    if (scope.split(' ').includes('openid')) body.id_token = await idToken(clientId, nonce);
    return body;
  };

  server.route('GET', '/.well-known/openid-configuration', () =>
    json(200, {
      issuer: server.url,
      authorization_endpoint: `${server.url}/o/oauth2/v2/auth`,
      device_authorization_endpoint: `${server.url}/device/code`,
      token_endpoint: `${server.url}/token`,
      userinfo_endpoint: `${server.url}/v1/userinfo`,
      revocation_endpoint: `${server.url}/revoke`,
      jwks_uri: `${server.url}/oauth2/v3/certs`,
      response_types_supported: [
        'code',
        'token',
        'id_token',
        'code token',
        'code id_token',
        'token id_token',
        'code token id_token',
        'none',
      ],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: SCOPES_SUPPORTED,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: [
        'aud',
        'email',
        'email_verified',
        'exp',
        'family_name',
        'given_name',
        'iat',
        'iss',
        'name',
        'picture',
        'sub',
      ],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        DEVICE_GRANT,
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
      ],
    }),
  );
  server.route('GET', '/oauth2/v3/certs', () => server.jwks());

  server.route('GET', '/o/oauth2/v2/auth', (request) => {
    const p = request.params;
    const client = clientOf(p.get('client_id') ?? undefined);
    if (client === undefined) return errorPage(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = p.get('redirect_uri') ?? '';
    const desktop = client === options.desktop;
    const loopback = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?\//.test(redirectUri);
    if (desktop ? !loopback : !loopbackRedirectMatches(client.redirectUris, redirectUri, false)) {
      return errorPage(
        400,
        'redirect_uri_mismatch',
        `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the app developer, register the redirect URI in the Google Cloud Console. Request details: redirect_uri=${redirectUri}`,
      );
    }
    const invalid = (p.get('scope') ?? '').split(' ').filter((s) => s !== '' && !BROWSER_SCOPES.has(s));
    if (invalid.length > 0)
      return errorPage(
        400,
        'invalid_scope',
        `Some requested scopes were invalid. {invalid=[${invalid.join(', ')}]}`,
      );
    return consentPage('/o/oauth2/v2/auth/approve', p, 'Sign in with Google');
  });
  server.route('POST', '/o/oauth2/v2/auth/approve', (request) => {
    const p = request.params;
    const { code, redirectUri } = server.approve(p, { access_type: p.get('access_type') ?? 'online' });
    const back = new URL(redirectUri);
    back.searchParams.set('state', p.get('state') ?? '');
    back.searchParams.set('code', code);
    back.searchParams.set('scope', p.get('scope') ?? '');
    return redirect(back.href);
  });

  server.route('POST', '/device/code', (request) => {
    const client = clientOf(request.client.id);
    if (client === undefined)
      return json(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    const scope = request.params.get('scope') ?? '';
    if (scope.split(' ').some((s) => s !== '' && !DEVICE_SCOPES.has(s)))
      return json(400, { error: 'invalid_scope' });
    const { deviceCode, userCode } = server.newDeviceGrant(client.clientId, scope, 1800, interval, [3, 3, 3]);
    return json(200, {
      device_code: deviceCode,
      user_code: userCode,
      expires_in: 1800,
      interval,
      verification_url: `${server.url}/device`,
    });
  });

  server.route('POST', '/token', async (request) => {
    server.tokenRequests.push(request.params);
    const p = request.params;
    const client = authenticated(request.client.id, request.client.secret);
    if (client === undefined) return invalidClient();
    switch (p.get('grant_type')) {
      case DEVICE_GRANT: {
        const grant = server.devices.get(p.get('device_code') ?? '');
        if (grant === undefined || Date.now() > grant.expiresAt)
          return json(400, { error: 'expired_token', error_description: 'Bad Request' });
        const now = Date.now();
        const tooSoon = grant.lastPoll !== undefined && now - grant.lastPoll < grant.interval * 1000 - 250;
        grant.lastPoll = now;
        if (tooSoon || slowDowns > 0) {
          slowDowns = Math.max(0, slowDowns - 1);
          return polled(json(403, { error: 'slow_down', error_description: 'Forbidden' }), 'slow_down');
        }
        if (grant.status === 'denied')
          return polled(
            json(403, { error: 'access_denied', error_description: 'Forbidden' }),
            'access_denied',
          );
        if (grant.status === 'pending')
          return polled(
            json(428, { error: 'authorization_pending', error_description: 'Precondition Required' }),
            'authorization_pending',
          );
        server.devices.delete(grant.deviceCode);
        return polled(json(200, await tokens(grant.clientId, grant.scope, true)), 'tokens');
      }
      case 'refresh_token': {
        const held = server.refreshTokens.get(p.get('refresh_token') ?? '');
        if (held === undefined)
          return json(400, {
            error: 'invalid_grant',
            error_description: 'Token has been expired or revoked.',
          });
        return json(200, await tokens(held.clientId, held.scope, false));
      }
      case 'authorization_code': {
        const pending = server.codes.get(p.get('code') ?? '');
        server.codes.delete(p.get('code') ?? '');
        if (pending === undefined || pending.redirectUri !== p.get('redirect_uri'))
          return json(400, { error: 'invalid_grant', error_description: 'Bad Request' });
        if (!(await pkceMatches(p.get('code_verifier'), pending.codeChallenge)))
          return json(400, { error: 'invalid_grant', error_description: 'Bad Request' });
        return json(
          200,
          await tokens(
            pending.clientId,
            pending.scope,
            pending.extra.access_type === 'offline',
            pending.nonce,
          ),
        );
      }
      default:
        return json(400, {
          error: 'unsupported_grant_type',
          error_description: 'Invalid grant_type: ' + (p.get('grant_type') ?? ''),
        });
    }
  });

  server.route('POST', '/revoke', (request) => {
    const token = request.params.get('token') ?? '';
    const known = server.refreshTokens.delete(token) || server.accessTokens.delete(token);
    return known
      ? json(200, {})
      : json(400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
  });

  const issuer = await server.start();
  return {
    server,
    issuer,
    pollAnswers,
    close: () => server.close(),
    slowDown: (polls: number) => {
      slowDowns = polls;
    },
  };
}
