import { expect } from 'chai';
import { testDatabases } from '../../support/databases';
import { parseExposition, samplesOf, valueOf, type Exposition } from '../../support/prometheus';
import { TestServer, USER_SCHEMA, type ScimClient } from '../../support/test-server';

/** Normal risk: granted at once. */
const HELP_DESK_ROLE = 'Help Desk Administrator';
/** High risk: a grant waits for a second person. */
const ADMINISTRATOR_ROLE = 'Administrator';
const REQUESTS = 'scimd_http_request_duration_seconds';

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function get(url: string, token?: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, {
    ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function expectProblem(reply: Reply, status: number, detail: RegExp): void {
  const context = `${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, context).to.equal(status);
  expect(reply.headers.get('content-type'), context).to.match(/^application\/problem\+json/);
  expect((JSON.parse(reply.text) as { detail?: string }).detail, context).to.match(detail);
}

/** /metrics over real HTTP: what a scrape shows after real traffic, who may scrape, and where. */
for (const database of testDatabases()) {
  describe(`Prometheus metrics on ${database.name}`, () => {
    let server: TestServer;
    let provisioning: ScimClient;
    let metricsToken: string;
    let provisioningToken: string;
    let userId: string;

    const scrape = async (): Promise<Exposition> => {
      const reply = await get(`${server.running.url}/metrics`, metricsToken);
      expect(reply.status, reply.text.slice(0, 300)).to.equal(200);
      return parseExposition(reply.text);
    };

    before(async () => {
      server = await TestServer.start(await database.fresh(), { metrics: { host: '127.0.0.1', port: 0 } });
      provisioningToken = await server.token('okta', ['SCIM Provisioning']);
      provisioning = server.client(provisioningToken);
      metricsToken = await server.token('prometheus', ['Full API Access']);
    });

    after(async () => {
      await server?.stop();
    });

    it('labels request durations by route template and status, never by a raw path, an id or a name', async () => {
      const created = await provisioning.post('/Users', {
        schemas: [USER_SCHEMA], userName: 'ada.lovelace@example.com', emails: [{ value: 'ada.lovelace@example.com', type: 'work', primary: true }],
      });
      expect(created.status, created.text).to.equal(201);
      userId = created.body.id as string;
      expect((await provisioning.get(`/Users/${userId}`)).status).to.equal(200);
      expect((await provisioning.get(`/uSeRs/${userId}`)).status, 'a path in other case matches the same route').to.equal(200);
      expect((await provisioning.get('/Users/00000000-0000-4000-8000-00000000dead')).status).to.equal(404);
      expect((await server.client(undefined).get(`/Users/${userId}`)).status, 'no token').to.equal(401);
      expect((await provisioning.get('/no-such-resource/ada.lovelace@example.com')).status).to.equal(404);

      const reply = await get(`${server.running.url}/metrics`, metricsToken);
      expect(reply.status).to.equal(200);
      expect(reply.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      expect(reply.text, 'no id in a label').to.not.include(userId);
      expect(reply.text, 'no personal data in a label').to.not.include('lovelace');
      const metrics = parseExposition(reply.text);
      expect(metrics.types.get(REQUESTS)).to.equal('histogram');
      const count = (labels: Record<string, string>) => valueOf(metrics, `${REQUESTS}_count`, labels);
      expect(count({ method: 'POST', route: '/scim/v2/Users', status: '201' })).to.equal(1);
      expect(count({ method: 'GET', route: '/scim/v2/Users/:id', status: '200' })).to.equal(2);
      expect(count({ method: 'GET', route: '/scim/v2/Users/:id', status: '404' })).to.equal(1);
      expect(count({ method: 'GET', route: '/scim/v2/Users/:id', status: '401' }), 'refused at the edge, labelled by its route').to.equal(1);
      expect(count({ method: 'GET', route: 'unmatched', status: '404' })).to.equal(1);
      const routes = new Set(samplesOf(metrics, `${REQUESTS}_count`).map((sample) => sample.labels.route));
      expect([...routes].filter((route) => route !== 'unmatched' && !route?.startsWith('/')), 'routes are templates').to.deep.equal([]);
      // The histogram's buckets are cumulative: the +Inf bucket holds every request of its series.
      expect(valueOf(metrics, `${REQUESTS}_bucket`, { method: 'POST', route: '/scim/v2/Users', status: '201', le: '+Inf' })).to.equal(1);
    });

    it('times the database statements the requests made, by operation', async () => {
      const metrics = await scrape();
      expect(metrics.types.get('scimd_db_query_duration_seconds')).to.equal('histogram');
      expect(valueOf(metrics, 'scimd_db_query_duration_seconds_count', { operation: 'insert', outcome: 'ok' })).to.be.greaterThan(0);
      expect(valueOf(metrics, 'scimd_db_query_duration_seconds_count', { operation: 'select', outcome: 'ok' })).to.be.greaterThan(0);
      expect(valueOf(metrics, 'scimd_db_query_duration_seconds_sum', { operation: 'select' })).to.be.greaterThan(0);
    });

    it('reads pending change requests and the mail outbox backlog from the database at scrape time', async () => {
      const before = await scrape();
      expect(valueOf(before, 'scimd_metrics_database_up')).to.equal(1);
      expect(valueOf(before, 'scimd_change_requests_pending')).to.equal(0);
      expect(valueOf(before, 'scimd_mail_outbox_pending')).to.equal(0);
      expect(valueOf(before, 'scimd_sync_seconds_since_last_success'), 'no run has succeeded').to.equal(Number.POSITIVE_INFINITY);

      // A normal role is granted at once and the user's notice queued; a high-risk one waits for approval.
      const grant = (role: string) => get(`${server.running.url}/admin/api/users/${userId}/roles`, metricsToken, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ add: [role] }),
      });
      const applied = await grant(HELP_DESK_ROLE);
      expect(applied.status, applied.text).to.equal(200);
      const pending = await grant(ADMINISTRATOR_ROLE);
      expect(pending.status, pending.text).to.equal(202);

      const after = await scrape();
      expect(valueOf(after, 'scimd_change_requests_pending')).to.equal(1);
      expect(valueOf(after, 'scimd_mail_outbox_pending')).to.equal(1);
    });

    it('answers 401 without a token and 403 to a token whose roles lack metrics:read, as problem details', async () => {
      const none = await get(`${server.running.url}/metrics`);
      expectProblem(none, 401, /Authentication required/);
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer\b/);
      expectProblem(await get(`${server.running.url}/metrics`, 'scimd_0123456789abcdef_not-a-real-secret-at-all-aaaaaaaaaaaaaaaa'), 401, /unknown, revoked or expired/);
      expectProblem(await get(`${server.running.url}/metrics`, provisioningToken), 403, /metrics:read/);
      expectProblem(await get(`${server.running.url}/metrics`, metricsToken, { method: 'POST' }), 405, /not allowed/);
    });

    it('serves a token whose only permission is metrics:read (a custom role, as docs/operations.md sets up)', async () => {
      const role = await get(`${server.running.url}/admin/api/roles`, metricsToken, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Metrics reader', permissions: ['metrics:read'], assignableTo: 'service' }),
      });
      expect(role.status, role.text).to.equal(201);
      const scraper = await server.token('prometheus-scraper', ['Metrics reader']);
      const reply = await get(`${server.running.url}/metrics`, scraper);
      expect(reply.status, reply.text.slice(0, 300)).to.equal(200);
      expect(parseExposition(reply.text).types.get(REQUESTS)).to.equal('histogram');
      expect((await server.client(scraper).get('/Users')).status, 'and nothing else').to.equal(403);
    });

    it('serves /metrics without a token on METRICS_PORT, and only /metrics', async () => {
      const metricsUrl = server.running.metricsUrl;
      expect(metricsUrl, 'the metrics listener').to.be.a('string');
      expect(metricsUrl).to.not.equal(server.running.url);
      const reply = await get(`${metricsUrl}/metrics`);
      expect(reply.status, reply.text.slice(0, 300)).to.equal(200);
      expect(reply.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      const metrics = parseExposition(reply.text);
      expect(valueOf(metrics, `${REQUESTS}_count`, { route: '/scim/v2/Users' }), 'the main port\'s requests').to.be.greaterThan(0);
      expect(metrics.types.get('process_cpu_user_seconds_total'), 'default process metrics').to.equal('counter');
      expect(metrics.types.get('nodejs_eventloop_lag_seconds')).to.equal('gauge');
      expect((await get(`${metricsUrl}/scim/v2/Users`)).status, 'nothing else is served there').to.equal(404);
      const post = await get(`${metricsUrl}/metrics`, undefined, { method: 'POST' });
      expect(post.status).to.equal(405);
      expect(post.headers.get('allow')).to.equal('GET, HEAD');
      expect((await get(`${server.running.url}/metrics`)).status, 'the main port still wants a token').to.equal(401);
    });
  });
}
