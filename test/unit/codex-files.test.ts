import { describe, expect, it } from 'vitest';
import {
  codexMode,
  codexSecrets,
  parseCodexAuth,
  parseDotEnv,
  readCodexConfig,
} from '../../src/core/codex.js';
import { KeyturnError } from '../../src/core/errors.js';

const PATH = '/home/me/.codex/auth.json';
const TOKENS = { id_token: 'id', access_token: 'at', refresh_token: 'rt' };

function unreadable(text: string): KeyturnError {
  try {
    parseCodexAuth(text, PATH);
  } catch (error) {
    if (error instanceof KeyturnError) return error;
    throw error;
  }
  throw new Error('expected store_unreadable');
}

describe('Codex’s auth.json, read without ever quoting it', () => {
  it('a file that is not a JSON object names the file and the problem', () => {
    for (const text of ['[]', 'null', '"x"']) {
      const error = unreadable(text);
      expect(error.code).toBe('store_unreadable');
      expect(error.message).toBe(`Codex's credential file ${PATH} does not hold a JSON object.`);
      expect(error.evidence).toEqual({ path: PATH });
      expect(error.fix).toBe(
        '`codex logout` (it removes the file), then `codex login` — or `codex login --device-auth` where no browser can reach this machine.',
      );
    }
    expect(unreadable('{"a":').message).toBe(
      `Codex's credential file ${PATH} is not valid JSON (5 bytes: cut short, or edited by hand).`,
    );
    expect(unreadable('{"a":').evidence).toEqual({ path: PATH, bytes: 5 });
  });

  it('an API key that is not a string is unreadable; an empty or null one is no key', () => {
    expect(unreadable('{"OPENAI_API_KEY": 5}').message).toContain(
      'has an OPENAI_API_KEY that is not a string',
    );
    expect(parseCodexAuth('{"OPENAI_API_KEY": ""}', PATH)).toEqual({});
    expect(parseCodexAuth('{"OPENAI_API_KEY": null, "tokens": null}', PATH)).toEqual({});
  });

  it('tokens missing fields name them; tokens that are not an object are unreadable', () => {
    const error = unreadable(JSON.stringify({ tokens: { id_token: 'id' } }));
    expect(error.message).toBe(
      `Codex's credential file ${PATH} has tokens without access_token, refresh_token.`,
    );
    expect(error.evidence).toEqual({ path: PATH, missing: ['access_token', 'refresh_token'] });
    expect(unreadable('{"tokens": 5}').message).toContain(
      'has tokens without id_token, access_token, refresh_token',
    );
  });

  it('auth_mode, the account and last_refresh are kept when they are strings', () => {
    expect(
      parseCodexAuth(
        JSON.stringify({ auth_mode: 'chatgpt', tokens: { ...TOKENS, account_id: 5 }, last_refresh: 7 }),
        PATH,
      ),
    ).toEqual({ authMode: 'chatgpt', tokens: { idToken: 'id', accessToken: 'at', refreshToken: 'rt' } });
  });

  it('the mode: auth_mode apikey with a key, else tokens, else a key, else none', () => {
    const tokens = { idToken: 'i', accessToken: 'a', refreshToken: 'r' };
    expect(codexMode({ authMode: 'apikey', apiKey: 'sk', tokens })).toBe('api_key');
    expect(codexMode({ authMode: 'apikey', tokens })).toBe('chatgpt');
    expect(codexMode({ apiKey: 'sk', tokens })).toBe('chatgpt');
    expect(codexMode({ apiKey: 'sk' })).toBe('api_key');
    expect(codexMode({})).toBe('none');
  });

  it('its secrets are every key and token it holds, none empty', () => {
    expect(codexSecrets(undefined)).toEqual([]);
    expect(
      codexSecrets({ apiKey: 'sk', tokens: { idToken: 'i', accessToken: '', refreshToken: 'r' } }),
    ).toEqual(['sk', 'i', 'r']);
  });
});

describe('Codex’s .env and config.toml', () => {
  it('.env: CRLF lines, comments, names with dots, unquoted trailing comments, unbalanced quotes', () => {
    expect(
      parseDotEnv(
        '# c\r\nA=1\r\n  export B.x = two words # note\nC="quoted # kept"\nD=\'single\'\nE="open\n1BAD=x\nnot a line\nF=\nG=a#b\n',
      ),
    ).toEqual({ A: '1', 'B.x': 'two words', C: 'quoted # kept', D: 'single', E: '"open', F: '', G: 'a#b' });
  });

  it('config.toml: the credential store, the login method, one or more workspaces', () => {
    expect(
      readCodexConfig({ cli_auth_credentials_store: 'keyring', forced_login_method: 'chatgpt' }),
    ).toEqual({
      credentialsStore: 'keyring',
      forcedLoginMethod: 'chatgpt',
    });
    expect(readCodexConfig({ forced_chatgpt_workspace_id: 'ws-1' })).toEqual({
      forcedWorkspaceIds: ['ws-1'],
    });
    expect(readCodexConfig({ forced_chatgpt_workspace_id: ['ws-1', 2, 'ws-2'] })).toEqual({
      forcedWorkspaceIds: ['ws-1', 'ws-2'],
    });
    expect(readCodexConfig({ forced_chatgpt_workspace_id: '', cli_auth_credentials_store: 1 })).toEqual({});
  });
});
