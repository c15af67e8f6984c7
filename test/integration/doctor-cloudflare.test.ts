import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { tempHome } from '../helpers/cli.js';
import { codes, finding, runDoctor } from '../helpers/doctor.js';
import { isTokenRequest, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';

/**
 * keyturn's own doctor (and every command, through the one classifier) names a Cloudflare challenge
 * in front of a provider as such: `cf-mitigated: challenge` on an HTML 403, which no command-line
 * client can pass (openai/codex#16052 met it at auth.openai.com/oauth/token).
 * @see https://developers.cloudflare.com/cloudflare-challenges/challenge-types/challenge-pages/detect-response/
 */

const REDIRECT_URI = 'http://127.0.0.1:18723/auth/callback';
const CHALLENGE = {
  status: 403,
  headers: {
    'content-type': 'text/html; charset=UTF-8',
    'cf-mitigated': 'challenge',
    server: 'cloudflare',
    'cf-ray': '8f2a61b0c9d4e3f1-FRA',
  },
  body: '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>',
};

let proxy: FaultProxy;
let issuer: RunningIssuer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy();
  issuer = await startIssuer({ port: 0, publicUrl: proxy.url });
  proxy.setTarget(`http://127.0.0.1:${issuer.port}`);
});

afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  await issuer?.close();
  await proxy?.close();
});

async function home(): Promise<string> {
  const made = await tempHome();
  cleanups.push(made.cleanup);
  return made.home;
}

const provider = () => [
  '--issuer',
  proxy.url,
  '--client-id',
  issuer.clientId,
  '--redirect-uri',
  REDIRECT_URI,
];

describe('a Cloudflare challenge in front of the token endpoint', () => {
  it('is named by `keyturn doctor` as a challenge, not as an unknown block', async () => {
    proxy.addRule({ match: isTokenRequest('authorization_code'), respond: CHALLENGE });
    const { code, report } = await runDoctor(provider(), { home: await home() });
    expect(code).toBe(1);
    expect(codes(report)).toEqual(['endpoint_blocked']);
    const blocked = finding(report, 'endpoint_blocked');
    expect(blocked.detail).toMatch(/Cloudflare challenge page \(cf-mitigated: challenge\)/);
    expect(blocked.evidence).toMatchObject({ cf_mitigated: 'challenge', status: 403, server: 'cloudflare' });
    expect(blocked.fix).toMatch(/another network/);
  });

  it('is named the same way when it answers every request, discovery first', async () => {
    proxy.clearRules();
    proxy.addRule({ match: () => true, respond: CHALLENGE });
    const { report } = await runDoctor(provider(), { home: await home() });
    expect(finding(report, 'endpoint_blocked').evidence).toMatchObject({
      cf_mitigated: 'challenge',
      phase: 'discovery',
    });
    proxy.clearRules();
  });
});
