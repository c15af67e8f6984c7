import type { CommandContext } from '../context.js';

export interface CredentialKubectlOptions {
  accessToken?: boolean;
  minTtl: number;
}

/**
 * `keyturn credential kubectl`: the ExecCredential kubectl reads on stdout; errors on stderr (kubectl
 * shows them) with the usual exit codes. A valid cached token is answered before this module loads,
 * by the CommonJS fast path (cli/launcher.ts).
 */
export async function runCredentialKubectl(
  ctx: CommandContext,
  options: CredentialKubectlOptions,
): Promise<void> {
  const profile = await ctx.profile();
  const [{ getHelperToken }, { execCredential, execCredentialVersion }] = await Promise.all([
    import('../../flows/helper-token.js'),
    import('../../core/exec-credential.js'),
  ]);
  const { token, expiresAt } = await getHelperToken(
    ctx.deps,
    { profile, kind: options.accessToken === true ? 'access' : 'id', minTtl: options.minTtl },
    ctx.signal,
  );
  process.stdout.write(
    execCredential(execCredentialVersion(ctx.deps.env.KUBERNETES_EXEC_INFO), token, expiresAt),
  );
}
