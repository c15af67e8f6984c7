import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_SCOPES,
  DEFAULT_REDIRECT_URI,
  validateRedirectUri,
  type Profile,
} from '../../core/config.js';
import { FileStore } from '../../adapters/file-store.js';
import type { Deps } from '../../flows/deps.js';
import type { CommandContext } from '../context.js';
import { formatStatus } from '../status-format.js';

/**
 * The embedded default: a real authorization server on loopback, a real browser sign-in against it,
 * then `status`; narrated step by step, leaving nothing running and nothing behind.
 */
export async function runDemo(
  ctx: CommandContext,
  options: { open?: boolean; timeout: number; redirectUri?: string },
): Promise<void> {
  const { output } = ctx;
  const redirectUri = options.redirectUri ?? DEFAULT_REDIRECT_URI;
  validateRedirectUri(redirectUri);
  const { startIssuer } = await import('../../issuer/index.js');
  const issuer = await startIssuer({ port: 0 });
  const scratch = await mkdtemp(join(tmpdir(), 'keyturn-demo-'));
  try {
    output.step(
      'Authorization server',
      `started the built-in OpenID provider at ${issuer.issuer} (demo account: ${issuer.demoUser.username} / ${issuer.demoUser.password})`,
    );
    const profile: Profile = {
      name: 'demo',
      issuer: issuer.issuer,
      clientId: issuer.clientId,
      scopes: DEFAULT_SCOPES,
      redirectUri,
      // The built-in server accepts any loopback port (RFC 8252 §7.3): a busy 1455 is no obstacle here.
      redirectPortFallback: true,
      store: 'file',
    };
    const store = new FileStore(join(scratch, 'auth.json'), 'a scratch folder for the demo, removed at exit');
    const deps: Deps = {
      ...ctx.deps,
      paths: {
        configFile: join(scratch, 'config.toml'),
        dataDir: scratch,
        authFile: store.path,
        lockDir: scratch,
      },
      store: async () => store,
    };
    const { loginWithBrowser } = await import('../../flows/login-browser.js');
    await loginWithBrowser(
      deps,
      { profile, timeoutSeconds: options.timeout, open: options.open !== false },
      ctx.signal,
    );
    const { getStatus } = await import('../../flows/status.js');
    const report = await getStatus(deps, profile);
    if (ctx.json) ctx.output.json({ ok: true, status: report });
    else {
      output.info('');
      output.info('keyturn status:');
      for (const line of formatStatus(report)) output.info(line);
      output.info('');
      output.info('Next: run `keyturn dev-issuer` in one terminal and, in another,');
      output.info('  keyturn login --issuer http://127.0.0.1:9090 --client-id keyturn-demo');
      output.info('  keyturn token');
    }
  } finally {
    await issuer.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
