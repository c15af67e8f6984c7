import type { CommandContext } from '../context.js';

export async function runLogout(ctx: CommandContext, options: { revoke: boolean }): Promise<void> {
  const profile = await ctx.profile();
  const { logout } = await import('../../flows/logout.js');
  const result = await logout(ctx.deps, { profile, revoke: options.revoke });
  if (ctx.json) ctx.output.json({ ok: true, ...result });
  else {
    const revoked = result.revocation === 'done' ? `revoked ${result.revoked.join(' and ')}, ` : '';
    ctx.output.info(`✓ Signed out of profile "${result.profile}": ${revoked}removed the stored credentials.`);
  }
}
