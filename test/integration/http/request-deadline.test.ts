import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { renderErrors } from '../../../src/http/errors';
import { requestDeadline } from '../../../src/http/request-deadline';
import { scimFace } from '../../../src/http/scim-face';
import { createLogger } from '../../../src/logger';
import { ERROR_SCHEMA } from '../../support/test-server';

/** Short, so the test does not wait out the production deadline (30 s); the mechanism is the same. */
const DEADLINE_MS = 300;

/**
 * The edge's request deadline over real HTTP, in front of a route that waits for the test to let it
 * go (as a statement sent to a database that vanished waits): no database is needed to hold a
 * request up, and none is used.
 */
describe('requestDeadline()', () => {
  let server: Server;
  let baseUrl = '';
  const lines: Record<string, unknown>[] = [];
  const written = new EventEmitter();
  /** Resolves with the first log line with this message, as soon as it is written. */
  const logLine = (msg: string): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const check = (): void => {
      const line = lines.find((candidate) => candidate.msg === msg);
      if (!line) return;
      clearTimeout(timer);
      written.off('line', check);
      resolve(line);
    };
    const timer = setTimeout(() => {
      written.off('line', check);
      reject(new Error(`no log line "${msg}" within 5 s`));
    }, 5_000);
    written.on('line', check);
    check();
  });
  let release: ((outcome: Error | undefined) => void) | undefined;

  before(async () => {
    const logger = createLogger('info', {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
        written.emit('line');
      },
    });
    const app = new Koa();
    app.silent = true;
    app.use(renderErrors({ logger, faceOf: () => scimFace }));
    app.use(requestDeadline({ logger, deadlineMs: DEADLINE_MS }));
    app.use(async (ctx) => {
      if (ctx.path === '/quick') {
        ctx.body = { ok: true };
        return;
      }
      const outcome = await new Promise<Error | undefined>((resolve) => { release = resolve; });
      if (outcome) throw outcome;
      ctx.body = { late: true };
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    release?.(undefined);
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves a request that finishes in time alone', async () => {
    const response = await fetch(`${baseUrl}/quick`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ ok: true });
  });

  it('answers a request still waiting at its deadline 503 with Retry-After and a SCIM error, and logs how it ended later', async () => {
    // The client's own timeout bounds the wait: an answer only after the route is released fails it.
    const response = await fetch(`${baseUrl}/stuck`, { signal: AbortSignal.timeout(DEADLINE_MS + 5_000) });
    expect(response.status).to.equal(503);
    expect(response.headers.get('Retry-After')).to.equal('5');
    const body = await response.json() as Record<string, unknown>;
    expect(body.schemas).to.deep.equal([ERROR_SCHEMA]);
    expect(String(body.detail)).to.include('may still be applied');

    release?.(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }));
    const line = await logLine('a request answered at its deadline failed later');
    expect(line.err).to.include({ type: 'Error', code: 'PROTOCOL_CONNECTION_LOST' });
  });
});
