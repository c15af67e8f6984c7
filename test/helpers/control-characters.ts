/**
 * Whether text holds a character a terminal acts on: C0 but \t and \n, DEL, C1, or a bidirectional
 * override. Written out by code point, apart from the gate it checks (src/core/sanitize.ts).
 */
export function hasActiveControl(text: string): boolean {
  for (const char of text) {
    const n = char.codePointAt(0) as number;
    if (n < 0x20 && n !== 0x09 && n !== 0x0a) return true;
    if (n >= 0x7f && n <= 0x9f) return true;
    if ((n >= 0x202a && n <= 0x202e) || (n >= 0x2066 && n <= 0x2069)) return true;
  }
  return false;
}
