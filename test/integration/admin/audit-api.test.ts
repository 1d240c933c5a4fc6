import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { AUDIT_CSV_COLUMNS } from '../../../src/admin/audit-routes';
import { transaction } from '../../../src/db/transaction';
import { recordAudits, type AuditRecord } from '../../../src/governance/audit';
import type { AuditEventView } from '../../../src/governance/audit-log';
import { localOperatorContext } from '../../../src/identity/change-context';
import { rawRequest } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply } from '../../support/test-server';

function call(url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<ScimReply> {
  return rawRequest(url, { method: 'GET', headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } });
}

function expectProblem(reply: ScimReply, status: number, detail?: RegExp): void {
  const context = `${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, context).to.equal(status);
  expect(reply.headers.get('content-type'), context).to.match(/^application\/problem\+json/);
  expect(reply.body.status, context).to.equal(status);
  if (detail) expect(reply.body.detail, context).to.match(detail);
}

/** RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks; records end with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      record.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  expect(cell === '' && record.length === 0, 'the export ends with a complete record').to.equal(true);
  return records;
}

/** Events written straight through recordAudits, for values no SCIM request carries. */
async function audit(dataSource: DataSource, actor: string, records: readonly AuditRecord[]): Promise<void> {
  await transaction(dataSource, (manager) => recordAudits(manager, localOperatorContext(actor), records));
}

const NASTY_NAME = '=HYPERLINK("http://evil.example","click")';
const NASTY_CHANGES = [{ attribute: 'description', from: 'a, "b"', to: 'line one\nline two' }];

for (const database of testDatabases()) {
  describe(`Admin API: audit log on ${database.name} (real HTTP)`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let api: string;
    let readOnly: string;
    let provisioning: string;
    let scim: ScimClient;
    let all: AuditEventView[];
    let oktaId: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      api = `${server.running.url}/admin/api/audit`;
      readOnly = await server.token('reporting', ['Read-only API Access']);
      provisioning = await server.token('okta', ['SCIM Provisioning']);
      scim = server.client(provisioning);
      const userIds: string[] = [];
      for (const name of ['ada', 'grace', 'edsger']) {
        const reply = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: `${name}@example.com` }, { 'X-Request-Id': `req-${name}` });
        expect(reply.status, reply.text).to.equal(201);
        userIds.push(reply.body.id as string);
      }
      const group = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineers', members: [{ value: userIds[0] }] });
      expect(group.status, group.text).to.equal(201);
      expect((await scim.delete(`/Users/${userIds[2] ?? ''}`)).status).to.equal(204);
      await audit(server.running.dataSource, 'cli:root', [{ action: 'role.update', targetType: 'Group', targetId: 'g-nasty', targetName: NASTY_NAME, changes: NASTY_CHANGES }]);
      const reply = await call(`${api}?pageSize=500`, readOnly);
      expect(reply.status, reply.text).to.equal(200);
      all = reply.body.items as AuditEventView[];
      oktaId = (await server.running.dataSource.query("SELECT id FROM service_accounts WHERE name = 'okta'") as { id: string }[])[0]?.id ?? '';
    });

    after(async () => {
      await server?.stop();
    });

    it('needs a token (401) and the audit:read permission: 403 for SCIM Provisioning, 200 for Read-only API Access', async () => {
      expectProblem(await call(api, undefined), 401);
      expectProblem(await call(api, provisioning), 403, /audit:read/);
      expectProblem(await call(`${api}?format=csv`, provisioning), 403, /audit:read/);
      const reply = await call(api, readOnly);
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.headers.get('content-type')).to.match(/^application\/json/);
    });

    it('lists every event newest first, each with its actor, target, parsed changes and chain links', async () => {
      expect(all.length).to.equal(await server.count('audit_events'));
      expect(all.map((event) => event.seq)).to.deep.equal(all.map((_, i) => all.length - i));
      const created = all.find((event) => event.action === 'user.create' && event.target.name === 'ada@example.com') as AuditEventView;
      expect(Object.keys(created).sort()).to.deep.equal(
        ['action', 'actor', 'changes', 'door', 'hash', 'id', 'occurredAt', 'prevHash', 'requestId', 'seq', 'target'].sort());
      expect(created.actor).to.deep.equal({ type: 'service-account', id: oktaId, name: 'okta' });
      expect(created).to.include({ door: 'scim', requestId: 'req-ada' });
      expect(created.target).to.include({ type: 'User', name: 'ada@example.com' });
      expect(created.changes).to.be.an('array').that.deep.includes({ attribute: 'userName', to: 'ada@example.com' });
      expect(created.occurredAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const previous = all.find((event) => event.seq === created.seq - 1);
      expect(created.prevHash).to.equal(previous?.hash).and.match(/^[0-9a-f]{64}$/);
      expect(all[0]).to.deep.include({ action: 'role.update', changes: NASTY_CHANGES });
    });

    it('filters by actor (name or id), target type, id and name, action (exact or a prefix) and time, alone and together', async () => {
      const someTime = all[Math.floor(all.length / 2)]?.occurredAt ?? '';
      const ada = all.find((event) => event.target.name === 'ada@example.com') as AuditEventView;
      const cases: [string, (event: AuditEventView) => boolean][] = [
        ['actor=okta', (event) => event.actor.name === 'okta'],
        [`actor=${oktaId}`, (event) => event.actor.id === oktaId],
        ['actor=cli%3Aroot', (event) => event.actor.name === 'cli:root'],
        ['targetType=Group', (event) => event.target.type === 'Group'],
        [`targetId=${ada.target.id}`, (event) => event.target.id === ada.target.id],
        ['target=ada%40example.com', (event) => event.target.name === 'ada@example.com'],
        ['action=user.create', (event) => event.action === 'user.create'],
        ['action=user.', (event) => event.action.startsWith('user.')],
        ['action=role.*', (event) => event.action.startsWith('role.')],
        ['action=User.', () => false],
        [`from=${someTime}`, (event) => event.occurredAt >= someTime],
        [`to=${someTime}`, (event) => event.occurredAt < someTime],
        [`from=${someTime}&to=${someTime}`, () => false],
        ['actor=okta&action=user.', (event) => event.actor.name === 'okta' && event.action.startsWith('user.')],
        ['actor=nobody', () => false],
      ];
      for (const [query, wanted] of cases) {
        const reply = await call(`${api}?${query}&pageSize=500`, readOnly);
        expect(reply.status, `${query}: ${reply.text}`).to.equal(200);
        const expected = all.filter(wanted).map((event) => event.seq);
        expect((reply.body.items as AuditEventView[]).map((event) => event.seq), query).to.deep.equal(expected);
        expect(reply.body.total, query).to.equal(expected.length);
      }
      expect(all.filter((event) => event.actor.name === 'okta' && event.action.startsWith('user.')).length, 'the combined case selects something')
        .to.be.greaterThan(2);
      expect(all.some((event) => event.action === 'user.delete') && all.some((event) => event.action === 'role.create')).to.equal(true);
    });

    it('pages newest first with page and pageSize, and refuses bad parameters with a 400 problem', async () => {
      const second = await call(`${api}?page=2&pageSize=3`, readOnly);
      expect(second.body).to.include({ total: all.length, page: 2, pageSize: 3 });
      expect(second.body.items).to.deep.equal(all.slice(3, 6));
      const defaults = await call(api, readOnly);
      expect(defaults.body).to.include({ page: 1, pageSize: 50, total: all.length });
      const bad: [string, RegExp][] = [
        ['page=0', /page must be a whole number/], ['pageSize=501', /pageSize must be a whole number from 1 to 500/],
        ['page=x', /page/], ['from=yesterday', /from must be an ISO 8601/], ['to=2026-01-31T12:00', /to must be an ISO 8601/],
        ['from=2026-02-01&to=2026-01-01', /from .* is after to/], ['actorName=okta', /Unknown parameter\(s\) "actorName"/],
        ['format=xml', /format must be csv or json/], [`action=${'a'.repeat(300)}`, /longer than 255/],
      ];
      for (const [query, detail] of bad) expectProblem(await call(`${api}?${query}`, readOnly), 400, detail);
    });

    it('exports CSV (format=csv or Accept: text/csv) as an attachment: a header, every matching event newest first, quoted and formula-safe', async () => {
      for (const [query, headers] of [['?format=csv', {}], ['', { Accept: 'text/csv' }]] as const) {
        const reply = await call(`${api}${query}`, readOnly, headers);
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.headers.get('content-type')).to.match(/^text\/csv/);
        expect(reply.headers.get('content-disposition')).to.match(/^attachment; filename="audit\.csv"$/);
        const [header, ...records] = parseCsv(reply.text);
        expect(header).to.deep.equal([...AUDIT_CSV_COLUMNS]);
        expect(records.map((record) => Number(record[1]))).to.deep.equal(all.map((event) => event.seq));
        const nasty = records[0] as string[];
        const cell = (column: (typeof AUDIT_CSV_COLUMNS)[number]): string | undefined => nasty[AUDIT_CSV_COLUMNS.indexOf(column)];
        expect(cell('target_name'), 'a formula is defused with a leading quote').to.equal(`'${NASTY_NAME}`);
        expect(JSON.parse(cell('changes') ?? '')).to.deep.equal(NASTY_CHANGES);
        expect(cell('actor_name')).to.equal('cli:root');
        expect(cell('actor_id')).to.equal('');
        expect(cell('hash')).to.equal(all[0]?.hash);
        expect(cell('prev_hash')).to.equal(all[0]?.prevHash);
        expect(cell('occurred_at')).to.equal(all[0]?.occurredAt);
      }
      const json = await call(api, readOnly, { Accept: 'application/json, text/csv;q=0.5' });
      expect(json.headers.get('content-type')).to.match(/^application\/json/);
      const filtered = parseCsv((await call(`${api}?format=csv&action=user.create&page=9&pageSize=1`, readOnly)).text);
      expect(filtered.slice(1).map((record) => Number(record[1])), 'filters apply, page and pageSize do not')
        .to.deep.equal(all.filter((event) => event.action === 'user.create').map((event) => event.seq));
    });

    it('exports a log longer than one read (2,500 more events) whole, each event once, newest first', async () => {
      await audit(server.running.dataSource, 'cli:bulk', Array.from({ length: 2500 }, (_, i) => ({
        action: 'user.update', targetType: 'User', targetId: `bulk-${i}`, targetName: `bulk ${i}`,
      })));
      const total = await server.count('audit_events');
      const records = parseCsv((await call(`${api}?format=csv`, readOnly)).text).slice(1);
      expect(records.map((record) => Number(record[1]))).to.deep.equal(Array.from({ length: total }, (_, i) => total - i));
      const bulk = parseCsv((await call(`${api}?format=csv&actor=cli:bulk`, readOnly)).text).slice(1);
      expect(bulk.map((record) => record[AUDIT_CSV_COLUMNS.indexOf('target_id')])).to.deep.equal(
        Array.from({ length: 2500 }, (_, i) => `bulk-${2499 - i}`));
    });
  });
}
