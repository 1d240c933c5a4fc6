import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { SyncConfig } from '../../src/config';
import type { SyncCounters, SyncRunView } from '../../src/governance/sync-runs';
import { createLogger } from '../../src/logger';
import { runSync } from '../../sync/run';
import { launchBrowser, loopbackContext } from '../support/browser';
import { ROLE_IDS } from '../support/console';
import {
  createPerson, lowContrastText, pageOverflow, screenshot, sidewaysScrollingRegions, signInThroughProvider, smallestChartText,
  tabToFirstNavLink, unlabelledControls,
} from '../support/console-scenario';
import { testDatabases } from '../support/databases';
import { TestDirectory, testSyncLdapConfig } from '../support/directory';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider';
import { TestServer } from '../support/test-server';

/**
 * The console end to end, as issue 9 asks: the real server on MariaDB, synced from the Samba AD test
 * domain, two persons signing in through a real OpenID Provider (oidc-provider) in Debian's Chromium
 * driven by playwright-core. Olga (Operator + Auditor) reads the dashboard and the last run (every
 * number equal to the JSON API's), filters its errors, exports them, starts a dry run, and asks for
 * a blocked run's deletes; Vera (Validator) approves with a comment and the run applies them. Then
 * the cheap accessibility and layout checks on every main page (labels, contrast, visible focus, no
 * page-wide sideways scroll at 375 px), a form without its CSRF token, sign-out and the replayed
 * cookie. MariaDB only: the pages on both databases are covered over HTTP (test/integration/console).
 * SCIMD_SCREENSHOTS=1 writes the screenshots of docs/screenshots/.
 */
const database = testDatabases().find((candidate) => candidate.name === 'mariadb');
const PROVIDER_NAME = 'Test IdP';
/** Samba's displayName holds up to 256 characters; scimd's displayName at most 255: that user's write fails. */
const TOO_LONG_DISPLAY_NAME = 'E'.repeat(256);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

type Name = 'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank';

describe('Console end-to-end in a browser (Chromium, OIDC, Samba AD, MariaDB)', function () {
  this.timeout(90_000);
  let dir: TestDirectory;
  let server: TestServer;
  let provider: TestOidcProvider | undefined;
  let browser: Browser;
  let config: SyncConfig;
  let origin: string;
  let apiToken: string;
  let olga: BrowserContext;
  let page: Page;
  let lastRun: SyncRunView;
  let requestId: string;
  let releasedRunId: string;
  const dn = {} as Record<Name, string>;
  const logger = createLogger('silent');

  const sync = (trigger: 'cli' | 'schedule' = 'schedule'): Promise<SyncRunView> =>
    runSync({ dataSource: server.running.dataSource, config, logger }, { trigger });

  /** GET on the admin JSON API with a read-only service account's token. */
  const api = async <T>(apiPath: string): Promise<T> => {
    const response = await fetch(`${origin}/admin/api${apiPath}`, { headers: { Authorization: `Bearer ${apiToken}` } });
    expect(response.status, apiPath).to.equal(200);
    return await response.json() as T;
  };

  /** The exact numbers (<data value>) inside a part of the page, in order. */
  const numbers = async (locator: Locator): Promise<number[]> =>
    Promise.all((await locator.locator('data').all()).map(async (item) => Number(await item.getAttribute('value'))));

  /** Waits until the run page shows the run finished (its script reloads the page when it is), and returns the status. */
  const finishedStatus = async (): Promise<string> => {
    const badge = page.locator('[data-field="status"] .badge').filter({ hasText: /^(succeeded|failed|blocked)$/ });
    await badge.waitFor();
    return (await badge.textContent()) ?? '';
  };

  before(async function () {
    if (!database) this.skip();
    dir = await TestDirectory.open();
    const suite = await dir.createSuiteOu('console-e2e');
    const people = await dir.createOu('People', suite);
    // sAMAccountName is unique in the whole domain: this suite's users carry their own prefix.
    const user = (name: Name, overrides: Parameters<TestDirectory['sampleUser']>[1] = {}) =>
      dir.createUser(people, dir.sampleUser(`e2e-${name}`, { displayName: `${name[0]?.toUpperCase()}${name.slice(1)} Example`, ...overrides }));
    dn.alice = await user('alice', { title: 'Clerk', department: 'Sales' });
    dn.bob = await user('bob', { title: 'Engineer' });
    dn.carol = await user('carol', { title: 'Head of Sales' });
    dn.dave = await user('dave', { enabled: false });
    dn.frank = await user('frank');
    const helpDesk = await dir.createGroup(suite, 'e2e Help Desk', { members: [dn.alice, dn.bob] });
    const mappingFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'scimd-mapping-')), 'mapping.json');
    writeFileSync(mappingFile, JSON.stringify({ groups: [{ group: { dn: helpDesk }, role: 'Help Desk Administrator' }] }));
    config = {
      ldap: testSyncLdapConfig(),
      baseDns: [people], userFilter: '(&(objectCategory=person)(objectClass=user))', groupFilter: '(objectClass=group)',
      mappingFile,
      // One deactivation a run passes; two are blocked until a second person approves.
      deleteThreshold: 1, deleteThresholdPercent: 100, deletePolicy: 'deactivate', softMatchByUserName: false,
      schedulerEnabled: false,
    };

    provider = await startOidcProvider({
      // The server's address is known once it listens: the provider reads it at its first request.
      redirectUris: () => [`${server.running.url}/admin/oidc/callback`],
      accounts: [
        { sub: 'olga', claims: { email: 'olga@example.com', email_verified: true, name: 'Olga' } },
        { sub: 'vera', claims: { email: 'vera@example.com', email_verified: true, name: 'Vera' } },
      ],
    });
    const databaseConfig = await (database as NonNullable<typeof database>).fresh();
    server = await TestServer.start(databaseConfig, {
      sync: config,
      console: {
        sessionIdleMinutes: 30, sessionHours: 12,
        oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, userClaim: 'email', providerName: PROVIDER_NAME },
      },
    });
    origin = server.running.url;
    apiToken = await server.token('console-e2e-reader', ['Read-only API Access']);
    await createPerson(server.running.dataSource, 'olga@example.com', [ROLE_IDS.operator, ROLE_IDS.auditor]);
    await createPerson(server.running.dataSource, 'vera@example.com', [ROLE_IDS.validator]);

    // A full run creates everyone (Dave inactive); then Carol is disabled, Bob changes title and Erin
    // arrives with a displayName scimd cannot hold: the delta run deactivates, updates and fails one.
    const full = await sync('cli');
    expect(full.status, full.message ?? '').to.equal('succeeded');
    await dir.setEnabled(dn.carol, false);
    await dir.modify(dn.bob, { title: 'Senior Engineer' });
    dn.erin = await user('erin', { displayName: TOO_LONG_DISPLAY_NAME });
    lastRun = await sync();
    expect(lastRun.status, lastRun.message ?? '').to.equal('succeeded');
    expect(lastRun.mode).to.equal('delta');
    expect(lastRun.counters).to.include({ updated: 1, deactivated: 1, errors: 1 });

    browser = await launchBrowser();
    olga = await loopbackContext(browser);
    page = await olga.newPage();
    await page.setViewportSize(DESKTOP);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.stop();
    await dir?.close();
  });

  it('signs Olga in through the provider; the dashboard shows the last runs with the JSON API\'s numbers', async () => {
    await page.goto(`${origin}/admin`);
    expect(new URL(page.url()).pathname).to.equal('/admin/sign-in');
    expect(await unlabelledControls(page), 'sign-in page').to.deep.equal([]);
    expect(await lowContrastText(page), 'sign-in page').to.deep.equal([]);
    await signInThroughProvider(page, { issuer: provider?.issuer ?? '-', origin, providerName: PROVIDER_NAME, login: 'olga' });
    await page.waitForURL(`${origin}/admin`);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    expect(await page.locator('.site-header').textContent()).to.include('olga@example.com');

    const listed = await api<{ total: number; items: SyncRunView[] }>('/sync/runs?pageSize=10');
    expect(listed.total).to.equal(2);
    expect(listed.items[0]?.id).to.equal(lastRun.id);
    for (const run of listed.items) {
      const card = page.locator('.card', { has: page.getByRole('heading', { name: run.mode === 'full' ? 'Full' : 'Delta', level: 3 }) });
      await card.locator(`a[href="/admin/runs/${run.id}"]`).first().waitFor();
      const { created, updated, deactivated, errors } = (await api<SyncRunView>(`/sync/runs/${run.id}`)).counters;
      expect(await numbers(card), `${run.mode} card`).to.deep.equal([created, updated, deactivated, errors]);
      const row = page.locator('section[aria-labelledby="recent-runs"] tbody tr', { has: page.locator(`a[href="/admin/runs/${run.id}"]`) });
      expect(await numbers(row), `${run.mode} row of the recent runs`).to.deep.equal([created, updated, deactivated, errors]);
    }
    expect(await page.locator('section[aria-labelledby="recent-runs"]').textContent()).to.include(`All ${listed.total} runs`);
  });

  it('opens the last run (counters as the API\'s), filters its errors, and exports them as CSV', async () => {
    await page.locator('.card', { has: page.getByRole('heading', { name: 'Delta', level: 3 }) })
      .locator(`a[href="/admin/runs/${lastRun.id}"]`).first().click();
    await page.waitForURL(`${origin}/admin/runs/${lastRun.id}`);
    const fromApi = (await api<SyncRunView>(`/sync/runs/${lastRun.id}`)).counters;
    const shown: Partial<Record<keyof SyncCounters, number>> = {};
    for (const key of Object.keys(fromApi) as (keyof SyncCounters)[]) {
      shown[key] = Number(await page.locator(`[data-counter="${key}"] data`).getAttribute('value'));
    }
    expect(shown).to.deep.equal(fromApi);
    const causes = page.locator('section[aria-labelledby="errors-by-cause"]');
    expect(await causes.textContent()).to.include('displayName is longer than 255 characters');

    await page.getByRole('checkbox', { name: 'error', exact: true }).check();
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'error');
    const errorsFromApi = await api<{ total: number; items: { id: number; dn: string | null; action: string }[] }>(
      `/sync/runs/${lastRun.id}/entries?action=error`);
    expect(errorsFromApi.total).to.equal(fromApi.errors);
    const rows = page.locator('table.entries tbody tr');
    expect(await rows.count()).to.equal(errorsFromApi.total);
    expect(await rows.locator('.badge').allTextContents()).to.deep.equal(['error']);
    expect((await rows.locator('td.dn').textContent())?.toLowerCase()).to.equal(dn.erin.toLowerCase());
    const entriesText = await page.locator('section[aria-labelledby="entries"]').textContent() ?? '';
    for (const other of [dn.bob, dn.carol]) expect(entriesText.toLowerCase(), 'other entries are filtered out').not.to.include(other.toLowerCase());
    expect(await numbers(page.locator('section[aria-labelledby="entries"] p', { hasText: 'match' }))).to.deep.equal([errorsFromApi.total]);
    await screenshot(page, 'run-errors');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV', exact: true }).click()]);
    expect(download.suggestedFilename()).to.equal(`sync-run-${lastRun.id}.csv`);
    const lines = readFileSync(await download.path(), 'utf8').trimEnd().split(/\r?\n/);
    expect(lines[0]).to.equal('id,anchor,dn,object_type,action,changes,message,created_at');
    expect(lines).to.have.length(1 + errorsFromApi.total);
    expect(lines[1]?.startsWith(`${errorsFromApi.items[0]?.id},`)).to.equal(true);
    expect(lines[1]).to.include(',user,error,').and.to.include('displayName is longer than 255 characters');
  });

  it('starts a dry run from the dashboard and shows it finished, as the API does', async () => {
    const before = (await api<{ total: number }>('/sync/runs')).total;
    await page.goto(`${origin}/admin`);
    await page.getByRole('button', { name: 'Start a dry run' }).click();
    await page.waitForURL(/\/admin\/runs\/[0-9a-f-]{36}$/);
    const runId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    expect(await finishedStatus()).to.equal('succeeded');
    const run = await api<SyncRunView>(`/sync/runs/${runId}`);
    expect(run).to.include({ status: 'succeeded', dryRun: true, trigger: 'api', actorName: 'olga@example.com' });
    expect(await page.locator('.run-summary').textContent()).to.include('dry run: nothing was changed');
    expect(Number(await page.locator('[data-counter="errors"] data').getAttribute('value'))).to.equal(run.counters.errors);
    expect((await api<{ total: number }>('/sync/runs')).total).to.equal(before + 1);
  });

  it('asks for a blocked run\'s deletes; Vera approves with a comment, and the run applies them', async () => {
    await dir.setEnabled(dn.alice, false);
    await dir.setEnabled(dn.frank, false);
    const blocked = await sync();
    expect(blocked.status).to.equal('blocked');

    await page.goto(`${origin}/admin/runs`);
    await page.getByLabel('Status', { exact: true }).selectOption('blocked');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'blocked');
    await page.locator(`a[href="/admin/runs/${blocked.id}"]`).click();
    await page.getByRole('heading', { name: 'This run was blocked' }).waitFor();
    await page.getByRole('button', { name: 'Allow deletes (ask for approval)' }).click();
    await page.waitForURL(/\/admin\/approvals\/[0-9a-f-]{36}$/);
    requestId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await page.getByText('You asked for this change, so a second person decides it.').waitFor();
    expect(await page.getByRole('button', { name: 'Approve and apply' }).count(), 'no decision form for the requester').to.equal(0);

    const vera = await loopbackContext(browser);
    try {
      const veraPage = await vera.newPage();
      await veraPage.setViewportSize(DESKTOP);
      await veraPage.goto(`${origin}/admin/approvals`);
      await signInThroughProvider(veraPage, { issuer: provider?.issuer ?? '-', origin, providerName: PROVIDER_NAME, login: 'vera' });
      await veraPage.waitForURL(`${origin}/admin/approvals`);
      await screenshot(veraPage, 'approvals');
      await veraPage.locator(`a[href="/admin/approvals/${requestId}"]`).click();
      await veraPage.getByRole('heading', { name: 'Decide' }).waitFor();
      expect(await unlabelledControls(veraPage), 'the decision forms').to.deep.equal([]);
      expect(await lowContrastText(veraPage), 'the decision forms').to.deep.equal([]);
      await veraPage.getByLabel('Comment', { exact: true }).fill('Alice and Frank left the company; checked with HR.');
      await veraPage.getByRole('button', { name: 'Approve and apply' }).click();
      await veraPage.locator('.facts .badge', { hasText: 'approved' }).waitFor();
      const facts = await veraPage.locator('.facts').textContent() ?? '';
      expect(facts).to.include('vera@example.com').and.to.include('Alice and Frank left the company; checked with HR.');
      const started = await veraPage.getByRole('link', { name: /^sync run / }).last().getAttribute('href');
      releasedRunId = started?.split('/').at(-1) ?? '';
    } finally {
      await vera.close();
    }
    const request = await api<{ status: string; decidedBy: { name: string }; requestedBy: { name: string }; result: { runId?: string } }>(
      `/change-requests/${requestId}`);
    expect(request).to.deep.include({ status: 'approved' });
    expect([request.requestedBy.name, request.decidedBy.name]).to.deep.equal(['olga@example.com', 'vera@example.com']);
    expect(request.result.runId).to.equal(releasedRunId);

    await page.goto(`${origin}/admin/runs/${releasedRunId}`);
    expect(await finishedStatus()).to.equal('succeeded');
    const released = await api<SyncRunView>(`/sync/runs/${releasedRunId}`);
    expect(released.counters.deactivated).to.equal(2);
    expect(Number(await page.locator('[data-counter="deactivated"] data').getAttribute('value'))).to.equal(released.counters.deactivated);
  });

  it('labels every control, keeps text readable, shows the keyboard focus and fits 375 px on every main page', async () => {
    const pages = [
      '/admin', '/admin/runs', `/admin/runs/${lastRun.id}?action=error`, `/admin/runs/${releasedRunId}`, '/admin/approvals?status=all',
      `/admin/approvals/${requestId}`, '/admin/audit', '/admin/roles', `/admin/roles/${ROLE_IDS.operator}`, '/admin/users?q=e2e',
    ];
    for (const pagePath of pages) {
      await page.setViewportSize(DESKTOP);
      await page.goto(`${origin}${pagePath}`);
      await page.locator('main h1').waitFor();
      expect(await unlabelledControls(page), pagePath).to.deep.equal([]);
      expect(await lowContrastText(page), pagePath).to.deep.equal([]);
      expect(await sidewaysScrollingRegions(page), `${pagePath} at 1280 px`).to.deep.equal([]);
      await page.setViewportSize(PHONE);
      expect(await pageOverflow(page), `${pagePath} scrolls sideways at 375 px`).to.be.at.most(1);
      // A chart's numbers stay readable on a phone (they shrink with the chart): 11 px text is about 12 px high.
      expect(await smallestChartText(page) ?? 12, `${pagePath}: chart text at 375 px`).to.be.at.least(11);
    }

    await page.setViewportSize(DESKTOP);
    await page.goto(`${origin}/admin`);
    const ring = await tabToFirstNavLink(page);
    expect(ring, 'Tab reaches the first link of the nav').not.to.equal(undefined);
    expect(ring?.text).to.equal('Dashboard');
    expect(ring?.outlineStyle).to.equal('solid');
    expect(ring?.outlineWidth).to.be.at.least(2);
    await page.reload();
    await screenshot(page, 'dashboard');
    await page.goto(`${origin}/admin/audit`);
    await screenshot(page, 'audit');
    await page.setViewportSize(PHONE);
    await page.goto(`${origin}/admin`);
    await screenshot(page, 'dashboard-375');
    await page.setViewportSize(DESKTOP);
  });

  it('refuses a form without its CSRF token, signs Olga out, and refuses her replayed session cookie', async () => {
    await page.goto(`${origin}/admin`);
    const cookie = (await olga.cookies(`${origin}/admin`)).find((candidate) => candidate.name === 'scimd_session');
    expect(cookie, 'olga\'s session cookie').not.to.equal(undefined);
    const csrfToken = await page.locator('.site-header input[name="_csrf"]').getAttribute('value') ?? '';
    const runsBefore = (await api<{ total: number }>('/sync/runs')).total;
    const post = (form: Record<string, string>) => fetch(`${origin}/admin/runs`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(),
      headers: { Cookie: `scimd_session=${cookie?.value ?? ''}`, 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    });
    const withoutToken = await post({ dryRun: 'true' });
    expect(withoutToken.status).to.equal(403);
    expect(await withoutToken.text()).to.include('security token');
    expect((await api<{ total: number }>('/sync/runs')).total, 'no run was started').to.equal(runsBefore);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect((await olga.cookies(`${origin}/admin`)).some((candidate) => candidate.name === 'scimd_session')).to.equal(false);

    const replayed = await fetch(`${origin}/admin`, { headers: { Cookie: `scimd_session=${cookie?.value ?? ''}` }, redirect: 'manual' });
    expect(replayed.status).to.equal(303);
    expect(replayed.headers.get('Location')).to.match(/^\/admin\/sign-in/);
    const session = await fetch(`${origin}/admin/session`, { headers: { Cookie: `scimd_session=${cookie?.value ?? ''}` } });
    expect(session.status).to.equal(401);
    const withOldToken = await post({ dryRun: 'true', _csrf: csrfToken });
    expect(withOldToken.status, 'a signed-out session starts nothing').to.equal(303);
    expect(withOldToken.headers.get('Location')).to.match(/^\/admin\/sign-in/);
    expect((await api<{ total: number }>('/sync/runs')).total, 'no run was started').to.equal(runsBefore);
  });
});
