import { describe, expect, it } from 'vitest';
import { bindingOf } from '../../../src/core/binding.js';
import { resolveProfile } from '../../../src/core/config.js';
import { passed, type Finding } from '../../../src/core/diagnosis.js';
import type { OAuthConfig } from '../../../src/adapters/oauth.js';
import type { Probes } from '../../../src/adapters/probes/index.js';
import { runDoctor } from '../../../src/flows/doctor.js';
import { T0, MemoryStore, fakeDeps } from './fake-deps.js';

/**
 * `runDoctor` over fake deps and fake probes, the clock frozen at T0: the flow's own judgement —
 * what the sign-in's state means at this instant, the clock against the provider's Date header,
 * the binding — and that the report carries no secret.
 */

const NOW = T0 / 1000;
const profile = resolveProfile({}, {}, { issuer: 'https://id.example.com', clientId: 'cli' });

const server = {
  issuer: 'https://id.example.com',
  authorization_endpoint: 'https://id.example.com/authorize',
  token_endpoint: 'https://id.example.com/token',
};

/** A provider that answers everything well; its Date header says `providerDate`. */
function healthyProbes(providerDate: number): Partial<Probes> {
  const config = {
    serverMetadata: () => server,
    clientMetadata: () => ({ client_id: 'cli' }),
  } as unknown as OAuthConfig;
  return {
    caSources: () => [],
    trustedCas: () => undefined,
    checkCaSources: () => [],
    checkStoreFile: async () => [],
    checkRedirectPort: async () => passed('redirect_port', 'Port 1455 is free'),
    probeHost: async (target) => [passed('tls', `${target.url.host} answers`)],
    probeDiscovery: async () => ({
      findings: [passed('discovery', 'Discovery works')],
      config,
      answer: {
        url: 'https://id.example.com/.well-known/openid-configuration',
        status: 200,
        date: new Date(providerDate).toUTCString(),
        receivedAt: T0,
      },
    }),
    probeAuthorization: async () => [passed('authorization_endpoint', 'accepted')],
    probeToken: async () => [passed('token_endpoint', 'answers as expected')],
  };
}

function signedIn(expiresIn: number, issuer = 'https://id.example.com'): MemoryStore {
  const store = new MemoryStore();
  const signedInProfile = resolveProfile({}, {}, { issuer, clientId: 'cli' });
  store.profiles.set('default', {
    kind: 'oauth',
    issuer,
    client_id: 'cli',
    access_token: 'secret-access-token',
    refresh_token: 'secret-refresh-token',
    token_type: 'Bearer',
    obtained_at: NOW - 3600,
    expires_at: NOW + expiresIn,
    claims: { email: 'user@example.com' },
    provider: bindingOf(signedInProfile),
  });
  return store;
}

const byCode = (findings: Finding[], code: string) => findings.find((f) => f.code === code);

describe('doctor over fake deps', () => {
  it('says an expired access token will be refreshed, counted on the frozen clock, and the report holds no token', async () => {
    const { deps } = fakeDeps({}, { store: signedIn(-300), probes: healthyProbes(T0) });

    const { report } = await runDoctor(deps, { profile, timeoutSeconds: 5 });

    expect(byCode(report.findings, 'signed_in')).toMatchObject({
      severity: 'ok',
      title: expect.stringMatching(
        /user@example\.com; the access token expired 5 min ago and the next `keyturn token` refreshes it/,
      ),
    });
    expect(report.ok).toBe(true);
    expect(JSON.stringify(report)).not.toMatch(/secret-(access|refresh)-token/);
  });

  it('names a clock two hours ahead of the provider (clock_skew) from the Date header', async () => {
    const { deps } = fakeDeps({}, { store: signedIn(600), probes: healthyProbes(T0 - 2 * 3600 * 1000) });

    const { report } = await runDoctor(deps, { profile, timeoutSeconds: 5 });

    expect(byCode(report.findings, 'clock_skew')).toMatchObject({
      severity: 'error',
      evidence: expect.objectContaining({ clock_offset_seconds: 7200 }),
    });
    expect(report.ok).toBe(false);
  });

  it('names a stored sign-in made with another provider than the profile now names (config_invalid)', async () => {
    const { deps } = fakeDeps({}, { store: signedIn(600, 'https://old.example'), probes: healthyProbes(T0) });

    const { report } = await runDoctor(deps, { profile, timeoutSeconds: 5 });

    expect(byCode(report.findings, 'config_invalid')).toMatchObject({
      severity: 'error',
      detail: expect.stringContaining('https://old.example'),
    });
  });
});
