import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { localOperatorContext } from '../../../src/identity/change-context';
import { testDatabases } from '../../support/databases';
import { ConsoleAgent, ROLE_IDS, startConsoleApp, type ConsoleApp, type ConsoleReply } from '../../support/console';

/**
 * The console's sign-in and sessions over HTTP on both databases: token sign-in and the cookie's
 * attributes, the session's lookup, idle and absolute expiry (the sessions' clock is the test's),
 * sign-out and a replayed cookie, CSRF, the open-redirect guard, the security headers, and the
 * bearer edge still in front of every spelling of /admin/api.
 */

const START = Date.parse('2026-03-02T09:00:00.000Z');
const MINUTE = 60_000;

function expectSecurityHeaders(reply: ConsoleReply): void {
  const csp = reply.headers.get('Content-Security-Policy') ?? '';
  expect(csp).to.include("default-src 'self'");
  expect(csp).to.include("frame-ancestors 'none'");
  expect(csp).to.include("form-action 'self'");
  expect(csp).to.include("script-src 'self'");
  expect(csp).to.not.include('unsafe-inline');
  expect(reply.headers.get('X-Frame-Options')).to.equal('DENY');
  expect(reply.headers.get('X-Content-Type-Options')).to.equal('nosniff');
  expect(reply.headers.get('Referrer-Policy')).to.equal('same-origin');
  expect(reply.headers.get('Cache-Control')).to.equal('no-store');
}

function sessionCookieLine(reply: ConsoleReply): string {
  const line = reply.setCookies.find((cookie) => cookie.startsWith('scimd_session='));
  expect(line, `no session cookie in ${JSON.stringify(reply.setCookies)}`).to.be.a('string');
  return line as string;
}

for (const database of testDatabases()) {
  describe(`Console sign-in and sessions on ${database.name}`, function () {
    this.timeout(60_000);
    let app: ConsoleApp;
    let clock = START;
    let aliceToken: string;
    let aliceId: string;

    const signedIn = async (): Promise<ConsoleAgent> => {
      const agent = new ConsoleAgent(app.origin);
      await agent.signInWithToken(aliceToken);
      return agent;
    };
    const countRows = async (sql: string, parameters: unknown[] = []): Promise<number> =>
      Number((await app.dataSource.query(sql, parameters) as { n: number | string }[])[0]?.n ?? 0);

    before(async () => {
      app = await startConsoleApp(await database.fresh(), { now: () => new Date(clock) });
      aliceId = await app.person('alice@example.com', [ROLE_IDS.auditor]);
      aliceToken = await app.personToken('alice@example.com');
    });

    after(() => app.stop());

    beforeEach(() => {
      clock = START;
    });

    describe('signing in with a personal access token', () => {
      it('sets an HttpOnly, SameSite=Strict session cookie on /admin whose value the database holds only hashed', async () => {
        const agent = new ConsoleAgent(app.origin);
        const reply = await agent.signInWithToken(aliceToken);
        expect(reply.location).to.equal('/admin');
        const line = sessionCookieLine(reply);
        expect(line).to.match(/; Path=\/admin(;|$)/);
        expect(line).to.include('; HttpOnly');
        expect(line).to.include('; SameSite=Strict');
        expect(line).to.not.include('Secure');
        const secret = agent.cookies.get('scimd_session') as string;
        expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
        const hash = createHash('sha256').update(secret).digest('hex');
        expect(await countRows('SELECT COUNT(*) AS n FROM console_sessions WHERE id_hash = ? AND user_id = ?', [hash, aliceId])).to.equal(1);
        expect(await countRows('SELECT COUNT(*) AS n FROM console_sessions WHERE id_hash = ? OR csrf_secret = ?', [secret, secret])).to.equal(0);
        expect(await countRows('SELECT COUNT(*) AS n FROM audit_events WHERE changes LIKE ?', [`%${secret}%`])).to.equal(0);
      });

      it('finds the session: who is signed in, their current permissions and when it expires', async () => {
        const agent = await signedIn();
        const session = await agent.session();
        expect(session).to.include({ signedIn: true, method: 'token', createdAt: new Date(START).toISOString() });
        expect(session.user).to.deep.equal({ id: aliceId, userName: 'alice@example.com' });
        expect(session.roles).to.deep.equal(['Auditor']);
        expect(session.permissions).to.include('audit:read');
        expect(session.expiresAt).to.equal(new Date(START + 12 * 60 * MINUTE).toISOString());
        expect(session.idleExpiresAt).to.equal(new Date(START + 30 * MINUTE).toISOString());
        expect(session.csrfToken).to.match(/^[A-Za-z0-9_-]{43}$/);
      });

      it('audits the sign-in as the person through the console door, without the session id', async () => {
        const before = await countRows("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'session.create'");
        await signedIn();
        const events = await app.dataSource.query(
          "SELECT actor_type, actor_id, door, target_id, changes FROM audit_events WHERE action = 'session.create' ORDER BY id DESC",
        ) as { actor_type: string; actor_id: string; door: string; target_id: string; changes: string }[];
        expect(events).to.have.length(before + 1);
        expect(events[0]).to.include({ actor_type: 'person', actor_id: aliceId, door: 'console', target_id: aliceId });
        expect(JSON.parse(events[0]?.changes ?? '{}')).to.have.keys('method', 'expiresAt');
      });

      it('refuses a service account\'s token: the console is for persons', async () => {
        const { token } = await new ServiceAccounts(app.dataSource).create(localOperatorContext('test'), {
          name: `robot-${database.name}`, roleNames: ['Full API Access'],
        });
        const agent = new ConsoleAgent(app.origin);
        const page = await agent.get('/admin/sign-in');
        const presession = /name="_signin" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        const reply = await agent.post('/admin/sign-in/token', { _signin: presession, token });
        expect(reply.status).to.equal(403);
        expect(reply.text).to.include('The console is for persons');
        expect(agent.cookies.has('scimd_session')).to.equal(false);
      });

      it('refuses an unknown token and a form without its pre-session token', async () => {
        const agent = new ConsoleAgent(app.origin);
        const page = await agent.get('/admin/sign-in');
        const presession = /name="_signin" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        const unknown = await agent.post('/admin/sign-in/token', { _signin: presession, token: `${aliceToken.slice(0, -4)}AAAA` });
        expect(unknown.status).to.equal(403);
        const forged = await agent.post('/admin/sign-in/token', { token: aliceToken });
        expect(forged.status).to.equal(403);
        expect(forged.text).to.include('expired or did not come from this page');
        const elsewhere = await agent.post('/admin/sign-in/token', { _signin: presession, token: aliceToken }, { Origin: 'https://evil.example' });
        expect(elsewhere.status).to.equal(403);
        expect(agent.cookies.has('scimd_session')).to.equal(false);
      });
    });

    describe('redirects', () => {
      it('sends a request without a session to the sign-in page, with where it was going', async () => {
        const reply = await new ConsoleAgent(app.origin).get('/admin/audit?actor=bob');
        expect(reply.status).to.equal(303);
        expect(reply.location).to.equal(`/admin/sign-in?next=${encodeURIComponent('/admin/audit?actor=bob')}`);
        expectSecurityHeaders(reply);
        expect((await new ConsoleAgent(app.origin).session()).signedIn).to.equal(false);
      });

      it('follows next= only to a console path: no open redirect', async () => {
        const cases: [string, string][] = [
          ['/admin/users?page=2', '/admin/users?page=2'],
          ['//evil.example/admin', '/admin'],
          ['https://evil.example/admin', '/admin'],
          ['/\\evil.example', '/admin'],
          ['/%2F%2Fevil.example', '/admin'],
          ['/admin/../../evil', '/admin'],
          ['/scim/v2/Users', '/admin'],
          ['javascript:alert(1)', '/admin'],
        ];
        for (const [next, expected] of cases) {
          const agent = new ConsoleAgent(app.origin);
          const page = await agent.get(`/admin/sign-in?next=${encodeURIComponent(next)}`);
          const presession = /name="_signin" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
          const formNext = /name="next" value="([^"]*)"/.exec(page.text)?.[1] ?? '';
          const reply = await agent.post('/admin/sign-in/token', { _signin: presession, token: aliceToken, next: formNext });
          expect(reply.location, next).to.equal(expected);
          // Posted directly, without the page's help.
          const direct = new ConsoleAgent(app.origin);
          const again = await direct.get('/admin/sign-in');
          const token = /name="_signin" value="([^"]+)"/.exec(again.text)?.[1] ?? '';
          expect((await direct.post('/admin/sign-in/token', { _signin: token, token: aliceToken, next })).location, next).to.equal(expected);
        }
      });
    });

    describe('sign-out', () => {
      it('revokes the session server-side: the replayed cookie is refused', async () => {
        const agent = await signedIn();
        const cookie = agent.cookieHeader();
        const reply = await agent.postWithCsrf('/admin/sign-out');
        expect(reply.status).to.equal(303);
        expect(reply.location).to.equal('/admin/sign-in?signed-out');
        expect(sessionCookieLine(reply)).to.include('Max-Age=0');
        const replay = await fetch(`${app.origin}/admin/session`, { headers: { Cookie: cookie } });
        expect(replay.status).to.equal(401);
        const page = await fetch(`${app.origin}/admin/audit`, { headers: { Cookie: cookie }, redirect: 'manual' });
        expect(page.status).to.equal(303);
        expect(page.headers.get('Location')).to.match(/^\/admin\/sign-in/);
        const events = await app.dataSource.query(
          "SELECT actor_id, door, changes FROM audit_events WHERE action = 'session.revoke' ORDER BY id DESC",
        ) as { actor_id: string; door: string; changes: string }[];
        expect(events[0]).to.include({ actor_id: aliceId, door: 'console' });
        expect(JSON.parse(events[0]?.changes ?? '{}')).to.deep.equal({ method: 'token', reason: 'sign-out' });
      });

      it('refuses a POST without its CSRF token, with a wrong one, or from another origin (403 page), and changes nothing', async () => {
        const agent = await signedIn();
        const { csrfToken } = await agent.session();
        const refusals = [
          await agent.post('/admin/sign-out', {}),
          await agent.post('/admin/sign-out', { _csrf: `${String(csrfToken).slice(0, -2)}xx` }),
          await agent.post('/admin/sign-out', { _csrf: String(csrfToken) }, { Origin: 'https://evil.example' }),
          await agent.post('/admin/sign-out', { _csrf: String(csrfToken) }, { Origin: 'null' }),
          await agent.post('/admin/sign-out', { _csrf: String(csrfToken) }, { Origin: '', Referer: 'https://evil.example/page' }),
          await agent.send('POST', '/admin/sign-out', JSON.stringify({ _csrf: csrfToken }), { 'Content-Type': 'application/json' }),
        ];
        for (const reply of refusals) {
          expect(reply.status, reply.text).to.equal(403);
          expect(reply.headers.get('Content-Type')).to.match(/^text\/html/);
          expectSecurityHeaders(reply);
        }
        expect(refusals[0]?.text).to.include('security token');
        expect((await agent.session()).signedIn).to.equal(true);
        // The header form, as the console's own script sends it.
        const viaHeader = await agent.send('POST', '/admin/sign-out', '', { 'X-CSRF-Token': String(csrfToken), Origin: app.origin });
        expect(viaHeader.status).to.equal(303);
        expect((await agent.session()).signedIn).to.equal(false);
      });
    });

    describe('expiry', () => {
      it('ends a session after 30 minutes without a request (idle), not while it is used', async () => {
        const agent = await signedIn();
        clock = START + 29 * MINUTE;
        expect((await agent.session()).signedIn).to.equal(true);
        clock = START + 58 * MINUTE;
        expect((await agent.session()).signedIn, 'used 29 minutes before').to.equal(true);
        clock = START + 88 * MINUTE;
        expect((await agent.session()).signedIn, '30 minutes idle').to.equal(false);
      });

      it('ends a session 12 hours after sign-in however it is used (absolute)', async () => {
        const agent = await signedIn();
        for (let minutes = 25; minutes < 12 * 60; minutes += 25) {
          clock = START + minutes * MINUTE;
          expect((await agent.session()).signedIn, `${minutes} minutes in`).to.equal(true);
        }
        clock = START + 12 * 60 * MINUTE;
        expect((await agent.session()).signedIn).to.equal(false);
      });

      it('signs out a person who is deactivated, or loses their last person role', async () => {
        const bobId = await app.person(`bob-${database.name}@example.com`, [ROLE_IDS.operator]);
        const bob = new ConsoleAgent(app.origin);
        await bob.signInWithToken(await app.personToken(`bob-${database.name}@example.com`));
        expect((await bob.session()).signedIn).to.equal(true);
        await app.dataSource.query('UPDATE users SET active = ? WHERE id = ?', [false, bobId]);
        expect((await bob.session()).signedIn).to.equal(false);
        await app.dataSource.query('UPDATE users SET active = ? WHERE id = ?', [true, bobId]);

        const carol = new ConsoleAgent(app.origin);
        const carolId = await app.person(`carol-${database.name}@example.com`, [ROLE_IDS.operator]);
        await carol.signInWithToken(await app.personToken(`carol-${database.name}@example.com`));
        await app.dataSource.query('DELETE FROM role_members WHERE user_id = ?', [carolId]);
        expect((await carol.session()).signedIn).to.equal(false);
      });
    });

    describe('the edge', () => {
      it('keeps every spelling of /admin/api behind the bearer edge, session cookie or not', async () => {
        const agent = await signedIn();
        for (const path of ['/admin/api/audit', '/ADMIN/API/audit', '/Admin/Api/audit/', '/admin/api', '/admin/API/change-requests']) {
          const reply = await agent.get(path);
          expect(reply.status, path).to.equal(401);
          expect(reply.headers.get('Content-Type'), path).to.match(/^application\/problem\+json/);
        }
        const scim = await agent.get('/SCIM/v2/Users');
        expect(scim.status).to.equal(401);
      });

      it('answers a console path no page serves with a 404 HTML page carrying the security headers', async () => {
        const agent = await signedIn();
        const reply = await agent.get('/admin/no-such-page');
        expect(reply.status).to.equal(404);
        expect(reply.headers.get('Content-Type')).to.match(/^text\/html/);
        expectSecurityHeaders(reply);
        const signIn = await new ConsoleAgent(app.origin).get('/admin/sign-in');
        expect(signIn.status).to.equal(200);
        expectSecurityHeaders(signIn);
        expect(signIn.text).to.not.match(/<script(?![^>]*\bsrc=)/);
      });

      it('marks cookies Secure when the console is published over https', async () => {
        const published = await startConsoleApp(await database.fresh(), { publicUrl: 'https://scimd.example.com' });
        try {
          await published.person('dora@example.com', [ROLE_IDS.auditor]);
          const agent = new ConsoleAgent(published.origin);
          const reply = await agent.signInWithToken(await published.personToken('dora@example.com'));
          expect(sessionCookieLine(reply)).to.include('; Secure');
        } finally {
          await published.stop();
        }
      });
    });
  });
}
