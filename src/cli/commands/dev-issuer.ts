import { KeyturnError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';

/** Runs the built-in authorization server until Ctrl-C. */
export async function runDevIssuer(
  ctx: CommandContext,
  options: { port: number; accessTokenTtl?: number; statsFile?: string },
): Promise<void> {
  const { startIssuer } = await import('../../issuer/index.js');
  const issuer = await startIssuer({
    port: options.port,
    ...(options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl }),
  }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    throw new KeyturnError('port_in_use', `Port ${options.port} on 127.0.0.1 cannot be used (${code}).`, {
      fix: `Stop what holds it, or pick another port: \`keyturn dev-issuer --port ${options.port + 1}\`.`,
      evidence: { port: options.port, host: '127.0.0.1' },
    });
  });
  if (options.statsFile !== undefined) {
    // For benchmarks: the counters, rewritten (atomically) before each answer leaves.
    const { renameSync, writeFileSync } = await import('node:fs');
    const path = options.statsFile;
    const write = () => {
      writeFileSync(`${path}.tmp`, `${JSON.stringify(issuer.stats)}\n`);
      renameSync(`${path}.tmp`, path);
    };
    write();
    for (const event of ['token', 'revocation', 'userinfo']) issuer.events.on(event, write);
  }
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
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await issuer.close();
}
