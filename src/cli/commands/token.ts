import type { CommandContext } from '../context.js';

export async function runToken(ctx: CommandContext, options: { minTtl: number }): Promise<void> {
  let profile = await ctx.profile();
  if (profile.resource !== undefined) {
    const { tokenProfile } = await import('../../flows/mcp-login.js');
    profile = await tokenProfile(ctx.deps, { ...profile, resource: profile.resource });
  }
  const { getAccessToken } = await import('../../flows/token.js');
  const token = await getAccessToken(ctx.deps, { profile, minTtl: options.minTtl }, ctx.signal);
  if (ctx.json) ctx.output.json(token);
  else ctx.output.result(token.access_token);
}
