import { isKeyturnError } from '../../core/errors.js';
import type { LogoutResult } from '../../flows/logout.js';
import type { CommandContext } from '../context.js';

export async function runLogout(ctx: CommandContext, options: { revoke: boolean }): Promise<void> {
  let profile = await ctx.profile();
  const { logout } = await import('../../flows/logout.js');
  let result: LogoutResult;
  try {
    if (profile.resource !== undefined) {
      // An MCP server's sign-in, kept under the profile and resource (as `token --resource` reads it).
      const { tokenProfile } = await import('../../flows/mcp-login.js');
      profile = await tokenProfile(ctx.deps, { ...profile, resource: profile.resource });
    }
    result = await logout(ctx.deps, { profile, revoke: options.revoke });
  } catch (error) {
    // Signed out is what the user asked for: already being so is no failure (exit 0), only a note.
    if (!isKeyturnError(error) || error.code !== 'not_signed_in') throw error;
    if (ctx.json)
      ctx.output.json({
        ok: true,
        profile: profile.name,
        revoked: [],
        revocation: 'skipped',
        removed: false,
      });
    else ctx.output.info(`Profile "${profile.name}" is not signed in: nothing to sign out of.`);
    return;
  }
  if (ctx.json) ctx.output.json({ ok: true, ...result });
  else {
    const revoked = result.revocation === 'done' ? `revoked ${result.revoked.join(' and ')}, ` : '';
    ctx.output.info(`✓ Signed out of profile "${result.profile}": ${revoked}removed the stored credentials.`);
  }
}
