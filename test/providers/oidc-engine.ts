/**
 * The OpenID Connect provider mechanics that Auth0, Okta, Keycloak and Entra share (authorization code
 * with PKCE, device grant, refresh, revocation, JWKS, id tokens signed with jose). What differs —
 * paths, issuer form, field names, statuses and bodies of each error — is the provider's *dialect*,
 * written in the provider's own file from its documentation and cited there.
 */
import {
  ALICE,
  StandInServer,
  consentPage,
  json,
  loopbackRedirectMatches,
  pkceMatches,
  randomToken,
  redirect,
  type ClientRegistration,
  type DeviceGrant,
  type StandInAnswer,
  type StandInRequest,
} from './base.js';

/** The answers a dialect words its own way. */
export type ErrorKind =
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'
  | 'bad_code'
  | 'bad_refresh_token'
  | 'invalid_client'
  | 'unsupported_grant_type';

export interface Dialect {
  /** Paths under the server's origin. */
  paths: {
    discovery: string;
    authorize: string;
    token: string;
    device: string;
    revoke: string;
    jwks: string;
    userinfo: string;
    /** Where the user enters a device code (shown, never fetched by the CLI). */
    activate: string;
  };
  /** The issuer as the discovery document names it. */
  issuer(base: string): string;
  /** The `iss` of an id token (Entra's carries the user's tenant). */
  idTokenIssuer?(base: string): string;
  scopesSupported: string[];
  /** Extra discovery members. */
  discoveryExtra?(base: string): Record<string, unknown>;
  error(kind: ErrorKind, interval: number): StandInAnswer;
  /** Extra id token claims (Entra's tid, oid, ver; Auth0's nickname; Keycloak's typ, azp). */
  idTokenClaims?(clientId: string): Record<string, unknown>;
  /** Extra token response members (Entra's ext_expires_in). */
  tokenExtra?: Record<string, unknown>;
  /** Device authorization response for a grant. */
  deviceResponse(grant: DeviceGrant, base: string): Record<string, unknown>;
  deviceCodeGroups?: number[];
  /** A refresh answer carries a new refresh token and the old one dies (rotation). */
  rotatesRefreshTokens: boolean;
  /** A refresh token only when `offline_access` was granted (else: always). */
  refreshNeedsOfflineAccess: boolean;
  /** The authorization endpoint's answers where it cannot redirect back. */
  authorizeRefusal(kind: 'unknown_client' | 'redirect_uri'): StandInAnswer;
  /** Invalid scope: redirected back with error=invalid_scope (RFC 6749 §4.1.2.1), or a page. */
  invalidScope?(redirectUri: URL, state: string | null): StandInAnswer;
  /** How a valid request reaches the consent page: directly, or redirected to a login page first. */
  loginPath?: string;
  /** Loopback redirect URIs match on any port (RFC 8252 §7.3). */
  loopbackAnyPort: boolean;
}

export interface OidcStandIn {
  server: StandInServer;
  /** What the world calls this server: its origin, or the public one a proxy maps to it. */
  base: string;
  issuer: string;
  /** The error (or "tokens") of each device poll, in order. */
  pollAnswers: string[];
  close(): Promise<void>;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export async function startOidcStandIn(
  dialect: Dialect,
  client: ClientRegistration,
  options: { interval?: number; publicBase?: string; tls?: { key: string; cert: string } } = {},
): Promise<OidcStandIn> {
  const server = new StandInServer();
  const interval = options.interval ?? 5;
  const pollAnswers: string[] = [];
  let base = '';
  const { paths } = dialect;
  const clientOk = (request: StandInRequest) =>
    request.client.id === client.clientId &&
    (client.clientSecret === undefined || request.client.secret === client.clientSecret);

  const idToken = (clientId: string, nonce?: string) =>
    server.signJwt({
      iss: dialect.idTokenIssuer?.(base) ?? dialect.issuer(base),
      aud: clientId,
      sub: ALICE.sub,
      email: ALICE.email,
      name: ALICE.name,
      ...dialect.idTokenClaims?.(clientId),
      ...(nonce === undefined ? {} : { nonce }),
    });

  const tokens = async (clientId: string, scope: string, nonce?: string) => {
    const accessToken = randomToken('at.');
    server.accessTokens.set(accessToken, {
      clientId,
      scope,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope,
      expires_in: 3600,
      ...dialect.tokenExtra,
      access_token: accessToken,
    };
    const scopes = scope.split(' ');
    if (!dialect.refreshNeedsOfflineAccess || scopes.includes('offline_access')) {
      const refreshToken = randomToken('rt.');
      server.refreshTokens.set(refreshToken, { clientId, scope });
      body.refresh_token = refreshToken;
    }
    if (scopes.includes('openid')) body.id_token = await idToken(clientId, nonce);
    return body;
  };

  server.route('GET', paths.discovery, () =>
    json(200, {
      issuer: dialect.issuer(base),
      authorization_endpoint: `${base}${paths.authorize}`,
      token_endpoint: `${base}${paths.token}`,
      device_authorization_endpoint: `${base}${paths.device}`,
      revocation_endpoint: `${base}${paths.revoke}`,
      userinfo_endpoint: `${base}${paths.userinfo}`,
      jwks_uri: `${base}${paths.jwks}`,
      response_types_supported: ['code', 'id_token', 'code id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: dialect.scopesSupported,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      ...dialect.discoveryExtra?.(base),
    }),
  );
  server.route('GET', paths.jwks, () => server.jwks());

  const consent = (params: URLSearchParams) => consentPage(`${paths.authorize}/approve`, params, 'Sign in');
  server.route('GET', paths.authorize, (request) => {
    const p = request.params;
    if (p.get('client_id') !== client.clientId) return dialect.authorizeRefusal('unknown_client');
    const redirectUri = p.get('redirect_uri') ?? '';
    if (!loopbackRedirectMatches(client.redirectUris, redirectUri, dialect.loopbackAnyPort))
      return dialect.authorizeRefusal('redirect_uri');
    const unknown = (p.get('scope') ?? '')
      .split(' ')
      .filter((s) => s !== '' && !dialect.scopesSupported.includes(s));
    if (unknown.length > 0 && dialect.invalidScope !== undefined)
      return dialect.invalidScope(new URL(redirectUri), p.get('state'));
    if (dialect.loginPath === undefined) return consent(p);
    // Universal-login style: the request is kept server-side, the browser goes to the login page.
    const session = randomToken();
    pendingLogins.set(session, p);
    return redirect(`${dialect.loginPath}?state=${session}`);
  });
  const pendingLogins = new Map<string, URLSearchParams>();
  if (dialect.loginPath !== undefined) {
    server.route('GET', dialect.loginPath, (request) => {
      const held = pendingLogins.get(request.params.get('state') ?? '');
      if (held === undefined) return json(400, { error: 'invalid_request' });
      return consent(held);
    });
  }
  server.route('POST', `${paths.authorize}/approve`, (request) => {
    const p = request.params;
    const { code, redirectUri } = server.approve(p);
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    if (p.get('state') !== null) back.searchParams.set('state', p.get('state') as string);
    // RFC 9207: providers that say so in their metadata name themselves on the response.
    if (dialect.discoveryExtra?.(base).authorization_response_iss_parameter_supported === true)
      back.searchParams.set('iss', dialect.issuer(base));
    return redirect(back.href);
  });

  server.route('POST', paths.device, (request) => {
    if (request.client.id !== client.clientId) return dialect.error('invalid_client', interval);
    const grant = server.newDeviceGrant(
      client.clientId,
      request.params.get('scope') ?? '',
      600,
      interval,
      dialect.deviceCodeGroups,
    );
    return json(200, dialect.deviceResponse(grant, base));
  });

  server.route('POST', paths.token, async (request) => {
    server.tokenRequests.push(request.params);
    const p = request.params;
    if (!clientOk(request)) return dialect.error('invalid_client', interval);
    switch (p.get('grant_type')) {
      case DEVICE_GRANT: {
        const grant = server.devices.get(p.get('device_code') ?? '');
        const polled = (kind: ErrorKind) => {
          pollAnswers.push(kind);
          return dialect.error(kind, interval);
        };
        if (grant === undefined || Date.now() > grant.expiresAt) return polled('expired_token');
        const now = Date.now();
        const tooSoon = grant.lastPoll !== undefined && now - grant.lastPoll < grant.interval * 1000 - 250;
        grant.lastPoll = now;
        if (tooSoon) return polled('slow_down');
        if (grant.status === 'denied') return polled('access_denied');
        if (grant.status === 'pending') return polled('authorization_pending');
        server.devices.delete(grant.deviceCode);
        pollAnswers.push('tokens');
        return json(200, await tokens(grant.clientId, grant.scope));
      }
      case 'refresh_token': {
        const presented = p.get('refresh_token') ?? '';
        const held = server.refreshTokens.get(presented);
        if (held === undefined) return dialect.error('bad_refresh_token', interval);
        if (dialect.rotatesRefreshTokens) server.refreshTokens.delete(presented);
        const body = await tokens(held.clientId, held.scope);
        if (!dialect.rotatesRefreshTokens) delete body.refresh_token;
        return json(200, body);
      }
      case 'authorization_code': {
        const pending = server.codes.get(p.get('code') ?? '');
        server.codes.delete(p.get('code') ?? '');
        if (pending === undefined || pending.redirectUri !== p.get('redirect_uri'))
          return dialect.error('bad_code', interval);
        if (!(await pkceMatches(p.get('code_verifier'), pending.codeChallenge)))
          return dialect.error('bad_code', interval);
        return json(200, await tokens(pending.clientId, pending.scope, pending.nonce));
      }
      default:
        return dialect.error('unsupported_grant_type', interval);
    }
  });

  server.route('POST', paths.revoke, (request) => {
    const token = request.params.get('token') ?? '';
    server.refreshTokens.delete(token);
    server.accessTokens.delete(token);
    // RFC 7009 §2.2: 200 whether or not the token was known.
    return { status: 200, headers: { 'content-length': '0' }, body: '' };
  });

  server.route('GET', paths.userinfo, (request) => {
    const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const held = token === undefined ? undefined : server.accessTokens.get(token);
    if (held === undefined)
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    return json(200, { sub: ALICE.sub, email: ALICE.email, name: ALICE.name });
  });

  const origin = await server.start(options.tls === undefined ? {} : { tls: options.tls });
  base = options.publicBase ?? origin;
  return { server, base, issuer: dialect.issuer(base), pollAnswers, close: () => server.close() };
}
