import { describe, expect, it } from 'vitest';
import { codexWords, judgeCodexPorts } from '../../src/core/codex.js';
import type { Finding } from '../../src/core/diagnosis.js';

const CONTEXT = { dotEnvPath: '/home/ada/.codex/.env', dotEnv: {} };
const finding = (
  code: Finding['code'],
  evidence: Record<string, unknown> = {},
  fix: string | null = 'keep',
): Finding => ({
  code,
  severity: 'error',
  title: 't',
  detail: 'The proxy http://p:3128 (from HTTPS_PROXY / https_proxy) does not answer.',
  fix,
  evidence,
});

describe('that CLI’s callback ports', () => {
  it('both free: two passed checks naming its redirect URIs', () => {
    expect(judgeCodexPorts([{ port: 1455 }, { port: 1457 }], 'linux').map((f) => f.title)).toEqual([
      "Port 1455 of that CLI's redirect URI http://localhost:1455/auth/callback is free",
      "Port 1457 of that CLI's redirect URI http://localhost:1457/auth/callback is free",
    ]);
  });

  it('another codex login (by its command line) is asked to stop, with the platform’s command', () => {
    const [busy] = judgeCodexPorts(
      [
        {
          port: 1455,
          errno: 'EADDRINUSE',
          holder: { pid: 77, name: 'node', command: '/usr/bin/codex login' },
        },
        { port: 1457 },
      ],
      'win32',
    );
    expect(busy?.severity).toBe('warning');
    expect(busy?.detail).toContain('Another Codex sign-in is waiting for its browser there.');
    expect(busy?.detail).toContain(
      'That CLI falls back to port 1457, which is free, but only after trying to cancel this holder.',
    );
    expect(busy?.fix).toBe(
      'Finish or close that sign-in; a new `codex login` asks it to cancel by itself. If it hangs, stop it: `taskkill /PID 77`.',
    );
    const [noPid] = judgeCodexPorts(
      [{ port: 1457, errno: 'EADDRINUSE', holder: { name: 'codex' } }],
      'linux',
    );
    expect(noPid?.fix).toMatch(/If it hangs, stop it\.$/);
    expect(noPid?.severity).toBe('error');
    expect(noPid?.evidence).toMatchObject({ fallback_port_free: false });
    expect(noPid?.detail).not.toContain('falls back');
  });

  it('any other holder: the usual fix in that CLI’s words, without keyturn’s fallback setting', () => {
    const [busy] = judgeCodexPorts(
      [{ port: 1455, errno: 'EADDRINUSE', holder: { pid: 9, name: 'python3' } }, { port: 1457 }],
      'linux',
    );
    expect(busy?.fix).toBe(
      'Stop python3 (pid 9): `kill 9`, then run `codex login` again; or sign in without the callback: `codex login --device-auth`.',
    );
    const [denied] = judgeCodexPorts([{ port: 1455, errno: 'EACCES' }, { port: 1457 }], 'linux');
    expect(denied?.severity).toBe('error');
  });
});

describe('findings in that CLI’s words', () => {
  it('a proxy set in its .env file is named with the file and the variable, credentials aside', () => {
    const out = codexWords(finding('proxy_unreachable', { proxy: 'http://p:3128' }), {
      ...CONTEXT,
      dotEnv: { https_proxy: 'http://user:pw@p:3128/' },
    });
    expect(out.evidence.set_in).toBe('/home/ada/.codex/.env (https_proxy)');
    expect(out.detail).toBe(
      'The proxy http://p:3128 does not answer. https_proxy is set in /home/ada/.codex/.env, which that CLI loads when it starts.',
    );
    expect(out.fix).toBe(
      'Fix or remove the line `https_proxy=…` in /home/ada/.codex/.env: the proxy it names does not answer; the doctor changes nothing there.',
    );
    const denied = codexWords(finding('proxy_denied', { proxy: 'p:3128' }), {
      ...CONTEXT,
      dotEnv: { ALL_PROXY: 'p:3128' },
    });
    expect(denied.fix).toBe(
      'Fix or remove the line `ALL_PROXY=…` in /home/ada/.codex/.env; the doctor changes nothing there.',
    );
  });

  it('a proxy from elsewhere keeps the finding’s own words', () => {
    const original = finding('proxy_denied', { proxy: 'http://p:3128' });
    const out = codexWords(original, { ...CONTEXT, dotEnv: { HTTPS_PROXY: 'http://other:1' } });
    expect(out.detail).toBe(original.detail);
    expect(out.evidence).not.toHaveProperty('set_in');
    expect(out.evidence).not.toBe(original.evidence);
  });

  it('an untrusted chain without the OS store: get the CA, CODEX_CA_CERTIFICATE', () => {
    const out = codexWords(
      finding('tls_untrusted', {
        host: 'auth.openai.com',
        issuer: 'CN=Corp Root',
        authorization_error: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      CONTEXT,
    );
    expect(out.detail).toBe(
      'The certificate chain presented by auth.openai.com:443 ends at "CN=Corp Root", a CA that neither the public roots nor CODEX_CA_CERTIFICATE / SSL_CERT_FILE hold (SELF_SIGNED_CERT_IN_CHAIN): TLS inspection by a corporate proxy or security product, most likely.',
    );
    expect(out.fix).toContain('Get the certificate of "CN=Corp Root"');
    const bare = codexWords(finding('tls_untrusted'), CONTEXT);
    expect(bare.fix).toContain('Get the certificate of "?"');
  });

  it('a region block, SSH, WSL and a dead refresh token get that CLI’s fixes', () => {
    expect(codexWords(finding('endpoint_blocked', { region_block: 'x' }), CONTEXT).fix).toContain(
      'supported-countries',
    );
    expect(codexWords(finding('endpoint_blocked', {}), CONTEXT).fix).toBe('keep');
    expect(codexWords(finding('no_browser', { ssh: true }), CONTEXT).fix).toBe(
      'Sign in from any other device: `codex login --device-auth`; or forward the callback port: `ssh -L 1455:localhost:1455 HOST`.',
    );
    expect(codexWords(finding('no_browser'), CONTEXT).fix).toBe(
      'Sign in from any other device: `codex login --device-auth`.',
    );
    expect(codexWords(finding('wsl'), CONTEXT).fix).toMatch(
      /^Sign in without the callback: `codex login --device-auth`; or, from VS Code/,
    );
    expect(codexWords(finding('refresh_rejected'), CONTEXT).fix).toBe('`codex logout`, then `codex login`.');
  });

  it('keyturn’s commands and CA variables in any other fix become that CLI’s; no fix stays none', () => {
    const fix =
      'Run `keyturn login --device` or `keyturn login`; `keyturn doctor --report`; NODE_EXTRA_CA_CERTS / SSL_CERT_FILE / ca_file; NODE_EXTRA_CA_CERTS.';
    expect(codexWords(finding('dns_failed', {}, fix), CONTEXT).fix).toBe(
      'Run `codex login --device-auth` or `codex login`; `keyturn doctor --codex --report`; CODEX_CA_CERTIFICATE / SSL_CERT_FILE; CODEX_CA_CERTIFICATE.',
    );
    expect(codexWords(finding('dns_failed', {}, null), CONTEXT).fix).toBeNull();
  });
});
