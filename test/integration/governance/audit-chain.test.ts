import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../../src/db/data-source';
import { transaction } from '../../../src/db/transaction';
import { recordAudits, SEAL_AS_WRITTEN_FROM, type AuditRecord } from '../../../src/governance/audit';
import { verifyAuditChain, type ChainVerification } from '../../../src/governance/audit-log';
import { sealAuditEvents, sealCommitted, settleAuditSeals, startAuditSealSweep } from '../../../src/governance/audit-seal';
import { createLogger } from '../../../src/logger';
import { batchSyncContext, localOperatorContext } from '../../../src/identity/change-context';
import { testDatabases } from '../../support/databases';
import { TestServer, USER_SCHEMA, type ScimClient } from '../../support/test-server';

type Row = Record<string, unknown>;

async function query(dataSource: DataSource, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  return await dataSource.query(sql, parameters) as Row[];
}

async function createUser(scim: ScimClient, userName: string): Promise<string> {
  const reply = await scim.post('/Users', { schemas: [USER_SCHEMA], userName, displayName: `User ${userName}` });
  expect(reply.status, reply.text).to.equal(201);
  return reply.body.id as string;
}

function expectIntact(result: ChainVerification, count?: number): asserts result is Extract<ChainVerification, { ok: true }> {
  expect(result, JSON.stringify(result)).to.include({ ok: true });
  if (count !== undefined) expect(result.count).to.equal(count);
}

/** A break of `problem` found at `seq`, with `verified` events before it found intact. */
function expectBroken(result: ChainVerification, problem: string, seq: number, verified: number): void {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (result.ok) return;
  expect(result.broken, JSON.stringify(result)).to.include({ problem, seq });
  expect(result.count, 'events verified before the break').to.equal(verified);
}

/** The seq of every event, once what has committed is sealed. */
async function seqs(dataSource: DataSource): Promise<number[]> {
  await sealCommitted(dataSource);
  return (await query(dataSource, 'SELECT seq FROM audit_events ORDER BY seq')).map((row) => Number(row.seq));
}

function records(count: number, prefix: string): AuditRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    action: 'user.update', targetType: 'User', targetId: `${prefix}-${i}`, targetName: `${prefix} ${i}`,
    changes: [{ attribute: 'title', from: 'Dev', to: `Lead ${i}` }],
  }));
}

for (const database of testDatabases()) {
  describe(`Audit hash chain on ${database.name}`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let dataSource: DataSource;
    let scim: ScimClient;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      dataSource = server.running.dataSource;
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
    });

    after(async () => {
      await server?.stop();
    });

    it('chains the events of real writes: seq 1, 2, 3 … with each prev_hash the hash before it, and the head at the last', async () => {
      for (let i = 0; i < 5; i++) await createUser(scim, `chain${i}@example.com`);
      await sealCommitted(dataSource);
      const rows = await query(dataSource, 'SELECT id, seq, prev_hash, hash, action FROM audit_events ORDER BY seq');
      expect(rows.length).to.be.greaterThan(5);
      rows.forEach((row, i) => {
        expect(Number(row.seq)).to.equal(i + 1);
        expect(row.prev_hash).to.equal(i === 0 ? null : rows[i - 1]?.hash);
        expect(row.hash).to.match(/^[0-9a-f]{64}$/);
      });
      expect(rows.filter((row) => row.action === 'user.create')).to.have.length(5);
      const head = (await query(dataSource, 'SELECT last_seq, last_hash FROM audit_chain'))[0];
      expect({ seq: Number(head?.last_seq), hash: head?.last_hash }).to.deep.equal({ seq: rows.length, hash: rows.at(-1)?.hash });
      const result = await verifyAuditChain(dataSource);
      expectIntact(result, rows.length);
      expect(result.headHash).to.equal(rows.at(-1)?.hash);
    });

    it('appends a sync-sized batch (450 events, three INSERTs) as one contiguous stretch of the chain', async () => {
      const before = await seqs(dataSource);
      await transaction(dataSource, (manager) => recordAudits(manager, batchSyncContext({ requestId: 'run-1' }), records(450, 'batch')));
      const after = await seqs(dataSource);
      expect(after).to.deep.equal(Array.from({ length: before.length + 450 }, (_, i) => i + 1));
      const written = await query(dataSource, "SELECT target_id FROM audit_events WHERE request_id = 'run-1' ORDER BY seq");
      expect(written.map((row) => row.target_id)).to.deep.equal(records(450, 'batch').map((record) => record.targetId));
      expectIntact(await verifyAuditChain(dataSource, { pageSize: 7 }), after.length);
    });

    it('writes nothing to the chain when the transaction rolls back', async () => {
      await sealCommitted(dataSource);
      const head = await query(dataSource, 'SELECT last_seq, last_hash FROM audit_chain');
      const count = await server.count('audit_events');
      let failed = false;
      await transaction(dataSource, async (manager) => {
        await recordAudits(manager, localOperatorContext('test'), records(3, 'rolled-back'));
        throw new Error('the change failed after its audit');
      }).catch(() => {
        failed = true;
      });
      expect(failed).to.equal(true);
      await sealCommitted(dataSource);
      expect(await query(dataSource, 'SELECT last_seq, last_hash FROM audit_chain')).to.deep.equal(head);
      expect(await server.count('audit_events')).to.equal(count);
      expectIntact(await verifyAuditChain(dataSource), count);
    });

    it('hashes what the database stores: lone surrogates and names cut at 255 characters inside a surrogate pair verify', async () => {
      const name = `${'x'.repeat(254)}😀tail`;
      await transaction(dataSource, (manager) => recordAudits(manager, localOperatorContext(name), [{
        action: 'user.update', targetType: 'User', targetId: 'odd-\ud800', targetName: `lone \udc00 ${name}`,
        changes: [{ attribute: 'displayName', to: 'half \ud83d' }],
      }]));
      const row = (await query(dataSource, "SELECT actor_name, target_id FROM audit_events WHERE target_id LIKE 'odd-%'"))[0];
      expect(row?.target_id).to.equal('odd-\ufffd');
      expect(String(row?.actor_name)).to.have.length(254);
      expectIntact(await verifyAuditChain(dataSource));
    });

    it('finds an edited row: a changed actor_name or changes is a hash mismatch at exactly that seq; restored, the chain verifies', async () => {
      const count = await server.count('audit_events');
      const target = (await query(dataSource, "SELECT id, seq, actor_name, changes FROM audit_events WHERE action = 'user.create' ORDER BY seq"))[2];
      const seq = Number(target?.seq);
      expect(seq).to.be.within(2, count - 1);
      for (const [column, value] of [['actor_name', 'someone else'], ['changes', '[]']] as const) {
        await query(dataSource, `UPDATE audit_events SET ${column} = ? WHERE seq = ?`, [value, seq]);
        try {
          const result = await verifyAuditChain(dataSource);
          expectBroken(result, 'hash-mismatch', seq, seq - 1);
          if (!result.ok) expect(result.broken.id).to.equal(Number(target?.id));
        } finally {
          await query(dataSource, `UPDATE audit_events SET ${column} = ? WHERE seq = ?`, [target?.[column], seq]);
        }
      }
      expectIntact(await verifyAuditChain(dataSource), count);
    });

    it('finds a row rewritten with a recomputed hash: the next row no longer names it (prev-hash mismatch)', async () => {
      const target = (await query(dataSource, 'SELECT seq, hash FROM audit_events ORDER BY seq'))[3];
      const seq = Number(target?.seq);
      try {
        await query(dataSource, 'UPDATE audit_events SET hash = ? WHERE seq = ?', ['0'.repeat(64), seq]);
        expectBroken(await verifyAuditChain(dataSource), 'hash-mismatch', seq, seq - 1);
        // Had the forger also made the row's hash fit, the link to the next row still breaks.
        await query(dataSource, 'UPDATE audit_events SET hash = ? WHERE seq = ?', [target?.hash, seq]);
        await query(dataSource, 'UPDATE audit_events SET prev_hash = ? WHERE seq = ?', ['1'.repeat(64), seq + 1]);
        expectBroken(await verifyAuditChain(dataSource), 'prev-hash-mismatch', seq + 1, seq);
      } finally {
        await query(dataSource, 'UPDATE audit_events SET hash = ? WHERE seq = ?', [target?.hash, seq]);
        await query(dataSource, 'UPDATE audit_events SET prev_hash = ? WHERE seq = ?', [target?.hash, seq + 1]);
      }
      expectIntact(await verifyAuditChain(dataSource));
    });

    it('finds a removed middle row (a seq gap at the row after it) and a removed last row (the head is past the end)', async () => {
      const all = await query(dataSource, 'SELECT * FROM audit_events ORDER BY seq');
      const count = all.length;
      const middle = all[Math.floor(count / 2)] as Row;
      const last = all.at(-1) as Row;
      const cases = [
        { row: middle, problem: 'seq-gap', seq: Number(middle.seq) + 1, verified: Number(middle.seq) - 1 },
        { row: last, problem: 'head-mismatch', seq: count, verified: count - 1 },
      ];
      for (const { row, problem, seq, verified } of cases) {
        await query(dataSource, 'DELETE FROM audit_events WHERE id = ?', [row.id]);
        try {
          const result = await verifyAuditChain(dataSource);
          expectBroken(result, problem, seq, verified);
          if (problem === 'head-mismatch' && !result.ok) expect(result.broken.message).to.include(`event ${count} was removed from the end`);
        } finally {
          const columns = Object.keys(row);
          await query(dataSource, `INSERT INTO audit_events (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
            columns.map((column) => row[column]));
        }
      }
      expectIntact(await verifyAuditChain(dataSource), count);
    });

    it('finds a row inserted past the head, and a head that was edited', async () => {
      const count = await server.count('audit_events');
      const last = (await query(dataSource, 'SELECT * FROM audit_events ORDER BY seq DESC'))[0] as Row;
      await query(dataSource, 'INSERT INTO audit_events (seq, occurred_at, actor_type, actor_id, actor_name, door, action, target_type, '
        + 'target_id, target_name, changes, request_id, prev_hash, hash) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)',
      [count + 1, last.occurred_at, 'cli', 'cli:mallory', 'cli', 'user.delete', 'User', 'nobody', last.hash, 'f'.repeat(64)]);
      try {
        const inserted = await verifyAuditChain(dataSource);
        expectBroken(inserted, 'head-mismatch', count + 1, count);
        expect(inserted.ok ? '' : inserted.broken.message).to.match(/past the chain's head/);
      } finally {
        await query(dataSource, 'DELETE FROM audit_events WHERE seq = ?', [count + 1]);
      }
      await query(dataSource, 'UPDATE audit_chain SET last_hash = ? WHERE id = 1', ['e'.repeat(64)]);
      try {
        expectBroken(await verifyAuditChain(dataSource), 'head-mismatch', count, count);
      } finally {
        await query(dataSource, 'UPDATE audit_chain SET last_hash = ? WHERE id = 1', [last.hash]);
      }
      expectIntact(await verifyAuditChain(dataSource), count);
    });

    if (database.name === 'mariadb') {
      // On SQLite writes queue one after another (src/db/transaction.ts): only MariaDB can race.
      it('keeps one unbroken chain under 20 parallel SCIM POSTs (MariaDB: concurrent transactions)', async () => {
        const before = await server.count('audit_events');
        const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => scim.post('/Users', {
          schemas: [USER_SCHEMA], userName: `parallel${i}@example.com`,
        })));
        expect(replies.map((reply) => reply.status)).to.deep.equal(Array.from({ length: 20 }, () => 201));
        expect(await seqs(dataSource)).to.deep.equal(Array.from({ length: before + 20 }, (_, i) => i + 1));
        expectIntact(await verifyAuditChain(dataSource), before + 20);
      });
    }
  });

  describe(`Audit sealing on ${database.name}`, function () {
    this.timeout(60_000);
    let dataSource: DataSource;
    const unsealed = async (targetId: string): Promise<void> => {
      await query(dataSource, 'INSERT INTO audit_events (occurred_at, actor_type, actor_id, actor_name, door, action, target_type, '
        + 'target_id, target_name, changes, request_id) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, NULL)',
      ['2026-12-06T04:00:00.000Z', 'cli', 'cli:operator', 'cli', 'user.update', 'User', targetId]);
    };

    before(async () => {
      // No server: nothing seals here but what each test starts.
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      await transaction(dataSource, (manager) => recordAudits(manager, localOperatorContext('test'), records(3, 'first')));
    });

    after(async () => {
      await dataSource?.destroy();
    });

    it('seals a write\'s events once it has committed: chained in order, the head at the last', async () => {
      await settleAuditSeals(dataSource); // the seal the write in before() started
      expect((await query(dataSource, 'SELECT seq FROM audit_events ORDER BY id')).map((row) => Number(row.seq))).to.deep.equal([1, 2, 3]);
      expectIntact(await verifyAuditChain(dataSource), 3);
    });

    it('seals what a writer that stopped after its commit left unsealed: at the sweep\'s start, and at each look', async () => {
      await unsealed('left-1');
      expect((await query(dataSource, "SELECT seq, hash FROM audit_events WHERE target_id = 'left-1'"))[0]).to.deep.equal({ seq: null, hash: null });
      const sweep = startAuditSealSweep(dataSource, createLogger('silent'), 3_600_000);
      await sweep.stop(); // waits for the look it took as it started
      expect((await query(dataSource, "SELECT seq FROM audit_events WHERE target_id = 'left-1'"))[0]).to.deep.equal({ seq: 4 });
      await unsealed('left-2');
      await unsealed('left-3');
      expect(await sweep.sweep()).to.equal(2);
      expect(await sweep.sweep(), 'nothing left to seal').to.equal(0);
      expectIntact(await verifyAuditChain(dataSource), 6);
    });

    it('lists and verifies only sealed events, sealing what has committed first', async () => {
      await unsealed('left-4');
      const result = await verifyAuditChain(dataSource);
      expectIntact(result, 7);
      expect(result.headSeq).to.equal(7);
    });

    if (database.name === 'mariadb') {
      it('commits and returns a write while another session holds the chain\'s head; its events are sealed once the head is free', async () => {
        const holder = dataSource.createQueryRunner();
        await holder.connect();
        await holder.startTransaction();
        await holder.query('SELECT last_seq FROM audit_chain WHERE id = 1 FOR UPDATE');
        try {
          // Before sealing, a write appended under the head's lock: this waited for the holder.
          await transaction(dataSource, (manager) => recordAudits(manager, localOperatorContext('test'), records(2, 'held')));
          const rows = await query(dataSource, "SELECT seq, hash FROM audit_events WHERE target_id LIKE 'held-%' ORDER BY id");
          expect(rows, 'committed, not yet sealed').to.deep.equal([{ seq: null, hash: null }, { seq: null, hash: null }]);
        } finally {
          await holder.rollbackTransaction();
          await holder.release();
        }
        await settleAuditSeals(dataSource);
        const rows = await query(dataSource, "SELECT seq FROM audit_events WHERE target_id LIKE 'held-%' ORDER BY id");
        expect(rows.map((row) => Number(row.seq))).to.deep.equal([8, 9]);
        expectIntact(await verifyAuditChain(dataSource), 9);
      });

      it('reads the events that are pending, not the sealed log before them', async () => {
        // A log of more than 20,000 sealed events (doubled from what is there), then 1,200 pending.
        while (Number((await query(dataSource, 'SELECT COUNT(*) AS n FROM audit_events'))[0]?.n) < 20_000) {
          await query(dataSource, 'INSERT INTO audit_events (occurred_at, actor_type, actor_id, actor_name, door, action, target_type, '
            + 'target_id, target_name, changes, request_id) SELECT occurred_at, actor_type, actor_id, actor_name, door, action, '
            + "target_type, CONCAT(target_id, '+'), target_name, changes, request_id FROM audit_events");
        }
        await sealAuditEvents(dataSource);
        const sealed = Number((await query(dataSource, 'SELECT COUNT(*) AS n FROM audit_events'))[0]?.n);
        await transaction(dataSource, (manager) => recordAudits(manager, batchSyncContext(), records(1_200, 'pending')));
        await settleAuditSeals(dataSource); // the write's own background seal: its reads are the ones counted
        await query(dataSource, "UPDATE audit_events SET seq = NULL, prev_hash = NULL, hash = NULL WHERE target_id LIKE 'pending-%'");
        await query(dataSource, 'UPDATE audit_chain SET last_seq = ?, last_hash = (SELECT hash FROM audit_events WHERE seq = ?) WHERE id = 1',
          [sealed, sealed]);
        const rowsRead = async (): Promise<number> => (await query(dataSource, "SHOW GLOBAL STATUS WHERE Variable_name IN "
          + "('Handler_read_next', 'Handler_read_rnd_next', 'Handler_read_rnd')")).reduce((sum, row) => sum + Number(row.Value), 0);
        const before = await rowsRead();
        expect(await sealAuditEvents(dataSource)).to.equal(1_200);
        // Two pages: the pending index entries (1,200, then 200), their rows, the updates' look-ups; not the 20,000 sealed.
        expect(await rowsRead() - before).to.be.below(sealed / 4);
        expectIntact(await verifyAuditChain(dataSource), sealed + 1_200);
      });
    }

    const head = async (): Promise<{ seq: number; hash: unknown }> => {
      const row = (await query(dataSource, 'SELECT last_seq, last_hash FROM audit_chain WHERE id = 1'))[0];
      return { seq: Number(row?.last_seq), hash: row?.last_hash };
    };
    const seqsOf = async (prefix: string): Promise<(number | null)[]> =>
      (await query(dataSource, 'SELECT seq FROM audit_events WHERE target_id LIKE ? ORDER BY id', [`${prefix}-%`]))
        .map((row) => (row.seq === null ? null : Number(row.seq)));

    it(`appends a transaction's ${SEAL_AS_WRITTEN_FROM} events or more sealed, as it commits, and events committed unsealed before them after them`, async () => {
      await settleAuditSeals(dataSource);
      await unsealed('before-batch-1');
      await unsealed('before-batch-2');
      const start = await head();
      await transaction(dataSource, (manager) => recordAudits(manager, batchSyncContext({ requestId: 'sealed-run' }), records(SEAL_AS_WRITTEN_FROM, 'sealed')));
      // No seal has run since the commit: the batch holds its places already, the two before it none.
      expect(await seqsOf('sealed')).to.deep.equal(Array.from({ length: SEAL_AS_WRITTEN_FROM }, (_, i) => start.seq + 1 + i));
      expect(await seqsOf('before-batch')).to.deep.equal([null, null]);
      const rows = await query(dataSource, "SELECT prev_hash, hash FROM audit_events WHERE target_id LIKE 'sealed-%' ORDER BY seq");
      expect(rows[0]?.prev_hash, 'the first links to the head it found').to.equal(start.hash);
      expect(await head()).to.deep.equal({ seq: start.seq + SEAL_AS_WRITTEN_FROM, hash: rows.at(-1)?.hash });
      expect(await sealAuditEvents(dataSource)).to.equal(2);
      const after = start.seq + SEAL_AS_WRITTEN_FROM;
      expect(await seqsOf('before-batch'), 'sealed after the batch, in the order they were written').to.deep.equal([after + 1, after + 2]);
      expectIntact(await verifyAuditChain(dataSource), after + 2);
    });

    it('leaves the chain as it was when a transaction that appended sealed events rolls back', async () => {
      await settleAuditSeals(dataSource);
      const start = await head();
      const count = Number((await query(dataSource, 'SELECT COUNT(*) AS n FROM audit_events'))[0]?.n);
      const failure = await transaction(dataSource, async (manager) => {
        await recordAudits(manager, batchSyncContext(), records(SEAL_AS_WRITTEN_FROM + 50, 'undone'));
        throw new Error('the batch failed after its audit');
      }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(Error);
      expect(await head()).to.deep.equal(start);
      expect(Number((await query(dataSource, 'SELECT COUNT(*) AS n FROM audit_events'))[0]?.n)).to.equal(count);
      // The next appender continues from the same head: no fork, no gap.
      await transaction(dataSource, (manager) => recordAudits(manager, batchSyncContext(), records(SEAL_AS_WRITTEN_FROM, 'redone')));
      expect((await seqsOf('redone'))[0]).to.equal(start.seq + 1);
      expectIntact(await verifyAuditChain(dataSource), count + SEAL_AS_WRITTEN_FROM);
    });

    if (database.name === 'mariadb') {
      it('appends sealed events only once it holds the chain\'s head: a session holding it (another sealer) makes the batch wait, and the chain stays one', async () => {
        await settleAuditSeals(dataSource);
        const start = await head();
        const holder = dataSource.createQueryRunner();
        await holder.connect();
        let batch: Promise<unknown> | undefined;
        try {
          await holder.startTransaction();
          await holder.query('SELECT last_seq FROM audit_chain WHERE id = 1 FOR UPDATE');
          batch = transaction(dataSource, (manager) => recordAudits(manager, batchSyncContext(), records(SEAL_AS_WRITTEN_FROM, 'waiting')));
          // Wait for the event, not for a time: the batch's read of the head shows, blocked, in the process list.
          for (;;) {
            const waiting = await query(dataSource, 'SELECT COUNT(*) AS n FROM information_schema.processlist '
              + "WHERE command = 'Query' AND info LIKE 'SELECT last_seq, last_hash FROM audit_chain%FOR UPDATE'");
            if (Number(waiting[0]?.n) > 0) break;
            await new Promise((resolve) => setImmediate(resolve));
          }
        } finally {
          await holder.commitTransaction();
          await holder.release();
        }
        await batch;
        expect((await seqsOf('waiting'))[0]).to.equal(start.seq + 1);
        expectIntact(await verifyAuditChain(dataSource), start.seq + SEAL_AS_WRITTEN_FROM);
      });

      it('keeps one chain when sealed batches and single writes (sealed after their commits) commit at once', async () => {
        await settleAuditSeals(dataSource);
        const start = await head();
        const batches = Array.from({ length: 3 }, (_, i) => transaction(dataSource,
          (manager) => recordAudits(manager, batchSyncContext(), records(SEAL_AS_WRITTEN_FROM + i, `mixed-batch${i}`))));
        const singles = Array.from({ length: 20 }, (_, i) => transaction(dataSource,
          (manager) => recordAudits(manager, localOperatorContext('test'), records(1, `mixed-single${i}`))));
        await Promise.all([...batches, ...singles]);
        await settleAuditSeals(dataSource);
        await sealCommitted(dataSource);
        const written = 3 * SEAL_AS_WRITTEN_FROM + 3 + 20;
        const rows = await query(dataSource, "SELECT seq, target_id FROM audit_events WHERE target_id LIKE 'mixed-%' ORDER BY seq");
        expect(rows).to.have.length(written);
        expect(rows.map((row) => Number(row.seq))).to.deep.equal(Array.from({ length: written }, (_, i) => start.seq + 1 + i));
        // Each batch holds one unbroken stretch of the chain.
        for (let i = 0; i < 3; i += 1) {
          const seqs = rows.filter((row) => String(row.target_id).startsWith(`mixed-batch${i}-`)).map((row) => Number(row.seq));
          expect(seqs.at(-1)! - seqs[0]! + 1, `batch ${i} contiguous`).to.equal(seqs.length);
        }
        expectIntact(await verifyAuditChain(dataSource), start.seq + written);
      });
    }
  });

  describe(`Audit chain migration on ${database.name}`, function () {
    this.timeout(60_000);

    it('chains the events written before it in id order, a page at a time, and sets the head', async () => {
      const dataSource = await openDataSource(await database.fresh());
      try {
        await dataSource.runMigrations();
        // Back to the schema before the chain (undoing whatever came after it too), with 1,203 old events.
        while ((await query(dataSource, "SELECT name FROM scimd_migrations WHERE name = 'AuditChain1763900000005'")).length > 0) {
          await dataSource.undoLastMigration();
        }
        await query(dataSource, 'DELETE FROM audit_events');
        for (let i = 0; i < 1203; i += 200) {
          const chunk = Array.from({ length: Math.min(200, 1203 - i) }, (_, j) => i + j);
          await query(dataSource, 'INSERT INTO audit_events (occurred_at, actor_type, actor_id, actor_name, door, action, target_type, '
            + `target_id, target_name, changes, request_id) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          chunk.flatMap((n) => ['2026-01-31T12:00:00.000Z', 'sync', null, 'Batch sync', 'sync', 'user.create', 'User', `old-${n}`,
            n % 2 === 0 ? `Old ${n}` : null, n % 3 === 0 ? null : JSON.stringify([{ attribute: 'title', to: `T${n}` }]), null]));
        }
        await dataSource.runMigrations();

        const rows = await query(dataSource, 'SELECT id, seq, target_id FROM audit_events ORDER BY id');
        expect(rows.map((row) => Number(row.seq))).to.deep.equal(Array.from({ length: 1203 }, (_, i) => i + 1));
        expect(rows.map((row) => row.target_id)).to.deep.equal(Array.from({ length: 1203 }, (_, i) => `old-${i}`));
        const result = await verifyAuditChain(dataSource);
        expectIntact(result, 1203);
        expect(result.headSeq).to.equal(1203);

        // And appending goes on from the head the migration set.
        await transaction(dataSource, (manager) => recordAudits(manager, localOperatorContext('test'), records(2, 'new')));
        expectIntact(await verifyAuditChain(dataSource), 1205);
      } finally {
        await dataSource.destroy();
      }
    });

    it('starts an empty log with an empty head', async () => {
      const dataSource = await openDataSource(await database.fresh());
      try {
        await dataSource.runMigrations();
        expect(await query(dataSource, 'SELECT id, last_seq, last_hash FROM audit_chain')).to.deep.equal([{ id: 1, last_seq: 0, last_hash: null }]);
        expect(await verifyAuditChain(dataSource)).to.deep.equal({ ok: true, count: 0, headSeq: 0, headHash: null });
      } finally {
        await dataSource.destroy();
      }
    });
  });
}
