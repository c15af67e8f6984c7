import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli, tempHome } from '../helpers/cli.js';

// A made-up key: long enough to be masked, distinctive enough to find anywhere it leaks.
const API_KEY = 'sk-proj-Zq8v3KkT1mYw9xLpR2cN7bHdE4fUa6sJ0gVoQiBt5abcd';
const MASKED = 'sk-…abcd';
const PROFILE = ['--profile', 'llm'];

const homes: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(homes.splice(0).map((cleanup) => cleanup()));
});

/** A KEYTURN_HOME whose config names the profile the key is for. */
async function home(): Promise<string> {
  const { home, cleanup } = await tempHome();
  homes.push(cleanup);
  await writeFile(join(home, 'config.toml'), '[profiles.llm]\n');
  return home;
}

describe('`login --api-key` reads the key from stdin', () => {
  it('stores a piped key; only `token` ever prints it, `status` shows it masked', async () => {
    const env = { KEYTURN_HOME: await home() };
    const outputs: string[] = [];

    const login = await runCli(['login', '--api-key', ...PROFILE], { env, input: `${API_KEY}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(`Stored the API key ${MASKED}`);
    outputs.push(login.stdout, login.stderr);

    const loginJson = await runCli(['login', '--api-key', ...PROFILE, '--json'], { env, input: API_KEY });
    expect(loginJson.code).toBe(0);
    expect(JSON.parse(loginJson.stdout)).toMatchObject({ ok: true, profile: 'llm', api_key: MASKED });
    outputs.push(loginJson.stdout, loginJson.stderr);

    const status = await runCli(['status', ...PROFILE], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`API key ${MASKED}`);
    const statusJson = await runCli(['status', ...PROFILE, '--json'], { env });
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ kind: 'api_key', api_key: MASKED });
    outputs.push(status.stdout, status.stderr, statusJson.stdout, statusJson.stderr);

    for (const output of outputs) expect(output).not.toContain(API_KEY);

    const token = await runCli(['token', ...PROFILE], { env });
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toBe(`${API_KEY}\n`);
    expect(token.stderr).not.toContain(API_KEY);

    // Stored in the credential file, which only its owner may read.
    const authFile = join(env.KEYTURN_HOME, 'auth.json');
    expect(await readFile(authFile, 'utf8')).toContain(API_KEY);
  });

  it('on a terminal, prompts without echoing the key', async () => {
    const env = { KEYTURN_HOME: await home() };
    // `script` gives the CLI a real pseudo-terminal; everything the terminal shows comes back on stdout.
    const shown = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'script',
        ['-qec', `${process.execPath} ${CLI} login --api-key --profile llm`, '/dev/null'],
        { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let terminal = '';
      let typed = false;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        terminal += chunk;
        if (!typed && terminal.includes('API key (input hidden): ')) {
          typed = true;
          child.stdin.write(`${API_KEY}\r`);
        }
      });
      child.once('error', reject);
      child.once('close', () => resolve(terminal));
      setTimeout(() => child.kill(), 15_000).unref();
    });
    expect(shown).toContain('API key (input hidden): ');
    expect(shown).toContain(`Stored the API key ${MASKED}`);
    expect(shown).not.toContain(API_KEY);
    const token = await runCli(['token', ...PROFILE], { env });
    expect(token.stdout).toBe(`${API_KEY}\n`);
  });

  it('refuses an empty stdin with a usage error (exit 2)', async () => {
    const result = await runCli(['login', '--api-key', ...PROFILE], {
      env: { KEYTURN_HOME: await home() },
      input: '',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error\[usage\]: No API key on stdin/);
  });

  it('never takes the key from argv: an extra argument is a usage error that does not echo it', async () => {
    const result = await runCli(['login', '--api-key', API_KEY, ...PROFILE], {
      env: { KEYTURN_HOME: await home() },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error\[usage\]/);
    expect(result.stderr + result.stdout).not.toContain(API_KEY);
  });

  it('`--api-key` with `--device` is a usage error (exit 2)', async () => {
    const result = await runCli(['login', '--api-key', '--device', ...PROFILE], {
      env: { KEYTURN_HOME: await home() },
      input: API_KEY,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error\[usage\]: --device and --api-key cannot be used together/);
  });
});
