import { expect } from 'chai';
import { DataSource, QueryFailedError } from 'typeorm';
import { describeError, scrubQuoted, type ErrorDescription } from '../../src/log-error';
import { createLogger } from '../../src/logger';

const EMAIL = 'alice.secret@blocked.example';
const HASH = '$scrypt$n=16384$not-for-logs';

/** Every key a description may have: nothing of the query, its parameters or the driver error. */
const ALLOWED_KEYS = ['type', 'message', 'code', 'stack', 'cause'];

function expectNothingBound(description: ErrorDescription, ...values: string[]): void {
  const text = JSON.stringify(description);
  for (const value of [...values, 'INSERT', 'parameters', 'driverError']) expect(text, value).to.not.include(value);
  for (let link: ErrorDescription | undefined = description; link; link = link.cause) {
    expect(ALLOWED_KEYS, JSON.stringify(link)).to.include.members(Object.keys(link));
  }
}

/** A mysql2 error as the driver builds it: the message and `sql` quote the bound values. */
function mariadbDuplicate(value: string): Error {
  const message = `Duplicate entry '${value}' for key 'uq_users_user_name_key'`;
  return Object.assign(new Error(message), {
    code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000', sqlMessage: message,
    sql: `INSERT INTO \`users\`(\`user_name\`, \`password_hash\`) VALUES ('${value}', '${HASH}')`,
  });
}

describe('log-error', () => {
  describe('describeError()', () => {
    let dataSource: DataSource;
    let failed: QueryFailedError;

    before(async () => {
      dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
      await dataSource.initialize();
      await dataSource.query("CREATE TABLE people (email TEXT NOT NULL CHECK (email NOT LIKE '%@blocked.example'), password_hash TEXT)");
      const error: unknown = await dataSource.query('INSERT INTO people (email, password_hash) VALUES (?, ?)', [EMAIL, HASH])
        .then(() => undefined, (rejection: unknown) => rejection);
      expect(error).to.be.instanceOf(QueryFailedError);
      failed = error as QueryFailedError;
    });

    after(async () => {
      await dataSource.destroy();
    });

    it('keeps the class, message, code and stack frames of a real QueryFailedError, and none of its bound values', () => {
      // The hazard is real: the error itself carries the values and the statement.
      expect(failed.parameters).to.deep.equal([EMAIL, HASH]);
      expect(JSON.stringify(failed)).to.include(EMAIL);
      const description = describeError(failed);
      expect(description.type).to.equal('QueryFailedError');
      expect(description.code).to.equal('SQLITE_CONSTRAINT_CHECK');
      expect(description.message).to.equal("SqliteError: CHECK constraint failed: email NOT LIKE '…'");
      expect(description.stack).to.be.a('string');
      for (const frame of (description.stack ?? '').split('\n')) expect(frame).to.match(/^at /);
      expectNothingBound(description, EMAIL, HASH, 'blocked.example');
    });

    it('scrubs the value MariaDB quotes in its messages, and drops the driver\'s sql', () => {
      const error = new QueryFailedError('INSERT INTO users (user_name, password_hash) VALUES (?, ?)', [EMAIL, HASH], mariadbDuplicate(EMAIL));
      expect((error as unknown as { sql: string }).sql, 'the driver error\'s properties are copied onto it').to.include(EMAIL);
      const description = describeError(error);
      expect(description).to.include({ type: 'QueryFailedError', code: 'ER_DUP_ENTRY', message: "Duplicate entry '…'" });
      expectNothingBound(description, EMAIL, HASH);
    });

    it('scrubs a quoted value that itself contains quotes, and keeps backticked identifiers', () => {
      const error = new QueryFailedError('INSERT …', [], mariadbDuplicate("o'brien\"x'@example.com"));
      expectNothingBound(describeError(error), 'brien', 'example.com');
      expect(scrubQuoted("Incorrect integer value: 'alice' for column `scimd`.`users`.`display_name` at row 1"))
        .to.equal("Incorrect integer value: '…' for column `scimd`.`users`.`display_name` at row 1");
      expect(scrubQuoted("a lone ' quote and then alice")).to.equal("a lone '…");
      expect(scrubQuoted('no quotes at all')).to.equal('no quotes at all');
    });

    it('scrubs what V8 quotes from JSON it could not parse', () => {
      const error = (() => {
        try {
          return JSON.parse(EMAIL) as never;
        } catch (caught) {
          return caught as Error;
        }
      })();
      const quoted = EMAIL.slice(0, 10);
      expect(error.message).to.include(quoted);
      const description = describeError(error);
      expect(description.type).to.equal('SyntaxError');
      expectNothingBound(description, quoted);
    });

    it('describes causes the same way, and stops on a cycle', () => {
      const wrapped = new Error('the batch failed', { cause: failed });
      const description = describeError(wrapped);
      expect(description.message).to.equal('the batch failed');
      expect(description.cause?.type).to.equal('QueryFailedError');
      expectNothingBound(description, EMAIL, HASH);

      const loop = new Error('round');
      loop.cause = loop;
      let links = 0;
      for (let link: ErrorDescription | undefined = describeError(loop); link; link = link.cause) links++;
      expect(links).to.equal(4);
    });

    it('tells only the kind of a thrown value that is not an Error', () => {
      for (const thrown of [EMAIL, { parameters: [EMAIL] }, 42, null, undefined]) {
        const description = describeError(thrown);
        expect(description.message).to.equal('a value that is not an Error was thrown');
        expectNothingBound(description, EMAIL);
      }
    });

    it('returns a description it already made as it is', () => {
      const description = describeError(failed);
      expect(describeError(description)).to.equal(description);
      // The mark that says so is not a key: it shows in no log line.
      expect(Object.keys(description)).to.deep.equal(['type', 'message', 'code', 'stack']);
    });
  });

  describe('createLogger()', () => {
    it('describes every error logged under err, by whoever logs it, explicitly described or not', () => {
      const lines: string[] = [];
      const logger = createLogger('error', { write: (line: string) => lines.push(line) });
      const error = new QueryFailedError('INSERT INTO users (user_name) VALUES (?)', [EMAIL], mariadbDuplicate(EMAIL));
      logger.error({ err: error, requestId: 'r-1' }, 'request failed');
      logger.error({ err: describeError(error) }, 'described twice');
      // Without a message of its own, pino would make the error's message the line's.
      logger.error(error);
      logger.error({ err: error });
      expect(lines).to.have.length(4);
      const logged = lines.map((line) => JSON.parse(line) as { err: ErrorDescription; msg: string });
      for (const [i, line] of lines.entries()) {
        expect(line, `line ${i}`).to.not.include(EMAIL);
        expect(logged[i]?.err, `line ${i}`).to.deep.equal(JSON.parse(JSON.stringify(describeError(error))));
      }
      expect(logged.map((line) => line.msg)).to.deep.equal(['request failed', 'described twice', "Duplicate entry '…'", "Duplicate entry '…'"]);
    });
  });
});
