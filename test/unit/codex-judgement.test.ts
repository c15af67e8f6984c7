import { describe, expect, it } from 'vitest';
import { UnsecuredJWT } from 'jose';
import { judgeCodexHome, type CodexHomeFacts } from '../../src/core/codex.js';
import type { Finding } from '../../src/core/diagnosis.js';

const NOW = 1_800_000_000;
const DAY = 86_400;
const HOME = '/home/ada/.codex';
const AUTH = `${HOME}/auth.json`;
const CONFIG = `${HOME}/config.toml`;
const jwt = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode();

function tokens(id: Record<string, unknown>, access: Record<string, unknown>, refresh = 'rt-value-secret') {
  return JSON.stringify({ tokens: { id_token: jwt(id), access_token: jwt(access), refresh_token: refresh } });
}

function facts(overrides: Partial<CodexHomeFacts> = {}): CodexHomeFacts {
  return {
    home: HOME,
    authPath: AUTH,
    auth: { text: tokens({ sub: 'user-1' }, { exp: NOW + 3600 }), mode: 0o100600, folderMode: 0o40755 },
    config: {},
    configPath: CONFIG,
    dotEnv: {},
    dotEnvPath: `${HOME}/.env`,
    ...overrides,
  };
}

const judge = (overrides: Partial<CodexHomeFacts> = {}, platform = 'linux') =>
  judgeCodexHome(facts(overrides), NOW, platform);
const titles = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.code}: ${f.title}`);

describe('where Codex keeps its sign-in', () => {
  it('config.toml that is not TOML is an error naming the file', () => {
    const [first] = judge({ configError: 'line 3: expected "="' }).findings;
    expect(first).toMatchObject({
      code: 'config_invalid',
      detail: `${CONFIG} is not valid TOML: line 3: expected "="`,
    });
    expect(first?.fix).toBe(`Fix ${CONFIG}: that CLI refuses to start with it.`);
  });

  it('the store: the file by default, the keyring, or the keyring with the file as fallback', () => {
    expect(judge().findings[0]).toMatchObject({
      code: 'store',
      title: `Codex keeps its credentials in ${AUTH}`,
      evidence: { home: HOME, path: AUTH, cli_auth_credentials_store: 'file' },
    });
    expect(judge({ config: { credentialsStore: 'keyring' } }).findings[0]?.title).toBe(
      'Codex keeps its credentials in the OS keyring (cli_auth_credentials_store = "keyring")',
    );
    expect(
      judge({
        config: { credentialsStore: 'auto', forcedLoginMethod: 'chatgpt', forcedWorkspaceIds: ['a', 'b'] },
      }).findings[0],
    ).toMatchObject({
      title: `Codex keeps its credentials in the OS keyring when one is available, else in ${AUTH} (cli_auth_credentials_store = "auto")`,
      evidence: { forced_login_method: 'chatgpt', forced_chatgpt_workspace_id: 'a,b' },
    });
  });

  it('no auth.json: unreadable, in the keyring, or not signed in', () => {
    const { auth: _, ...noAuth } = facts();
    const unreadable = judgeCodexHome({ ...noAuth, authError: 'EACCES' }, NOW, 'linux');
    expect(unreadable.findings[1]).toMatchObject({
      code: 'store_unreadable',
      detail: `Codex's credential file ${AUTH} cannot be read (EACCES).`,
      evidence: { path: AUTH, errno: 'EACCES' },
    });
    expect(unreadable.secrets).toEqual([]);
    expect(
      judgeCodexHome({ ...noAuth, config: { credentialsStore: 'keyring' } }, NOW, 'linux').findings[1],
    ).toMatchObject({
      code: 'not_signed_in',
      severity: 'info',
      title: expect.stringContaining('which the doctor does not read'),
    });
    expect(judgeCodexHome(noAuth, NOW, 'linux').findings[1]).toMatchObject({
      code: 'not_signed_in',
      detail: `${AUTH} does not exist.`,
    });
  });
});

describe('the file’s modes', () => {
  it('a file others can read, in a folder others can write, is named with both and both chmods', () => {
    const auth = { text: tokens({ sub: 'u' }, { exp: NOW + 3600 }), mode: 0o100644, folderMode: 0o40777 };
    const insecure = judge({ auth }).findings.find((f) => f.code === 'store_insecure');
    expect(insecure?.detail).toBe(
      `${AUTH} has mode 0644 and its folder ${HOME} has mode 0777: other users of this machine can read or replace Codex's tokens (that CLI writes it 0600).`,
    );
    expect(insecure?.fix).toBe(
      `\`chmod 700 ${HOME} && chmod 600 ${AUTH}\`; if others may already have read it, \`codex logout\` then \`codex login\` to end that sign-in.`,
    );
    expect(insecure?.evidence).toEqual({ path: AUTH, file_mode: '0644', folder: HOME, folder_mode: '0777' });
  });

  it('a folder others can only list (0755, the umask’s) is fine; modes mean nothing on Windows', () => {
    expect(titles(judge().findings).join('\n')).not.toContain('store_insecure');
    const auth = { text: tokens({ sub: 'u' }, { exp: NOW + 3600 }), mode: 0o100666 };
    expect(judge({ auth }).findings.find((f) => f.code === 'store_insecure')?.evidence).toEqual({
      path: AUTH,
      file_mode: '0666',
    });
    expect(judge({ auth }, 'win32').findings.some((f) => f.code === 'store_insecure')).toBe(false);
  });
});

describe('the sign-in it holds', () => {
  it('an empty file object is not signed in', () => {
    const finding = judge({ auth: { text: '{}', mode: 0o100600 } }).findings[1];
    expect(finding).toMatchObject({
      code: 'not_signed_in',
      detail: `${AUTH} holds neither tokens nor an API key.`,
    });
  });

  it('forced_login_method = "chatgpt" with an API key is refused, with the fix for a ChatGPT login', () => {
    const { findings } = judge({
      auth: { text: '{"OPENAI_API_KEY":"sk-abcdefghijklmnopqrstuvwxyz"}', mode: 0o100600 },
      config: { forcedLoginMethod: 'chatgpt' },
    });
    const refused = findings.find((f) => f.code === 'config_invalid');
    expect(refused?.detail).toBe(
      `${CONFIG} sets forced_login_method = "chatgpt", but ${AUTH} holds an API key: that CLI refuses it.`,
    );
    expect(refused?.fix).toBe('`codex logout`, then `codex login` with your ChatGPT account.');
    expect(findings.at(-1)).toMatchObject({
      code: 'signed_in',
      severity: 'ok',
      title: 'Codex is signed in with an API key',
    });
  });

  it('an id_token that is not a JWT is unreadable', () => {
    const text = JSON.stringify({ tokens: { id_token: 'nope', access_token: 'a', refresh_token: 'r' } });
    expect(judge({ auth: { text, mode: 0o100600 } }).findings.at(-1)?.detail).toBe(
      `Codex's credential file ${AUTH} holds an id_token that is not a JWT.`,
    );
  });

  it('signed in as the e-mail, else the subject, else an unnamed account; the expiry said either way', () => {
    const valid = judge({ auth: { text: tokens({ sub: 'user-1' }, { exp: NOW + 3600 }), mode: 0o100600 } });
    expect(valid.findings.find((f) => f.severity === 'ok')?.title).toBe(
      'Codex is signed in with ChatGPT as user-1; the access token is valid for 60 min',
    );
    const expired = judge({ auth: { text: tokens({}, { exp: NOW - 2 * 3600 }), mode: 0o100600 } });
    expect(expired.findings.find((f) => f.severity === 'ok')).toMatchObject({
      title: 'Codex is signed in with ChatGPT as an unnamed account; the access token expired 2 h ago',
      evidence: {
        subject: null,
        plan: null,
        account_id: null,
        access_token_expires_in: -7200,
        last_refresh: null,
      },
    });
    expect(expired.findings.at(-1)?.title).toBe(
      'last_refresh is missing or not an RFC 3339 time: that CLI refreshes the tokens at its next start',
    );
  });

  it('expired tokens refreshed lately are refreshed at the next start, probing the issuer’s token endpoint', () => {
    const text = JSON.stringify({
      tokens: {
        id_token: jwt({ email: 'ada@example.com' }),
        access_token: jwt({ exp: NOW - 60 }),
        refresh_token: 'r',
      },
      last_refresh: new Date((NOW - DAY) * 1000).toISOString(),
    });
    const { findings } = judgeCodexHome(
      facts({ auth: { text, mode: 0o100600 } }),
      NOW,
      'linux',
      'https://issuer.test',
    );
    expect(findings.at(-1)).toMatchObject({
      severity: 'info',
      title:
        'The tokens are expired: that CLI refreshes them at its next start (POST https://issuer.test/oauth/token, probed below)',
      evidence: { age_seconds: DAY },
    });
  });

  it('exactly 8 days since the last refresh, with a valid token, needs no note', () => {
    const text = JSON.stringify({
      tokens: { id_token: jwt({ sub: 'u' }), access_token: jwt({ exp: NOW + 60 }), refresh_token: 'r' },
      last_refresh: new Date((NOW - 8 * DAY) * 1000).toISOString(),
    });
    expect(judge({ auth: { text, mode: 0o100600 } }).findings.at(-1)?.severity).toBe('ok');
  });

  it('no refresh token: the sign-in ends with the access token', () => {
    const { findings, secrets } = judge({
      auth: { text: tokens({ sub: 'u' }, { exp: NOW + 60 }, ''), mode: 0o100600 },
    });
    expect(findings.at(-1)).toMatchObject({
      code: 'refresh_rejected',
      detail: `${AUTH} holds no refresh token: the sign-in ends when the access token expires.`,
      fix: '`codex logout`, then `codex login`.',
    });
    expect(secrets).toHaveLength(2);
  });

  it('a sign-in without a workspace, where config.toml forces one, is logged out by that CLI', () => {
    const refused = judge({ config: { forcedWorkspaceIds: ['ws-1', 'ws-2'] } }).findings.find(
      (f) => f.code === 'config_invalid',
    );
    expect(refused?.detail).toBe(
      `${CONFIG} sets forced_chatgpt_workspace_id = "ws-1,ws-2", but this sign-in is for workspace (none named): that CLI logs it out.`,
    );
    expect(refused?.fix).toBe('`codex logout`, then `codex login` and choose the workspace ws-1 or ws-2.');
    expect(
      judge({ config: { forcedWorkspaceIds: [] } }).findings.some((f) => f.code === 'config_invalid'),
    ).toBe(false);
  });
});
