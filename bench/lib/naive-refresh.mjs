// The naive client of bench/refresh-storm: what a tool does without cross-process coordination.
// It reads the stored sign-in, refreshes it with openid-client directly (no lock, no re-read), and
// writes the answer back. Prints the access token on success, the OAuth error on failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oidc from 'openid-client';

const file = join(process.env.KEYTURN_HOME, 'auth.json');
const doc = JSON.parse(readFileSync(file, 'utf8'));
const creds = doc.profiles.default;
try {
  const config = await oidc.discovery(
    new URL(creds.issuer),
    creds.client_id,
    { token_endpoint_auth_method: 'none' },
    oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  const tokens = await oidc.refreshTokenGrant(config, creds.refresh_token);
  doc.profiles.default = {
    ...creds,
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token ?? creds.refresh_token,
    expires_at: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 0),
    obtained_at: Math.floor(Date.now() / 1000),
  };
  writeFileSync(file, JSON.stringify(doc, null, 2));
  process.stdout.write(`${tokens.access_token}\n`);
} catch (error) {
  process.stderr.write(`${error.error ?? error.code ?? error.message}\n`);
  process.exitCode = 1;
}
