/**
 * The D-Bus wire format (D-Bus specification, "Message Protocol"), as much as a client that makes a
 * few method calls needs: marshalling a method call, and reading any message a bus sends back. Pure:
 * bytes in, values out. Values read: `y n q i u` numbers, `b` booleans, `x t` bigints, `d` numbers,
 * `s o g` strings, `ay` Buffers, other arrays arrays (`a{..}` of [key, value] pairs), structs arrays,
 * variants `{ signature, value }`.
 */

export type DbusValue =
  number | bigint | boolean | string | Buffer | DbusValue[] | { signature: string; value: DbusValue };

export const MESSAGE_TYPE = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;

const FIELD = {
  path: 1,
  interface: 2,
  member: 3,
  errorName: 4,
  replySerial: 5,
  destination: 6,
  sender: 7,
  signature: 8,
} as const;

/** The largest message the specification allows (128 MiB): anything longer is a broken stream. */
const MAX_MESSAGE = 2 ** 27;

const ALIGNMENT: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  s: 4,
  o: 4,
  g: 1,
  a: 4,
  '(': 8,
  '{': 8,
  v: 1,
  h: 4,
};

/** The end of the single complete type that starts at `start` in `signature`. */
export function completeTypeEnd(signature: string, start: number): number {
  const code = signature[start];
  if (code === undefined) throw new Error(`signature "${signature}" ends early`);
  if (code === 'a') return completeTypeEnd(signature, start + 1);
  if (code === '(' || code === '{') {
    const close = code === '(' ? ')' : '}';
    let i = start + 1;
    while (signature[i] !== close) {
      if (i >= signature.length) throw new Error(`signature "${signature}" is not closed`);
      i = completeTypeEnd(signature, i);
    }
    return i + 1;
  }
  if (ALIGNMENT[code] === undefined) throw new Error(`type "${code}" is not supported`);
  return start + 1;
}

/** The complete types of a signature, in order. */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  for (let i = 0; i < signature.length;) {
    const end = completeTypeEnd(signature, i);
    types.push(signature.slice(i, end));
    i = end;
  }
  return types;
}

/** Little-endian marshalling; offsets (and so alignment) count from the start of what it writes. */
export class DbusWriter {
  private bytes: number[] = [];

  get length(): number {
    return this.bytes.length;
  }

  align(n: number): void {
    while (this.bytes.length % n !== 0) this.bytes.push(0);
  }

  private raw(buffer: Buffer): void {
    for (const byte of buffer) this.bytes.push(byte);
  }

  private uint32At(offset: number, value: number): void {
    for (let k = 0; k < 4; k++) this.bytes[offset + k] = (value >>> (8 * k)) & 0xff;
  }

  /** Writes one value of complete type `type`. */
  write(type: string, value: DbusValue): void {
    const code = type[0] as string;
    this.align(ALIGNMENT[code] ?? 1);
    switch (code) {
      case 'y':
        this.bytes.push(Number(value) & 0xff);
        return;
      case 'b':
      case 'u':
      case 'i': {
        const n = code === 'b' ? (value === true ? 1 : 0) : Number(value);
        const start = this.bytes.length;
        this.bytes.push(0, 0, 0, 0);
        this.uint32At(start, n >>> 0);
        return;
      }
      case 's':
      case 'o': {
        const text = Buffer.from(String(value), 'utf8');
        const start = this.bytes.length;
        this.bytes.push(0, 0, 0, 0);
        this.uint32At(start, text.length);
        this.raw(text);
        this.bytes.push(0);
        return;
      }
      case 'g': {
        const text = Buffer.from(String(value), 'ascii');
        this.bytes.push(text.length);
        this.raw(text);
        this.bytes.push(0);
        return;
      }
      case 'v': {
        const variant = value as { signature: string; value: DbusValue };
        this.write('g', variant.signature);
        this.write(variant.signature, variant.value);
        return;
      }
      case 'a': {
        const element = type.slice(1);
        const lengthAt = this.bytes.length;
        this.bytes.push(0, 0, 0, 0);
        this.align(ALIGNMENT[element[0] as string] ?? 1);
        const start = this.bytes.length;
        const items: DbusValue[] = Buffer.isBuffer(value) ? [...value] : (value as DbusValue[]);
        for (const item of items) this.write(element, item);
        this.uint32At(lengthAt, this.bytes.length - start);
        return;
      }
      case '(':
      case '{': {
        const members = splitSignature(type.slice(1, -1));
        const values = value as DbusValue[];
        members.forEach((member, k) => this.write(member, values[k] as DbusValue));
        return;
      }
      default:
        throw new Error(`type "${code}" is not supported`);
    }
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

export interface MethodCall {
  serial: number;
  path: string;
  interface?: string;
  member: string;
  destination?: string;
  /** The body's signature, and one value per complete type in it. */
  signature?: string;
  body?: DbusValue[];
}

/** A method call message, little-endian. */
export function encodeMethodCall(call: MethodCall): Buffer {
  const body = new DbusWriter();
  const types = call.signature === undefined ? [] : splitSignature(call.signature);
  types.forEach((type, k) => body.write(type, call.body?.[k] as DbusValue));
  const fields: DbusValue[] = [[FIELD.path, { signature: 'o', value: call.path }]];
  if (call.interface !== undefined) fields.push([FIELD.interface, { signature: 's', value: call.interface }]);
  fields.push([FIELD.member, { signature: 's', value: call.member }]);
  if (call.destination !== undefined) {
    fields.push([FIELD.destination, { signature: 's', value: call.destination }]);
  }
  if (call.signature !== undefined && call.signature !== '') {
    fields.push([FIELD.signature, { signature: 'g', value: call.signature }]);
  }
  const header = new DbusWriter();
  header.write('y', 'l'.charCodeAt(0));
  header.write('y', MESSAGE_TYPE.methodCall);
  header.write('y', 0);
  header.write('y', 1);
  header.write('u', body.length);
  header.write('u', call.serial);
  header.write('a(yv)', fields);
  header.align(8);
  return Buffer.concat([header.toBuffer(), body.toBuffer()]);
}

/** Reads values of either byte order; offsets count from the start of `buffer`. */
export class DbusReader {
  offset: number;
  private depth = 0;

  constructor(
    private readonly buffer: Buffer,
    private readonly littleEndian: boolean,
    offset = 0,
  ) {
    this.offset = offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.buffer.length) throw new Error('the message ends early');
  }

  private align(n: number): void {
    this.offset = Math.ceil(this.offset / n) * n;
  }

  private uint32(): number {
    this.need(4);
    const value = this.littleEndian
      ? this.buffer.readUInt32LE(this.offset)
      : this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** Reads one value of complete type `type`. */
  read(type: string): DbusValue {
    // The specification allows 64 levels (32 of arrays and structs, 32 of variants); a stream that
    // nests deeper is broken, and must not exhaust the stack.
    if (++this.depth > 64) throw new Error('values nested too deeply');
    try {
      return this.readValue(type);
    } finally {
      this.depth--;
    }
  }

  private readValue(type: string): DbusValue {
    const code = type[0] as string;
    this.align(ALIGNMENT[code] ?? 1);
    const b = this.buffer;
    const le = this.littleEndian;
    switch (code) {
      case 'y':
        this.need(1);
        return b[this.offset++] as number;
      case 'b':
        return this.uint32() !== 0;
      case 'n':
      case 'q': {
        this.need(2);
        const at = this.offset;
        this.offset += 2;
        if (code === 'n') return le ? b.readInt16LE(at) : b.readInt16BE(at);
        return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
      }
      case 'i': {
        this.need(4);
        const at = this.offset;
        this.offset += 4;
        return le ? b.readInt32LE(at) : b.readInt32BE(at);
      }
      case 'u':
      case 'h':
        return this.uint32();
      case 'x':
      case 't':
      case 'd': {
        this.need(8);
        const at = this.offset;
        this.offset += 8;
        if (code === 'x') return le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
        if (code === 't') return le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
        return le ? b.readDoubleLE(at) : b.readDoubleBE(at);
      }
      case 's':
      case 'o': {
        const length = this.uint32();
        this.need(length + 1);
        const text = b.toString('utf8', this.offset, this.offset + length);
        this.offset += length + 1;
        return text;
      }
      case 'g': {
        this.need(1);
        const length = b[this.offset++] as number;
        this.need(length + 1);
        const text = b.toString('ascii', this.offset, this.offset + length);
        this.offset += length + 1;
        return text;
      }
      case 'v': {
        const signature = this.read('g') as string;
        if (splitSignature(signature).length !== 1) throw new Error('a variant holds one complete type');
        return { signature, value: this.read(signature) };
      }
      case 'a': {
        const length = this.uint32();
        const element = type.slice(1);
        this.align(ALIGNMENT[element[0] as string] ?? 1);
        this.need(length);
        const end = this.offset + length;
        if (element === 'y') {
          const bytes = Buffer.from(b.subarray(this.offset, end));
          this.offset = end;
          return bytes;
        }
        const items: DbusValue[] = [];
        while (this.offset < end) items.push(this.read(element));
        if (this.offset !== end) throw new Error('an array overruns its length');
        return items;
      }
      case '(':
      case '{':
        return splitSignature(type.slice(1, -1)).map((member) => this.read(member));
      default:
        throw new Error(`type "${code}" is not supported`);
    }
  }
}

export interface DbusMessage {
  type: number;
  serial: number;
  replySerial?: number;
  errorName?: string;
  signature: string;
  body: DbusValue[];
}

/**
 * The first message in `buffer` and its length in bytes; undefined while the message is incomplete.
 * Throws on bytes that are no D-Bus message.
 */
export function decodeMessage(buffer: Buffer): { message: DbusMessage; length: number } | undefined {
  if (buffer.length < 16) return undefined;
  const order = String.fromCharCode(buffer[0] as number);
  if (order !== 'l' && order !== 'B') throw new Error('not a D-Bus message (byte order)');
  const littleEndian = order === 'l';
  const header = new DbusReader(buffer, littleEndian, 4);
  const bodyLength = header.read('u') as number;
  const serial = header.read('u') as number;
  const fieldsLength = header.read('u') as number;
  const bodyStart = Math.ceil((16 + fieldsLength) / 8) * 8;
  const length = bodyStart + bodyLength;
  if (length > MAX_MESSAGE) throw new Error('a D-Bus message beyond the maximum length');
  if (buffer.length < length) return undefined;
  const message = buffer.subarray(0, length);
  const fields = new DbusReader(message, littleEndian, 12).read('a(yv)') as [
    number,
    { signature: string; value: DbusValue },
  ][];
  const field = (code: number) => fields.find(([c]) => c === code)?.[1].value;
  const signature = (field(FIELD.signature) as string | undefined) ?? '';
  const reader = new DbusReader(message, littleEndian, bodyStart);
  const body = splitSignature(signature).map((type) => reader.read(type));
  const replySerial = field(FIELD.replySerial);
  const errorName = field(FIELD.errorName);
  return {
    message: {
      type: buffer[1] as number,
      serial,
      signature,
      body,
      ...(typeof replySerial === 'number' ? { replySerial } : {}),
      ...(typeof errorName === 'string' ? { errorName } : {}),
    },
    length,
  };
}
