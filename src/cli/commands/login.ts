import { isKeyturnError, usageError } from '../../core/errors.js';
import { browserSignInAdvice, type EnvironmentReport } from '../../core/environment.js';
import type { CommandContext } from '../context.js';

export interface LoginOptions {
  device?: boolean;
  apiKey?: boolean;
  open?: boolean;
  /** Seconds; unset: 300 for the browser, the code's lifetime for --device. */
  timeout?: number;
  /** Cancel another keyturn login that holds the redirect port, without asking. */
  cancelOther?: boolean;
}

const BROWSER_TIMEOUT_SECONDS = 300;

export async function runLogin(ctx: CommandContext, options: LoginOptions): Promise<void> {
  if (options.device === true && options.apiKey === true) {
    throw usageError('--device and --api-key cannot be used together.', 'Choose one sign-in method.');
  }
  const profile = await ctx.profile({ signIn: true });
  if (profile.resource !== undefined && (options.device === true || options.apiKey === true)) {
    throw usageError(
      `An MCP server (--resource) is signed in to with the browser: ${options.device === true ? '--device' : '--api-key'} does not apply.`,
      'Drop --device/--api-key; where no browser can reach this machine, forward the callback port (`ssh -L 1455:localhost:1455 HOST`).',
    );
  }
  if (options.apiKey === true) {
    const { loginWithApiKey } = await import('../../flows/login-api-key.js');
    const { readSecretFromStdin } = await import('../stdin.js');
    const result = await loginWithApiKey(ctx.deps, {
      profile,
      readSecret: () => readSecretFromStdin('API key (input hidden): '),
    });
    if (ctx.json) ctx.output.json({ ok: true, ...result });
    else
      ctx.output.info(
        `✓ Stored the API key ${result.api_key} for profile "${result.profile}" (${result.store} store).`,
      );
    return;
  }
  if (options.device === true) {
    const { runDeviceLogin } = await import('./login-device.js');
    return runDeviceLogin(ctx, {
      profile,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
  }
  const { loginWithBrowser } = await import('../../flows/login-browser.js');
  const resource = profile.resource;
  const { loginToResource } =
    resource === undefined ? { loginToResource: undefined } : await import('../../flows/mcp-login.js');
  const { readEnvironment } = await import('../../adapters/environment.js');
  const environment = await readEnvironment(ctx.deps.env);
  const wantOpen = options.open !== false;
  // On a terminal, the redirect URL may also be pasted (the browser runs on another machine).
  const { terminalLines } = await import('../stdin.js');
  const pastedLines = process.stdin.isTTY === true ? terminalLines : undefined;
  const browser = {
    timeoutSeconds: options.timeout ?? BROWSER_TIMEOUT_SECONDS,
    // Where no browser can be opened, do not try: print the URL and wait.
    open: wantOpen && environment.canOpenBrowser,
    onAuthorizationUrl: (url: string) => explainEnvironment(ctx, environment, url, wantOpen),
    ...(pastedLines === undefined ? {} : { pastedLines }),
  };
  const signIn = () =>
    resource !== undefined && loginToResource !== undefined
      ? loginToResource(ctx.deps, { profile: { ...profile, resource }, ...browser }, ctx.signal)
      : loginWithBrowser(ctx.deps, { profile, ...browser }, ctx.signal);
  let result;
  try {
    result = await signIn();
  } catch (error) {
    if (!(await cancelOtherLogin(ctx, error, profile.redirectUri, options.cancelOther === true))) throw error;
    result = await signIn();
  }
  if (ctx.json) ctx.output.json({ ok: true, ...result });
  else {
    const who = result.name ?? result.email ?? result.subject;
    const to = resource === undefined ? result.issuer : `${resource} (authorization server ${result.issuer})`;
    ctx.output.info(
      `✓ Signed in to ${to}${resource !== undefined && who === undefined ? '' : ` as ${who ?? 'unknown user'}`} (profile "${result.profile}", ${result.store} store).`,
    );
  }
}

/**
 * Says what stands in the way of the browser sign-in here (SSH, container, WSL, no display) and what
 * to do instead, with the redirect port actually in use. The URL is printed and the login waits anyway.
 */
function explainEnvironment(
  ctx: CommandContext,
  environment: EnvironmentReport,
  authorizationUrl: string,
  wantOpen: boolean,
): void {
  if (environment.findings.length === 0) return;
  const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
  const port = redirectUri === null ? 1455 : Number(new URL(redirectUri).port || 80);
  for (const reason of environment.reasons) ctx.output.warn(reason);
  if (wantOpen && !environment.canOpenBrowser) ctx.output.info('Not opening a browser here.');
  ctx.output.info(`Still waiting for the sign-in on ${redirectUri ?? 'the loopback redirect'}.`);
  for (const line of browserSignInAdvice(environment, port)) ctx.output.info(line);
}

/**
 * When another keyturn login holds the redirect port, offers to cancel it (on a terminal, or at once
 * with --cancel-other) through its callback server's `/cancel` path, and waits for the port to free.
 * True when the sign-in may be tried again.
 */
async function cancelOtherLogin(
  ctx: CommandContext,
  error: unknown,
  redirectUri: string,
  cancelOther: boolean,
): Promise<boolean> {
  if (!isKeyturnError(error) || error.code !== 'port_in_use' || error.evidence.keyturn !== true) return false;
  const port = Number(error.evidence.port);
  const other =
    error.evidence.pid === undefined
      ? 'Another keyturn login'
      : `Another keyturn login (pid ${String(error.evidence.pid)})`;
  if (!cancelOther) {
    const { canPrompt, confirm } = await import('../stdin.js');
    if (!canPrompt()) return false;
    if (!(await confirm(`${other} is waiting on port ${port}. Cancel it? [y/N] `))) return false;
  }
  const { cancelWaitingLogin, waitForPortFree } = await import('../../adapters/port-holder.js');
  const host = new URL(redirectUri).hostname;
  ctx.output.info(`${other} is waiting on port ${port}: cancelling it.`);
  await cancelWaitingLogin(String(error.evidence.host ?? host), port, ctx.signal);
  return waitForPortFree(host, port, 5_000, (ms) => ctx.deps.sleep(ms, ctx.signal));
}
