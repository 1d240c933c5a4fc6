import { expect } from 'chai';
import { QueryFailedError } from 'typeorm';
import { asDatabaseOutage, isDatabaseOutage } from '../../../src/db/connection-errors';
import { conflictError, DomainError, unavailableError } from '../../../src/errors';

/** An error shaped as mysql2 builds it (lib/base/connection.js): a message, a code, sometimes `fatal`. */
function driverError(message: string, fields: { code?: string; fatal?: boolean; errno?: number } = {}): Error {
  return Object.assign(new Error(message), fields);
}

/** TypeORM's wrapper of a failed statement, which keeps the driver error as `driverError`. */
function failedQuery(driver: Error): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], driver);
}

describe('connection-errors', () => {
  describe('isDatabaseOutage()', () => {
    const outages: Record<string, Error> = {
      'a closed port (ECONNREFUSED)': driverError('connect ECONNREFUSED 127.0.0.1:3306', { code: 'ECONNREFUSED', fatal: true }),
      'a server that closed the socket': driverError('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
      'the connect timeout': driverError('connect ETIMEDOUT', { code: 'ETIMEDOUT' }),
      'too many connections': driverError('Too many connections', { code: 'ER_CON_COUNT_ERROR', errno: 1040 }),
      'a server shutting down': driverError('Server shutdown in progress', { code: 'ER_SERVER_SHUTDOWN', errno: 1053 }),
      'a killed connection': driverError('Connection was killed', { code: 'ER_CONNECTION_KILLED', errno: 1927 }),
      'a full pool queue': driverError('Queue limit reached.'),
      'a command on a dead connection': driverError("Can't add new command when connection is in closed state", { fatal: true }),
      'any error mysql2 marks fatal': driverError('Packets out of order', { code: 'PROTOCOL_PACKETS_OUT_OF_ORDER', fatal: true }),
    };
    for (const [name, error] of Object.entries(outages)) {
      it(`recognises ${name}, alone and wrapped by TypeORM`, () => {
        expect(isDatabaseOutage(error)).to.equal(true);
        expect(isDatabaseOutage(failedQuery(error))).to.equal(true);
      });
    }

    it('recognises an outage kept as the cause of another error', () => {
      const outer = new Error('sync failed', { cause: failedQuery(outages['a closed port (ECONNREFUSED)'] as Error) });
      expect(isDatabaseOutage(outer)).to.equal(true);
    });

    const refusals: Record<string, unknown> = {
      'a duplicate key': driverError("Duplicate entry 'x' for key 'uq'", { code: 'ER_DUP_ENTRY', errno: 1062 }),
      'a deadlock': driverError('Deadlock found when trying to get lock', { code: 'ER_LOCK_DEADLOCK', errno: 1213 }),
      'a syntax error': failedQuery(driverError('You have an error in your SQL syntax', { code: 'ER_PARSE_ERROR' })),
      'a domain error of another kind, even one caused by an outage':
        new DomainError('conflict', 'taken', { cause: driverError('x', { code: 'ECONNREFUSED' }) }),
      'a thrown string': 'ECONNREFUSED',
      'undefined': undefined,
    };
    for (const [name, error] of Object.entries(refusals)) {
      it(`does not take ${name} for an outage`, () => {
        expect(isDatabaseOutage(error)).to.equal(false);
      });
    }
  });

  describe('asDatabaseOutage()', () => {
    it('turns an outage into the unavailable domain error, keeping the driver error as its cause', () => {
      const lost = driverError('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
      const error = asDatabaseOutage(failedQuery(lost));
      expect(error).to.be.instanceOf(DomainError);
      expect(error?.kind).to.equal('unavailable');
      expect((error?.cause as QueryFailedError).driverError).to.equal(lost);
    });

    it('returns an unavailable domain error as it is, and nothing for other errors', () => {
      const unavailable = unavailableError('down');
      expect(asDatabaseOutage(unavailable)).to.equal(unavailable);
      expect(asDatabaseOutage(conflictError('taken'))).to.equal(undefined);
      expect(asDatabaseOutage(new Error('plain'))).to.equal(undefined);
    });
  });
});
