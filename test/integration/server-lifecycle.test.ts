import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { runScimd, startServe, useSpawnedProcesses, type ServeProcess } from '../support/processes';

/**
 * `scimd serve` as a process: defaults, readiness, graceful shutdown on SIGTERM, and its logs.
 * Every server here is a real child process; PORT is always set to a free port (never 8080).
 */

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let tmp: string;

async function createToken(file: string, name: string): Promise<string> {
  const result = await runScimd(['service-account', 'create', name, '--role', 'SCIM Provisioning', '--json'], {
    env: { DATABASE_URL: `sqlite:${file}` },
  });
  expect(result.code, `${result.stdout}\n${result.stderr}`).to.equal(0);
  return (JSON.parse(result.stdout) as { token: string }).token;
}

/** Waits for `event`, failing if it has not happened after `ms`. */
async function within<T>(ms: number, event: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([event, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a new connection gets an HTTP answer: GET /livez on a fresh socket. False when the
 * connection is refused, or reset unanswered (a connection queued on a listener that then closed).
 */
async function servesNewConnections(port: number): Promise<boolean> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const { status, error } = await getVia(agent, port, '/livez');
    if (status !== undefined) return true;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return false;
    throw new Error(`GET /livez on a new connection neither answered nor was refused: ${String(error)}`);
  } finally {
    agent.destroy();
  }
}

/**
 * The 'shutting down' log line. The server closes its listener and its idle connections in the same
 * turn of its event loop as it logs this (src/cli/serve.ts → stop() in src/server.ts, before its
 * first await), so once the line is here, no new connection is served.
 */
function shuttingDown(server: ServeProcess): Promise<Record<string, unknown>> {
  return server.waitForLog('"shutting down"', (line) => line.msg === 'shutting down');
}

/** GET through a given agent; resolves with the status, or with the error for a closed connection. */
function getVia(agent: http.Agent, port: number, pathname: string): Promise<{ status?: number; error?: Error }> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0 }));
      response.once('error', (error) => resolve({ error }));
    });
    request.once('error', (error) => resolve({ error }));
    request.setTimeout(5_000, () => request.destroy(new Error('timed out')));
  });
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** Parses one complete final HTTP/1.1 response with a Content-Length, or undefined while incomplete. */
function completeResponse(received: string): RawResponse | undefined {
  // The interim 100 Continue (RFC 9110 §15.2.1) is not the response.
  const final = received.startsWith(CONTINUE) ? received.slice(CONTINUE.length) : received;
  const end = final.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...headerLines] = final.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const body = final.slice(end + 4);
  if (Buffer.byteLength(body) < Number(headers['content-length'] ?? '0')) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Starts POST /scim/v2/Users on a raw socket and sends only half of the body, so that the request
 * stays in flight (the server waits for the rest) until `finish()` is called. Resolves once the
 * server has read the headers: the request carries `Expect: 100-continue`, and Node's HTTP server
 * answers "100 Continue" in the same turn as it starts handling the request, so from then on the
 * connection is busy, not idle.
 */
async function halfSentCreate(port: number, token: string, userName: string): Promise<{
  finish(): void;
  /** Resolves once the whole response has arrived (or the connection closed first). */
  response: Promise<RawResponse | undefined>;
  /** Resolves when the connection closes; this side never closes it. */
  closed: Promise<void>;
}> {
  const body = JSON.stringify({ schemas: [USER_SCHEMA], userName, active: true });
  const half = Math.floor(body.length / 2);
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let continued: () => void = () => undefined;
  const headersRead = new Promise<void>((resolve) => { continued = resolve; });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const response = new Promise<RawResponse | undefined>((resolve) => {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      if (received.startsWith(CONTINUE)) continued();
      const complete = completeResponse(received);
      if (complete) resolve(complete);
    });
    void closed.then(() => resolve(completeResponse(received)));
  });
  socket.on('error', () => undefined);
  socket.write([
    'POST /scim/v2/Users HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `Authorization: Bearer ${token}`,
    'Content-Type: application/scim+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Expect: 100-continue',
    '', '',
  ].join('\r\n') + body.slice(0, half));
  await within(10_000, Promise.race([
    headersRead,
    closed.then(() => Promise.reject(new Error(`the server closed the connection before "100 Continue": ${JSON.stringify(received)}`))),
  ]), '"100 Continue" (the server reading the request headers)');
  return { finish: () => socket.write(body.slice(half)), response, closed };
}

/**
 * Starts a server with a token and one POST half-sent, then sends SIGTERM, waits for the server to
 * log that it is shutting down, and checks that it no longer serves new connections.
 */
async function sigtermDuringRequest(name: string, shutdownTimeoutMs: number): Promise<{
  server: ServeProcess;
  request: Awaited<ReturnType<typeof halfSentCreate>>;
  signalledAt: number;
}> {
  const file = path.join(tmp, `${name}.sqlite`);
  const token = await createToken(file, 'okta');
  const server = await startServe({ env: { DATABASE_URL: `sqlite:${file}`, SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) } });
  const request = await halfSentCreate(server.port, token, `${name}@example.com`);
  const signalledAt = Date.now();
  server.child.kill('SIGTERM');
  await shuttingDown(server);
  expect(await servesNewConnections(server.port), `new connections while draining\n${server.describe()}`).to.equal(false);
  return { server, request, signalledAt };
}

describe('scimd serve lifecycle (spawned processes)', function () {
  this.timeout(90_000);

  // Each test stops what it started; whatever a failing test left running is killed after it.
  useSpawnedProcesses('scimd-lifecycle-', (dir) => {
    tmp = dir;
  });

  describe('defaults', () => {
    it('loadConfig({}): 127.0.0.1:8080, SQLite at data/scimd.sqlite, migrations at start, info logs', () => {
      const config = loadConfig({});
      expect(config.host).to.equal('127.0.0.1');
      expect(config.port).to.equal(8080);
      expect(config.database).to.deep.equal({ kind: 'sqlite', path: path.join('data', 'scimd.sqlite') });
      expect(config.migrateOnStart).to.equal(true);
      expect(config.logLevel).to.equal('info');
      expect(config.publicUrl).to.equal(undefined);
    });

    it('`serve` with no DATABASE_URL, run from another directory, creates ./data/scimd.sqlite there and gets ready', async () => {
      const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
      const server = await startServe({ cwd });
      try {
        expect(fs.existsSync(path.join(cwd, 'data', 'scimd.sqlite')), 'data/scimd.sqlite under the working directory').to.equal(true);
        for (const pathname of ['/livez', '/readyz']) {
          const response = await fetch(`${server.baseUrl}${pathname}`);
          expect(response.status, pathname).to.equal(200);
        }
      } finally {
        const exit = await server.stop();
        expect(exit.code, server.describe()).to.equal(0);
      }
    });
  });

  describe('SIGTERM', () => {
    it('stops taking connections, closes idle keep-alive ones, exits 0 and logs "scimd stopped"', async () => {
      const server = await startServe({ env: { DATABASE_URL: `sqlite:${path.join(tmp, 'sigterm.sqlite')}` } });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const warmup = await getVia(agent, server.port, '/livez');
        expect(warmup.status, server.describe()).to.equal(200);
        server.child.kill('SIGTERM');
        await shuttingDown(server);

        const viaKeptAlive = await getVia(agent, server.port, '/readyz');
        expect(viaKeptAlive.status ?? 'no answer', 'readyz over the kept-alive connection').to.not.equal(200);
        expect(await servesNewConnections(server.port), 'new connections are refused').to.equal(false);

        const exit = await server.waitForExit(5_000);
        expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
        const lines = server.logLines();
        expect(lines.some((line) => line.msg === 'scimd stopped'), server.describe()).to.equal(true);
        expect(lines.find((line) => line.msg === 'shutting down')).to.include({ signal: 'SIGTERM' });
      } finally {
        agent.destroy();
      }
    });

    it('lets an in-flight request finish, refusing new connections meanwhile, then exits 0', async () => {
      const { server, request } = await sigtermDuringRequest('in-flight', 20_000);
      expect(server.running, `still serving the in-flight request\n${server.describe()}`).to.equal(true);

      request.finish();
      const response = await request.response;
      expect(response?.status, server.describe()).to.equal(201);
      expect(response?.body).to.include('in-flight@example.com');

      const exit = await server.waitForExit(10_000);
      expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
      const lines = server.logLines();
      expect(lines.find((line) => line.msg === 'request' && line.method === 'POST'), server.describe()).to.include({ status: 201 });
      expect(lines.at(-1), 'the last log line').to.include({ msg: 'scimd stopped' });
    });

    it('closes the connection after the in-flight response instead of keeping it alive (no keepAliveTimeout wait)', async () => {
      const { server, request } = await sigtermDuringRequest('no-linger', 20_000);
      request.finish();
      const response = await request.response;
      expect(response?.status, server.describe()).to.equal(201);
      // "Connection: close" is what makes Node end the socket right after this response rather than
      // hold it for keepAliveTimeout (5 s) and only then let the server exit.
      expect(response?.headers.connection, 'Connection header of a response sent while shutting down').to.equal('close');
      // This side never closes the socket: the server does, at once. A server that kept it alive would
      // close it only after keepAliveTimeout, so the deadline sits below that: a bound on an event, not a pause.
      await within(4_000, request.closed, 'the server to close the connection before its 5 s keepAliveTimeout');
      const exit = await server.waitForExit(10_000);
      expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
    });

    it('gives up on a stuck request after SHUTDOWN_TIMEOUT_MS and still exits 0', async () => {
      const { server, request, signalledAt } = await sigtermDuringRequest('stuck', 1_000);
      const exit = await server.waitForExit(8_000);
      const took = Date.now() - signalledAt;
      expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
      expect(took, 'waited for the stuck request first').to.be.at.least(800);
      await request.closed;
      expect(await request.response, 'the stuck request got no answer').to.equal(undefined);
      expect(server.logLines().some((line) => line.msg === 'scimd stopped'), server.describe()).to.equal(true);
    });
  });

  describe('request ids and logs', () => {
    let server: ServeProcess;
    let token: string;

    before(async () => {
      const file = path.join(tmp, 'logs.sqlite');
      token = await createToken(file, 'okta');
      // The most verbose level: even then no credential may be logged.
      server = await startServe({ env: { DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'trace' } });
    });

    after(async () => {
      if (server?.running) await server.stop();
    });

    it('every response carries X-Request-Id; a caller\'s plain id is echoed', async () => {
      const cases: { path: string; headers: Record<string, string>; status: number }[] = [
        { path: '/livez', headers: {}, status: 200 },
        { path: '/readyz', headers: {}, status: 200 },
        { path: '/scim/v2/Users', headers: { Authorization: `Bearer ${token}` }, status: 200 },
        { path: '/scim/v2/Users', headers: {}, status: 401 },
        { path: '/scim/v2/Users/no-such-user', headers: { Authorization: `Bearer ${token}` }, status: 404 },
        // Everything but the health routes authenticates first (src/app.ts), unknown paths included.
        { path: '/nowhere', headers: {}, status: 401 },
        { path: '/nowhere', headers: { Authorization: `Bearer ${token}` }, status: 404 },
      ];
      for (const { path: pathname, headers, status } of cases) {
        const response = await fetch(`${server.baseUrl}${pathname}`, { headers });
        await response.text();
        expect(response.status, pathname).to.equal(status);
        expect(response.headers.get('x-request-id') ?? '', `${pathname} X-Request-Id`).to.match(UUID_PATTERN);
      }
      const echoed = await fetch(`${server.baseUrl}/scim/v2/Users`, {
        headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': 'lifecycle-test-1' },
      });
      await echoed.text();
      expect(echoed.headers.get('x-request-id')).to.equal('lifecycle-test-1');
      const replaced = await fetch(`${server.baseUrl}/livez`, { headers: { 'X-Request-Id': 'not plain <script>' } });
      await replaced.text();
      expect(replaced.headers.get('x-request-id') ?? '').to.match(UUID_PATTERN);
    });

    it('logs JSON lines, one per request with its requestId, and never an Authorization value', async () => {
      const wrong = `scimd_${'a'.repeat(16)}_${'B'.repeat(43)}`;
      const requests: [string, Record<string, string>][] = [
        [`Bearer ${token}`, { 'X-Request-Id': 'lifecycle-log-ok' }],
        [`Bearer ${wrong}`, { 'X-Request-Id': 'lifecycle-log-wrong' }],
        [`Basic ${Buffer.from('admin:hunter2-password').toString('base64')}`, { 'X-Request-Id': 'lifecycle-log-basic' }],
      ];
      for (const [authorization, headers] of requests) {
        const response = await fetch(`${server.baseUrl}/scim/v2/Users?filter=${encodeURIComponent('userName eq "x"')}`, {
          headers: { Authorization: authorization, ...headers },
        });
        await response.text();
      }
      // Stopping flushes the logger, so that every line is on stdout.
      const exit = await server.stop();
      expect(exit.code, server.describe()).to.equal(0);

      const lines = server.logLines();
      const requestLines = lines.filter((line) => line.msg === 'request');
      expect(requestLines.length, server.describe()).to.be.at.least(requests.length);
      for (const line of requestLines) expect(line.requestId, JSON.stringify(line)).to.be.a('string').and.not.equal('');
      const ok = requestLines.find((line) => line.requestId === 'lifecycle-log-ok');
      expect(ok, server.describe()).to.include({ method: 'GET', path: '/scim/v2/Users', status: 200, caller: 'okta' });
      expect(requestLines.find((line) => line.requestId === 'lifecycle-log-wrong')).to.include({ status: 401 });

      const output = server.stdout + server.stderr;
      for (const secret of [token, token.slice(23), wrong, wrong.slice(23), 'hunter2-password', Buffer.from('admin:hunter2-password').toString('base64')]) {
        expect(output.includes(secret), `log output contains ${secret.slice(0, 12)}…`).to.equal(false);
      }
    });
  });
});
