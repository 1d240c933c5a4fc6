import { expect } from 'chai';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import type { Config } from '../../../src/config';
import type { ErrorDescription } from '../../../src/log-error';
import { createLogger } from '../../../src/logger';
import { startServer, type RunningServer } from '../../../src/server';
import { expectScimError, rawRequest } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import { USER_SCHEMA } from '../../support/test-server';
import { localOperatorContext } from '../../../src/identity/change-context';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly requestId?: string;
  readonly err?: ErrorDescription;
}

/** Values a failed INSERT binds; none of them may reach a log line or the response. */
const USER_NAME = 'lena.bound@example.com';
const DISPLAY_NAME = 'Lena Boundvalue';
const PASSWORD = 'correct horse battery staple';
const PHONE = '+41 44 555 01 99';

for (const database of testDatabases()) {
  describe(`A 500 on the HTTP faces on ${database.name} logs no bound value`, () => {
    let running: RunningServer;
    let token: string;
    const lines: string[] = [];

    before(async () => {
      const config: Config = {
        host: '127.0.0.1', port: 0, publicUrl: undefined, database: await database.fresh(), migrateOnStart: true,
        logLevel: 'info', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 2000,
        governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
      };
      running = await startServer(config, createLogger('info', { write: (line: string) => lines.push(line) }));
      token = (await new ServiceAccounts(running.dataSource).create(
        localOperatorContext('test'),
        { name: 'okta', roleNames: ['Full API Access'] },
      )).token;
      // Break the throw-away database so that the INSERT of a user fails in the driver. MariaDB
      // then quotes the bound display name in its message (strict mode: "Incorrect integer value:
      // '…' for column …"); SQLite names the missing column. Either way the QueryFailedError
      // carries the statement and every bound value.
      await running.dataSource.query(database.name === 'mariadb'
        ? 'ALTER TABLE users MODIFY display_name INT NULL'
        : 'ALTER TABLE users RENAME COLUMN display_name TO display_name_gone');
      await running.dataSource.query('ALTER TABLE sync_runs RENAME COLUMN status TO status_gone');
    });

    after(async () => {
      await running.stop();
    });

    const logged = (): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);

    function failureLine(requestId: string): LogLine {
      const matching = logged().filter((line) => line.requestId === requestId && line.msg === 'request failed');
      expect(matching, `one 'request failed' line for ${requestId}`).to.have.length(1);
      return matching[0] as LogLine;
    }

    it('answers a failing SCIM write 500 with the request id only, and logs the error class, message and code', async () => {
      const reply = await rawRequest(`${running.url}/scim/v2/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json', 'X-Request-Id': 'trace-500-scim' },
        body: JSON.stringify({
          schemas: [USER_SCHEMA], userName: USER_NAME, displayName: DISPLAY_NAME, password: PASSWORD,
          phoneNumbers: [{ value: PHONE, type: 'work' }],
        }),
      });
      expect(expectScimError(reply, 500)).to.equal('Internal error; quote request id trace-500-scim');
      const line = failureLine('trace-500-scim');
      expect(line.level).to.equal(50);
      expect(line.err?.type).to.equal('QueryFailedError');
      expect(line.err?.code).to.be.a('string').and.match(database.name === 'mariadb' ? /^ER_/ : /^SQLITE_/);
      expect(line.err?.message).to.be.a('string').and.not.equal('');
      if (database.name === 'mariadb') expect(line.err?.message).to.match(/^Incorrect integer value: '…'/);
      const everything = lines.join('\n') + reply.text;
      for (const value of [USER_NAME, DISPLAY_NAME, PASSWORD, PHONE, 'INSERT', 'parameters', 'scrypt']) {
        expect(everything, value).to.not.include(value);
      }
      expect(['type', 'message', 'code', 'stack']).to.include.members(Object.keys(line.err ?? {}));
    });

    it('logs a failing admin request the same way, and answers it as a 500 problem', async () => {
      const reply = await rawRequest(`${running.url}/admin/api/sync/runs`, {
        method: 'GET', headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': 'trace-500-admin' },
      });
      expect(reply.status, reply.text).to.equal(500);
      expect(reply.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(reply.body).to.deep.equal({ status: 500, title: 'Internal Server Error', detail: 'Internal error; quote request id trace-500-admin' });
      const line = failureLine('trace-500-admin');
      expect(line.err?.type).to.equal('QueryFailedError');
      expect(lines.join('\n')).to.not.include('SELECT');
    });

    it('logs a Bulk operation that failed unexpectedly (its 500 entry), the same way and without bound values', async () => {
      const reply = await rawRequest(`${running.url}/scim/v2/Bulk`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json', 'X-Request-Id': 'trace-500-bulk' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [{ method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [USER_SCHEMA], userName: USER_NAME, displayName: DISPLAY_NAME } }],
        }),
      });
      expect(reply.status, reply.text).to.equal(200);
      const [operation] = reply.body.Operations as { status: string }[];
      expect(operation?.status).to.equal('500');
      const matching = logged().filter((line) => line.requestId === 'trace-500-bulk' && line.msg === 'bulk operation failed');
      expect(matching).to.have.length(1);
      expect(matching[0]?.err?.type).to.equal('QueryFailedError');
      for (const value of [USER_NAME, DISPLAY_NAME, 'INSERT']) expect(lines.join('\n'), value).to.not.include(value);
    });

    it('keeps serving after the failures', async () => {
      const reply = await rawRequest(`${running.url}/scim/v2/ServiceProviderConfig`, { method: 'GET', headers: { Authorization: `Bearer ${token}` } });
      expect(reply.status, reply.text).to.equal(200);
    });
  });
}
