/* eslint-disable no-control-regex -- matching control characters is what this module is for */
/**
 * The one output gate: text that came from outside (a provider's error_description, a server's
 * headers, a body excerpt, a process name, a discovery field) reaches a terminal or a report only
 * through here, so it cannot drive the terminal. `\e]0;…\a` would retitle the window, `\e[2J` clear
 * it, a lone `\r` overwrite the line before it, and bidirectional overrides reorder what is read
 * (CVE-2021-42574, "Trojan Source"). What is cut shows as `�`, so that the reader sees something was.
 *
 * @see https://invisible-island.net/xterm/ctlseqs/ctlseqs.html (C0, C1, OSC, CSI)
 * @see https://www.unicode.org/reports/tr9/ (bidirectional formatting characters)
 */

// C0 except \t and \n, DEL, C1, and the bidi embedding/override/isolate characters.
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// A line is one line: \t and \n go as well.
const CONTROL_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// An escape sequence goes whole (`\e[2J`, `\e]0;title\a`), not just its ESC, so no fragment of it
// reads as text: CSI, a terminated OSC/DCS/APC/PM/SOS string, and two-character escapes. An
// unterminated string loses only its introducer, so it cannot swallow the text after it.
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)|\u001b[ -~]?/g;

export const REPLACEMENT = '\ufffd';

/**
 * Makes outside text inert for a terminal or a report. `multiline` keeps `\n` and `\t` (a body
 * excerpt, a report); otherwise they become spaces (one line of a message).
 */
export function inert(text: string, options: { multiline?: boolean } = {}): string {
  const withoutSequences = text.replace(ESCAPE_SEQUENCE, REPLACEMENT);
  if (options.multiline === true) {
    // A CR that ends a line (CRLF) is a line end; any other would overwrite what came before it.
    return withoutSequences.replace(/\r\n/g, '\n').replace(CONTROL_MULTILINE, REPLACEMENT);
  }
  return withoutSequences.replace(/[\t\n]/g, ' ').replace(CONTROL_LINE, REPLACEMENT);
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0, but leaves DEL, C1, bidi controls and the
 * line separators raw. Escaping them as `\uXXXX` keeps the document's meaning exactly.
 */
export function inertJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
