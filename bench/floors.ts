import { createServer, type Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import mysql, { type Pool } from 'mysql2/promise';
import { SCRATCH_TABLE } from './seed';

/**
 * The floors: the least a Koa server on this machine can do for the same kind of request, measured
 * in the same run with the same load tool. Each runs in the bench process on its own loopback port,
 * exactly like scimd, and the mysql2 pool has scimd's connection limit.
 */
export interface Floors {
  /** GET / → a fixed 1 KB JSON body. */
  readonly httpUrl: string;
  /** GET /users/:key → one `SELECT * FROM users WHERE user_name_key = ?`, the row as JSON. */
  readonly readUrl: string;
  /** POST /scratch → one single-row INSERT into a scratch table. */
  readonly writeUrl: string;
  stop(): Promise<void>;
}

/** scimd's pool size (src/db/data-source.ts), so the floors wait on connections no less than scimd does. */
const CONNECTION_LIMIT = 20;

export async function startFloors(databaseUrl: string): Promise<Floors> {
  const pool: Pool = mysql.createPool({ uri: databaseUrl.replace(/^mariadb:/, 'mysql:'), connectionLimit: CONNECTION_LIMIT });
  const servers: Server[] = [];
  const listen = async (app: Koa): Promise<string> => {
    const server = createServer(app.callback());
    server.keepAliveTimeout = 5_000;
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    const address = server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  };

  const fixed = oneKilobyteDocument();
  const http = new Koa();
  http.use((ctx) => {
    ctx.body = fixed;
  });

  const read = new Koa();
  const readRoutes = new Router();
  readRoutes.get('/users/:key', async (ctx) => {
    const [rows] = await pool.query('SELECT * FROM users WHERE user_name_key = ?', [ctx.params.key]);
    const row = (rows as unknown[])[0];
    if (row === undefined) ctx.status = 404;
    else ctx.body = row;
  });
  read.use(readRoutes.routes());

  const write = new Koa();
  const writeRoutes = new Router();
  let written = 0;
  writeRoutes.post('/scratch', async (ctx) => {
    const [result] = await pool.query(`INSERT INTO ${SCRATCH_TABLE} (name, created_at) VALUES (?, ?)`,
      [`row ${++written}`, new Date().toISOString()]);
    ctx.status = 201;
    ctx.body = { id: (result as { insertId: number }).insertId };
  });
  write.use(writeRoutes.routes());

  const [httpUrl, readUrl, writeUrl] = [await listen(http), await listen(read), await listen(write)];
  return {
    httpUrl, readUrl, writeUrl,
    async stop() {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })));
      await pool.end();
    },
  };
}

/** A JSON document of 1,024 bytes when serialized. */
function oneKilobyteDocument(): Record<string, string> {
  const document: Record<string, string> = { id: '00000000-0000-4000-8000-000000000000', padding: '' };
  document.padding = 'x'.repeat(1024 - JSON.stringify(document).length);
  return document;
}
