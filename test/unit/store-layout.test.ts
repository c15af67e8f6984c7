import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findLaidOut, formatAuthFile, type ReadAt } from '../../src/core/store-layout.js';
import type { AuthFile } from '../../src/core/store.js';
import type { Credentials } from '../../src/core/credentials.js';

const RUNS = Math.max(100, Math.floor(Number(process.env.PROPERTY_RUNS ?? 10_000) / 10));

/** A reader over the file's bytes that counts what it was asked for. */
function reader(text: string): { read: ReadAt; size: number; bytesRead: () => number } {
  const bytes = new TextEncoder().encode(text);
  let total = 0;
  return {
    size: bytes.length,
    bytesRead: () => total,
    read: (offset, length) => {
      const part = bytes.subarray(offset, offset + length);
      total += part.length;
      return part;
    },
  };
}

function find(text: string, name: string) {
  const { read, size } = reader(text);
  return findLaidOut(read, size, name);
}

function signIn(token: string): Credentials {
  return {
    kind: 'oauth',
    issuer: 'https://id.example.invalid',
    client_id: 'client',
    access_token: token,
    token_type: 'Bearer',
    expires_at: 2_000_000_000,
    obtained_at: 1_900_000_000,
  };
}

const names = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
  fc.constantFrom(
    'default',
    'ci',
    '"quoted"',
    'back\\slash',
    'new\nline',
    'mcp:https://x.invalid/',
    '__proto__',
  ),
);
const docs = fc
  .uniqueArray(fc.tuple(names, fc.string({ maxLength: 5000 })), { selector: ([name]) => name, maxLength: 40 })
  .map((entries): AuthFile => {
    const profiles: Record<string, Credentials> = {};
    for (const [name, token] of entries)
      Object.defineProperty(profiles, name, {
        value: signIn(`at-${token}`),
        enumerable: true,
        writable: true,
      });
    return { version: 1, profiles };
  });

describe('auth.json laid out one profile a line', () => {
  it('is the same JSON document: any reader parses it to what was written', () => {
    fc.assert(
      fc.property(docs, (doc) => {
        expect(JSON.parse(formatAuthFile(doc))).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: RUNS },
    );
  });

  it('finds every profile it holds, and no other, whatever the names (quotes, unicode, __proto__)', () => {
    fc.assert(
      fc.property(docs, names, (doc, other) => {
        const text = formatAuthFile(doc);
        for (const name of Object.keys(doc.profiles)) {
          expect(find(text, name)).toEqual({ found: JSON.parse(JSON.stringify(doc.profiles[name])) });
        }
        if (!Object.hasOwn(doc.profiles, other)) expect(find(text, other)).toBe('absent');
      }),
      { numRuns: RUNS },
    );
  });

  it('reads a small part of a large store to find one profile', () => {
    const profiles: Record<string, Credentials> = {};
    for (let i = 0; i < 5000; i++) profiles[`profile-${i}`] = signIn(`token-${i}-${'a'.repeat(2000)}`);
    const text = formatAuthFile({ version: 1, profiles });
    const { read, size, bytesRead } = reader(text);
    expect(findLaidOut(read, size, 'profile-4321')).toEqual({ found: profiles['profile-4321'] });
    // A binary search: about log2(5000) ≈ 13 lines of ~2 KiB, not the 10 MiB file.
    expect(size).toBeGreaterThan(10_000_000);
    expect(bytesRead()).toBeLessThan(200_000);
  });

  it('an empty store has no profile', () => {
    expect(find(formatAuthFile({ version: 1, profiles: {} }), 'default')).toBe('absent');
  });

  it('sends any other layout to a whole read: keyturn 0.1, a hand-edited file, compact JSON', () => {
    const doc: AuthFile = { version: 1, profiles: { a: signIn('x'), default: signIn('y'), z: signIn('z') } };
    expect(find(JSON.stringify(doc, null, 2), 'default')).toBe('unlaid');
    expect(find(JSON.stringify(doc), 'default')).toBe('unlaid');
    expect(find(formatAuthFile(doc).replace('"version": 1', '"version": 2'), 'default')).toBe('unlaid');
    // Hand-edited: a line of a profile spread over several lines.
    const spread = formatAuthFile(doc).replace('{"kind":"oauth"', '{\n"kind":"oauth"');
    expect(['unlaid', 'absent']).toContain(find(spread, 'default'));
    expect(find(spread, 'default')).not.toEqual({ found: expect.anything() as unknown });
  });

  it('never serves from a damaged file: truncated anywhere, or a line cut short', () => {
    const doc: AuthFile = { version: 1, profiles: { a: signIn('x'), default: signIn('y'), z: signIn('z') } };
    const text = formatAuthFile(doc);
    for (let cut = 0; cut < text.length; cut++) {
      const result = find(text.slice(0, cut), 'default');
      expect(result).toBe('unlaid');
    }
    const broken = text.replace('"access_token":"y"', '"access_token":"y');
    expect(find(broken, 'default')).toBe('unlaid');
  });
});
