import { expect } from 'chai';
import type { BeforeQueryEvent, DataSource, EntitySubscriberInterface } from 'typeorm';
import { openDataSource } from '../../../src/db/data-source';
import { insertRows } from '../../../src/db/insert-rows';
import { deferStatement, PREPARED_FROM_VALUES, PREPARED_STATEMENTS_PER_CONNECTION, readTogether } from '../../../src/db/statement-batch';
import { transaction } from '../../../src/db/transaction';
import { isUniqueViolation } from '../../../src/identity/constraint-violation';
import { testDatabases } from '../../support/databases';
import { eventually } from '../../support/eventually';

/** Counts the queries a DataSource sends (a batch of statements is one query). */
class QueryCounter implements EntitySubscriberInterface {
  sent: string[] = [];
  beforeQuery(event: BeforeQueryEvent): void {
    this.sent.push(event.query);
  }
}

for (const database of testDatabases()) {
  describe(`Statements of a transaction on ${database.name}`, () => {
    let dataSource: DataSource;
    const counter = new QueryCounter();
    const batched = database.name === 'mariadb';

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      // The first transaction of a DataSource asks the server once whether it is a Galera node.
      await transaction(dataSource, async () => undefined);
      dataSource.subscribers.push(counter);
    });
    after(async () => dataSource.destroy());
    beforeEach(async () => {
      await dataSource.query('DROP TABLE IF EXISTS batch_probe');
      await dataSource.query('CREATE TABLE batch_probe (id INT PRIMARY KEY, note VARCHAR(600) NULL)');
      counter.sent = [];
    });

    const notes = async (): Promise<Map<number, string | null>> => new Map(
      (await dataSource.query('SELECT id, note FROM batch_probe ORDER BY id') as { id: number; note: string | null }[])
        .map((row) => [Number(row.id), row.note]),
    );

    it('send a write of deferred statements as one query, COMMIT included', async () => {
      await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'one']);
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [2, 'two']);
      });
      expect(await notes()).to.deep.equal(new Map([[1, 'one'], [2, 'two']]));
      if (batched) expect(counter.sent).to.have.length(1 + 1); // the write, and the SELECT above
      else expect(counter.sent.length).to.be.greaterThan(4);
    });

    it('send what waits before a read, so that the read sees it, and answer the read alone', async () => {
      const seen = await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'one']);
        const rows = await manager.query('SELECT note FROM batch_probe WHERE id = ?', [1]) as { note: string }[];
        await deferStatement(manager, 'UPDATE batch_probe SET note = ? WHERE id = ?', ['changed', 1]);
        return rows.map((row) => row.note);
      });
      expect(seen).to.deep.equal(['one']);
      expect(await notes()).to.deep.equal(new Map([[1, 'changed']]));
      if (batched) expect(counter.sent).to.have.length(2 + 1);
    });

    it('give a structured result (affected rows) for the statement that carries the batch', async () => {
      await dataSource.query('INSERT INTO batch_probe (id, note) VALUES (1, NULL), (2, NULL)');
      const affected = await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [3, 'three']);
        const result = await manager.queryRunner?.query('UPDATE batch_probe SET note = ? WHERE id < ?', ['low', 3], true) as
          { affected?: number };
        return result.affected;
      });
      expect(affected).to.equal(2);
      expect(await notes()).to.deep.equal(new Map([[1, 'low'], [2, 'low'], [3, 'three']]));
    });

    it('fail the transaction with the driver\'s error when a deferred statement fails, and keep none of it', async () => {
      await dataSource.query("INSERT INTO batch_probe (id, note) VALUES (1, 'kept')");
      let failure: unknown;
      try {
        await transaction(dataSource, async (manager) => {
          await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [2, 'lost']);
          await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'duplicate']);
          await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [3, 'lost too']);
        });
      } catch (error) {
        failure = error;
      }
      expect(isUniqueViolation(failure), String(failure)).to.equal(true);
      expect(await notes()).to.deep.equal(new Map([[1, 'kept']]));
      // The connection went back to the pool in a usable state: the next transactions commit.
      for (let i = 0; i < 25; i++) {
        await transaction(dataSource, (manager) => deferStatement(manager, 'INSERT INTO batch_probe (id) VALUES (?)', [10 + i]));
      }
      expect((await notes()).size).to.equal(26);
    });

    it('send nothing for a transaction that fails before its first statement', async () => {
      const failure = await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'never']);
        throw new Error('refused by a rule');
      }).then(() => undefined, (error: unknown) => error);
      expect((failure as Error).message).to.equal('refused by a rule');
      expect(await notes()).to.deep.equal(new Map());
      if (batched) expect(counter.sent).to.deep.equal(['SELECT id, note FROM batch_probe ORDER BY id']);
    });

    it('send reads together with what waits as one query, and give each read its own rows in order', async () => {
      await dataSource.query("INSERT INTO batch_probe (id, note) VALUES (1, 'one'), (2, 'two'), (3, 'three')");
      counter.sent = [];
      const [low, none, high] = await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'UPDATE batch_probe SET note = ? WHERE id = ?', ['first', 1]);
        return readTogether(manager, [
          { sql: 'SELECT id, note FROM batch_probe WHERE id < ? ORDER BY id', parameters: [3] },
          { sql: 'SELECT id FROM batch_probe WHERE note = ?', parameters: ['nobody'] },
          { sql: 'SELECT id, note FROM batch_probe WHERE id >= ? ORDER BY id', parameters: [3] },
        ]);
      });
      const pairs = (rows: unknown[] | undefined): [number, string][] =>
        (rows as { id: number; note: string }[]).map((row) => [Number(row.id), row.note]);
      expect(pairs(low)).to.deep.equal([[1, 'first'], [2, 'two']]);
      expect(none).to.deep.equal([]);
      expect(pairs(high)).to.deep.equal([[3, 'three']]);
      if (batched) expect(counter.sent).to.have.length(2); // START, the UPDATE and the reads; COMMIT
    });

    // Row locks are MariaDB's: SQLite has one writer and no row locks to take.
    if (batched) it('hold the lock a read together takes (FOR UPDATE) until the transaction ends', async () => {
      await dataSource.query("INSERT INTO batch_probe (id, note) VALUES (1, 'one')");
      const order: string[] = [];
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => { locked = resolve; });
      let release!: () => void;
      const released = new Promise<void>((resolve) => { release = resolve; });
      const first = transaction(dataSource, async (manager) => {
        await readTogether(manager, [
          { sql: 'SELECT id FROM batch_probe WHERE id = ? FOR UPDATE', parameters: [1] },
          { sql: 'SELECT COUNT(*) AS n FROM batch_probe', parameters: [] },
        ]);
        locked();
        await released;
        order.push('first writes');
        await deferStatement(manager, 'UPDATE batch_probe SET note = ? WHERE id = ?', ['first', 1]);
      });
      await lockTaken;
      const second = transaction(dataSource, async (manager) => {
        await manager.query('SELECT id FROM batch_probe WHERE id = ? FOR UPDATE', [1]);
        order.push('second locks');
        await deferStatement(manager, 'UPDATE batch_probe SET note = CONCAT(note, ?) WHERE id = ?', [' then second', 1]);
      });
      // The first lets go only once the second waits for the lock the first holds.
      await eventually('the second transaction to wait for the row lock', 10_000, async () => {
        const waiting = await dataSource.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE '%batch_probe WHERE id = 1 FOR UPDATE%'",
        ) as { n: number | string }[];
        return Number(waiting[0]?.n) > 0 ? true : undefined;
      });
      release();
      await Promise.all([first, second]);
      expect(order).to.deep.equal(['first writes', 'second locks']);
      expect(await notes()).to.deep.equal(new Map([[1, 'first then second']]));
    });

    it('store hostile values exactly as given', async () => {
      const hostile = [
        "'; DROP TABLE batch_probe; --", 'a ? b ?? c', '\\\'', '"; SELECT 1; "', 'ümlaut 漢字 🙂', '/* x */ ;', '`id`',
      ];
      await transaction(dataSource, async (manager) => {
        for (const [index, note] of hostile.entries()) {
          await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [index, note]);
        }
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [99, null]);
      });
      expect(await notes()).to.deep.equal(new Map([...hostile.entries(), [99, null]]));
    });

    const HOSTILE = [
      "'; DROP TABLE batch_probe; --", 'a ? b ?? c', '\\\'', '"; SELECT 1; "', 'ümlaut 漢字 🙂', '/* x */ ;', '`id`', '', '0', 'NULL',
    ];
    /** Rows enough for one multi-row INSERT to carry PREPARED_FROM_VALUES values or more (two per row). */
    const manyRows = (from: number, count = PREPARED_FROM_VALUES / 2 + 7): [number, string | null][] => Array.from({ length: count }, (_, index) =>
      [from + index, index % 11 === 10 ? null : `${HOSTILE[index % 11] ?? ''}${index}`]);
    const preparedCount = async (): Promise<number> => Number((await dataSource.query(
      "SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'",
    ) as { Value: string }[])[0]?.Value);

    it('send a statement of many values on its own, after what waits, and store its values exactly as given', async () => {
      const rows = manyRows(100);
      counter.sent = [];
      await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'before']);
        await insertRows(manager, 'batch_probe', ['id', 'note'], rows, rows.length);
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [2, 'after']);
      });
      expect(await notes()).to.deep.equal(new Map<number, string | null>([[1, 'before'], [2, 'after'], ...rows]));
      if (batched) {
        // START and the first INSERT; the many values with their placeholders, unformatted; the last INSERT and COMMIT.
        expect(counter.sent).to.have.length(3 + 1);
        expect(counter.sent[1]).to.match(/^INSERT INTO `batch_probe` \(`id`, `note`\) VALUES \(\?, \?\), \(\?, \?\)/);
      }
    });

    if (batched) it('keep a few prepared statements per connection, whatever the number of different ones it ran', async () => {
      const prepared = await preparedCount();
      let inserted = 0;
      // Each a statement of another text (one more row each time), one transaction after another.
      for (let extra = 0; extra < 3 * PREPARED_STATEMENTS_PER_CONNECTION; extra++) {
        const rows = manyRows(10_000 * (extra + 1), PREPARED_FROM_VALUES / 2 + extra);
        await transaction(dataSource, (manager) => insertRows(manager, 'batch_probe', ['id', 'note'], rows, rows.length));
        inserted += rows.length;
      }
      // The pool hands out the connection last released: one or two connections ran them.
      expect(await preparedCount() - prepared).to.be.within(1, 2 * PREPARED_STATEMENTS_PER_CONNECTION);
      expect((await notes()).size).to.equal(inserted);
    });

    if (batched) it('send a statement of many values as text when the server will not prepare it, and store it exactly', async () => {
      const [limit] = await dataSource.query("SHOW GLOBAL VARIABLES LIKE 'max_prepared_stmt_count'") as { Value: string }[];
      // A text no connection has prepared yet (no test here inserts this many rows).
      const rows = manyRows(100, PREPARED_FROM_VALUES / 2 + 101);
      await dataSource.query('SET GLOBAL max_prepared_stmt_count = 0');
      try {
        await transaction(dataSource, async (manager) => {
          await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'before']);
          await insertRows(manager, 'batch_probe', ['id', 'note'], rows, rows.length);
        });
      } finally {
        await dataSource.query(`SET GLOBAL max_prepared_stmt_count = ${Number(limit?.Value)}`);
      }
      expect(await notes()).to.deep.equal(new Map<number, string | null>([[1, 'before'], ...rows]));
    });

    it('fail the transaction with the driver\'s error when a statement of many values fails, and keep none of it', async () => {
      await dataSource.query("INSERT INTO batch_probe (id, note) VALUES (500, 'kept')");
      const failure = await transaction(dataSource, async (manager) => {
        await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [1, 'lost']);
        await insertRows(manager, 'batch_probe', ['id', 'note'], manyRows(100), 1_000); // 500 is taken
      }).then(() => undefined, (error: unknown) => error);
      expect(isUniqueViolation(failure), String(failure)).to.equal(true);
      expect(await notes()).to.deep.equal(new Map([[500, 'kept']]));
      // The connections went back to the pool in a usable state.
      for (let i = 0; i < 25; i++) {
        await transaction(dataSource, (manager) => insertRows(manager, 'batch_probe', ['id', 'note'], manyRows(1_000 + i * 1_000), 1_000));
      }
      expect((await notes()).size).to.equal(1 + 25 * manyRows(0).length);
    });

    it('split what waits into more queries before it grows past the size limit, and apply all of it', async () => {
      const note = 'x'.repeat(500);
      await transaction(dataSource, async (manager) => {
        for (let id = 0; id < 3_000; id++) await deferStatement(manager, 'INSERT INTO batch_probe (id, note) VALUES (?, ?)', [id, note]);
      });
      const rows = await dataSource.query('SELECT COUNT(*) AS n, MIN(note) AS low, MAX(note) AS high FROM batch_probe') as
        { n: number | string; low: string; high: string }[];
      expect([Number(rows[0]?.n), rows[0]?.low, rows[0]?.high]).to.deep.equal([3_000, note, note]);
      if (batched) expect(counter.sent.length).to.be.within(2 + 1, 10);
    });
  });
}
