/**
 * Real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) for end-to-end sign-ins against the
 * embedded demo issuer.
 */
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';

// The one list of Debian Chromium's launch flags on this machine (tests and benchmarks read it).
import chromiumConfig from './chromium.json' with { type: 'json' };

const CHROMIUM_PATH = process.env.KEYTURN_TEST_CHROMIUM ?? chromiumConfig.executablePath;
const STEP_TIMEOUT = 20_000;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: chromiumConfig.args,
  });
}

async function newContext(browser: Browser): Promise<BrowserContext> {
  // Tests may run the issuer over TLS with their own throwaway certificates.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  return context;
}

/** Which of the issuer's pages is showing (the pages carry `data-keyturn-page`). */
async function pageKind(page: Page): Promise<string> {
  await page.waitForLoadState('domcontentloaded');
  return (
    (await page
      .locator('body')
      .getAttribute('data-keyturn-page')
      .catch(() => null)) ?? 'unknown'
  );
}

async function bodyText(page: Page): Promise<string> {
  return page
    .locator('body')
    .innerText({ timeout: 5_000 })
    .catch(() => '');
}

async function fillLogin(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await Promise.all([
    page.waitForEvent('framenavigated'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/**
 * Opens the authorization URL, fills the login form with the demo credentials, clicks Allow (or Deny when
 * opts.deny). Resolves with the final page URL (the loopback callback) and the text shown on it.
 */
export async function signInInBrowser(
  browser: Browser,
  authorizationUrl: string,
  opts: {
    deny?: boolean;
    username?: string;
    password?: string;
    /** The browser runs on another machine: the redirect to this machine's loopback never arrives. */
    callbackUnreachable?: boolean;
  } = {},
): Promise<{ finalUrl: string; bodyText: string }> {
  const issuerOrigin = new URL(authorizationUrl).origin;
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    if (opts.callbackUnreachable) {
      // Refused in the browser's network stack, redirects included (route() does not see redirects).
      const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri') ?? '';
      const cdp = await context.newCDPSession(page);
      cdp.on('Fetch.requestPaused', (event) => {
        void cdp
          .send('Fetch.failRequest', { requestId: event.requestId, errorReason: 'ConnectionRefused' })
          .catch(() => undefined);
      });
      await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${new URL(redirectUri).origin}/*` }] });
    }
    // The first top-level navigation that leaves the issuer is the redirect to the loopback callback
    // (seen as a request even when nothing listens there and the navigation fails).
    const leaving = page.waitForRequest(
      (r: Request) =>
        r.isNavigationRequest() && r.frame() === page.mainFrame() && !sameOrigin(r.url(), issuerOrigin),
      { timeout: 4 * STEP_TIMEOUT },
    );
    leaving.catch(() => undefined);

    await page.goto(authorizationUrl);
    let kind = await pageKind(page);
    if (kind === 'login') {
      await fillLogin(page, opts.username ?? 'demo', opts.password ?? 'keyturn');
      kind = await pageKind(page);
      if (kind === 'login') {
        throw new Error(`sign-in was refused by the login page: ${await bodyText(page)}`);
      }
    }
    if (kind === 'consent') {
      await page.getByRole('button', { name: opts.deny ? 'Deny' : 'Allow' }).click();
    } else if (sameOrigin(page.url(), issuerOrigin)) {
      throw new Error(`unexpected issuer page (${kind}): ${await bodyText(page)}`);
    }

    const request = await leaving;
    // Wait for the callback page to load (the keyturn CLI serves one); tolerate nothing listening there.
    await page.waitForLoadState('load').catch(() => undefined);
    await page
      .waitForURL((u) => !sameOrigin(u.href, issuerOrigin), { timeout: 5_000, waitUntil: 'load' })
      .catch(() => undefined);
    const current = page.url();
    const finalUrl = /^https?:/.test(current) && !sameOrigin(current, issuerOrigin) ? current : request.url();
    return { finalUrl, bodyText: await bodyText(page) };
  } finally {
    await context.close();
  }
}

/** Opens the verification URI, enters the user code if the page asks for it, submits, signs in, allows. */
export async function approveDeviceInBrowser(
  browser: Browser,
  verificationUri: string,
  userCode: string,
  opts: { deny?: boolean } = {},
): Promise<{ bodyText: string }> {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(verificationUri);
    const seen: string[] = [];
    for (let step = 0; step < 10; step++) {
      const kind = await pageKind(page);
      seen.push(kind);
      switch (kind) {
        case 'device-input': {
          // The input page showing an error (wrong code, denied, expired), or coming back after the
          // sign-in, is where the flow ends.
          const showsError = (await page.locator('p.error').count()) > 0;
          if (showsError || seen.length > 1) return { bodyText: await bodyText(page) };
          await page.locator('input[name="user_code"]').fill(userCode);
          await Promise.all([
            page.waitForEvent('framenavigated'),
            page.getByRole('button', { name: 'Continue' }).click(),
          ]);
          break;
        }
        case 'device-confirm':
          await Promise.all([
            page.waitForEvent('framenavigated'),
            page.getByRole('button', { name: 'Continue' }).click(),
          ]);
          break;
        case 'login':
          await fillLogin(page, 'demo', 'keyturn');
          if ((await pageKind(page)) === 'login') {
            throw new Error(`sign-in was refused by the login page: ${await bodyText(page)}`);
          }
          break;
        case 'consent':
          await Promise.all([
            page.waitForEvent('framenavigated'),
            page.getByRole('button', { name: opts.deny ? 'Deny' : 'Allow' }).click(),
          ]);
          break;
        default:
          // device-success, error, or anything else: the flow ended here.
          await page.waitForLoadState('load').catch(() => undefined);
          return { bodyText: await bodyText(page) };
      }
    }
    throw new Error(`device approval did not finish; pages seen: ${seen.join(' → ')}`);
  } finally {
    await context.close();
  }
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
