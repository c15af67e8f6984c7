import { describe, expect, it } from 'vitest';
import { inert, inertJson, REPLACEMENT as R } from '../../src/core/sanitize.js';

const ESC = '\u001b';
const BEL = '\u0007';
const chars = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));

describe('the output gate cuts exactly the characters that can drive a terminal or reorder text', () => {
  it('every C0 control but tab and newline goes from multi-line text; tab and newline stay', () => {
    for (const c of [...chars(0x00, 0x08), ...chars(0x0b, 0x1a), ...chars(0x1c, 0x1f)]) {
      expect(inert(`a${c}b`, { multiline: true })).toBe(`a${R}b`);
    }
    expect(inert('a\tb\nc', { multiline: true })).toBe('a\tb\nc');
  });

  it('in one line, tab and newline become spaces and the other C0 controls go', () => {
    expect(inert('a\tb\nc')).toBe('a b c');
    for (const c of [...chars(0x00, 0x08), '\u000b', '\u000c', '\r', ...chars(0x1c, 0x1f)]) {
      expect(inert(`a${c}b`)).toBe(`a${R}b`);
    }
  });

  it('DEL and every C1 control go, in both modes; the characters around them stay', () => {
    for (const c of chars(0x7f, 0x9f).filter((c) => !'\u0090\u0098\u009b\u009d\u009e\u009f'.includes(c))) {
      expect(inert(`a${c}b`)).toBe(`a${R}b`);
      expect(inert(`a${c}b`, { multiline: true })).toBe(`a${R}b`);
    }
    expect(inert(' ~\u00a0é')).toBe(' ~\u00a0é');
    expect(inert(' ~\u00a0é', { multiline: true })).toBe(' ~\u00a0é');
  });

  it('the bidirectional embeddings, overrides and isolates go (U+202A–202E, U+2066–2069), their neighbours stay', () => {
    for (const c of [...chars(0x202a, 0x202e), ...chars(0x2066, 0x2069)]) {
      expect(inert(`a${c}b`)).toBe(`a${R}b`);
      expect(inert(`a${c}b`, { multiline: true })).toBe(`a${R}b`);
    }
    for (const c of ['\u2029', '\u202f', '\u2065', '\u206a']) {
      expect(inert(`a${c}b`)).toBe(`a${c}b`);
      expect(inert(`a${c}b`, { multiline: true })).toBe(`a${c}b`);
    }
  });
});

describe('escape sequences go whole', () => {
  it('CSI with parameters, intermediates and any final byte, by ESC [ or by the C1 CSI', () => {
    expect(inert(`a${ESC}[?25lb`)).toBe(`a${R}b`);
    expect(inert(`a${ESC}[1;2 qb`)).toBe(`a${R}b`);
    expect(inert(`a${ESC}[~b`)).toBe(`a${R}b`);
    expect(inert(`a\u009b?1049hb`)).toBe(`a${R}b`);
    expect(inert(`a\u009b1 @b`)).toBe(`a${R}b`);
  });

  it('OSC, DCS, SOS, PM and APC strings, ended by BEL, ESC \\ or ST, with their contents', () => {
    for (const open of [
      `${ESC}]`,
      `${ESC}P`,
      `${ESC}X`,
      `${ESC}^`,
      `${ESC}_`,
      '\u0090',
      '\u0098',
      '\u009d',
      '\u009e',
      '\u009f',
    ]) {
      for (const close of [BEL, `${ESC}\\`, '\u009c']) {
        expect(inert(`a${open}2;secret title${close}b`)).toBe(`a${R}b`);
      }
    }
  });

  it('a string runs to its first terminator only, and a newline ends it unterminated', () => {
    expect(inert(`a${ESC}]0;t${BEL}visible${BEL}`)).toBe(`a${R}visible${R}`);
    expect(inert(`${ESC}]0;t\nvisible${BEL}`, { multiline: true })).toBe(`${R}0;t\nvisible${R}`);
  });

  it('a two-character escape, and a lone ESC at the end', () => {
    expect(inert(`a${ESC}7b`)).toBe(`a${R}b`);
    expect(inert(`a${ESC}`)).toBe(`a${R}`);
    expect(inert(`${ESC}${ESC}[2J`)).toBe(`${R}${R}`);
  });

  it('a CR that is not part of CRLF goes in multi-line text; CRLF is one line end', () => {
    expect(inert('a\r\nb\rc\r\n', { multiline: true })).toBe(`a\nb${R}c\n`);
  });
});

describe('JSON for a terminal', () => {
  it('escapes DEL, C1, the line and paragraph separators and bidi controls as \\uXXXX; other text stays', () => {
    expect(inertJson(['\u007f\u0080\u009f\u2028\u2029\u202a\u202e\u2066\u2069é\u00a0'], 0)).toBe(
      '["\\u007f\\u0080\\u009f\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069é\u00a0"]',
    );
  });

  it('indents by two spaces unless told otherwise', () => {
    expect(inertJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(inertJson({ a: 1 }, 4)).toBe('{\n    "a": 1\n}');
  });
});
