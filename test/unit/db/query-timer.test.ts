import { expect } from 'chai';
import { queryOperation } from '../../../src/db/query-timer';

describe('queryOperation()', () => {
  it('names a statement by its first keyword, whatever its case and leading space', () => {
    expect(queryOperation('SELECT 1')).to.equal('select');
    expect(queryOperation('  select "u"."id" FROM "users" "u"')).to.equal('select');
    expect(queryOperation('(SELECT 1) UNION (SELECT 2)')).to.equal('select');
    expect(queryOperation('WITH x AS (SELECT 1) SELECT * FROM x')).to.equal('select');
    expect(queryOperation('INSERT INTO users VALUES (?)')).to.equal('insert');
    expect(queryOperation('update users SET version = version + 1')).to.equal('update');
    expect(queryOperation('DELETE FROM role_members WHERE user_id = ?')).to.equal('delete');
  });

  it('groups transaction control, and calls everything else other', () => {
    for (const sql of ['START TRANSACTION', 'BEGIN TRANSACTION', 'COMMIT', 'ROLLBACK', 'SAVEPOINT typeorm_1', 'RELEASE SAVEPOINT typeorm_1']) {
      expect(queryOperation(sql), sql).to.equal('transaction');
    }
    for (const sql of ['PRAGMA foreign_keys = ON', 'CREATE TABLE t (id int)', 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED', '', '-- comment']) {
      expect(queryOperation(sql), sql).to.equal('other');
    }
  });
});
