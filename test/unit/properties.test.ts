/**
 * Property-based tests (fast-check) of every parser that meets the outside world: the callback query,
 * OAuth error answers, token and device responses, the store file, config.toml → profile. Each runs
 * at least 10,000 generated cases and holds two promises: no crash (every outcome is a result or a
 * catalog KeyturnError), and no secret in any message. (The proxy variables: test/unit/proxy*.)
 */
import fc from 'fast-check';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { inspectCallback } from '../../src/core/callback.js';
import { CATALOG } from '../../src/core/catalog.js';
import { classifyExchange, type ExchangePhase } from '../../src/core/classify.js';
import { resolveProfile, type ConfigFile } from '../../src/core/config.js';
import { KeyturnError } from '../../src/core/errors.js';
import { parseAuthFile } from '../../src/adapters/file-store.js';
import { oauthFailure } from '../../src/adapters/oauth.js';
import { createOutput } from '../../src/cli/output.js';

// scripts/mutation.mjs lowers this (PROPERTY_RUNS) to keep thousands of mutants affordable.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
/** 10,000 runs of openid-client's request and response processing: seconds alone, minutes on a busy CI. */
const ASYNC_TIMEOUT_MS = 600_000;
/** A secret no message may show: long and distinctive, so a partial echo is caught too. */
const SECRET = 'S3CRET-tok-7f9c2e1b4a6d8f0e3c5b7a9d1f2e4c6b';
const SECRET_PART = SECRET.slice(6, 26);

/** Every text a KeyturnError carries to a user, a log or a report. */
function shown(error: KeyturnError): string {
  return [error.message, error.fix, JSON.stringify(error.evidence), JSON.stringify(error.toJSON())].join(
    '\n',
  );
}

function expectCatalogError(thrown: unknown): KeyturnError {
  expect(thrown).toBeInstanceOf(KeyturnError);
  const error = thrown as KeyturnError;
  expect(Object.hasOwn(CATALOG, error.code)).toBe(true);
  expect(shown(error)).not.toContain(SECRET_PART);
  return error;
}

/** Text from outside: any Unicode, control characters, and now and then the secret. */
const outsideText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', ' ', SECRET, `Bearer ${SECRET}`, `refresh_token=${SECRET}`, '\u001b]0;x\u0007'),
);

describe('the callback query (core/callback.ts)', () => {
  const STATE = 'st-0123456789abcdef0123456789abcdef';
  const names = fc.constantFrom('code', 'state', 'error', 'error_description', 'iss', 'error_uri', 'x', '');
  const values = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(STATE, SECRET, ''));
  const query = fc
    .array(fc.tuple(names, values), { maxLength: 8 })
    .map((pairs) => new URLSearchParams(pairs).toString());
  const target = fc.oneof(
    fc
      .tuple(fc.constantFrom('/auth/callback', '/auth/callback/', '/', '/cancel', '//x'), query)
      .map(([path, q]) => `${path}?${q}`),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );

  it('never crashes; only this sign-in’s state ends it; a rejection never quotes the code or state', () => {
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS'), target, (method, requestTarget) => {
        const verdict = inspectCallback({ method, target: requestTarget }, '/auth/callback', STATE);
        if (verdict.kind === 'reject') {
          expect(verdict.status).toBeGreaterThanOrEqual(400);
          expect(verdict.status).toBeLessThan(500);
          expect(verdict.reason).not.toContain(SECRET_PART);
          expect(verdict.reason).not.toContain(STATE);
          return;
        }
        expect(method).toBe('GET');
        expect(verdict.params.get('state')).toBe(STATE);
        if (verdict.kind === 'code') expect(verdict.params.get('code')).toBeTruthy();
        else expect(verdict.error).toBe(verdict.params.get('error'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('OAuth error answers (core/classify.ts)', () => {
  const phases: ExchangePhase[] = [
    'discovery',
    'authorization',
    'callback',
    'token',
    'refresh',
    'device_authorization',
    'device_poll',
    'revocation',
    'userinfo',
    'connection',
  ];
  // Names that Object.prototype holds (`toString`, `constructor`, `__proto__`) are generated too: they
  // must be unknown errors, not the prototype's members.
  const oauthErrors = fc.oneof(
    fc.constantFrom(
      'invalid_grant',
      'invalid_client',
      'invalid_request',
      'unauthorized_client',
      'access_denied',
      'slow_down',
      'authorization_pending',
      'expired_token',
      'server_error',
      'temporarily_unavailable',
      'invalid_scope',
      'unsupported_grant_type',
      'refresh_token_expired',
    ),
    fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty'),
    fc.string({ maxLength: 30 }),
  );
  const facts = fc.record(
    {
      phase: fc.constantFrom(...phases),
      url: fc.constantFrom(
        'https://id.invalid/token',
        `https://id.invalid/token?code=${SECRET}`,
        `https://user:${SECRET}@id.invalid/token`,
        'not a url',
      ),
      status: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.integer()),
      contentType: fc.constantFrom('application/json', 'text/html', 'text/plain', ''),
      server: outsideText,
      retryAfter: fc.oneof(fc.nat(), fc.double()),
      oauthError: oauthErrors,
      oauthErrorDescription: outsideText,
      bodyExcerpt: outsideText,
      network: fc.record(
        {
          code: fc.constantFrom('ECONNREFUSED', 'ENOTFOUND', 'CERT_HAS_EXPIRED', 'ETIMEDOUT', 'X'),
          message: outsideText,
          // Credentials stripped, as NetworkFacts.proxy is documented to arrive.
          proxy: fc.constantFrom('http://proxy.invalid:3128', 'http://[redacted]@proxy.invalid:3128'),
          proxyStatus: fc.integer({ min: 100, max: 599 }),
          atProxy: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['phase'] },
  );

  it('every answer becomes a catalog error that quotes no secret but the ones the provider described', () => {
    fc.assert(
      fc.property(facts, (input) => {
        const error = classifyExchange(input);
        expect(error).toBeInstanceOf(KeyturnError);
        expect(Object.hasOwn(CATALOG, error.code)).toBe(true);
        // The provider's own description is shown (it is the provider's message); nothing else may
        // carry the secret: not the URL, the proxy, a network message or a body excerpt.
        const described = [
          input.oauthErrorDescription,
          input.bodyExcerpt,
          input.server,
          input.network?.message,
        ];
        if (!described.some((text) => text?.includes(SECRET_PART)))
          expect(shown(error)).not.toContain(SECRET_PART);
      }),
      { numRuns: RUNS },
    );
  });

  it('at refresh, only invalid_grant and the refresh-token rules sign the user out (refresh_rejected)', () => {
    fc.assert(
      fc.property(oauthErrors, fc.integer({ min: 400, max: 599 }), (oauthError, status) => {
        const error = classifyExchange({ phase: 'refresh', status, oauthError });
        if (error.code === 'refresh_rejected') {
          expect(['invalid_grant', 'refresh_token_expired']).toContain(oauthError);
        }
        if (oauthError === 'invalid_grant') expect(error.code).toBe('refresh_rejected');
      }),
      { numRuns: RUNS },
    );
  });
});

/** What the CLI's output gate writes for an error: stderr and the --json document. */
function gateShows(error: KeyturnError): string {
  const written: string[] = [];
  const stream = { isTTY: false, write: (text: string) => written.push(text) };
  createOutput({ json: true, narrate: false, debug: false, stdout: stream, stderr: stream, env: {} }).error(
    error,
  );
  return written.join('');
}

/** Secrets in the shapes a provider echoes them in: the gate must cut every one of them. */
const echoedSecret = fc.constantFrom(
  `refresh_token=${SECRET}`,
  `Bearer ${SECRET}`,
  `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIke1NFQ1JFVH0ifQ.${SECRET}`,
  `{"refresh_token":"${SECRET}"}`,
  `https://u:${SECRET}@id.invalid/`,
);
const providerText = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), echoedSecret);

/** An openid-client Configuration whose every request gets `answer`, as a provider would send it. */
function configAnswering(answer: () => Response): oidc.Configuration {
  const config = new oidc.Configuration(
    {
      issuer: 'https://id.invalid',
      token_endpoint: 'https://id.invalid/token',
      device_authorization_endpoint: 'https://id.invalid/device',
    },
    'keyturn-test',
    { token_endpoint_auth_method: 'none' },
    oidc.None(),
  );
  config[oidc.customFetch] = (async () => answer()) as unknown as oidc.CustomFetch;
  return config;
}

/** A JSON value shaped like a token or device response, some fields right, some wrong, some secret. */
const responseBody = fc.oneof(
  fc.record(
    {
      access_token: fc.oneof(
        fc.constant(SECRET),
        fc.string({ maxLength: 20 }),
        fc.integer(),
        fc.constant(null),
      ),
      token_type: fc.oneof(fc.constantFrom('Bearer', 'bearer', 'DPoP', 'mac'), fc.integer()),
      expires_in: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)),
      refresh_token: fc.oneof(fc.constant(SECRET), fc.integer()),
      id_token: fc.oneof(fc.constant(`eyJhbGciOiJub25lIn0.${SECRET}.`), fc.string({ maxLength: 10 })),
      scope: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
      device_code: fc.oneof(fc.constant(SECRET), fc.integer()),
      user_code: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
      verification_uri: fc.oneof(fc.constant('https://id.invalid/activate'), fc.string({ maxLength: 20 })),
      interval: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
      error: fc.oneof(fc.constantFrom('invalid_grant', 'authorization_pending', 'slow_down'), fc.integer()),
      error_description: providerText,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const answer = fc.record({
  status: fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503),
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/html', ''),
  body: fc.oneof(
    responseBody.map((value) => JSON.stringify(value)),
    fc.string({ unit: 'binary', maxLength: 100 }),
    echoedSecret.map((text) => `<html><body>${text}</body></html>`),
  ),
});
const respond = (a: { status: number; contentType: string; body: string }) => () =>
  new Response(a.status === 204 ? null : a.body, {
    status: a.status,
    headers: a.contentType === '' ? {} : { 'content-type': a.contentType },
  });

describe('token and device responses (openid-client, then adapters/oauth.ts)', () => {
  it(
    'a refresh answered anyhow either yields tokens or a catalog error quoting no secret',
    async () => {
      await fc.assert(
        fc.asyncProperty(answer, async (a) => {
          try {
            const tokens = await oidc.refreshTokenGrant(configAnswering(respond(a)), SECRET);
            expect(typeof tokens.access_token).toBe('string');
          } catch (thrown) {
            const error = oauthFailure(thrown, 'refresh');
            expect(Object.hasOwn(CATALOG, error.code)).toBe(true);
            expect(gateShows(error)).not.toContain(SECRET_PART);
          }
        }),
        { numRuns: RUNS },
      );
    },
    ASYNC_TIMEOUT_MS,
  );

  it(
    'a device authorization answered anyhow either yields a user code or a catalog error quoting no secret',
    async () => {
      await fc.assert(
        fc.asyncProperty(answer, async (a) => {
          try {
            const device = await oidc.initiateDeviceAuthorization(configAnswering(respond(a)), {
              scope: 'openid',
            });
            expect(typeof device.user_code).toBe('string');
            expect(typeof device.verification_uri).toBe('string');
          } catch (thrown) {
            const error = oauthFailure(thrown, 'device_authorization');
            expect(Object.hasOwn(CATALOG, error.code)).toBe(true);
            expect(gateShows(error)).not.toContain(SECRET_PART);
          }
        }),
        { numRuns: RUNS },
      );
    },
    ASYNC_TIMEOUT_MS,
  );
});

describe('the store file (auth.json)', () => {
  const PATH = '/home/u/.local/share/keyturn/auth.json';
  const credentials = fc.record(
    {
      kind: fc.oneof(fc.constantFrom('oauth', 'api_key'), fc.string({ maxLength: 5 })),
      access_token: fc.oneof(fc.constant(SECRET), fc.integer(), fc.constant('')),
      api_key: fc.oneof(fc.constant(SECRET), fc.integer()),
      refresh_token: fc.constant(SECRET),
      expires_at: fc.oneof(fc.integer(), fc.string({ maxLength: 4 })),
    },
    { requiredKeys: [] },
  );
  const document = fc.oneof(
    fc.record(
      {
        version: fc.oneof(fc.constantFrom(1, 2, 0, -1), fc.double(), fc.string({ maxLength: 3 })),
        profiles: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), credentials, { maxKeys: 3 }),
          fc.array(credentials, { maxLength: 2 }),
          fc.constant(null),
          fc.constant(SECRET),
        ),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const text = fc.oneof(
    document.map((value) => JSON.stringify(value)),
    // Torn or hand-damaged files: a JSON document cut short, or bytes that never were one.
    fc.tuple(document, fc.nat()).map(([value, cut]) => {
      const json = JSON.stringify(value) ?? '';
      return json.slice(0, json.length === 0 ? 0 : cut % json.length);
    }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );

  it('any file either parses to profiles or fails with store_unreadable, quoting none of its content', () => {
    fc.assert(
      fc.property(text, (content) => {
        let parsed;
        try {
          parsed = parseAuthFile(content, PATH);
        } catch (thrown) {
          const error = expectCatalogError(thrown);
          expect(error.code).toBe('store_unreadable');
          expect(error.message).toContain(PATH);
          return;
        }
        expect(typeof parsed.version).toBe('number');
        expect(typeof parsed.profiles).toBe('object');
        expect(Array.isArray(parsed.profiles)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('config.toml → profile (core/config.ts)', () => {
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(
      'https://id.invalid',
      'http://id.invalid',
      'http://localhost:1455/auth/callback',
      'http://127.0.0.1:0/cb',
      'file',
      'keyring',
      'auto',
      'openid email',
    ),
    fc.integer(),
    fc.boolean(),
    fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  );
  const keys = fc.constantFrom(
    'issuer',
    'client_id',
    'client_secret',
    'scopes',
    'redirect_uri',
    'redirect_port_fallback',
    'store',
    'ca_file',
    'token_endpoint',
    'authorization_endpoint',
    'device_authorization_endpoint',
    'revocation_endpoint',
    'unknown_key',
  );
  // The client secret is the one secret config.toml holds: no message may quote it.
  const table = fc
    .tuple(fc.dictionary(keys, value, { maxKeys: 6 }), fc.oneof(fc.constant(SECRET), value))
    .map(([settings, secret]) => ({ ...settings, client_secret: secret }));
  const file = fc.record(
    {
      default_profile: fc.oneof(fc.constantFrom('default', 'work', 'missing'), fc.string({ maxLength: 5 })),
      profiles: fc.dictionary(fc.constantFrom('default', 'work', 'ci', '__proto__'), table, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  );
  const env = fc
    .dictionary(
      fc.constantFrom(
        'KEYTURN_PROFILE',
        'KEYTURN_ISSUER',
        'KEYTURN_CLIENT_ID',
        'KEYTURN_CLIENT_SECRET',
        'KEYTURN_SCOPES',
        'KEYTURN_STORE',
        'KEYTURN_REDIRECT_URI',
      ),
      fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('https://id.invalid', 'file')),
      { maxKeys: 4 },
    )
    .map((variables) => ({ ...variables, KEYTURN_CLIENT_SECRET: SECRET }));
  const flags = fc.record(
    {
      profile: fc.constantFrom('default', 'work', 'nope'),
      issuer: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('https://id.invalid')),
      clientId: fc.string({ maxLength: 10 }),
      redirectUri: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('http://localhost:1/cb')),
    },
    { requiredKeys: [] },
  );

  it('any config, environment and flags give a profile or a catalog error, never the client secret', () => {
    fc.assert(
      fc.property(file, env, flags, (config, environment, given) => {
        let profile;
        try {
          profile = resolveProfile(config as ConfigFile, environment, given);
        } catch (thrown) {
          expectCatalogError(thrown);
          return;
        }
        expect(typeof profile.name).toBe('string');
        expect(profile.scopes.length).toBeGreaterThan(0);
        expect(['file', 'keyring', 'auto']).toContain(profile.store);
      }),
      { numRuns: RUNS },
    );
  });
});
