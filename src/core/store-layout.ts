import { STORE_VERSION, type AuthFile } from './store.js';

/**
 * The layout auth.json is written in: the same JSON document as ever (any JSON reader, any keyturn
 * since 0.1, reads it), laid out so that one profile can be found without reading the others —
 * `keyturn token` must not grow slower with every sign-in held (MCP adds one per server).
 *
 *     {
 *       "version": 1,
 *       "profiles": {
 *         "ci": {"kind":"api_key",…},
 *         "default": {"kind":"oauth",…}
 *       }
 *     }
 *
 * One line per profile, sorted by name (JavaScript string order): a binary search over the file's
 * bytes finds a profile in O(log n) small reads. A file in any other layout (written by keyturn 0.1,
 * or by hand) is still read whole; the next write lays it out anew.
 */

const HEADER = `{\n  "version": ${STORE_VERSION},\n  "profiles": {\n`;
const FOOTER = '  }\n}\n';
const INDENT = '    ';

/** auth.json's text in the searchable layout. */
export function formatAuthFile(doc: AuthFile): string {
  const names = Object.keys(doc.profiles).sort();
  const lines = names.map(
    (name, i) =>
      `${INDENT}${JSON.stringify(name)}: ${JSON.stringify(doc.profiles[name])}${i < names.length - 1 ? ',' : ''}\n`,
  );
  return `${HEADER}${lines.join('')}${FOOTER}`;
}

/** Reads up to `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/**
 * What a search found: the profile's value as parsed JSON; `absent` when the file is in the layout
 * and has no such profile; `unlaid` when it is not in the layout (or damaged): read it whole.
 */
export type LaidOutLookup = { found: unknown } | 'absent' | 'unlaid';

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CHUNK = 4096;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function same(bytes: Uint8Array, text: Uint8Array): boolean {
  if (bytes.length !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text[i]) return false;
  return true;
}

/** Thrown inside the search when the bytes are not in the layout. */
class Unlaid extends Error {}

/**
 * Finds profile `name` in a file of `size` bytes laid out by formatAuthFile, reading only what the
 * binary search needs. The header and footer are checked, so a truncated or foreign file is `unlaid`.
 */
export function findLaidOut(read: ReadAt, size: number, name: string): LaidOutLookup {
  const header = encoder.encode(HEADER);
  const footer = encoder.encode(FOOTER);
  if (size < header.length + footer.length) return 'unlaid';
  if (!same(read(0, header.length), header)) return 'unlaid';
  if (!same(read(size - footer.length, footer.length), footer)) return 'unlaid';
  const end = size - footer.length;

  /** The offset just past the newline ending the line that holds `offset`. */
  const endOfLine = (offset: number): number => {
    for (let at = offset; at < end; at += CHUNK) {
      const bytes = read(at, Math.min(CHUNK, end - at));
      const i = bytes.indexOf(NEWLINE);
      if (i >= 0) return at + i + 1;
      if (bytes.length === 0) break;
    }
    throw new Unlaid();
  };
  /** The name on the line starting at `start`, and where its value starts. */
  const nameAt = (start: number): { name: string; valueAt: number } => {
    const indent = encoder.encode(`${INDENT}"`);
    const head = read(start, CHUNK);
    if (!same(head.subarray(0, indent.length), indent)) throw new Unlaid();
    for (let i = indent.length; i < head.length; i++) {
      if (head[i] === BACKSLASH) i++;
      else if (head[i] === QUOTE) {
        const parsed: unknown = JSON.parse(decoder.decode(head.subarray(INDENT.length, i + 1)));
        if (typeof parsed !== 'string' || head[i + 1] !== 0x3a || head[i + 2] !== 0x20) throw new Unlaid();
        return { name: parsed, valueAt: start + i + 3 };
      }
    }
    // A name longer than a chunk is not something keyturn writes.
    throw new Unlaid();
  };

  try {
    let lo = header.length;
    let hi = end;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      let start = mid === lo ? lo : endOfLine(mid - 1);
      if (start >= hi) start = lo;
      const line = nameAt(start);
      const next = endOfLine(start);
      if (line.name === name) {
        let valueEnd = next - 1;
        const bytes = read(line.valueAt, valueEnd - line.valueAt);
        // Every line but the last ends with a comma.
        const last = next === end;
        if (!last && bytes[bytes.length - 1] !== 0x2c) throw new Unlaid();
        if (!last) valueEnd--;
        return { found: JSON.parse(decoder.decode(bytes.subarray(0, valueEnd - line.valueAt))) };
      }
      if (name < line.name) hi = start;
      else lo = next;
    }
    return 'absent';
  } catch (error) {
    if (error instanceof Unlaid || error instanceof SyntaxError || error instanceof TypeError)
      return 'unlaid';
    throw error;
  }
}
