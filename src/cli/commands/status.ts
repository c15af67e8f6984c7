import { formatStatus, statusExitCode } from '../status-format.js';
import type { CommandContext } from '../context.js';

/** Exit code 3 when sign-in is required (SPEC exit codes); the report itself is shown either way. */
export async function runStatus(ctx: CommandContext): Promise<number> {
  let profile = await ctx.profile();
  if (profile.resource !== undefined) {
    // An MCP server's sign-in, kept under the profile and resource (as `token --resource` reads it).
    const { tokenProfile } = await import('../../flows/mcp-login.js');
    profile = await tokenProfile(ctx.deps, { ...profile, resource: profile.resource });
  }
  const { getStatus } = await import('../../flows/status.js');
  const report = await getStatus(ctx.deps, profile);
  if (ctx.json) ctx.output.json(report);
  // The human report is the result: stdout, so `keyturn status | grep` sees it.
  else for (const line of formatStatus(report)) ctx.output.result(line);
  return statusExitCode(report);
}
