import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { CODEX_CLIENT_ID } from '../providers/openai.js';

/**
 * CODEX_HOME folders written the way OpenAI's Codex CLI writes them (codex-rs/login auth/storage.rs:
 * `auth.json` pretty-printed serde JSON, mode 0600, in a 0700 folder; ChatGPT sign-ins hold the
 * id/access/refresh tokens, the account id and `last_refresh`; API-key sign-ins the key alone),
 * plus the broken variants its users meet.
 */
export interface CodexHome {
  home: string;
  authPath: string;
  /** Every token and key written: none may appear in any output. */
  secrets: string[];
  cleanup(): Promise<void>;
}

export interface CodexHomeOptions {
  /** `chatgpt` (default), `api_key`, or no auth.json at all. */
  mode?: 'chatgpt' | 'api_key' | 'none';
  /** auth.json's file mode (default 0600). */
  fileMode?: number;
  /** Cut auth.json in half, as a full disk or a killed write leaves it. */
  truncated?: boolean;
  /** Seconds since the last refresh (default one day) and until the access token expires (default 9 days). */
  refreshedAgo?: number;
  accessExpiresIn?: number;
  accountId?: string;
  /** Lines of `$CODEX_HOME/.env`. */
  dotEnv?: string;
  /** Contents of `$CODEX_HOME/config.toml`. */
  configToml?: string;
}

const token = (prefix: string, bytes = 32) => `${prefix}${randomBytes(bytes).toString('base64url')}`;

let keys: ReturnType<typeof generateKeyPair> | undefined;

export async function writeCodexHome(options: CodexHomeOptions = {}): Promise<CodexHome> {
  const home = await mkdtemp(join(tmpdir(), 'kt-codex-home-'));
  await chmod(home, 0o700);
  const authPath = join(home, 'auth.json');
  const secrets: string[] = [];
  const now = Math.floor(Date.now() / 1000);
  const mode = options.mode ?? 'chatgpt';
  let doc: Record<string, unknown> | undefined;
  if (mode === 'api_key') {
    const key = token('sk-proj-', 48);
    secrets.push(key);
    doc = { OPENAI_API_KEY: key, tokens: null, last_refresh: null };
  } else if (mode === 'chatgpt') {
    const { privateKey } = await (keys ??= generateKeyPair('RS256'));
    const accountId = options.accountId ?? '4c1f2a1e-7b9d-4d0a-9a3e-0b6f5e2d8c11';
    const auth = {
      chatgpt_account_id: accountId,
      chatgpt_plan_type: 'plus',
      chatgpt_user_id: 'user-Xq3v9LmT2bK8nR4sW1yZ6pD0',
    };
    const sign = (claims: Record<string, unknown>, exp: number) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'codex-test', typ: 'JWT' })
        .setIssuer('https://auth.openai.com')
        .setSubject('auth0|67a1b2c3d4e5f60718293a4b')
        .setIssuedAt(now - (options.refreshedAgo ?? 86_400))
        .setExpirationTime(exp)
        .sign(privateKey);
    const idToken = await sign(
      {
        aud: [CODEX_CLIENT_ID],
        email: 'dev@example.com',
        email_verified: true,
        'https://api.openai.com/auth': auth,
      },
      now + 3600,
    );
    const accessToken = await sign(
      {
        aud: ['https://api.openai.com/v1'],
        client_id: CODEX_CLIENT_ID,
        scp: ['openid', 'profile', 'email', 'offline_access'],
        'https://api.openai.com/auth': auth,
      },
      now + (options.accessExpiresIn ?? 9 * 86_400),
    );
    const refreshToken = token('rt_', 40);
    secrets.push(idToken, accessToken, refreshToken);
    doc = {
      OPENAI_API_KEY: null,
      tokens: {
        id_token: idToken,
        access_token: accessToken,
        refresh_token: refreshToken,
        account_id: accountId,
      },
      last_refresh: new Date((now - (options.refreshedAgo ?? 86_400)) * 1000)
        .toISOString()
        .replace('Z', '123456Z'),
    };
  }
  if (doc !== undefined) {
    let text = JSON.stringify(doc, null, 2);
    if (options.truncated === true) text = text.slice(0, Math.floor(text.length / 2));
    await writeFile(authPath, text, { mode: 0o600 });
    await chmod(authPath, options.fileMode ?? 0o600);
  }
  if (options.dotEnv !== undefined) await writeFile(join(home, '.env'), options.dotEnv);
  if (options.configToml !== undefined) await writeFile(join(home, 'config.toml'), options.configToml);
  return { home, authPath, secrets, cleanup: () => rm(home, { recursive: true, force: true }) };
}
