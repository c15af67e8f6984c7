import { KeyturnError } from '../core/errors.js';
import type { AppText } from '../core/app.js';
import { requireProvider, type Profile } from '../core/config.js';
import type { ProgressEvent } from '../core/progress.js';
import { noRefreshNotice, scopesToRequest } from '../core/providers.js';
import type { DeviceAuthorization, TokenSet } from '../core/ports.js';
import { emit, type Deps } from './deps.js';
import { retrying } from './retry.js';
import { storeSignIn, type LoginResult } from './sign-in-result.js';

/**
 * What the user needs to approve the sign-in on another device (RFC 8628 §3.3): the `user_code`
 * progress event's fields (`interval` is 5 when the provider does not say).
 */
export type DeviceUserCode = Omit<Extract<ProgressEvent, { type: 'user_code' }>, 'type'>;

export interface DeviceLoginInput {
  profile: Profile;
  /** Give up after this long even when the device code lives longer (default: when it expires). */
  timeoutSeconds?: number;
  /**
   * Shows the verification URI and user code to the user; called once, before polling starts
   * (after the `user_code` progress event).
   */
  onUserCode?(code: DeviceUserCode): void;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The catalog's fix, said for the device grant: the user can act on it without knowing OAuth. */
function deviceFix(error: KeyturnError, clientId: string): KeyturnError {
  let fix: AppText;
  if (error.code === 'unauthorized_client') {
    fix = ({ command }) =>
      `Enable the device authorization grant (${DEVICE_GRANT}) for client "${clientId}" at the provider, or use the browser sign-in: \`${command} login\`.`;
  } else if (error.code === 'login_timeout') {
    fix = ({ command }) =>
      `Run \`${command} login --device\` again and enter the new code before it expires.`;
  } else {
    return error;
  }
  return error.restate({ fix });
}

/** Rejects as soon as `signal` aborts: openid-client notices an abort only between its 5 s wait steps. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Device sign-in (RFC 8628): asks the provider for a device code and a user code, shows the user
 * where to enter it, and polls the token endpoint until the user approves, denies, or the code
 * expires. openid-client honours `interval` and `slow_down` (+5 s, §3.5); expiry and Ctrl-C come
 * in through the abort signal.
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
export async function loginWithDevice(
  deps: Deps,
  input: DeviceLoginInput,
  signal?: AbortSignal,
): Promise<LoginResult> {
  const profile = requireProvider(input.profile);
  // Open the store first: an unusable store must fail before the user signs in, not after.
  const store = await deps.store(profile);
  const provider = await deps.oauth(profile);
  try {
    const server = provider.endpoints;
    if (server.device_authorization_endpoint === undefined) {
      throw new KeyturnError(
        'unauthorized_client',
        `${server.issuer} has no device authorization endpoint: device sign-in is not possible with it.`,
        {
          fix: ({ command }) =>
            `Use the browser sign-in: \`${command} login\`, or set \`device_authorization_endpoint\` in the profile if the provider has one.`,
        },
      );
    }

    const { scopes, dropped } = scopesToRequest(profile.scopes, server.scopes_supported);
    if (dropped.length > 0) deps.output.info(noRefreshNotice(dropped));
    deps.output.step('Device code', `asking ${server.device_authorization_endpoint} for a user code`);
    let authorization: DeviceAuthorization;
    try {
      authorization = await retrying(deps, () =>
        provider.deviceAuthorization({
          // RFC 8628 §3.1: the device authorization request carries what an authorization request would.
          ...profile.authorizeParams,
          scope: scopes.join(' '),
        }),
      );
    } catch (error) {
      throw error instanceof KeyturnError ? deviceFix(error, profile.clientId) : error;
    }
    // RFC 8628 §3.5: stop polling when the device code expires (or our own --timeout, if sooner).
    // One number for what the user is told and for when keyturn gives up.
    const waitSeconds = Math.min(authorization.expires_in, input.timeoutSeconds ?? Infinity);
    const shown: DeviceUserCode = {
      verification_uri: authorization.verification_uri,
      verification_uri_complete: authorization.verification_uri_complete ?? null,
      user_code: authorization.user_code,
      expires_in: authorization.expires_in,
      interval: authorization.interval ?? 5,
    };
    emit(deps, { type: 'user_code', ...shown });
    input.onUserCode?.(shown);

    const expiry = AbortSignal.timeout(waitSeconds * 1000);
    const pollSignal = signal === undefined ? expiry : AbortSignal.any([signal, expiry]);
    emit(deps, { type: 'waiting', for: 'device_approval', timeout_seconds: waitSeconds });
    let tokens: TokenSet;
    try {
      const granted = authorization;
      // A transient failure while polling does not end the sign-in: polling goes on, the bound
      // counted from the failure (the user may rightly take minutes to approve).
      tokens = await untilAborted(
        retrying(deps, () => provider.pollDeviceAuthorization(granted, pollSignal, profile.tokenParams), {
          signal: pollSignal,
          from: 'failure',
        }),
        pollSignal,
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (expiry.aborted) {
        throw new KeyturnError(
          'login_timeout',
          `The code ${authorization.user_code} was not approved within ${waitSeconds} s${waitSeconds === authorization.expires_in ? ', when it expired' : ''}.`,
          {
            fix: ({ command }) => `Run \`${command} login --device\` again and enter the new code promptly.`,
          },
        );
      }
      throw error instanceof KeyturnError ? deviceFix(error, profile.clientId) : error;
    }
    return await storeSignIn(deps, profile, server.issuer, tokens, store);
  } finally {
    await provider.close();
  }
}
