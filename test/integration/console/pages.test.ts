import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createApp } from '../../../src/app';
import type { TriggerRun } from '../../../src/admin/sync-routes';
import { PersonalTokens } from '../../../src/auth/personal-tokens';
import { openDataSource } from '../../../src/db/data-source';
import { SyncRuns, type SyncRunEntryInput } from '../../../src/governance/sync-runs';
import { localOperatorContext } from '../../../src/identity/change-context';
import { RoleDirectory } from '../../../src/identity/roles';
import { UserDirectory } from '../../../src/identity/users';
import { createLogger } from '../../../src/logger';
import { testDatabases } from '../../support/databases';
import { ConsoleAgent, ROLE_IDS, type ConsoleReply } from '../../support/console';

/**
 * The console's pages over HTTP on both databases, signed in with personal access tokens: every
 * number a page shows is the JSON API's for the same run (counters, entry totals by action and by
 * search, errors by cause, roles' holders), entries page by keyset to the end, exports, the forms
 * (start a run, allow a blocked run's deletes, approve and reject with four eyes), the 403 page and
 * the nav by permission, escaping, and no inline script or style anywhere.
 */

const OPERATOR = localOperatorContext('test');
const ADMINISTRATOR = '00000000-0000-4000-8000-000000000002';

interface PagesApp {
  readonly origin: string;
  readonly dataSource: DataSource;
  stop(): Promise<void>;
}

/** The app with a sync trigger that records runs (and leaves them running, as a run just started is). */
async function startApp(dataSource: DataSource): Promise<PagesApp> {
  const runs = new SyncRuns(dataSource);
  const triggerRun: TriggerRun = async (options) => ({
    runId: await runs.start({
      trigger: 'api', mode: options.mode ?? 'delta', dryRun: options.dryRun ?? false, requestedBy: options.context ?? OPERATOR,
      ...(options.allowDeletes ? { allowDeletes: true } : {}),
    }),
  });
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = http.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const app = createApp({
    config: { maxBodyBytes: 64 * 1024, publicUrl: origin, governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 } },
    dataSource, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, triggerRun,
  });
  http.on('request', app.callback());
  return {
    origin, dataSource,
    stop: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await dataSource.destroy();
    },
  };
}

/** The exact values (<data value>) in a piece of a page, in order. */
function dataValues(text: string): number[] {
  return [...text.matchAll(/<data value="(\d+)">/g)].map((match) => Number(match[1]));
}

/** The counter cells of a run page: key → value. */
function counterCells(text: string): Record<string, number> {
  return Object.fromEntries([...text.matchAll(/data-counter="(\w+)"><data value="(\d+)">/g)].map((match) => [match[1], Number(match[2])]));
}

/** The number of entries the page says match. */
function entryTotal(text: string): number {
  const match = /<data value="(\d+)">[\d,]+<\/data> entr(?:y matches|ies match)/.exec(text);
  if (!match) throw new Error(`no entry total in the page:\n${text}`);
  return Number(match[1]);
}

function entryIds(text: string): number[] {
  return [...text.matchAll(/<tr id="entry-(\d+)">/g)].map((match) => Number(match[1]));
}

function nextLink(text: string): string | undefined {
  return /<a href="([^"]+)" rel="next">/.exec(text)?.[1]?.replaceAll('&amp;', '&');
}

function expectNoInlineCode(reply: ConsoleReply): void {
  // In a tag, that is: escaped text (&lt;img onerror=…&gt;) is no markup.
  expect(reply.text).not.to.match(/<script>|<script [^>]*>[^<]|<style|<[a-z][^>]*\s(?:style|on[a-z]+)=/i);
}

for (const database of testDatabases()) {
  describe(`Console pages on ${database.name}`, function () {
    this.timeout(60_000);
    let app: PagesApp;
    let runs: SyncRuns;
    let ada: ConsoleAgent;
    let val: ConsoleAgent;
    let helen: ConsoleAgent;
    let adaToken: string;
    let fullRun: string;
    let blockedRun: string;
    let bobId: string;

    /** GET on the admin JSON API as Ada (a person's token works there too). */
    const api = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${app.origin}/admin/api${path}`, { headers: { Authorization: `Bearer ${adaToken}` } });
      expect(response.status, path).to.equal(200);
      return await response.json() as T;
    };

    before(async () => {
      const dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      app = await startApp(dataSource);
      runs = new SyncRuns(dataSource);
      const users = new UserDirectory(dataSource);
      const roles = new RoleDirectory(dataSource);
      const person = async (userName: string, roleIds: string[]) => {
        const user = await users.create(OPERATOR, { profile: { userName, active: true } });
        for (const roleId of roleIds) await roles.update(OPERATOR, roleId, { memberChanges: [{ kind: 'add', ids: [user.id] }] });
        return user.id;
      };
      await person('ada@example.com', [ADMINISTRATOR]);
      await person('val@example.com', [ROLE_IDS.validator]);
      await person('helen@example.com', [ROLE_IDS.helpDesk]);
      bobId = await person('bob@example.com', [ROLE_IDS.auditor, ROLE_IDS.operator]);
      await dataSource.query('UPDATE users SET source_anchor = ? WHERE id = ?', ['guid-bob', bobId]);
      const tokens = new PersonalTokens(dataSource);
      adaToken = (await tokens.create(OPERATOR, { userName: 'ada@example.com' })).token;
      ada = new ConsoleAgent(app.origin);
      await ada.signInWithToken(adaToken);
      val = new ConsoleAgent(app.origin);
      await val.signInWithToken((await tokens.create(OPERATOR, { userName: 'val@example.com' })).token);
      helen = new ConsoleAgent(app.origin);
      await helen.signInWithToken((await tokens.create(OPERATOR, { userName: 'helen@example.com' })).token);

      // A full run of 260 entries (several pages), errors of two causes, one user Bob by objectGUID, a hostile DN.
      fullRun = await runs.start({ trigger: 'schedule', mode: 'full', dryRun: false, requestedBy: OPERATOR });
      const entries: SyncRunEntryInput[] = [];
      for (let i = 0; i < 250; i++) {
        entries.push({ objectType: 'user', action: i % 5 === 0 ? 'create' : 'update', anchor: `guid-${i}`, dn: `CN=User ${i},OU=Staff,DC=example,DC=com`, changes: [{ attribute: 'title', to: `T${i}` }] });
      }
      for (let i = 0; i < 7; i++) entries.push({ objectType: 'user', action: 'error', anchor: `guid-e${i}`, dn: `CN=Broken ${i},OU=Staff,DC=example,DC=com`, message: i < 5 ? 'userName is taken' : 'no mail attribute' });
      entries.push({ objectType: 'user', action: 'update', anchor: 'guid-bob', dn: 'CN=Robert,OU=Staff,DC=example,DC=com', changes: [{ attribute: 'title', to: 'Lead' }] });
      entries.push({ objectType: 'user', action: 'skip', anchor: 'guid-x', dn: 'CN=<script>alert(1)</script>,DC=example,DC=com', message: '<img src=x onerror=alert(1)>' });
      entries.push({ objectType: 'user', action: 'deactivate', anchor: 'guid-d', dn: 'CN=Gone,OU=Staff,DC=example,DC=com' });
      await runs.addEntries(fullRun, entries);
      await runs.finish(fullRun, { status: 'succeeded', counters: { read: 1200, unchanged: 940 } });
      blockedRun = await runs.start({ trigger: 'schedule', mode: 'delta', dryRun: false, requestedBy: OPERATOR });
      await runs.addEntries(blockedRun, [{ objectType: 'user', action: 'delete', anchor: 'guid-5', dn: 'CN=User 5,OU=Staff,DC=example,DC=com' }]);
      await runs.finish(blockedRun, { status: 'blocked', counters: { read: 3, unchanged: 0 }, message: '1 deletion exceeds the threshold of 0' });
    });

    after(() => app.stop());

    it('shows a run\'s counters, entry totals by action and by search, and errors by cause exactly as the JSON API does', async () => {
      const run = await api<{ counters: Record<string, number> }>(`/sync/runs/${fullRun}`);
      const page = await ada.get(`/admin/runs/${fullRun}`);
      expect(page.status).to.equal(200);
      expect(counterCells(page.text)).to.deep.equal(run.counters);
      expect(entryTotal(page.text)).to.equal((await api<{ total: number }>(`/sync/runs/${fullRun}/entries`)).total).and.to.equal(260);
      for (const [query, apiQuery] of [['action=error&action=skip', 'action=error,skip'], ['action=update', 'action=update'],
        ['q=broken', 'q=broken'], ['q=bob%40', 'q=bob%40'], ['q=guid-d', 'q=guid-d'], ['action=create&q=user%201', 'action=create&q=user%201']]) {
        const filtered = await ada.get(`/admin/runs/${fullRun}?${query}`);
        expect(entryTotal(filtered.text), query).to.equal((await api<{ total: number }>(`/sync/runs/${fullRun}/entries?${apiQuery}`)).total);
      }
      // userName prefix finds Bob's entry through his objectGUID; the DN search is case-insensitive.
      expect(entryIds((await ada.get(`/admin/runs/${fullRun}?q=BOB`)).text)).to.have.length(1);
      const errors = await api<{ total: number; items: { message: string; count: number }[] }>(`/sync/runs/${fullRun}/errors`);
      expect(errors.items.map((group) => [group.message, group.count])).to.deep.equal([['userName is taken', 5], ['no mail attribute', 2]]);
      const section = /<section aria-labelledby="errors-by-cause">(.*?)<\/section>/s.exec(page.text)?.[1] ?? '';
      expect(section).to.contain('userName is taken');
      expect(dataValues(section)).to.deep.equal([5, 2]);
    });

    it('pages a run\'s entries by keyset to the end, in the API\'s order, and exports the same entries as CSV and JSON', async () => {
      const seen: number[] = [];
      let path: string | undefined = `/admin/runs/${fullRun}`;
      for (let pages = 0; path && pages < 20; pages++) {
        const page = await ada.get(path);
        expect(page.status, path).to.equal(200);
        seen.push(...entryIds(page.text));
        path = nextLink(page.text);
      }
      const all = await api<{ items: { id: number }[] }>(`/sync/runs/${fullRun}/entries?pageSize=500`);
      expect(seen).to.deep.equal(all.items.map((entry) => entry.id));
      const back = await ada.get(`/admin/runs/${fullRun}?before=${all.items[100]?.id ?? 0}`);
      expect(entryIds(back.text)).to.deep.equal(all.items.slice(50, 100).map((entry) => entry.id));

      const csv = await ada.get(`/admin/runs/${fullRun}/entries.csv?action=error`);
      expect(csv.headers.get('Content-Type')).to.match(/^text\/csv/);
      const lines = csv.text.trimEnd().split('\r\n');
      expect(lines[0]).to.equal('id,anchor,dn,object_type,action,changes,message,created_at');
      expect(lines).to.have.length(8);
      const json = JSON.parse((await ada.get(`/admin/runs/${fullRun}/entries.json`)).text) as { run: { id: string }; entries: { id: number }[] };
      expect(json.run.id).to.equal(fullRun);
      expect(json.entries.map((entry) => entry.id)).to.deep.equal(all.items.map((entry) => entry.id));
    });

    it('escapes what the store holds, and no page carries inline script or style', async () => {
      const page = await ada.get(`/admin/runs/${fullRun}?action=skip`);
      expect(page.text).to.contain('CN=&lt;script&gt;alert(1)&lt;/script&gt;,DC=example,DC=com');
      expect(page.text).to.contain('&lt;img src=x onerror=alert(1)&gt;');
      for (const path of ['/admin', '/admin/runs', `/admin/runs/${fullRun}`, `/admin/runs/${fullRun}?action=skip`, '/admin/approvals',
        '/admin/audit', '/admin/roles', '/admin/users', `/admin/users/${bobId}`]) {
        const reply = await ada.get(path);
        expect(reply.status, path).to.equal(200);
        expect(reply.headers.get('Content-Security-Policy'), path).to.contain("script-src 'self'");
        expectNoInlineCode(reply);
      }
      const css = await ada.get('/admin/assets/console.css');
      expect(css.status).to.equal(200);
      expect(css.headers.get('Content-Type')).to.match(/^text\/css/);
    });

    it('answers a page the person may not open with 403 in the layout, and leaves it out of the nav', async () => {
      const dashboard = await helen.get('/admin');
      expect(dashboard.status).to.equal(200);
      expect(dashboard.text).not.to.contain('href="/admin/runs"');
      expect(dashboard.text).to.contain('href="/admin/users"');
      for (const path of ['/admin/runs', `/admin/runs/${fullRun}`, `/admin/runs/${fullRun}/entries.csv`, '/admin/audit', '/admin/audit.csv']) {
        const reply = await helen.get(path);
        expect(reply.status, path).to.equal(403);
        expect(reply.headers.get('Content-Type'), path).to.match(/^text\/html/);
        expect(reply.text, path).to.match(/<nav class="site-nav"/);
      }
      const start = await helen.postWithCsrf('/admin/runs', { dryRun: 'true' });
      expect(start.status).to.equal(403);
      expect(await runs.list({ limit: 10, offset: 0 }).then((result) => result.total)).to.equal(2);
    });

    it('starts a dry run for a holder of sync:run, recorded as the person through the console, and shows it going', async () => {
      const reply = await ada.postWithCsrf('/admin/runs', { mode: 'full', dryRun: 'true' });
      expect(reply.status).to.equal(303);
      const runId = /^\/admin\/runs\/([0-9a-f-]+)$/.exec(reply.location ?? '')?.[1] ?? '';
      const run = await runs.get(runId);
      expect([run.dryRun, run.mode, run.status, run.actorName]).to.deep.equal([true, 'full', 'running', 'ada@example.com']);
      await runs.addEntries(runId, [{ objectType: 'user', action: 'create', anchor: 'guid-new', dn: 'CN=New,DC=example,DC=com' }]);
      const page = await ada.get(`/admin/runs/${runId}`);
      expect(page.text).to.contain(`data-progress="/admin/runs/${runId}/progress"`);
      expect(counterCells(page.text).created).to.equal(1);
      const progress = JSON.parse((await ada.get(`/admin/runs/${runId}/progress`)).text) as { status: string; counters: { created: number } };
      expect([progress.status, progress.counters.created]).to.deep.equal(['running', 1]);
      await runs.finish(runId, { status: 'succeeded', counters: { read: 1, unchanged: 0 } });
    });

    it('lets a blocked run\'s deletes through only by a change request a second person approves with a comment', async () => {
      const page = await ada.get(`/admin/runs/${blockedRun}`);
      expect(page.text).to.contain('This run was blocked');
      expect(page.text).to.contain('1 deletion exceeds the threshold of 0');
      expect(entryIds(page.text)).to.have.length(1);
      const asked = await ada.postWithCsrf(`/admin/runs/${blockedRun}/release`);
      expect(asked.status).to.equal(303);
      const requestPath = asked.location ?? '';
      expect(requestPath).to.match(/^\/admin\/approvals\/[0-9a-f-]+$/);
      const own = await ada.get(requestPath);
      expect(own.text).to.contain('You asked for this change');
      expect(own.text).not.to.contain('/approve"');
      const refused = await ada.postWithCsrf(`${requestPath}/approve`, { comment: 'mine' });
      expect(refused.status).to.equal(403);
      const inbox = await val.get('/admin/approvals');
      expect(inbox.text).to.contain(`href="${requestPath}"`);
      const form = await val.get(requestPath);
      expect(form.text).to.match(/<label for="comment-approve">Comment<\/label>\s*<textarea id="comment-approve" name="comment"/);
      const approved = await val.postWithCsrf(`${requestPath}/approve`, { comment: 'checked with HR' });
      expect(approved.status).to.equal(303);
      const decided = await val.get(requestPath);
      expect(decided.text).to.contain('<span class="badge request-approved">approved</span>');
      expect(decided.text).to.contain('checked with HR');
      const started = /Started <a href="\/admin\/runs\/([0-9a-f-]+)">/.exec(decided.text)?.[1] ?? '';
      const released = await runs.get(started);
      expect([released.mode, released.status]).to.deep.equal(['delta', 'running']);
      await runs.finish(started, { status: 'succeeded', counters: { read: 0, unchanged: 0 } });
      const audit = await ada.get('/admin/audit?action=change-request.');
      expect(audit.text).to.contain('change-request.approve');
      const csv = await ada.get('/admin/audit.csv?action=change-request.');
      expect(csv.text.split('\r\n')[0]).to.match(/^id,seq,occurred_at,/);
      expect(csv.text).to.contain('change-request.approve');
    });

    it('shows roles with the API\'s holder counts, and a user\'s roles with where each came from', async () => {
      const apiRoles = await api<{ items: { id: string; memberCount: number }[] }>('/roles?pageSize=100');
      const page = await ada.get('/admin/roles');
      for (const role of apiRoles.items) {
        const row = new RegExp(`<a href="/admin/roles/${role.id}">.*?</tr>`, 's').exec(page.text)?.[0] ?? '';
        expect(dataValues(row)[0], role.id).to.equal(role.memberCount);
      }
      const user = await ada.get(`/admin/users/${bobId}`);
      expect(user.text).to.match(/>Auditor<\/a><\/th>\s*<td><span class="badge risk-normal">normal<\/span><\/td><td>admin<\/td>/);
      const users = await ada.get('/admin/users?q=bo');
      const listed = [...users.text.matchAll(/<th scope="row"><a href="\/admin\/users\/[^"]+">([^<]+)<\/a>/g)].map((match) => match[1]);
      expect(listed).to.deep.equal(['bob@example.com']);
    });

    it('shows the dashboard: last run of each mode, the charts with their tables, and the pending approvals', async () => {
      const page = await ada.get('/admin');
      expect(page.text).to.contain('<h3>Full</h3>');
      expect(page.text).to.match(/<svg class="chart" viewBox="0 0 720 260" role="img" aria-labelledby="chart-changes-title chart-changes-desc"/);
      expect(page.text).to.contain('<caption>Directory size over time (objects)</caption>');
      expect(page.text).to.contain('<data value="1200">1,200</data>');
      const sizes = await runs.directorySizes(30);
      // Every succeeded full run, the dry one started above (read 1) too: a dry run reads the whole scope as well.
      expect(sizes.map((size) => size.read)).to.deep.equal([1200, 1]);
      const table = /<caption>Directory size over time \(objects\)<\/caption>(.*?)<\/table>/s.exec(page.text)?.[1] ?? '';
      expect(dataValues(table)).to.deep.equal([1200, 1]);
    });
  });
}
