import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import type { DataSource } from 'typeorm';
import { problemFace } from '../../../src/admin/problem';
import { ADMIN_PREFIX, adminRouter } from '../../../src/admin/router';
import type { TriggerRunOptions } from '../../../src/admin/sync-routes';
import { openDataSource } from '../../../src/db/data-source';
import { DomainError } from '../../../src/errors';
import { renderErrors } from '../../../src/http/errors';
import { faceByPrefix } from '../../../src/http/faces';
import { HttpError } from '../../../src/http/http-error';
import { scimFace } from '../../../src/http/scim-face';
import { scimRouter } from '../../../src/http/scim-router';
import { RoleDirectory } from '../../../src/identity/roles';
import { UserDirectory } from '../../../src/identity/users';
import { createLogger } from '../../../src/logger';
import { expectScimError, rawRequest } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import { USER_SCHEMA, type ScimReply } from '../../support/test-server';

const CHALLENGE = 'Bearer realm="scimd"';

/** The edge's error renderer with both faces, as src/app.ts mounts it. */
const faces = faceByPrefix([{ prefix: ADMIN_PREFIX, face: problemFace }], scimFace);

async function listen(app: Koa): Promise<{ server: Server; origin: string }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  return { server, origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function expectProblem(reply: ScimReply, status: number): void {
  expect(reply.status, reply.text).to.equal(status);
  expect(reply.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(reply.body.status).to.equal(status);
}

describe('The HTTP edge: errors carry their headers, the renderer adds none', () => {
  let server: Server;
  let origin: string;

  before(async () => {
    const app = new Koa();
    app.silent = true;
    app.use(renderErrors({ logger: createLogger('silent'), faceOf: faces }));
    const router = new Router();
    for (const prefix of ['/scim/v2', ADMIN_PREFIX]) {
      router.get(`${prefix}/maintenance`, () => {
        throw new HttpError(503, 'Down for maintenance', { headers: { 'Retry-After': '120' } });
      });
      router.get(`${prefix}/throttled`, (ctx) => ctx.throw(429, 'Slow down', { headers: { 'Retry-After': '5' } }));
      router.get(`${prefix}/unauthorized-domain`, () => {
        throw new DomainError('unauthorized', 'The session ended');
      });
      router.get(`${prefix}/bare-401`, () => {
        throw new HttpError(401, 'An error that chose to carry no challenge');
      });
    }
    app.use(router.routes());
    ({ server, origin } = await listen(app));
  });

  after(async () => {
    await close(server);
  });

  it('sets Retry-After from the error, in the SCIM face and the problem face', async () => {
    const scim = await rawRequest(`${origin}/scim/v2/maintenance`, { method: 'GET' });
    expect(expectScimError(scim, 503)).to.equal('Down for maintenance');
    expect(scim.headers.get('retry-after')).to.equal('120');
    const admin = await rawRequest(`${origin}/admin/api/maintenance`, { method: 'GET' });
    expectProblem(admin, 503);
    expect(admin.headers.get('retry-after')).to.equal('120');
  });

  it('sets the headers of an error Koa throws (ctx.throw with headers)', async () => {
    const scim = await rawRequest(`${origin}/scim/v2/throttled`, { method: 'GET' });
    expect(expectScimError(scim, 429)).to.equal('Slow down');
    expect(scim.headers.get('retry-after')).to.equal('5');
    const admin = await rawRequest(`${origin}/admin/api/throttled`, { method: 'GET' });
    expectProblem(admin, 429);
    expect(admin.headers.get('retry-after')).to.equal('5');
  });

  it('gives a 401 its challenge because the error carries it, not because it is a 401', async () => {
    for (const prefix of ['/scim/v2', ADMIN_PREFIX]) {
      const domain = await rawRequest(`${origin}${prefix}/unauthorized-domain`, { method: 'GET' });
      expect(domain.status).to.equal(401);
      expect(domain.headers.get('www-authenticate')).to.equal(CHALLENGE);
      const bare = await rawRequest(`${origin}${prefix}/bare-401`, { method: 'GET' });
      expect(bare.status).to.equal(401);
      expect(bare.headers.get('www-authenticate')).to.equal(null);
    }
  });
});

for (const database of testDatabases()) {
  describe(`Handlers reached without authentication on ${database.name} answer 401, never a TypeError`, () => {
    let dataSource: DataSource;
    let server: Server;
    let origin: string;
    const calls: TriggerRunOptions[] = [];

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      // The routers mounted as a mistake would mount them: behind the error renderer, without
      // the edge's authentication.
      const app = new Koa();
      app.silent = true;
      app.use(renderErrors({ logger: createLogger('silent'), faceOf: faces }));
      const admin = adminRouter({ dataSource, triggerRun: async (options) => {
        calls.push(options);
        return { runId: 'never' };
      } });
      const scim = scimRouter({
        services: { users: new UserDirectory(dataSource), roles: new RoleDirectory(dataSource) },
        publicUrl: 'http://127.0.0.1', maxBodyBytes: 1024 * 1024,
      });
      app.use(admin.routes());
      app.use(scim.routes());
      ({ server, origin } = await listen(app));
    });

    after(async () => {
      await close(server);
      await dataSource.destroy();
    });

    it('answers every SCIM route 401 with the challenge and a SCIM error body, and writes nothing', async () => {
      for (const [method, path, body] of [
        ['GET', '/scim/v2/ServiceProviderConfig'], ['GET', '/scim/v2/Users'], ['GET', '/SCIM/v2/Groups'],
        ['POST', '/scim/v2/Users', { schemas: [USER_SCHEMA], userName: 'nobody@example.com' }],
        ['POST', '/Scim/V2/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER_SCHEMA], userName: 'bulk-nobody@example.com' } }] }],
      ] as const) {
        const reply = await rawRequest(`${origin}${path}`, {
          method, ...(body ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/scim+json' } } : {}),
        });
        expect(expectScimError(reply, 401), `${method} ${path}`).to.match(/Authentication required/);
        expect(reply.headers.get('www-authenticate')).to.equal(CHALLENGE);
      }
      const [row] = await dataSource.query('SELECT COUNT(*) AS n FROM users') as { n: number | string }[];
      expect(Number(row?.n)).to.equal(0);
    });

    it('answers the admin routes 401 with the challenge and a problem body, and calls no runner', async () => {
      for (const [method, path] of [['GET', '/admin/api/sync/runs'], ['POST', '/admin/api/sync/runs'], ['GET', '/ADMIN/api/sync/runs']]) {
        const reply = await rawRequest(`${origin}${path}`, { method: method ?? 'GET' });
        expectProblem(reply, 401);
        expect(reply.headers.get('www-authenticate')).to.equal(CHALLENGE);
      }
      expect(calls).to.deep.equal([]);
    });
  });
}
