import { describe, expect, it } from 'vitest';
import { UnsecuredJWT } from 'jose';
import {
  CODEX_CLIENT_ID,
  codexWords,
  judgeCodexHome,
  judgeCodexPorts,
  parseCodexAuth,
  parseDotEnv,
  readCodexConfig,
  type CodexHomeFacts,
} from '../../src/core/codex.js';
import type { Finding } from '../../src/core/diagnosis.js';

const NOW = 1_800_000_000;
const DAY = 86_400;
const jwt = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode();
const ACCOUNT = 'acc-1111';

function authJson(
  options: { accessExp?: number; refreshedAgo?: number; refresh?: string; apiKey?: string } = {},
) {
  const auth = { chatgpt_account_id: ACCOUNT, chatgpt_plan_type: 'pro' };
  return JSON.stringify(
    {
      OPENAI_API_KEY: options.apiKey ?? null,
      tokens: {
        id_token: jwt({
          sub: 'user-1',
          email: 'ada@example.com',
          exp: NOW + 3600,
          'https://api.openai.com/auth': auth,
        }),
        access_token: jwt({ exp: options.accessExp ?? NOW + 5 * DAY, 'https://api.openai.com/auth': auth }),
        refresh_token: options.refresh ?? 'rt_secret-refresh-token-value',
        account_id: ACCOUNT,
      },
      last_refresh: new Date((NOW - (options.refreshedAgo ?? DAY)) * 1000).toISOString(),
    },
    null,
    2,
  );
}

function home(overrides: Partial<CodexHomeFacts> = {}): CodexHomeFacts {
  return {
    home: '/home/ada/.codex',
    authPath: '/home/ada/.codex/auth.json',
    auth: { text: authJson(), mode: 0o100600, folderMode: 0o40700 },
    config: {},
    configPath: '/home/ada/.codex/config.toml',
    dotEnv: {},
    dotEnvPath: '/home/ada/.codex/.env',
    ...overrides,
  };
}

const problems = (findings: Finding[]) =>
  findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => f.code);

describe("reading Codex's auth.json", () => {
  it('reads a ChatGPT sign-in: the three tokens, the account and last_refresh', () => {
    const auth = parseCodexAuth(authJson(), 'auth.json');
    expect(auth.tokens?.accountId).toBe(ACCOUNT);
    expect(auth.lastRefresh).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('names a truncated file store_unreadable, with its path and none of its content', () => {
    const text = authJson();
    let thrown: unknown;
    try {
      parseCodexAuth(text.slice(0, text.length / 2), '/h/.codex/auth.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'store_unreadable' });
    const message = (thrown as Error).message;
    expect(message).toContain('/h/.codex/auth.json');
    expect(message).not.toContain('eyJ');
  });

  it('refuses tokens without a refresh token field as unreadable', () => {
    expect(() => parseCodexAuth('{"tokens":{"id_token":"a","access_token":"b"}}', 'p')).toThrow(
      /refresh_token/,
    );
  });
});

describe("judging Codex's sign-in", () => {
  it('a fresh ChatGPT sign-in is signed in, with no problem, and its three tokens are its secrets', () => {
    const { findings, secrets } = judgeCodexHome(home(), NOW, 'linux');
    expect(problems(findings)).toEqual([]);
    const signedIn = findings.find((f) => f.code === 'signed_in' && f.severity === 'ok');
    expect(signedIn?.title).toMatch(
      /ChatGPT as ada@example.com \(pro\); the access token is valid for 5 days/,
    );
    expect(signedIn?.evidence).toMatchObject({ mode: 'chatgpt', account_id: ACCOUNT });
    expect(secrets).toHaveLength(3);
    expect(JSON.stringify(findings)).not.toContain('rt_secret-refresh-token-value');
  });

  it('an API-key sign-in is named as such and its key is a secret', () => {
    const text = JSON.stringify({
      OPENAI_API_KEY: 'sk-proj-abcdefghijklmnop',
      tokens: null,
      last_refresh: null,
    });
    const { findings, secrets } = judgeCodexHome(home({ auth: { text, mode: 0o600 } }), NOW, 'linux');
    expect(findings.find((f) => f.code === 'signed_in')?.title).toMatch(/API key/);
    expect(secrets).toEqual(['sk-proj-abcdefghijklmnop']);
    expect(JSON.stringify(findings)).not.toContain('sk-proj');
  });

  it('tokens older than 8 days are refreshed at the next start: a note, not a problem', () => {
    const text = authJson({ refreshedAgo: 10 * DAY, accessExp: NOW - DAY });
    const { findings } = judgeCodexHome(home({ auth: { text, mode: 0o600 } }), NOW, 'linux');
    expect(problems(findings)).toEqual([]);
    expect(findings.find((f) => f.severity === 'ok' && f.code === 'signed_in')?.title).toMatch(
      /expired 24 h ago/,
    );
    expect(findings.find((f) => f.severity === 'info' && f.code === 'signed_in')?.title).toMatch(
      /older than 8 days/,
    );
  });

  it.each([0o644, 0o640, 0o604])('auth.json with mode %o is store_insecure, fixed with chmod 600', (mode) => {
    const { findings } = judgeCodexHome(home({ auth: { text: authJson(), mode } }), NOW, 'linux');
    const insecure = findings.find((f) => f.code === 'store_insecure');
    expect(insecure?.severity).toBe('error');
    expect(insecure?.fix).toContain('chmod 600 /home/ada/.codex/auth.json');
  });

  it('no auth.json: not signed in, fixed with `codex login`', () => {
    const { auth: _auth, ...rest } = home();
    const { findings } = judgeCodexHome(rest, NOW, 'linux');
    expect(findings.find((f) => f.code === 'not_signed_in')?.fix).toMatch(/`codex login`/);
  });

  it('forced_login_method = "api" with a ChatGPT sign-in is config_invalid', () => {
    const { findings } = judgeCodexHome(home({ config: { forcedLoginMethod: 'api' } }), NOW, 'linux');
    expect(problems(findings)).toEqual(['config_invalid']);
    expect(findings.find((f) => f.code === 'config_invalid')?.fix).toMatch(/codex logout/);
  });

  it('forced_chatgpt_workspace_id naming another workspace is config_invalid', () => {
    const config = readCodexConfig({ forced_chatgpt_workspace_id: 'acc-2222' });
    const { findings } = judgeCodexHome(home({ config }), NOW, 'linux');
    expect(findings.find((f) => f.code === 'config_invalid')?.detail).toMatch(/acc-2222.*acc-1111/);
    const same = judgeCodexHome(
      home({ config: readCodexConfig({ forced_chatgpt_workspace_id: ACCOUNT }) }),
      NOW,
      'linux',
    );
    expect(problems(same.findings)).toEqual([]);
  });
});

describe('.env as that CLI reads it', () => {
  it('reads KEY=value, export, quotes and comments', () => {
    expect(
      parseDotEnv(
        '# proxy\nexport HTTPS_PROXY="http://proxy.corp:3128"\nNO_PROXY=localhost # local\n\nBAD LINE\nX=\'a b\'',
      ),
    ).toEqual({ HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: 'localhost', X: 'a b' });
  });
});

describe("Codex's callback ports", () => {
  it("wslrelay.exe on 1455 with 1457 free: a warning whose fix is the IDE's WSL setting", () => {
    const [held, free] = judgeCodexPorts(
      [{ port: 1455, errno: 'EADDRINUSE', holder: { pid: 42, name: 'wslrelay.exe' } }, { port: 1457 }],
      'linux',
    );
    expect(held).toMatchObject({ code: 'port_in_use', severity: 'warning' });
    expect(held?.detail).toMatch(/wslrelay\.exe \(pid 42\)/);
    expect(held?.fix).toContain('"Run Codex In Windows Subsystem For Linux"');
    expect(held?.fix).toContain('codex login --device-auth');
    expect(held?.fix).not.toMatch(/keyturn/);
    expect(free).toMatchObject({ code: 'redirect_port', severity: 'ok' });
  });

  it('an IDE holding 1455 is named as such, with the IDE as the place to finish the sign-in', () => {
    const [held] = judgeCodexPorts(
      [{ port: 1455, errno: 'EADDRINUSE', holder: { pid: 9, name: 'Cursor.exe' } }, { port: 1457 }],
      'win32',
    );
    expect(held?.detail).toMatch(/An IDE holds it/);
    expect(held?.fix).toMatch(/in the IDE/);
  });

  it('both ports taken, one by another codex login: errors, each with its fix', () => {
    const findings = judgeCodexPorts(
      [
        { port: 1455, errno: 'EADDRINUSE', holder: { pid: 7, name: 'codex', command: 'codex login' } },
        { port: 1457, errno: 'EADDRINUSE', holder: { pid: 8, name: 'python3' } },
      ],
      'linux',
    );
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['port_in_use', 'error'],
      ['port_in_use', 'error'],
    ]);
    expect(findings[0]?.fix).toMatch(/new `codex login` asks it to cancel/);
    expect(findings[1]?.fix).toMatch(/kill 8/);
    expect(findings[1]?.fix).not.toMatch(/keyturn|redirect_port_fallback/);
  });
});

describe("findings in that CLI's words", () => {
  const context = { dotEnvPath: '/h/.codex/.env', dotEnv: { HTTPS_PROXY: 'http://user:pw@127.0.0.1:9' } };
  const finding = (code: Finding['code'], evidence: Record<string, unknown>, fix = 'x'): Finding => ({
    code,
    severity: 'error',
    title: 't',
    detail: 'The proxy http://127.0.0.1:9 (from HTTPS_PROXY / HTTP_PROXY) cannot be reached.',
    fix,
    evidence,
  });

  it('a proxy set in the .env file is named with the file', () => {
    const out = codexWords(finding('proxy_unreachable', { proxy: 'http://127.0.0.1:9' }), context);
    expect(out.detail).toMatch(/HTTPS_PROXY is set in \/h\/.codex\/.env/);
    expect(out.fix).toMatch(/`HTTPS_PROXY=…` in \/h\/.codex\/.env/);
    expect(out.evidence.set_in).toBe('/h/.codex/.env (HTTPS_PROXY)');
  });

  it('an untrusted chain is fixed with CODEX_CA_CERTIFICATE', () => {
    const out = codexWords(
      finding('tls_untrusted', {
        host: 'auth.openai.com',
        port: 443,
        issuer: 'CN=Corp Inspection CA',
        authorization_error: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      context,
    );
    expect(out.detail).toContain('"CN=Corp Inspection CA"');
    expect(out.fix).toMatch(/export CODEX_CA_CERTIFICATE=/);
    expect(out.fix).not.toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it("a Cloudflare challenge is fixed with another network or that CLI's API-key login", () => {
    const out = codexWords(finding('endpoint_blocked', { cf_mitigated: 'challenge' }), context);
    expect(out.fix).toMatch(/codex login --with-api-key/);
  });

  it("keyturn commands left in a fix become that CLI's", () => {
    const out = codexWords(
      finding('clock_skew', {}, 'Then run `keyturn login --device` or `keyturn login`.'),
      context,
    );
    expect(out.fix).toBe('Then run `codex login --device-auth` or `codex login`.');
  });

  it('uses the public client id of its source', () => {
    expect(CODEX_CLIENT_ID).toBe('app_EMoamEEZ73f0CkXaXp7hrann');
  });
});
