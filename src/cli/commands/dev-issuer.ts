import type { CommandContext } from '../context.js';

/** Runs the built-in authorization server until Ctrl-C. */
export async function runDevIssuer(
  ctx: CommandContext,
  options: { port: number; accessTokenTtl?: number },
): Promise<void> {
  const { startIssuer } = await import('../../issuer/index.js');
  const issuer = await startIssuer({
    port: options.port,
    ...(options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl }),
  });
  const facts = {
    issuer: issuer.issuer,
    client_id: issuer.clientId,
    username: issuer.demoUser.username,
    password: issuer.demoUser.password,
  };
  if (ctx.json) ctx.output.json(facts);
  ctx.output.info(`Built-in authorization server listening at ${issuer.issuer}`);
  ctx.output.info(
    `  client id: ${issuer.clientId} (public, PKCE)   demo account: ${facts.username} / ${facts.password}`,
  );
  ctx.output.info(`  sign in:   keyturn login --issuer ${issuer.issuer} --client-id ${issuer.clientId}`);
  ctx.output.info('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  await issuer.close();
}
