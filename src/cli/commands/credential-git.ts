import type { CommandContext } from '../context.js';

/** Reads all of stdin: git writes the request and closes it. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `keyturn credential git [get|store|erase]`: the protocol on stdout, everything else on stderr. */
export async function runCredentialGit(ctx: CommandContext, operation: string | undefined): Promise<void> {
  const [{ parseGitCredentialRequest, keyturnHelperContexts }, { answerGitCredential }] = await Promise.all([
    import('../../core/git-credential.js'),
    import('../../flows/credential-git.js'),
  ]);
  const request = parseGitCredentialRequest(await readStdin());
  const profile = await ctx.profile();
  const answer = await answerGitCredential(
    ctx.deps,
    {
      profile,
      operation,
      request,
      helperContexts: async () => {
        const { readGitCredentialHelpers } = await import('../../adapters/git-config.js');
        return keyturnHelperContexts(await readGitCredentialHelpers(), profile.name, ctx.deps.app.command);
      },
    },
    ctx.signal,
  );
  if (answer !== '') process.stdout.write(answer);
}
