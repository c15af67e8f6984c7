import { KeyturnError } from '../core/errors.js';
import { requireProvider, type Profile } from '../core/config.js';
import { classifyExchange } from '../core/classify.js';
import type { CallbackServer } from '../adapters/loopback.js';
import type { TokenSet } from '../core/ports.js';
import { authorizationParameters } from '../core/authorization-request.js';
import { noRefreshNotice } from '../core/providers.js';
import { emit, type Deps } from './deps.js';
import { retrying } from './retry.js';
import { storeSignIn, type LoginResult } from './sign-in-result.js';

export interface BrowserLoginInput {
  profile: Profile;
  timeoutSeconds: number;
  /** Open the system browser (else only print the URL). */
  open: boolean;
  /** Called with the authorization URL once the callback server listens (tests and `demo` use it). */
  onAuthorizationUrl?: (url: string) => void;
  /**
   * Lines the user pastes (a terminal's stdin): the redirect URL from the address bar of a browser on
   * another machine, taken alongside the loopback callback and checked exactly as it is.
   */
  pastedLines?: (signal: AbortSignal) => AsyncIterable<string>;
  /** The texts of the page the browser shows at the end (the library's `callbackPage`). */
  callbackPage?: { success?: string | undefined; failure?: string | undefined };
}

export type { LoginResult } from './sign-in-result.js';

/**
 * Browser sign-in: authorization code + PKCE (S256) + state + nonce, answered on a loopback
 * callback (RFC 6749 §4.1, RFC 7636, RFC 8252, RFC 9207 `iss`).
 */
export async function loginWithBrowser(
  deps: Deps,
  input: BrowserLoginInput,
  signal?: AbortSignal,
): Promise<LoginResult> {
  const profile = requireProvider(input.profile);
  // Open the store first: an unusable store must fail before the user signs in, not after.
  const store = await deps.store(profile);
  const { output } = deps;
  output.step(
    'Discovery',
    `reading ${profile.issuer ?? profile.tokenEndpoint}/.well-known/openid-configuration`,
  );
  const provider = await retrying(deps, () => deps.oauth(profile));
  try {
    const server = provider.endpoints;
    if (server.authorization_endpoint === undefined) {
      throw new KeyturnError(
        'discovery_failed',
        'The provider has no authorization endpoint: browser sign-in is not possible.',
        {
          fix: ({ command }) =>
            `Use \`${command} login --device\`, or set \`authorization_endpoint\` in the profile.`,
        },
      );
    }

    const { codeVerifier, codeChallenge, state, nonce } = await provider.newChecks();
    output.step('PKCE', 'made a one-time code verifier; only its SHA-256 challenge goes to the browser');

    let mismatchedStates = 0;
    const callback = await deps.callbackServer({
      redirectUri: profile.redirectUri,
      expectedState: state,
      appName: deps.app.name,
      portFallback: profile.redirectPortFallback,
      findPortHolder: (port) => deps.findPortHolder(port),
      onReject: (status, reason, problem) => {
        if (problem === 'state_mismatch') mismatchedStates++;
        output.debug(`callback: answered ${status}: ${reason}`);
      },
    });
    try {
      output.step(
        'Callback',
        `listening on ${callback.redirectUri} (loopback only) for the browser's answer`,
      );
      const { parameters, droppedScopes } = authorizationParameters(profile, server.scopes_supported, {
        redirectUri: callback.redirectUri,
        codeChallenge,
        state,
        nonce,
      });
      if (droppedScopes.length > 0) output.info(noRefreshNotice(droppedScopes));
      // RFC 8707 §2.1: a sign-in for one resource names it (MCP servers).
      if (profile.mcp !== undefined) parameters.resource = profile.mcp.resource;
      const authorizationUrl = provider.authorizationUrl(parameters);
      // Pre-flight: where the provider would show an error page instead of redirecting back (unknown
      // client, unregistered redirect URI, invalid scope), fail now rather than wait for a callback.
      // Not for an MCP server's sign-in: its client was just registered there, and its authorization
      // server may count (and limit) authorization requests, as the MCP conformance suite's does.
      if (profile.mcp === undefined) {
        output.debug(`pre-flight: asking ${server.authorization_endpoint} whether it accepts this sign-in`);
        const refused = await provider.preflight(authorizationUrl, callback.redirectUri);
        if (refused !== undefined) throw refused;
      }
      emit(deps, { type: 'authorization_url', url: authorizationUrl });
      input.onAuthorizationUrl?.(authorizationUrl);
      if (input.open) {
        const opened = await deps.openBrowser(authorizationUrl).catch(() => false);
        emit(deps, { type: opened ? 'browser_opened' : 'browser_failed' });
      }
      emit(deps, { type: 'waiting', for: 'callback', timeout_seconds: input.timeoutSeconds });

      const timeout = AbortSignal.timeout(input.timeoutSeconds * 1000);
      const waitSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const stopPasting = new AbortController();
      if (input.pastedLines !== undefined) {
        output.info(
          `If the browser runs on another machine, its last page will not load: copy that page's address from the browser's address bar (it starts with ${callback.redirectUri}?) and paste it here, then press Enter.`,
        );
        void takePastedLines(input.pastedLines(stopPasting.signal), callback, output);
      }
      let result;
      try {
        result = await callback.wait(waitSignal);
      } catch (error) {
        if (timeout.aborted && !signal?.aborted) {
          if (mismatchedStates > 0) {
            throw new KeyturnError(
              'state_mismatch',
              `A browser answered with the state of another sign-in (${mismatchedStates}×) and this one never completed.`,
            );
          }
          throw new KeyturnError('login_timeout', `No sign-in arrived within ${input.timeoutSeconds} s.`);
        }
        throw error;
      } finally {
        stopPasting.abort();
      }

      if (result.verdict.kind === 'error') {
        const failure = classifyExchange({
          phase: 'callback',
          oauthError: result.verdict.error,
          ...(result.verdict.errorDescription === undefined
            ? {}
            : { oauthErrorDescription: result.verdict.errorDescription }),
        });
        const told = failure.forApp(deps.app);
        await result.respond('failure', 'Sign-in failed', failurePage(told, input));
        throw told;
      }

      output.step(
        'Exchange',
        `trading the code and the verifier for tokens at ${server.token_endpoint ?? 'the token endpoint'}`,
      );
      let tokens: TokenSet;
      try {
        const extra = {
          ...profile.tokenParams,
          ...(profile.mcp === undefined ? {} : { resource: profile.mcp.resource }),
        };
        tokens = await retrying(deps, () =>
          provider.authorizationCodeGrant(
            result.currentUrl,
            {
              pkceCodeVerifier: codeVerifier,
              expectedState: state,
              ...(parameters.nonce === undefined ? {} : { expectedNonce: nonce }),
              idTokenExpected: parameters.scope?.split(' ').includes('openid') === true,
            },
            // token_params, and (RFC 8707 §2.2) the resource again for MCP servers.
            Object.keys(extra).length === 0 ? undefined : extra,
          ),
        );
      } catch (error) {
        const failure = asKeyturnError(error).forApp(deps.app);
        await result.respond('failure', 'Sign-in failed', failurePage(failure, input));
        throw failure;
      }
      const outcome = await storeSignIn(deps, profile, server.issuer, tokens, store);
      await result.respond(
        'success',
        'Signed in',
        input.callbackPage?.success ??
          `${deps.app.name} is signed in. You can close this window and return to the terminal.`,
      );
      return outcome;
    } finally {
      await callback.close();
    }
  } finally {
    await provider.close();
  }
}

/** Offers each pasted line to the callback server until one is this sign-in's answer. */
async function takePastedLines(
  lines: AsyncIterable<string>,
  callback: CallbackServer,
  output: Deps['output'],
): Promise<void> {
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const outcome = callback.paste(line);
      if (outcome.accepted) return;
      output.warn(
        `That is not the answer to this sign-in: ${outcome.reason} Paste the whole address, or keep waiting.`,
      );
    }
  } catch {
    // The terminal went away: the loopback callback may still arrive.
  }
}

/** What the failure page says: the author's text and why, or why and the fix. */
function failurePage(error: KeyturnError, input: BrowserLoginInput): string {
  const text = input.callbackPage?.failure;
  return text === undefined ? `${error.message} ${error.fix}` : `${text} ${error.message}`;
}

/** The oauth port fails with catalog errors; anything else is a defect, said as `internal`. */
function asKeyturnError(error: unknown): KeyturnError {
  if (error instanceof KeyturnError) return error;
  return new KeyturnError('internal', `token: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
