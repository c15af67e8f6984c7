import { usageError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';

export interface LoginOptions {
  device?: boolean;
  apiKey?: boolean;
  open?: boolean;
  timeout: number;
}

export async function runLogin(ctx: CommandContext, options: LoginOptions): Promise<void> {
  if (options.device === true && options.apiKey === true) {
    throw usageError('--device and --api-key cannot be used together.', 'Choose one sign-in method.');
  }
  const profile = await ctx.profile();
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
    return runDeviceLogin(ctx, { profile, timeout: options.timeout });
  }
  const { loginWithBrowser } = await import('../../flows/login-browser.js');
  const result = await loginWithBrowser(
    ctx.deps,
    { profile, timeoutSeconds: options.timeout, open: options.open !== false },
    ctx.signal,
  );
  if (ctx.json) ctx.output.json({ ok: true, ...result });
  else {
    const who = result.name ?? result.email ?? result.subject ?? 'unknown user';
    ctx.output.info(
      `✓ Signed in to ${result.issuer} as ${who} (profile "${result.profile}", ${result.store} store).`,
    );
  }
}
