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
