#!/usr/bin/env node
/**
 * acme: a command-line tool that signs its users in to the Acme API with keyturn's library.
 * Everything here uses only keyturn's public API (`import … from 'keyturn'`); the user never sees
 * keyturn's name: folders, fixes, the callback page and the User-Agent all say "acme".
 *
 *   acme login [--device | --api-key] [--cancel-other]   sign in (browser by default)
 *   acme whoami                                          who is signed in
 *   acme get PATH | acme post PATH JSON                  call the Acme API
 *   acme doctor [--json]                                 why signing in fails, and the fix
 *   acme logout                                          sign out
 */
/* global AbortController */
import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import { createClient, exitCodeFor, isKeyturnError } from 'keyturn';

const API = process.env.ACME_API_URL ?? 'https://api.acme.example';

const client = createClient({
  appName: 'acme',
  envPrefix: 'ACME', // ACME_HOME, ACME_PROFILE, ACME_STORE, …
  version: '1.0.0',
  issuer: process.env.ACME_ISSUER ?? 'https://id.acme.example',
  clientId: process.env.ACME_CLIENT_ID ?? 'acme-cli',
  redirectUri: 'http://127.0.0.1:18740/callback', // registered for the acme-cli client
  callbackPage: {
    success: 'You are signed in to Acme. You can close this tab.',
    failure: 'Acme could not sign you in.',
  },
  onProgress: (event) => {
    if (event.type === 'authorization_url') say(`Sign in to Acme at: ${event.url}`);
    else if (event.type === 'browser_opened') say('Your browser is open: finish signing in there.');
    else if (event.type === 'browser_failed')
      say('Open that address in a browser, or run `acme login --device`.');
    else if (event.type === 'user_code')
      say(`Go to ${event.verification_uri} and enter the code ${event.user_code}`);
  },
});

const say = (line) => void process.stderr.write(`${line}\n`);
const cancel = new AbortController();
process.once('SIGINT', () => cancel.abort(new Error('Cancelled.')));

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    device: { type: 'boolean' },
    'api-key': { type: 'boolean' },
    'cancel-other': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const [command, ...rest] = positionals;

async function login() {
  if (flags['api-key']) {
    const stored = await client.loginWithApiKey(await text(process.stdin));
    return say(`Stored your API key ${stored.api_key}.`);
  }
  const here = await client.environment();
  const device = flags.device || here.suggested_login === 'device';
  if (device && !flags.device) for (const reason of here.reasons) say(reason);
  const signal = cancel.signal;
  const result = device
    ? await client.loginWithDevice({ signal })
    : await client.login({ signal, cancelOther: flags['cancel-other'] });
  say(`Signed in as ${result.name ?? result.subject ?? 'you'}.`);
}

async function whoami() {
  const status = await client.status();
  if (!status.signed_in) {
    say(`Not signed in. ${status.problem?.fix ?? 'Run `acme login`.'}`);
    return 3;
  }
  const who = status.kind === 'api_key' ? `API key ${status.api_key}` : (status.name ?? status.subject);
  console.log(who);
}

async function call(method, path, body) {
  const response = await client.fetch(new URL(path, API), {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  console.log(await response.text());
  return response.ok ? 0 : 1;
}

async function doctor() {
  const report = await client.doctor({ timeoutSeconds: 5 });
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else {
    const marks = { ok: '✓', info: '·', warning: '!', error: '✗' };
    for (const finding of report.findings) {
      console.log(`${marks[finding.severity]} ${finding.title}`);
      if (finding.severity === 'error' || finding.severity === 'warning') {
        console.log(`    ${finding.detail}\n    fix: ${finding.fix}`);
      }
    }
  }
  return report.ok ? 0 : 1;
}

const commands = {
  login,
  whoami,
  get: () => call('GET', rest[0] ?? '/'),
  post: () => call('POST', rest[0] ?? '/', rest[1]),
  doctor,
  logout: async () => say((await client.logout()).removed ? 'Signed out.' : 'Was not signed in.'),
};

const run = commands[command];
if (run === undefined) {
  say(
    'usage: acme login [--device|--api-key] | whoami | get PATH | post PATH JSON | doctor [--json] | logout',
  );
  process.exitCode = 2;
} else {
  try {
    process.exitCode = (await run()) ?? 0;
  } catch (error) {
    say(`acme: ${error instanceof Error ? error.message : String(error)}`);
    if (isKeyturnError(error)) say(`fix: ${error.fix}`);
    process.exitCode = exitCodeFor(error);
  }
}
