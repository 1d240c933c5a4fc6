import { expect } from 'chai';
import path from 'node:path';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { localOperatorContext } from '../../../src/identity/change-context';
import { loadRateLimitConfig, type RateLimitConfig } from '../../../src/rate-limit-config';
import { expectScimError, rawRequest } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import { explain, runScimd, startServe, useSpawnedProcesses, type ServeProcess } from '../../support/processes';
import { TestServer, type ScimClient, type ScimReply } from '../../support/test-server';

/**
 * Rate limits over real HTTP (src/http/token-limit.ts, src/http/address-limit.ts), configured from
 * the environment variables as an operator sets them. The windows are long (a burst of 3 earned back
 * at 0.05 a second: 60 s), so no test waits for a refill or depends on timing: each spends a budget
 * and checks the 429, its body and that Retry-After promises a refill within the window. The limits
 * never touch the database, so one database suffices (the first of SCIMD_TEST_DATABASES).
 */
const WINDOW_SECONDS = 60;
const WRONG_TOKEN = 'scimd_0000000000000000_wrong';

function rateLimitsFrom(env: Record<string, string>): RateLimitConfig {
  const problems: string[] = [];
  const config = loadRateLimitConfig(env, problems);
  expect(problems).to.deep.equal([]);
  return config;
}

async function startLimitedServer(env: Record<string, string>): Promise<TestServer> {
  const [database] = testDatabases();
  if (!database) throw new Error('SCIMD_TEST_DATABASES names no database');
  return TestServer.start(await database.fresh(), { rateLimit: rateLimitsFrom(env) });
}

/** The 429's Retry-After: whole seconds, at least 1, at most the window. */
function expectRetryAfter(reply: ScimReply): number {
  const header = reply.headers.get('retry-after') ?? '';
  expect(header, 'Retry-After').to.match(/^\d+$/);
  const seconds = Number(header);
  expect(seconds).to.be.within(1, WINDOW_SECONDS);
  return seconds;
}

function expectTooManyRequests(reply: ScimReply): void {
  const detail = expectScimError(reply, 429);
  expect(detail).to.include(`retry after ${expectRetryAfter(reply)} s`);
}

function fromAddress(address: string): Record<string, string> {
  return { 'X-Forwarded-For': address };
}

async function adminGet(server: TestServer, path: string, headers: Record<string, string>): Promise<ScimReply> {
  return rawRequest(`${server.running.url}/admin/api${path}`, { method: 'GET', headers });
}

function expectProblem429(reply: ScimReply): void {
  expect(reply.status, reply.text).to.equal(429);
  expect(reply.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(reply.body).to.include({ status: 429, title: 'Too Many Requests' });
  expect(reply.body.detail).to.be.a('string').and.match(/retry after \d+ s/);
  expectRetryAfter(reply);
}

async function statuses(client: ScimClient, count: number, headers: Record<string, string> = {}): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await client.get('/Users', headers)).status);
  return result;
}

describe('Rate limits over HTTP', () => {
  describe('per token (RATE_LIMIT_RPS=0.05, RATE_LIMIT_BURST=3, the address limit off)', () => {
    let server: TestServer;

    before(async () => {
      server = await startLimitedServer({ RATE_LIMIT_RPS: '0.05', RATE_LIMIT_BURST: '3', RATE_LIMIT_ADDRESS_RPS: '0' });
    });

    after(async () => {
      await server?.stop();
    });

    it('serves a burst, then answers 429 with Retry-After and a SCIM error body', async () => {
      const client = server.client(await server.token('burst', ['SCIM Provisioning']));
      expect(await statuses(client, 3)).to.deep.equal([200, 200, 200]);
      const refused = await client.get('/Users');
      expectTooManyRequests(refused);
      expect(refused.body.detail).to.include('3 at once, then 0.05 a second');
      // Refused again while the window lasts: a refusal earns nothing back.
      expectTooManyRequests(await client.get('/ServiceProviderConfig'));
    });

    it('answers problem+json under /admin/api, where the same token spends the same budget', async () => {
      const token = await server.token('admin-face', ['SCIM Provisioning']);
      expect(await statuses(server.client(token), 3)).to.deep.equal([200, 200, 200]);
      expectProblem429(await adminGet(server, '/roles', { Authorization: `Bearer ${token}` }));
    });

    it('gives every token its own budget, two tokens of one service account included', async () => {
      const first = await server.token('two-tokens', ['SCIM Provisioning']);
      const { token: second } = await new ServiceAccounts(server.running.dataSource)
        .createToken(localOperatorContext('test'), 'two-tokens');
      const other = await server.token('another-account', ['SCIM Provisioning']);
      expect(await statuses(server.client(first), 4)).to.deep.equal([200, 200, 200, 429]);
      expect(await statuses(server.client(second), 4)).to.deep.equal([200, 200, 200, 429]);
      expect(await statuses(server.client(other), 1)).to.deep.equal([200]);
    });

    it('shows the refusals in the request metrics with status 429', async () => {
      const scraper = await server.token('prometheus', ['Full API Access']);
      const reply = await rawRequest(`${server.running.url}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${scraper}` } });
      expect(reply.status, reply.text.slice(0, 300)).to.equal(200);
      expect(reply.text).to.match(/scimd_http_request_duration_seconds_count\{[^}]*route="\/scim\/v2\/Users"[^}]*status="429"[^}]*\} [1-9]/);
    });

    it('still answers 401 to a request without a valid token (the token limit runs after authentication)', async () => {
      expect(await statuses(server.client(WRONG_TOKEN), 5)).to.deep.equal([401, 401, 401, 401, 401]);
    });
  });

  describe('per address behind a trusted proxy (RATE_LIMIT_ADDRESS_RPS=0.05, RATE_LIMIT_ADDRESS_BURST=3, TRUSTED_PROXIES=127.0.0.1)', () => {
    let server: TestServer;
    let valid: ScimClient;
    let wrong: ScimClient;

    before(async () => {
      server = await startLimitedServer({ RATE_LIMIT_ADDRESS_RPS: '0.05', RATE_LIMIT_ADDRESS_BURST: '3', TRUSTED_PROXIES: '127.0.0.1' });
      valid = server.client(await server.token('idp', ['SCIM Provisioning']));
      wrong = server.client(WRONG_TOKEN);
    });

    after(async () => {
      await server?.stop();
    });

    it('counts failed authentications of the client the proxy names, then refuses it with 429 before authentication', async () => {
      const guesser = fromAddress('203.0.113.10');
      expect(await statuses(wrong, 3, guesser)).to.deep.equal([401, 401, 401]);
      expectTooManyRequests(await wrong.get('/Users', guesser));
      // Refused before the token is looked at: a valid one from that address waits too.
      expectTooManyRequests(await valid.get('/Users', guesser));
    });

    it('keeps a budget per client address', async () => {
      expect(await statuses(wrong, 1, fromAddress('203.0.113.11'))).to.deep.equal([401]);
      expect(await statuses(valid, 1, fromAddress('203.0.113.12'))).to.deep.equal([200]);
    });

    it('takes the address the trusted proxy appended, not one the client wrote before it', async () => {
      expectTooManyRequests(await wrong.get('/Users', fromAddress('198.51.100.77, 203.0.113.10')));
      expect((await wrong.get('/Users', fromAddress('203.0.113.10, 198.51.100.78'))).status).to.equal(401);
    });

    it('counts an IPv6 client by its /64 network, so new addresses from one network do not earn a new budget', async () => {
      const replies: number[] = [];
      for (const address of ['2001:db8:0:5::1', '2001:db8:0:5::2', '2001:db8:0:5:ffff::3']) {
        replies.push(...await statuses(wrong, 1, fromAddress(address)));
      }
      expect(replies).to.deep.equal([401, 401, 401]);
      expectTooManyRequests(await wrong.get('/Users', fromAddress('2001:db8:0:5::4')));
      expect((await wrong.get('/Users', fromAddress('2001:db8:0:6::1'))).status).to.equal(401);
    });

    it('never counts requests with a valid token, however many', async () => {
      const busyIdp = fromAddress('203.0.113.20');
      expect(await statuses(valid, 8, busyIdp)).to.deep.equal(Array(8).fill(200));
      expect(await statuses(wrong, 3, busyIdp)).to.deep.equal([401, 401, 401]);
      expectTooManyRequests(await wrong.get('/Users', busyIdp));
    });

    it('answers problem+json under /admin/api', async () => {
      expectProblem429(await adminGet(server, '/roles', { ...fromAddress('203.0.113.10'), Authorization: `Bearer ${WRONG_TOKEN}` }));
    });

    it('never limits the health routes', async () => {
      for (const path of ['/livez', '/readyz']) {
        const reply = await rawRequest(`${server.running.url}${path}`, { method: 'GET', headers: fromAddress('203.0.113.10') });
        expect(reply.status, `${path}: ${reply.text}`).to.equal(200);
      }
    });
  });

  describe('per address with no trusted proxy, and no token limit (RATE_LIMIT_RPS unset)', () => {
    let server: TestServer;

    before(async () => {
      server = await startLimitedServer({ RATE_LIMIT_ADDRESS_RPS: '0.05', RATE_LIMIT_ADDRESS_BURST: '3' });
    });

    after(async () => {
      await server?.stop();
    });

    it('limits no token when RATE_LIMIT_RPS is unset', async () => {
      const client = server.client(await server.token('unlimited', ['SCIM Provisioning']));
      expect(await statuses(client, 25)).to.deep.equal(Array(25).fill(200));
    });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy: the socket address is counted', async () => {
      const wrong = server.client(WRONG_TOKEN);
      const replies: number[] = [];
      for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
        replies.push(...await statuses(wrong, 1, fromAddress(address)));
      }
      expect(replies).to.deep.equal([401, 401, 401]);
      expectTooManyRequests(await wrong.get('/Users', fromAddress('198.51.100.4')));
    });

    it('never limits the health routes, even for a refused address', async () => {
      for (const path of ['/livez', '/readyz']) {
        const reply = await rawRequest(`${server.running.url}${path}`, { method: 'GET' });
        expect(reply.status, `${path}: ${reply.text}`).to.equal(200);
      }
      expectTooManyRequests(await server.client(WRONG_TOKEN).get('/Users'));
    });
  });
});

describe('scimd serve takes its rate limits from the environment (spawned processes)', function () {
  this.timeout(90_000);
  let dir = '';
  useSpawnedProcesses('scimd-rate-limits-', (created) => {
    dir = created;
  });

  async function getUsers(server: ServeProcess, token: string): Promise<ScimReply> {
    return rawRequest(`${server.baseUrl}/scim/v2/Users`, { method: 'GET', headers: { Authorization: `Bearer ${token}` } });
  }

  it('limits a token and a failing address as RATE_LIMIT_* say', async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'limits.sqlite')}` };
    const created = await runScimd(['service-account', 'create', 'idp', '--role', 'SCIM Provisioning', '--json'], { env });
    expect(created.code, explain(created)).to.equal(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const server = await startServe({
      env: { ...env, RATE_LIMIT_RPS: '0.05', RATE_LIMIT_BURST: '2', RATE_LIMIT_ADDRESS_RPS: '0.05', RATE_LIMIT_ADDRESS_BURST: '2' },
    });
    try {
      const tokenReplies = [await getUsers(server, token), await getUsers(server, token), await getUsers(server, token)];
      expect(tokenReplies.map((reply) => reply.status), server.describe()).to.deep.equal([200, 200, 429]);
      expectTooManyRequests(tokenReplies[2] as ScimReply);
      const failures = [await getUsers(server, WRONG_TOKEN), await getUsers(server, WRONG_TOKEN), await getUsers(server, WRONG_TOKEN)];
      expect(failures.map((reply) => reply.status)).to.deep.equal([401, 401, 429]);
      expectTooManyRequests(failures[2] as ScimReply);
    } finally {
      await server.stop();
    }
  });

  it('refuses to start with a bad value, naming each variable', async () => {
    const result = await runScimd(['serve'], {
      env: { DATABASE_URL: `sqlite:${path.join(dir, 'refused.sqlite')}`, RATE_LIMIT_RPS: 'fast', TRUSTED_PROXIES: 'lb.example.com' },
      timeoutMs: 20_000,
    });
    expect(result.code, explain(result)).to.equal(1);
    expect(result.stderr).to.include('Invalid configuration')
      .and.include('RATE_LIMIT_RPS: "fast"').and.include('TRUSTED_PROXIES: "lb.example.com"');
    expect(result.stdout).to.equal('');
  });
});
