import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../src/core/classify.js';
import { bodyExcerpt } from '../../src/core/redact.js';

const URL = 'https://auth.openai.com/oauth/token';
const CHALLENGE =
  '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Enable JavaScript and cookies to continue</body></html>';
const REGION =
  '{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}';

describe('a block that says who refused', () => {
  it.each(['token', 'discovery', 'authorization', 'refresh'] as const)(
    'names a Cloudflare challenge page (cf-mitigated: challenge) at the %s step',
    (phase) => {
      const error = classifyExchange({
        phase,
        url: URL,
        status: 403,
        contentType: 'text/html; charset=UTF-8',
        server: 'cloudflare',
        cfMitigated: 'challenge',
        bodyExcerpt: bodyExcerpt(CHALLENGE),
      });
      expect(error.code).toBe('endpoint_blocked');
      expect(error.message).toMatch(/Cloudflare challenge page \(cf-mitigated: challenge\)/);
      expect(error.evidence).toMatchObject({ cf_mitigated: 'challenge', status: 403, server: 'cloudflare' });
      expect(error.fix).toMatch(/another network/);
      expect(error.transient).toBe(false);
    },
  );

  it('keeps an HTML 403 without the header a generic block', () => {
    const error = classifyExchange({
      phase: 'token',
      url: URL,
      status: 403,
      contentType: 'text/html',
      server: 'cloudflare',
      bodyExcerpt: bodyExcerpt(CHALLENGE),
    });
    expect(error.code).toBe('endpoint_blocked');
    expect(error.message).not.toMatch(/challenge/);
    expect(error.evidence.cf_mitigated).toBeUndefined();
  });

  it("names OpenAI's region block from its error body, even once the excerpt is redacted", () => {
    const excerpt = bodyExcerpt(REGION);
    const error = classifyExchange({
      phase: 'token',
      url: URL,
      status: 403,
      contentType: 'application/json',
      bodyExcerpt: excerpt,
    });
    expect(error.code).toBe('endpoint_blocked');
    expect(error.message).toMatch(/does not serve the country or region/);
    expect(error.evidence).toMatchObject({ region_block: 'unsupported_country_region_territory' });
    expect(error.fix).toMatch(/supported-countries/);
  });
});
