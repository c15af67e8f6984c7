import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { resolveProfile, type ConfigFile } from '../../src/core/config.js';
import { identifyProvider } from '../../src/core/providers.js';

/** The README's "Providers" section: every example profile is valid and names the provider it says. */
const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
const section = /^## Providers\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
const blocks = [...section.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('README "Providers": the example profiles', () => {
  it('has one for each provider', () => {
    const names = blocks.flatMap((b) => Object.keys((parse(b) as ConfigFile).profiles ?? {}));
    expect(names).toEqual(['github', 'google', 'entra', 'auth0', 'okta', 'keycloak']);
  });

  it.each(blocks.map((b) => [Object.keys((parse(b) as ConfigFile).profiles ?? {})[0] ?? '?', b]))(
    '%s resolves to a complete profile that keyturn recognises',
    (name, block) => {
      const profile = resolveProfile(parse(block) as ConfigFile, {}, { profile: name });
      expect(profile.clientId).toEqual(expect.any(String));
      expect(profile.issuer ?? profile.tokenEndpoint).toMatch(/^https:\/\//);
      const known = identifyProvider([profile.issuer, profile.tokenEndpoint]);
      expect(known?.id).toBe(name);
      if (name === 'google') expect(profile.authorizeParams).toMatchObject({ access_type: 'offline' });
      if (name === 'auth0') expect(profile.issuer?.endsWith('/')).toBe(true);
    },
  );
});
