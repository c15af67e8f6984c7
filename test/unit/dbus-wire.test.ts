import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DbusReader,
  DbusWriter,
  MESSAGE_TYPE,
  decodeMessage,
  encodeMethodCall,
  splitSignature,
  type DbusValue,
} from '../../src/adapters/dbus-wire.js';

// Real messages, captured with `dbus-monitor --binary` on a private bus with gnome-keyring-daemon.
/** dbus-send (libdbus) calling org.freedesktop.DBus.GetNameOwner("org.freedesktop.secrets"), serial 2; the bus added a sender field (":1.5"). */
const LIBDBUS_GET_NAME_OWNER =
  'bAEAARwAAAACAAAAfQAAAAEBbwABAAAALwAAAAAAAAACAXMAFAAAAG9yZy5mcmVlZGVza3RvcC5EQnVzAAAAAAMBcwAMAAAAR2V0TmFtZU93bmVyAAAAAAYBcwAUAAAAb3JnLmZyZWVkZXNrdG9wLkRCdXMAAAAACAFnAAFzAAAHAXMABAAAADoxLjUAAAAAFwAAAG9yZy5mcmVlZGVza3RvcC5zZWNyZXRzAA==';
/** gnome-keyring's answer to SearchItems: one unlocked item, no locked one (signature aoao). */
const SEARCH_ITEMS_REPLY =
  'bAIBATgAAAAXAAAANQAAAAYBcwAEAAAAOjEuNAAAAAAIAWcABGFvYW8AAAAAAAAABQF1AAIAAAAHAXMABAAAADoxLjAAAAAAMAAAACsAAAAvb3JnL2ZyZWVkZXNrdG9wL3NlY3JldHMvY29sbGVjdGlvbi9sb2dpbi8yAAAAAAA=';
/** gnome-keyring's answer to Item.GetSecret in a "plain" session: (oayays), the secret "s3crét" (a test value). */
const GET_SECRET_REPLY =
  'bAIBAUcAAAAZAAAANQAAAAYBcwAEAAAAOjEuNAAAAAAIAWcACChvYXlheXMpAAAABQF1AAQAAAAHAXMABAAAADoxLjAAAAAAIwAAAC9vcmcvZnJlZWRlc2t0b3Avc2VjcmV0cy9zZXNzaW9uL3MzAAAAAAAHAAAAczNjcsOpdAAKAAAAdGV4dC9wbGFpbgA=';

const bytes = (base64: string) => Buffer.from(base64, 'base64');

describe('D-Bus messages on the wire', () => {
  it('marshals a method call byte for byte as libdbus does', () => {
    const libdbus = bytes(LIBDBUS_GET_NAME_OWNER);
    const ours = encodeMethodCall({
      serial: 2,
      path: '/',
      interface: 'org.freedesktop.DBus',
      member: 'GetNameOwner',
      destination: 'org.freedesktop.DBus',
      signature: 's',
      body: ['org.freedesktop.secrets'],
    });
    // Byte order, type, flags, version, body length, serial.
    expect(ours.subarray(0, 12)).toEqual(libdbus.subarray(0, 12));
    // Path, interface, member, destination and signature fields (the bus appended the sender after them).
    const fieldsLength = ours.readUInt32LE(12);
    expect(fieldsLength).toBe(libdbus.readUInt32LE(12) - 14);
    expect(ours.subarray(16, 16 + fieldsLength)).toEqual(libdbus.subarray(16, 16 + fieldsLength));
    // The body.
    expect(ours.subarray(-ours.readUInt32LE(4))).toEqual(libdbus.subarray(-libdbus.readUInt32LE(4)));
  });

  it('reads the call libdbus sent, with the fields the bus added', () => {
    const decoded = decodeMessage(bytes(LIBDBUS_GET_NAME_OWNER));
    expect(decoded?.length).toBe(bytes(LIBDBUS_GET_NAME_OWNER).length);
    expect(decoded?.message).toEqual({
      type: MESSAGE_TYPE.methodCall,
      serial: 2,
      signature: 's',
      body: ['org.freedesktop.secrets'],
    });
  });

  it("reads gnome-keyring's answers: object paths, and a secret as bytes", () => {
    expect(decodeMessage(bytes(SEARCH_ITEMS_REPLY))?.message).toEqual({
      type: MESSAGE_TYPE.methodReturn,
      serial: 23,
      replySerial: 2,
      signature: 'aoao',
      body: [['/org/freedesktop/secrets/collection/login/2'], []],
    });
    const secret = decodeMessage(bytes(GET_SECRET_REPLY))?.message;
    expect(secret?.signature).toBe('(oayays)');
    const [session, parameters, value, contentType] = secret?.body[0] as [string, Buffer, Buffer, string];
    expect(session).toBe('/org/freedesktop/secrets/session/s3');
    expect(parameters.length).toBe(0);
    expect(value.toString('utf8')).toBe('s3crét');
    expect(contentType).toBe('text/plain');
  });

  it('waits for the rest of a message that has not fully arrived, and reads the next one after it', () => {
    const reply = bytes(SEARCH_ITEMS_REPLY);
    expect(decodeMessage(reply.subarray(0, 10))).toBeUndefined();
    expect(decodeMessage(reply.subarray(0, reply.length - 1))).toBeUndefined();
    const two = Buffer.concat([reply, bytes(GET_SECRET_REPLY)]);
    const first = decodeMessage(two);
    expect(first?.length).toBe(reply.length);
    expect(decodeMessage(two.subarray(first?.length))?.message.replySerial).toBe(4);
  });

  it('reads big-endian messages too', () => {
    // A method return, serial 7, reply to 3, signature "u", body 258: written by hand, big-endian.
    const header = Buffer.from([
      0x42, 2, 0, 1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 15, 5, 1, 0x75, 0, 0, 0, 0, 3, 8, 1, 0x67, 0, 1, 0x75,
      0, 0,
    ]);
    const message = Buffer.concat([header, Buffer.from([0, 0, 1, 2])]);
    expect(decodeMessage(message)?.message).toEqual({
      type: MESSAGE_TYPE.methodReturn,
      serial: 7,
      replySerial: 3,
      signature: 'u',
      body: [258],
    });
  });

  it('refuses bytes that are no D-Bus message', () => {
    expect(() => decodeMessage(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/not a D-Bus message/);
    const truncatedArray = bytes(SEARCH_ITEMS_REPLY);
    truncatedArray.writeUInt32LE(0x1000, 0x48); // the first array claims more bytes than the body has
    expect(() => decodeMessage(truncatedArray)).toThrow(/ends early/);
  });
});

describe('D-Bus values', () => {
  it('splits a signature into complete types', () => {
    expect(splitSignature('a{ss}sv(oayays)aoao')).toEqual(['a{ss}', 's', 'v', '(oayays)', 'ao', 'ao']);
    expect(() => splitSignature('(ss')).toThrow();
    expect(() => splitSignature('a')).toThrow();
  });

  it('reads back what it writes, with every alignment in place', () => {
    const cases: [string, DbusValue][] = [
      [
        'a{ss}',
        [
          ['service', 'keyturn:/home/a b'],
          ['username', 'default'],
        ],
      ],
      ['(oayays)', ['/s/1', Buffer.from([]), Buffer.from('sécret'), 'text/plain']],
      ['v', { signature: 'as', value: ['a', 'bc'] }],
      [
        'a(yv)',
        [
          [1, { signature: 'o', value: '/' }],
          [5, { signature: 'u', value: 9 }],
        ],
      ],
      ['ay', Buffer.from([0, 255, 7])],
      ['b', true],
      ['g', 'a{sv}'],
    ];
    for (const [type, value] of cases) {
      const writer = new DbusWriter();
      writer.write('y', 1); // misaligns what follows, as in a real body
      writer.write(type, value);
      const reader = new DbusReader(writer.toBuffer(), true, 0);
      reader.read('y');
      expect(reader.read(type), type).toEqual(value);
      expect(reader.offset, type).toBe(writer.length);
    }
  });
});

// scripts/mutation.mjs lowers this (PROPERTY_RUNS) to keep thousands of mutants affordable.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);

describe('D-Bus bytes from the bus (property-based)', () => {
  /** What decodeMessage may do with any bytes: wait for more, read a message within them, or throw an Error. */
  function decodesOrRefuses(buffer: Buffer): void {
    let decoded;
    try {
      decoded = decodeMessage(buffer);
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(Error);
      return;
    }
    if (decoded !== undefined) {
      expect(decoded.length).toBeLessThanOrEqual(buffer.length);
      expect(decoded.message.body.length).toBe(splitSignature(decoded.message.signature).length);
    }
  }

  it('any bytes at all', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodesOrRefuses(Buffer.from(bytes))),
      { numRuns: RUNS },
    );
  });

  it('real answers with bytes changed anywhere (lengths, signatures, padding, values)', () => {
    const originals = [SEARCH_ITEMS_REPLY, GET_SECRET_REPLY, LIBDBUS_GET_NAME_OWNER].map(bytes);
    fc.assert(
      fc.property(
        fc.nat({ max: originals.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (which, changes, cut) => {
          const buffer = Buffer.from(originals[which] as Buffer);
          for (const [at, value] of changes) buffer[at % buffer.length] = value;
          decodesOrRefuses(buffer);
          decodesOrRefuses(buffer.subarray(0, cut % (buffer.length + 1)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a variant nested beyond the specification is refused, not a stack overflow', () => {
    // v → v → v … 10,000 deep: each level is the signature "v" (1 byte, "v", NUL).
    const nested = Buffer.alloc(10_000 * 3);
    for (let i = 0; i < 10_000; i++) nested.set([1, 0x76, 0], i * 3);
    expect(() => new DbusReader(nested, true, 0).read('v')).toThrow(/nested too deeply/);
  });

  it('reads back whatever it writes (the calls keyturn makes, and the answers it reads)', () => {
    const text = fc.string({ maxLength: 40 });
    const path = fc
      .array(fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/), { maxLength: 4 })
      .map((parts) => `/${parts.join('/')}`);
    const blob = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
    const cases = fc.oneof(
      fc
        .array(fc.tuple(text, text), { maxLength: 4 })
        .map((pairs) => ['a{ss}', pairs] as [string, DbusValue]),
      fc.tuple(path, blob, blob, text).map((secret) => ['(oayays)', secret] as [string, DbusValue]),
      fc
        .tuple(fc.array(path, { maxLength: 3 }), fc.array(path, { maxLength: 3 }))
        .map((lists) => ['(aoao)', lists] as [string, DbusValue]),
      fc
        .tuple(text, fc.nat({ max: 2 ** 32 - 1 }))
        .map(([s, u]) => ['(svu)', [s, { signature: 'u', value: u }, u]] as [string, DbusValue]),
    );
    fc.assert(
      fc.property(fc.nat({ max: 7 }), cases, (lead, [type, value]) => {
        const writer = new DbusWriter();
        for (let i = 0; i < lead; i++) writer.write('y', i);
        writer.write(type, value);
        const reader = new DbusReader(writer.toBuffer(), true, 0);
        for (let i = 0; i < lead; i++) reader.read('y');
        expect(reader.read(type)).toEqual(value);
        expect(reader.offset).toBe(writer.length);
      }),
      { numRuns: RUNS },
    );
  });
});
