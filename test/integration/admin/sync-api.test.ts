import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { DataSource } from 'typeorm';
import type { TriggerRunOptions } from '../../../src/admin/sync-routes';
import { createApp } from '../../../src/app';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { openDataSource } from '../../../src/db/data-source';
import { conflictError } from '../../../src/errors';
import { SyncRuns, type SyncRunEntryInput, type SyncRunView } from '../../../src/governance/sync-runs';
import { batchSyncContext, localOperatorContext, type ChangeContext } from '../../../src/identity/change-context';
import { createLogger } from '../../../src/logger';
import { testDatabases } from '../../support/databases';
import { rawRequest } from '../../support/assertions';
import { TestServer, type ScimReply } from '../../support/test-server';

const OPERATOR: ChangeContext = localOperatorContext('test');

/** A call to the admin API: the shared raw request, with the bearer token when given. */
function call(
  url: string, token: string | undefined, init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<ScimReply> {
  return rawRequest(url, {
    method: init.method ?? 'GET',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

/** An RFC 9457 problem: the status, application/problem+json, {status (a number), title, detail}, no SCIM schemas. */
function expectProblem(reply: ScimReply, status: number, detail?: RegExp): void {
  const context = `${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, context).to.equal(status);
  expect(reply.headers.get('content-type'), context).to.match(/^application\/problem\+json/);
  expect(Object.keys(reply.body).sort(), context).to.deep.equal(['detail', 'status', 'title']);
  expect(reply.body.status, context).to.equal(status);
  expect(reply.body.title, context).to.be.a('string').and.not.equal('');
  expect(reply.body.detail, context).to.be.a('string').and.not.equal('');
  if (detail) expect(reply.body.detail, context).to.match(detail);
}

function entry(action: SyncRunEntryInput['action'], n: number): SyncRunEntryInput {
  return { objectType: 'user', action, anchor: `anchor-${n}`, dn: `CN=User ${n},DC=example,DC=test`, changes: [{ attribute: 'title', to: `T${n}` }] };
}

/** Three finished runs, the last with eight entries. */
async function seedRuns(dataSource: DataSource): Promise<SyncRunView[]> {
  const runs = new SyncRuns(dataSource);
  const views: SyncRunView[] = [];
  for (let i = 0; i < 3; i++) {
    const id = await runs.start({ trigger: 'schedule', mode: i === 0 ? 'full' : 'delta', dryRun: false, requestedBy: batchSyncContext({ permissions: new Set(['sync:run']) }) });
    if (i === 2) {
      await runs.addEntries(id, [entry('create', 1), entry('update', 2), entry('update', 3), entry('error', 4),
        entry('skip', 5), entry('update', 6), entry('error', 7), entry('deactivate', 8)]);
    }
    views.push(await runs.finish(id, { status: 'succeeded', counters: { read: 10, unchanged: 2 }, usnTo: 100 + i }));
  }
  return views.reverse();
}

for (const database of testDatabases()) {
  describe(`Admin API: sync runs on ${database.name} (mounted in scimd, real HTTP)`, () => {
    let server: TestServer;
    let api: string;
    let readOnly: string;
    let full: string;
    let provisioning: string;
    let seeded: SyncRunView[];

    before(async () => {
      server = await TestServer.start(await database.fresh());
      api = `${server.running.url}/admin/api`;
      readOnly = await server.token('reporting', ['Read-only API Access']);
      full = await server.token('automation', ['Full API Access']);
      provisioning = await server.token('okta', ['SCIM Provisioning']);
      seeded = await seedRuns(server.running.dataSource);
    });

    after(async () => {
      await server.stop();
    });

    it('refuses a caller without a valid bearer token with 401, a Bearer challenge and a problem body', async () => {
      for (const [token, detail] of [[undefined, /Authentication required/], ['scimd_0123456789abcdef_nope', /unknown, revoked or expired/]] as const) {
        for (const path of ['/sync/runs', `/sync/runs/${seeded[0]?.id ?? ''}`, '/nothing-here']) {
          const reply = await call(`${api}${path}`, token);
          expectProblem(reply, 401, detail);
          expect(reply.body.title).to.equal('Unauthorized');
          expect(reply.headers.get('www-authenticate')).to.match(/^Bearer\b/);
        }
      }
      expectProblem(await call(`${api}/sync/runs`, undefined, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), 401, /must be "Bearer <token>"/);
      expectProblem(await call(`${api}/sync/runs`, undefined, { method: 'POST', body: '{}' }), 401);
    });

    it('authenticates every spelling of /admin/api the router accepts: 401 problem without a token, served with one', async () => {
      const origin = server.running.url;
      const id = seeded[0]?.id ?? '';
      for (const prefix of ['/ADMIN/api', '/Admin/API', '/admin/API']) {
        for (const path of ['/sync/runs', `/sync/runs/${id}`, `/sync/runs/${id}/entries`, '/nothing-here']) {
          const reply = await call(`${origin}${prefix}${path}`, undefined);
          expectProblem(reply, 401, /Authentication required/);
          expect(reply.headers.get('www-authenticate'), `${prefix}${path}`).to.equal('Bearer realm="scimd"');
        }
        expectProblem(await call(`${origin}${prefix}/sync/runs`, undefined,
          { method: 'POST', body: '{"mode":"full"}', headers: { 'Content-Type': 'application/json' } }), 401);
        const list = await call(`${origin}${prefix}/sync/runs?pageSize=2`, readOnly);
        expect(list.status, list.text).to.equal(200);
        expect(list.body.items).to.deep.equal(seeded.slice(0, 2));
        expectProblem(await call(`${origin}${prefix}/sync/runs`, provisioning), 403, /sync:read/);
        expectProblem(await call(`${origin}${prefix}/nothing-here`, readOnly), 404);
      }
      expect(await server.count('sync_runs')).to.equal(3);
    });

    it('refuses with 403 a caller whose roles lack sync:read (SCIM Provisioning)', async () => {
      for (const path of ['/sync/runs', `/sync/runs/${seeded[0]?.id ?? ''}`, `/sync/runs/${seeded[0]?.id ?? ''}/entries`]) {
        expectProblem(await call(`${api}${path}`, provisioning), 403, /sync:read/);
      }
    });

    it('lists runs newest first, paged, to Read-only API Access and Full API Access', async () => {
      for (const token of [readOnly, full]) {
        const first = await call(`${api}/sync/runs?pageSize=2`, token);
        expect(first.status, first.text).to.equal(200);
        expect(first.headers.get('content-type')).to.match(/^application\/json/);
        expect(first.body).to.include({ total: 3, page: 1, pageSize: 2 });
        expect(first.body.items).to.deep.equal(seeded.slice(0, 2));
        const second = await call(`${api}/sync/runs?page=2&pageSize=2`, token);
        expect(second.body).to.include({ total: 3, page: 2, pageSize: 2 });
        expect(second.body.items).to.deep.equal(seeded.slice(2));
      }
      const defaults = await call(`${api}/sync/runs`, readOnly);
      expect(defaults.body).to.include({ page: 1, pageSize: 50, total: 3 });
      for (const query of ['page=0', 'page=x', 'pageSize=0', 'pageSize=501', 'page=1.5', 'page=-1']) {
        expectProblem(await call(`${api}/sync/runs?${query}`, readOnly), 400, /page/);
      }
    });

    it('shows one run with its counters; 404 with a problem body for an unknown run', async () => {
      const latest = seeded[0] as SyncRunView;
      const reply = await call(`${api}/sync/runs/${latest.id}`, readOnly);
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.body).to.deep.equal(latest);
      expect(latest.counters).to.include({ read: 10, unchanged: 2, created: 1, updated: 3, errors: 2, skipped: 1, deactivated: 1 });
      expectProblem(await call(`${api}/sync/runs/00000000-0000-4000-8000-0000000000ff`, readOnly), 404, /No sync run/);
      expectProblem(await call(`${api}/sync/runs/00000000-0000-4000-8000-0000000000ff/entries`, readOnly), 404, /No sync run/);
    });

    it('pages a run\'s entries and filters them by action', async () => {
      const latest = seeded[0] as SyncRunView;
      const all = await call(`${api}/sync/runs/${latest.id}/entries`, readOnly);
      expect(all.status, all.text).to.equal(200);
      expect(all.body).to.include({ total: 8, page: 1, pageSize: 50 });
      const items = all.body.items as { anchor: string; action: string; changes: unknown[] }[];
      expect(items.map((item) => item.anchor)).to.deep.equal(Array.from({ length: 8 }, (_, i) => `anchor-${i + 1}`));
      expect(items[0]).to.include({ action: 'create', objectType: 'user', dn: 'CN=User 1,DC=example,DC=test', message: null });
      expect(items[0]?.changes).to.deep.equal([{ attribute: 'title', to: 'T1' }]);

      const updates = await call(`${api}/sync/runs/${latest.id}/entries?action=update&page=2&pageSize=2`, readOnly);
      expect(updates.body).to.include({ total: 3, page: 2, pageSize: 2 });
      expect((updates.body.items as { anchor: string }[]).map((item) => item.anchor)).to.deep.equal(['anchor-6']);
      for (const query of ['action=error,skip', 'action=error&action=skip']) {
        const problems = await call(`${api}/sync/runs/${latest.id}/entries?${query}`, readOnly);
        expect((problems.body.items as { anchor: string }[]).map((item) => item.anchor), query)
          .to.deep.equal(['anchor-4', 'anchor-5', 'anchor-7']);
      }
      expectProblem(await call(`${api}/sync/runs/${latest.id}/entries?action=explode`, readOnly), 400, /Unknown action "explode"/);
    });

    it('POST /sync/runs needs sync:run (403 for Read-only API Access) and answers 409 while the sync is not configured', async () => {
      expectProblem(await call(`${api}/sync/runs`, readOnly, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }), 403, /sync:run/);
      expectProblem(await call(`${api}/sync/runs`, provisioning, { method: 'POST' }), 403, /sync:run/);
      const reply = await call(`${api}/sync/runs`, full, { method: 'POST', body: '{"mode":"full"}', headers: { 'Content-Type': 'application/json' } });
      expectProblem(reply, 409, /not configured/);
      expect(reply.body.title).to.equal('Conflict');
      expect(await server.count('sync_runs')).to.equal(3);
    });

    it('answers unknown paths with 404 and wrong methods with 405 and Allow, as problems; SCIM is untouched', async () => {
      expectProblem(await call(`${api}/nothing-here`, readOnly), 404, /No resource at GET \/admin\/api\/nothing-here/);
      expectProblem(await call(`${api}`, readOnly), 404);
      const wrong = await call(`${api}/sync/runs`, full, { method: 'DELETE' });
      expectProblem(wrong, 405);
      expect(wrong.headers.get('allow')).to.match(/GET/).and.match(/POST/);
      const scim = await call(`${server.baseUrl}/Users`, full);
      expect(scim.status, scim.text).to.equal(200);
      expect((await call(`${server.running.url}/other`, full)).headers.get('content-type'), 'outside /admin: SCIM 404')
        .to.match(/^application\/scim\+json/);
      const consolePage = await fetch(`${server.running.url}/admin/other`, { redirect: 'manual' });
      expect(consolePage.status, 'under /admin but not /admin/api: the console, which sends a signed-out browser to sign in').to.equal(303);
    });
  });

  describe(`Admin API: starting a sync run on ${database.name} (the app with an injected runner, real HTTP)`, () => {
    let dataSource: DataSource;
    let http: Server;
    let api: string;
    let full: string;
    let operator: string;
    const calls: TriggerRunOptions[] = [];
    let behaviour: 'start' | 'busy' | 'crash' = 'start';

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      const accounts = new ServiceAccounts(dataSource);
      full = (await accounts.create(OPERATOR, { name: 'automation', roleNames: ['Full API Access'] })).token;
      operator = (await accounts.create(OPERATOR, { name: 'batch-runner', roleNames: ['Batch sync'] })).token;
      const runs = new SyncRuns(dataSource);
      const app = createApp({
        config: { maxBodyBytes: 1024, publicUrl: 'http://127.0.0.1', governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 } }, dataSource, logger: createLogger('silent'),
        lifecycle: { shuttingDown: false },
        triggerRun: async (options) => {
          calls.push(options);
          if (behaviour === 'busy') throw conflictError('A sync run is already running (lease held by replica-b)');
          if (behaviour === 'crash') throw new Error('LDAP socket exploded at 10.0.0.1');
          const runId = await runs.start({
            trigger: 'api', mode: options.mode ?? 'delta', dryRun: options.dryRun ?? false,
            requestedBy: options.context ?? OPERATOR,
          });
          return { runId };
        },
      });
      http = createServer(app.callback());
      await new Promise<void>((resolve) => http.listen({ host: '127.0.0.1', port: 0 }, resolve));
      const address = http.address();
      api = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/admin/api`;
    });

    after(async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await dataSource.destroy();
    });

    beforeEach(() => {
      calls.length = 0;
      behaviour = 'start';
    });

    const post = (token: string, body?: string, type = 'application/json') => call(`${api}/sync/runs`, token, {
      method: 'POST', ...(body === undefined ? {} : { body, headers: { 'Content-Type': type } }),
    });

    it('starts a run with the caller as actor: 202, Location and {runId}', async () => {
      const reply = await post(full, '{"mode":"full","dryRun":true}');
      expect(reply.status, reply.text).to.equal(202);
      const runId = reply.body.runId as string;
      expect(reply.headers.get('location')).to.equal(`/admin/api/sync/runs/${runId}`);
      expect(calls).to.have.length(1);
      expect(calls[0]).to.deep.include({ mode: 'full', dryRun: true });
      expect(calls[0]?.context?.actor).to.include({ type: 'service-account', name: 'automation' });
      expect(calls[0]?.context?.door).to.equal('admin');
      const run = await call(`${api}/sync/runs/${runId}`, full);
      expect(run.body).to.include({ id: runId, trigger: 'api', mode: 'full', dryRun: true, status: 'running', actorName: 'automation' });
    });

    it('lets the Batch sync role start runs, with no body at all (the runner picks the mode)', async () => {
      const reply = await post(operator);
      expect(reply.status, reply.text).to.equal(202);
      expect(calls[0]).to.not.have.property('mode');
      expect(calls[0]).to.not.have.property('dryRun');
      expect(calls[0]?.context?.actor.name).to.equal('batch-runner');
    });

    it('rejects a bad body with 400, 413 or 415 before the runner is called', async () => {
      expectProblem(await post(full, '{"mode":"partial"}'), 400, /mode must be one of full, delta/);
      expectProblem(await post(full, '{"dryRun":"yes"}'), 400, /dryRun/);
      expectProblem(await post(full, '{"mode":"full","force":true}'), 400, /Unknown field\(s\) "force"/);
      expectProblem(await post(full, '[1]'), 400, /JSON object/);
      expectProblem(await post(full, '{"mode":'), 400, /not valid JSON/);
      expectProblem(await post(full, '{"mode":"full"}', 'text/plain'), 415);
      expectProblem(await post(full, JSON.stringify({ mode: 'full', pad: 'x'.repeat(2000) })), 413);
      expect(calls).to.deep.equal([]);
    });

    it('refuses a body nested deeper than the edge allows with a 400 problem, and keeps serving', async () => {
      // Within this app's 1 KiB body limit, so that only the depth can refuse it.
      const deep = `{"mode":${'['.repeat(300)}${']'.repeat(300)}}`;
      expectProblem(await call(`${api}/sync/runs`, full, {
        method: 'POST', body: deep, headers: { 'Content-Type': 'application/json' },
      }), 400, /deeper than 64 levels/);
      expect(calls).to.deep.equal([]);
      const reply = await post(full, '{"mode":"delta"}');
      expect(reply.status, reply.text).to.equal(202);
    });

    it('answers 409 when the runner says a run is already going, and 500 without internals when it fails', async () => {
      behaviour = 'busy';
      expectProblem(await post(full, '{}'), 409, /already running/);
      behaviour = 'crash';
      const crashed = await post(full, '{}');
      expectProblem(crashed, 500, /Internal error/);
      expect(crashed.text).to.not.contain('10.0.0.1');
    });
  });
}
