import { isKeyturnError } from '../core/errors.js';
import { maskSecret } from '../core/credentials.js';
import type { Profile } from '../core/config.js';
import { nowSeconds, type Deps } from './deps.js';
import { checkBinding } from '../core/binding.js';
import { notSignedIn } from './credentials.js';

/** What `keyturn status` reports: who, where, until when; never a secret. */
export interface StatusReport {
  profile: string;
  signed_in: boolean;
  /** `ok`, `expired` (a refresh will renew it), or `sign_in_required`. */
  state: 'ok' | 'expired' | 'sign_in_required';
  /** How the profile is signed in; null when it is not. */
  kind: 'oauth' | 'api_key' | null;
  issuer: string | null;
  client_id: string | null;
  subject: string | null;
  email: string | null;
  name: string | null;
  expires_at: number | null;
  expires_in: number | null;
  has_refresh_token: boolean;
  scope: string | null;
  api_key: string | null;
  store: { kind: 'file' | 'keyring'; location: string; note: string | null };
  problem: { code: string; message: string; fix: string } | null;
}

/** The fields of a report that hold no OAuth sign-in: nobody signed in, or an API key. */
const NO_TOKENS = {
  subject: null,
  email: null,
  name: null,
  expires_at: null,
  expires_in: null,
  has_refresh_token: false,
  scope: null,
  api_key: null,
} as const;

/**
 * The library's `status()`: when nobody is signed in, a report saying so (`signed_in: false`, the
 * fix in `problem`) instead of the `not_signed_in` error `keyturn status` exits 3 with.
 */
export async function getStatusOrSignedOut(deps: Deps, profile: Profile): Promise<StatusReport> {
  try {
    return await getStatus(deps, profile);
  } catch (error) {
    if (!isKeyturnError(error) || error.code !== 'not_signed_in') throw error;
    const store = await deps.store(profile);
    const told = error.forApp(deps.app);
    return {
      ...NO_TOKENS,
      profile: profile.name,
      signed_in: false,
      state: 'sign_in_required',
      kind: null,
      issuer: profile.issuer ?? null,
      client_id: profile.clientId ?? null,
      store: { kind: store.kind, location: store.location, note: store.note ?? null },
      problem: { code: told.code, message: told.message, fix: told.fix },
    };
  }
}

/** What the report needs of deps (the launcher's `status` gives no more: cli/launcher.ts). */
export type StatusDeps = Pick<Deps, 'store' | 'now' | 'app'>;

export async function getStatus(deps: StatusDeps, profile: Profile): Promise<StatusReport> {
  const store = await deps.store(profile);
  const credentials = await store.get(profile.name);
  if (credentials === undefined) throw notSignedIn(profile);
  checkBinding(credentials, profile);
  const base = {
    profile: profile.name,
    issuer: credentials.issuer ?? null,
    client_id: credentials.client_id ?? null,
    store: { kind: store.kind, location: store.location, note: store.note ?? null },
  };
  if (credentials.kind === 'api_key') {
    return {
      ...NO_TOKENS,
      ...base,
      signed_in: true,
      state: 'ok',
      kind: 'api_key',
      api_key: maskSecret(credentials.api_key),
      problem: null,
    };
  }
  const now = nowSeconds(deps);
  const expiresIn = credentials.expires_at === undefined ? null : credentials.expires_at - now;
  const dead = credentials.refresh_dead;
  const expired = expiresIn !== null && expiresIn <= 0;
  let state: StatusReport['state'] = 'ok';
  if (dead !== undefined || (expired && credentials.refresh_token === undefined)) state = 'sign_in_required';
  else if (expired) state = 'expired';
  let problem: StatusReport['problem'] = null;
  if (dead !== undefined) problem = { code: dead.code, message: dead.message, fix: dead.fix };
  else if (state === 'sign_in_required') {
    problem = {
      code: 'refresh_rejected',
      message: 'The access token has expired and no refresh token is held.',
      fix: `Sign in again: \`${deps.app.command} login\`.`,
    };
  }
  return {
    ...base,
    signed_in: state !== 'sign_in_required',
    state,
    kind: 'oauth',
    subject: credentials.claims?.sub ?? null,
    email: credentials.claims?.email ?? null,
    name: credentials.claims?.name ?? credentials.claims?.preferred_username ?? null,
    expires_at: credentials.expires_at ?? null,
    expires_in: expiresIn,
    has_refresh_token: credentials.refresh_token !== undefined,
    scope: credentials.scope ?? null,
    api_key: null,
    problem,
  };
}
