import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { testDatabases } from '../support/databases';
import { launchBrowser, loopbackContext } from '../support/browser';
import { ROLE_IDS, startConsoleApp, type ConsoleApp } from '../support/console';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider';

/**
 * Sign-in to the console in a real browser (Debian's Chromium driven by playwright-core) through a
 * real OpenID Provider (oidc-provider, on 127.0.0.2: another site than scimd on 127.0.0.1, so the
 * return from the provider is a cross-site navigation as in production). SQLite only: what differs
 * between the databases is covered over HTTP (test/integration/console); this suite proves what only
 * a browser shows (cookies' SameSite across the provider's redirect, the forms, the pages).
 */
const database = testDatabases().find((candidate) => candidate.name === 'sqlite') ?? testDatabases()[0];

describe('Console sign-in in a browser (Chromium, OpenID Connect)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let provider: TestOidcProvider | undefined;
  let app: ConsoleApp;

  before(async function () {
    if (!database) this.skip();
    browser = await launchBrowser();
    app = await startConsoleApp(await database.fresh(), {
      console: async (origin) => {
        provider = await startOidcProvider({
          redirectUris: [`${origin}/admin/oidc/callback`],
          accounts: [
            { sub: 'ada', claims: { email: 'Ada@Example.com', email_verified: true, name: 'Ada' } },
            { sub: 'nobody', claims: { email: 'nobody@example.com', email_verified: true } },
            { sub: 'norole', claims: { email: 'norole@example.com', email_verified: true } },
          ],
        });
        return {
          sessionIdleMinutes: 30, sessionHours: 12,
          oidc: {
            issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret,
            userClaim: 'email', providerName: 'Test IdP',
          },
        };
      },
    });
    await app.person('ada@example.com', [ROLE_IDS.auditor]);
    await app.person('norole@example.com', []);
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await provider?.stop();
  });

  /** From the console's sign-in page through the provider's login and consent pages, back to scimd. */
  async function signInAtProvider(page: Page, login: string): Promise<void> {
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL((url) => url.href.startsWith(provider?.issuer ?? '-'));
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === app.origin);
  }

  it('signs a person in through the provider, lands where they were going, signs out, and refuses the old cookie', async () => {
    const context = await loopbackContext(browser);
    const page = await context.newPage();
    await page.goto(`${app.origin}/admin/audit`);
    expect(new URL(page.url()).pathname).to.equal('/admin/sign-in');

    await signInAtProvider(page, 'ada');
    // The session cookie is SameSite=Strict: it reaches scimd on the navigation after the callback.
    await page.waitForURL(`${app.origin}/admin/audit`);
    const cookie = (await context.cookies(`${app.origin}/admin`)).find((candidate) => candidate.name === 'scimd_session');
    expect(cookie).to.include({ httpOnly: true, sameSite: 'Strict', path: '/admin', secure: false });
    const session = await (await page.goto(`${app.origin}/admin/session`))?.json() as Record<string, unknown>;
    expect(session).to.include({ signedIn: true, method: 'oidc' });
    expect(session.user).to.include({ userName: 'ada@example.com' });

    // A form posted without its CSRF token is refused, and changes nothing.
    await page.goto(`${app.origin}/admin/sign-out`);
    await page.locator('input[name="_csrf"]').evaluate((input) => input.remove());
    await page.click('#sign-out');
    await page.getByText('security token').waitFor();
    expect(await (await page.goto(`${app.origin}/admin/session`))?.json()).to.include({ signedIn: true });

    await page.goto(`${app.origin}/admin/sign-out`);
    await page.click('#sign-out');
    await page.getByText('You are signed out.').waitFor();
    expect((await context.cookies(`${app.origin}/admin`)).some((candidate) => candidate.name === 'scimd_session')).to.equal(false);

    const replayed = await fetch(`${app.origin}/admin/session`, { headers: { Cookie: `scimd_session=${cookie?.value ?? ''}` } });
    expect(replayed.status).to.equal(401);
    const page2 = await fetch(`${app.origin}/admin/audit`, { headers: { Cookie: `scimd_session=${cookie?.value ?? ''}` }, redirect: 'manual' });
    expect(page2.status).to.equal(303);
    await context.close();
  });

  it('explains, without a session, when the provider\'s person is no scimd user or holds no role', async () => {
    for (const [login, message] of [['nobody', 'no scimd user has that userName'], ['norole', 'you hold no role']] as const) {
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      await page.goto(`${app.origin}/admin/sign-in`);
      await signInAtProvider(page, login);
      await page.getByText(message).waitFor();
      expect((await context.cookies(`${app.origin}/admin`)).some((candidate) => candidate.name === 'scimd_session'), login).to.equal(false);
      await context.close();
    }
  });
});
