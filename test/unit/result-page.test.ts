import { describe, expect, it } from 'vitest';
import { resultPage } from '../../src/core/pages.js';

describe('the page the browser shows at the end of a sign-in', () => {
  it('a failed sign-in shows the red ✗, never the green ✓ of a success', () => {
    const html = resultPage('failure', 'Sign-in failed', 'access_denied');
    expect(html).toContain('&#10007;');
    expect(html).toContain('#cf222e');
    expect(html).not.toContain('&#10003;');
    expect(html).not.toContain('#1a7f37');
  });

  it('a successful sign-in shows the green ✓, never the red ✗', () => {
    const html = resultPage('success', 'Signed in', 'You can close this window.');
    expect(html).toContain('&#10003;');
    expect(html).toContain('#1a7f37');
    expect(html).not.toContain('&#10007;');
    expect(html).not.toContain('#cf222e');
  });

  it('is titled with the application’s name, escaped like everything it shows (quotes too)', () => {
    const html = resultPage('failure', `It's "bad"`, 'x', 'acme <cli>');
    expect(html).toContain('<title>acme &#60;cli&#62;: It&#39;s &#34;bad&#34;</title>');
    expect(html).toContain('<h1 id="title">It&#39;s &#34;bad&#34;</h1>');
    expect(resultPage('success', 'Signed in', 'x')).toContain('<title>keyturn: Signed in</title>');
  });
});
