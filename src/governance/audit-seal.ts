import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { transaction } from '../db/transaction';
import { deferStatement, readTogether, type Statement } from '../db/statement-batch';
import type { Logger } from '../logger';
import { auditEventHash, type AuditEventFields, type ChainedFields } from './audit-chain';

/**
 * Sealing: giving the audit events that writers appended their place in the hash chain.
 *
 * A write inserts its audit rows in its own transaction, without `seq` or hashes (audit.ts): it
 * takes no lock shared with other writers, so writes commit side by side. Once it has committed,
 * a seal starts in the background, a moment later: one transaction locks the chain's head row,
 * reads the events not yet sealed in id order, gives each the next `seq`, the hash before it and
 * its own hash (computed from the row as stored, as the verifier will), and moves the head. Writes
 * that commit in that moment, or while a seal runs, share one seal, so the head is locked once per
 * batch of writes instead of once per write, and no write waits for it (docs/benchmarks.md, "Eighth
 * run"). Sealers of different processes queue on the head row; the second finds what the first
 * sealed already done.
 * Readers of the log seal first (sealCommitted); a process seals what it wrote before it closes the
 * database (settleAuditSeals); the server's sweep seals what a process that stopped left behind.
 */

/** Events sealed per transaction: one read, one UPDATE per SEAL_ROWS_PER_UPDATE, one head update. */
const SEAL_PAGE = 1000;
/**
 * Rows per UPDATE: each row's values are a CASE over the batch's ids, scanned per row, so the cost
 * per row grows with the batch. Measured with the sync's 20,000-user full run (its ~48,000 events,
 * back when the sync's events were sealed here; they are appended sealed now, appendSealed, except
 * on Galera): 250 a statement cost MariaDB 6.7 s of CPU and the run 14.6 s; 50, 5.5-5.9 s and
 * 11.9-12.5 s; 20, 6.1 s and 13.1 s.
 */
const SEAL_ROWS_PER_UPDATE = 50;
/** The one row of audit_chain. */
export const CHAIN_HEAD_ID = 1;

interface PendingEvent {
  id: number | string;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  door: string;
  action: string;
  target_type: string;
  target_id: string;
  target_name: string | null;
  changes: string | null;
  request_id: string | null;
}

/** Seals every event committed unsealed; returns how many it sealed. */
export async function sealAuditEvents(dataSource: DataSource): Promise<number> {
  let sealed = 0;
  for (;;) {
    const count = await transaction(dataSource, sealPage);
    sealed += count;
    if (count < SEAL_PAGE) return sealed;
  }
}

async function sealPage(manager: EntityManager): Promise<number> {
  // One round trip: the server runs the read after the head's lock is held, so a sealer before
  // this one has committed, and what it sealed is not read again.
  const [headRows = [], pending = []] = await readTogether(manager, [
    chainHeadLock(manager),
    pendingRead(manager),
  ]);
  const rows = pending as PendingEvent[];
  if (rows.length === 0) return 0;
  const { links: places, head } = chainLinks(chainHeadOf(headRows), rows.map((row): AuditEventFields => ({
    occurredAt: row.occurred_at, actorType: row.actor_type, actorId: row.actor_id, actorName: row.actor_name, door: row.door,
    action: row.action, targetType: row.target_type, targetId: row.target_id, targetName: row.target_name, changes: row.changes,
    requestId: row.request_id,
  })));
  const links = places.map((place, i) => ({ ...place, id: Number(rows[i]?.id) }));
  for (let i = 0; i < links.length; i += SEAL_ROWS_PER_UPDATE) {
    const batch = links.slice(i, i + SEAL_ROWS_PER_UPDATE);
    const cases = batch.map(() => 'WHEN ? THEN ?').join(' ');
    // `seq IS NULL` again, on the rows as committed (an UPDATE reads the latest): an event sealed
    // already is never sealed twice; should the read above have missed a seal, this rolls back.
    const result = await queryRunnerOf(manager).query(
      `UPDATE audit_events SET seq = CASE id ${cases} END, prev_hash = CASE id ${cases} END, hash = CASE id ${cases} END `
        + `WHERE id IN (${batch.map(() => '?').join(', ')}) AND seq IS NULL`,
      [
        ...batch.flatMap((link) => [link.id, link.seq]), ...batch.flatMap((link) => [link.id, link.prevHash]),
        ...batch.flatMap((link) => [link.id, link.hash]), ...batch.map((link) => link.id),
      ],
      true,
    ) as { affected?: number };
    if (result.affected !== batch.length) {
      throw new Error(`Sealing audit events: ${batch.length - (result.affected ?? 0)} of ${batch.length} were sealed meanwhile`);
    }
  }
  await moveHead(manager, head);
  return rows.length;
}

interface ChainHead {
  readonly seq: number;
  readonly hash: string | null;
}

/** A place in the chain: seq, the hash before it and the event's own. */
interface ChainLink {
  readonly seq: number;
  readonly prevHash: string | null;
  readonly hash: string;
}

/** Events after `head`, each with its place in the chain (links[i] is events[i]'s), and the head after them. */
function chainLinks(head: ChainHead, events: readonly AuditEventFields[]): { links: ChainLink[]; head: ChainHead } {
  let { seq, hash } = head;
  const links = events.map((event): ChainLink => {
    const prevHash = hash;
    seq += 1;
    const own = auditEventHash(chained(event, seq, prevHash));
    hash = own;
    return { seq, prevHash, hash: own };
  });
  return { links, head: { seq, hash } };
}

/** The fields an event's hash covers, named one by one (no spread of the event per hash: a sync batch hashes thousands). */
function chained(event: AuditEventFields, seq: number, prevHash: string | null): ChainedFields {
  return {
    seq, occurredAt: event.occurredAt, actorType: event.actorType, actorId: event.actorId, actorName: event.actorName, door: event.door,
    action: event.action, targetType: event.targetType, targetId: event.targetId, targetName: event.targetName, changes: event.changes,
    requestId: event.requestId, prevHash,
  };
}

function moveHead(manager: EntityManager, head: ChainHead): Promise<void> {
  return deferStatement(manager, 'UPDATE audit_chain SET last_seq = ?, last_hash = ? WHERE id = ?', [head.seq, head.hash, CHAIN_HEAD_ID]);
}

/** Sealed rows per INSERT: 14 values each (3,500 a statement). */
const SEALED_ROWS_PER_INSERT = 250;
const SEALED_COLUMNS = '(occurred_at, actor_type, actor_id, actor_name, door, action, target_type, target_id, target_name, changes, '
  + 'request_id, seq, prev_hash, hash)';
const SEALED_ROW = `(${Array.from({ length: 14 }, () => '?').join(', ')})`;

/**
 * Appends events to the chain as they are written, in the caller's transaction: locks the head,
 * gives each event the next seq and its hashes, inserts them sealed and moves the head. For a
 * transaction that writes many events (a sync batch): sealing them after its commit would rewrite
 * each row just written (its seq and hashes) and read it back to hash it; that cost MariaDB about
 * as much as writing the rows. The head stays locked until the caller commits, so the caller
 * appends last, just before its commit; seals of other writers' events queue behind it, as behind
 * any seal. Events other writers committed unsealed before are left to their seal: they take their
 * places after these.
 */
export async function appendSealed(manager: EntityManager, events: readonly AuditEventFields[]): Promise<void> {
  if (events.length === 0) return;
  const [headRows = []] = await readTogether(manager, [chainHeadLock(manager)]);
  const { links, head } = chainLinks(chainHeadOf(headRows), events);
  for (let i = 0; i < events.length; i += SEALED_ROWS_PER_INSERT) {
    const values: unknown[] = [];
    for (let j = i; j < Math.min(i + SEALED_ROWS_PER_INSERT, events.length); j += 1) {
      const event = events[j] as AuditEventFields;
      const link = links[j] as ChainLink;
      values.push(event.occurredAt, event.actorType, event.actorId, event.actorName, event.door, event.action, event.targetType,
        event.targetId, event.targetName, event.changes, event.requestId, link.seq, link.prevHash, link.hash);
    }
    await deferStatement(manager, `INSERT INTO audit_events ${SEALED_COLUMNS} VALUES ${Array.from({ length: values.length / 14 }, () => SEALED_ROW).join(', ')}`, values);
  }
  await moveHead(manager, head);
}

function queryRunnerOf(manager: EntityManager): QueryRunner {
  if (!manager.queryRunner) throw new Error('Sealing audit events needs a transaction');
  return manager.queryRunner;
}

function chainHeadLock(manager: EntityManager): Statement {
  const forUpdate = manager.connection.driver.options.type === 'better-sqlite3' ? '' : ' FOR UPDATE';
  return { sql: `SELECT last_seq, last_hash FROM audit_chain WHERE id = ?${forUpdate}`, parameters: [CHAIN_HEAD_ID] };
}

/**
 * The oldest events not sealed yet, through the index on `seq`, where they are the entries with no
 * value: the read costs what is pending, not the whole log. Left to choose, MariaDB's optimizer
 * walked the primary key from the log's first event whenever many events were pending (a sync's
 * batches), reading every sealed event before the first unsealed one: per seal, a cost that grew
 * with the log (docs/benchmarks.md, "Prepared bulk statements, and a seal that reads what is pending").
 */
function pendingRead(manager: EntityManager): Statement {
  const index = manager.connection.driver.options.type === 'better-sqlite3'
    ? 'INDEXED BY ux_audit_events_seq' : 'FORCE INDEX (ux_audit_events_seq)';
  return {
    sql: 'SELECT id, occurred_at, actor_type, actor_id, actor_name, door, action, target_type, target_id, target_name, changes, '
      + `request_id FROM audit_events ${index} WHERE seq IS NULL ORDER BY id LIMIT ?`,
    parameters: [SEAL_PAGE],
  };
}

function chainHeadOf(rows: readonly unknown[]): ChainHead {
  const row = rows[0] as { last_seq: number | string; last_hash: string | null } | undefined;
  // Written by the migration that made the chain; without it, sealing would start a second chain.
  if (!row) throw new Error('The audit chain has no head row (audit_chain id 1): audit events cannot be sealed');
  return { seq: Number(row.last_seq), hash: row.last_hash };
}

/**
 * How long a write's background seal waits for more writes to share it. A seal costs the same six
 * statements for one event as for a hundred, and under load it competes with the writes for the
 * same two cores: waiting a moment makes the batches larger (measured: docs/benchmarks.md, "Eighth
 * run"). Nothing waits for it but the seal: readers and closing processes seal at once.
 */
export const BACKGROUND_SEAL_DELAY_MS = 10;

export interface SealerOptions {
  /** How long sealSoon() waits before it starts a seal. */
  readonly delayMs: number;
  /** setTimeout, or a stand-in that a unit test fires by hand. */
  readonly schedule: (callback: () => void, ms: number) => { unref?(): unknown };
  readonly cancel: (timer: { unref?(): unknown }) => void;
}

const DEFAULT_SEALER_OPTIONS: SealerOptions = {
  delayMs: BACKGROUND_SEAL_DELAY_MS,
  schedule: (callback, ms) => setTimeout(callback, ms),
  cancel: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/**
 * One process's sealer for one database: at most one seal runs at a time, and a caller that asks
 * while one runs gets the next one (which starts when the running one ends, and seals whatever
 * committed before it started), shared with everyone else who asked meanwhile.
 */
export class AuditSealer {
  private running: Promise<number> | undefined;
  private next: Promise<number> | undefined;
  private timer: { unref?(): unknown } | undefined;

  /** `run`: one seal of everything pending (sealAuditEvents of a database), resolving with how many it sealed. */
  constructor(private readonly run: () => Promise<number>, private readonly options: SealerOptions = DEFAULT_SEALER_OPTIONS) {}

  /** Seals everything committed before the call; resolves with what the seal it waited for sealed. */
  seal(): Promise<number> {
    this.cancelTimer(); // whatever it would have started, this seal (or the next) covers
    if (this.next !== undefined) return this.next;
    if (this.running === undefined) return this.start();
    this.next = this.running.catch(() => 0).then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  /**
   * Has what committed before the call sealed within a moment (options.delayMs), without waiting:
   * the writes that commit meanwhile share that seal. A seal already waiting to start covers it.
   */
  sealSoon(): void {
    if (this.timer !== undefined || this.next !== undefined) return;
    this.timer = this.options.schedule(() => {
      this.timer = undefined;
      this.seal().catch(() => undefined);
    }, this.options.delayMs);
    // A process that ends closes its store first, which seals at once (settled()); the timer must not hold it open.
    this.timer.unref?.();
  }

  /** Resolves when no seal of this sealer is due, runs or waits to run (failed ones included); a due one starts now. */
  async settled(): Promise<void> {
    if (this.timer !== undefined) this.seal().catch(() => undefined);
    for (let pending = this.next ?? this.running; pending !== undefined; pending = this.next ?? this.running) {
      await pending.catch(() => 0);
    }
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.options.cancel(this.timer);
    this.timer = undefined;
  }

  private start(): Promise<number> {
    const run = this.run().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

const sealers = new WeakMap<DataSource, AuditSealer>();

/** This process's sealer of `dataSource`. */
export function auditSealer(dataSource: DataSource): AuditSealer {
  let sealer = sealers.get(dataSource);
  if (!sealer) {
    sealer = new AuditSealer(() => sealAuditEvents(dataSource));
    sealers.set(dataSource, sealer);
  }
  return sealer;
}

/**
 * Has a write's events sealed within a moment of its commit (BACKGROUND_SEAL_DELAY_MS), and returns
 * without waiting for it: the write's answer does not wait for the chain (docs/governance.md, "The hash chain"). A failure is left to the next
 * seal, which every later write, every reader of the log and the server's sweep start.
 */
export function sealInBackground(dataSource: DataSource): void {
  auditSealer(dataSource).sealSoon();
}

/** Seals everything committed so far and waits for it: readers of the log call this first. A failure leaves events unsealed, not the read failed. */
export async function sealCommitted(dataSource: DataSource): Promise<void> {
  await auditSealer(dataSource).seal().catch(() => undefined);
}

/** Waits for the seals this process has started (before it closes the database). */
export async function settleAuditSeals(dataSource: DataSource): Promise<void> {
  await auditSealer(dataSource).settled();
}

/** How often the server looks for events left unsealed (a writer that stopped between its commit and its seal). */
export const SWEEP_INTERVAL_MS = 5_000;

export interface AuditSealSweep {
  /** One look: seals what is pending; returns how many it sealed. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The server's sweep: every SWEEP_INTERVAL_MS, one cheap look for an unsealed event, and a seal when
 * there is one. Writers seal their own events, so it finds something only after a process stopped
 * between a commit and its seal, or a seal failed (the database went away): it says so, once per
 * streak of failures, and what it sealed.
 */
export function startAuditSealSweep(dataSource: DataSource, logger: Logger, intervalMs = SWEEP_INTERVAL_MS): AuditSealSweep {
  let failing = false;
  let current: Promise<number> | undefined;
  const sweep = async (): Promise<number> => {
    try {
      const pending = await dataSource.query('SELECT id FROM audit_events WHERE seq IS NULL LIMIT 1') as unknown[];
      const sealed = pending.length === 0 ? 0 : await auditSealer(dataSource).seal();
      if (sealed > 0) logger.info({ sealed }, 'audit log: sealed events that were left unsealed');
      failing = false;
      return sealed;
    } catch (error) {
      if (!failing) logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'audit log: sealing failed; will retry');
      failing = true;
      return 0;
    }
  };
  const tick = (): void => {
    current ??= sweep().finally(() => {
      current = undefined;
    });
  };
  // At start too: what a stopped process left unsealed is sealed as the server comes up.
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
