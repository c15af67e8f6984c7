import { KeyturnError } from '../core/errors.js';
import { maskSecret, type ApiKeyCredentials } from '../core/credentials.js';
import type { Profile } from '../core/config.js';
import { bindingOf } from '../core/binding.js';
import { nowSeconds, type Deps } from './deps.js';

/** What `loginWithApiKey` stored: the profile, the key masked, the store kind; never the key itself. */
export interface ApiKeyLoginResult {
  profile: string;
  api_key: string;
  store: string;
}

/** Stores an API key read from stdin (never from argv) as the profile's credential. */
export async function loginWithApiKey(
  deps: Deps,
  input: { profile: Profile; readSecret: () => Promise<string> },
): Promise<ApiKeyLoginResult> {
  const key = (await input.readSecret()).trim();
  if (key === '') {
    throw new KeyturnError('usage', 'No API key on stdin.', {
      fix: ({ command }) =>
        `Pipe the key in: \`printf %s "$KEY" | ${command} login --api-key\` (never pass it as an argument).`,
    });
  }
  if (/\s/.test(key)) {
    throw new KeyturnError('usage', 'The API key read from stdin contains whitespace.', {
      fix: 'Give exactly one key, on one line.',
    });
  }
  const credentials: ApiKeyCredentials = {
    kind: 'api_key',
    api_key: key,
    obtained_at: nowSeconds(deps),
    provider: bindingOf(input.profile),
  };
  if (input.profile.issuer !== undefined) credentials.issuer = input.profile.issuer;
  if (input.profile.clientId !== undefined) credentials.client_id = input.profile.clientId;
  const store = await deps.store(input.profile);
  await store.put(input.profile.name, credentials);
  return { profile: input.profile.name, api_key: maskSecret(key), store: store.kind };
}
