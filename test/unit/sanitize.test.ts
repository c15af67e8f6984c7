import { describe, expect, it } from 'vitest';
import { inert, inertJson, REPLACEMENT } from '../../src/core/sanitize.js';
import { hasActiveControl } from '../helpers/control-characters.js';

const ESC = '\u001b';
const BEL = '\u0007';
const ATTACK = `${ESC}]0;pwned${BEL}${ESC}[2J`;

describe('the output gate', () => {
  it('a provider that retitles and clears the terminal from its error_description reaches it inert', () => {
    const shown = inert(`Client authentication failed ${ATTACK}(bad secret)`);
    expect(hasActiveControl(shown)).toBe(false);
    expect(shown).toBe(`Client authentication failed ${REPLACEMENT}${REPLACEMENT}(bad secret)`);
  });

  it('takes escape sequences whole, so no fragment of them reads as text', () => {
    expect(inert(`a${ESC}[31;1mb`)).toBe(`a${REPLACEMENT}b`);
    expect(inert(`a${ESC}]8;;https://evil.example${ESC}\\b`)).toBe(`a${REPLACEMENT}b`);
    expect(inert(`a\u009b2Jb`)).toBe(`a${REPLACEMENT}b`);
    expect(inert(`a\u009d0;t\u009cb`)).toBe(`a${REPLACEMENT}b`);
    expect(inert(`a${ESC}Pq#0${ESC}\\b`)).toBe(`a${REPLACEMENT}b`);
    expect(inert(`a${ESC}cb`)).toBe(`a${REPLACEMENT}b`);
  });

  it('an unterminated title string cannot swallow the text after it', () => {
    const shown = inert(`The provider said ${ESC}]0;x. Run keyturn login.`);
    expect(shown).toBe(`The provider said ${REPLACEMENT}0;x. Run keyturn login.`);
  });

  it('a carriage return cannot overwrite the start of a line; a line stays one line', () => {
    expect(inert('fake success\rreal error')).toBe(`fake success${REPLACEMENT}real error`);
    expect(inert('one\ntwo\tthree')).toBe('one two three');
  });

  it('multi-line text (a body excerpt, a report) keeps its lines and tabs, and CRLF becomes LF', () => {
    expect(inert('one\r\ntwo\tthree\n', { multiline: true })).toBe('one\ntwo\tthree\n');
    expect(inert(`one\r${ESC}[Atwo`, { multiline: true })).toBe(`one${REPLACEMENT}${REPLACEMENT}two`);
  });

  it('DEL, C1 controls, NUL and bidirectional overrides go; other Unicode stays', () => {
    expect(inert('a\u007fb\u0085c\u0000d')).toBe(`a${REPLACEMENT}b${REPLACEMENT}c${REPLACEMENT}d`);
    expect(inert('user\u202egnp.exe')).toBe(`user${REPLACEMENT}gnp.exe`);
    expect(inert('Café – ✓ 日本語 🔑')).toBe('Café – ✓ 日本語 🔑');
  });

  it('JSON for a terminal keeps its meaning exactly but escapes what JSON.stringify leaves raw', () => {
    const value = { error_description: `x\u009b2J\u202e${ATTACK}\u2028y`, n: 1 };
    const text = inertJson(value);
    expect(hasActiveControl(text)).toBe(false);
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual(value);
    expect(inertJson({ a: 1 }, 0)).toBe('{"a":1}');
  });
});
