import type { DataSource } from 'typeorm';
import { AuditChainEntity, AuditEventEntity } from '../db/entities';
import { invalidError } from '../errors';
import { auditEventHash } from './audit-chain';
import { sealCommitted } from './audit-seal';

/**
 * Reading the audit log (newest first, filtered) and verifying its hash chain (audit-chain.ts).
 * Both read in pages by `seq`, so their memory stays flat whatever the size of the log.
 */

export interface AuditFilter {
  /** The actor's id or name, exactly. */
  readonly actor?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  /** The target's name as recorded, exactly. */
  readonly targetName?: string;
  /** An action (`user.create`), or every action under a prefix: `role.` or `role.*`. */
  readonly action?: string;
  /** ISO 8601 UTC (parseAuditTime): events at or after it. */
  readonly from?: string;
  /** ISO 8601 UTC: events before it. */
  readonly to?: string;
}

export interface AuditEventView {
  readonly id: number;
  readonly seq: number;
  readonly occurredAt: string;
  readonly actor: { readonly type: string; readonly id: string | null; readonly name: string };
  readonly door: string;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string; readonly name: string | null };
  /** The recorded changes, parsed; null when none were recorded. */
  readonly changes: unknown;
  readonly requestId: string | null;
  readonly hash: string;
  readonly prevHash: string | null;
}

export interface AuditPage {
  readonly total: number;
  readonly items: AuditEventView[];
}

/** Rows per query when a caller walks the whole log (export, verification). */
const WALK_PAGE = 1000;

export class AuditLog {
  constructor(private readonly dataSource: DataSource) {}

  /** One page of the events that match, newest first, and how many match in all. */
  async list(filter: AuditFilter, paging: { readonly page: number; readonly pageSize: number }): Promise<AuditPage> {
    await sealCommitted(this.dataSource);
    const query = this.query(filter);
    const [rows, total] = await query.orderBy('e.seq', 'DESC')
      .skip((paging.page - 1) * paging.pageSize).take(paging.pageSize)
      .getManyAndCount();
    return { total, items: rows.map(toView) };
  }

  /**
   * Every event that matches, newest first, `limit` at most, read `WALK_PAGE` at a time by seq
   * (keyset): events appended while the walk goes on are not included.
   */
  async *walk(filter: AuditFilter, options: { readonly limit?: number } = {}): AsyncGenerator<AuditEventView> {
    await sealCommitted(this.dataSource);
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    let before: number | undefined;
    while (left > 0) {
      const query = this.query(filter);
      if (before !== undefined) query.andWhere('e.seq < :before', { before });
      const rows = await query.orderBy('e.seq', 'DESC').limit(Math.min(WALK_PAGE, left)).getMany();
      for (const row of rows) yield toView(row);
      left -= rows.length;
      const last = rows.at(-1);
      if (!last || rows.length < WALK_PAGE) return;
      before = Number(last.seq);
    }
  }

  /** Sealed events only: the log shows an event once it has its place in the chain. */
  private query(filter: AuditFilter) {
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e').where('e.seq IS NOT NULL');
    if (filter.actor !== undefined) query.andWhere('(e.actor_id = :actor OR e.actor_name = :actor)', { actor: filter.actor });
    if (filter.targetType !== undefined) query.andWhere('e.target_type = :targetType', { targetType: filter.targetType });
    if (filter.targetId !== undefined) query.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.targetName !== undefined) query.andWhere('e.target_name = :targetName', { targetName: filter.targetName });
    if (filter.action !== undefined) {
      const prefix = actionPrefix(filter.action);
      if (prefix === undefined) {
        query.andWhere('e.action = :action', { action: filter.action });
      } else {
        // A range rather than LIKE: binary on both databases (SQLite's LIKE ignores case), and indexable.
        query.andWhere('e.action >= :actionFrom AND e.action < :actionTo', { actionFrom: prefix, actionTo: successor(prefix) });
      }
    }
    if (filter.from !== undefined) query.andWhere('e.occurred_at >= :from', { from: filter.from });
    if (filter.to !== undefined) query.andWhere('e.occurred_at < :to', { to: filter.to });
    return query;
  }
}

/** `role.` and `role.*` are prefixes (both `role.`); anything else is one action. */
function actionPrefix(action: string): string | undefined {
  if (action.endsWith('.*')) return action.slice(0, -1);
  return action.endsWith('.') ? action : undefined;
}

/** The least string greater than every string starting with `prefix` (its last unit plus one). */
function successor(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A time filter as stored timestamps read (ISO 8601 UTC with milliseconds, compared as text): a date
 * (`2026-01-31`, midnight UTC) or a date and time with its zone (`Z` or `+02:00`); a time without a
 * zone is refused, as it would depend on the server's.
 */
export function parseAuditTime(name: string, text: string): string {
  const time = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw invalidError(`${name} must be an ISO 8601 date or date and time with its zone (2026-01-31, 2026-01-31T12:00:00Z), not "${text}"`);
  }
  return new Date(time).toISOString();
}

function toView(row: AuditEventEntity): AuditEventView {
  return {
    id: Number(row.id),
    seq: Number(row.seq),
    occurredAt: row.occurredAt,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    door: row.door,
    action: row.action,
    target: { type: row.targetType, id: row.targetId, name: row.targetName },
    changes: parseChanges(row.changes),
    requestId: row.requestId,
    hash: row.hash ?? '',
    prevHash: row.prevHash,
  };
}

function parseChanges(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Written by JSON.stringify, so only an edited row gets here: show what is stored.
    return text;
  }
}

/** What is wrong at the first broken link. */
export type ChainProblem =
  /** The row's fields no longer give its hash: it was edited. */
  | 'hash-mismatch'
  /** The row does not name the hash of the row before it: a row before it was replaced, or rows were inserted. */
  | 'prev-hash-mismatch'
  /** Positions are missing before this row: rows were removed. */
  | 'seq-gap'
  /** The chain does not end where its head says: rows were removed from the end, or appended past it. */
  | 'head-mismatch';

export interface ChainBreak {
  readonly problem: ChainProblem;
  /** The position the break was found at (for a head mismatch: the head's). */
  readonly seq: number;
  /** The row found there; null when the row is missing (rows removed from the end). */
  readonly id: number | null;
  readonly message: string;
}

export type ChainVerification =
  | { readonly ok: true; readonly count: number; readonly headSeq: number; readonly headHash: string | null }
  | { readonly ok: false; readonly count: number; readonly broken: ChainBreak };

/**
 * Walks the chain in seq order, `pageSize` rows at a time, recomputing every hash; stops at the
 * first broken link. `count` is the number of events verified intact (before the break, if any).
 *
 * It verifies the events up to the head as read at the start; events appended meanwhile are left
 * for the next run. What it cannot tell: a chain rewritten from some row to the end together with
 * its head (compare headHash with one recorded elsewhere for that).
 */
export async function verifyAuditChain(dataSource: DataSource, options: { readonly pageSize?: number } = {}): Promise<ChainVerification> {
  const pageSize = options.pageSize ?? WALK_PAGE;
  // What has committed is sealed first, so that the chain verified is the whole log as it stands.
  await sealCommitted(dataSource);
  const head = await readHead(dataSource);
  if (!head) {
    return { ok: false, count: 0, broken: { problem: 'head-mismatch', seq: 0, id: null, message: 'The chain\'s head (audit_chain id 1) is missing' } };
  }
  const events = dataSource.getRepository(AuditEventEntity);
  let count = 0;
  let lastSeq = 0;
  let lastHash: string | null = null;
  while (lastSeq < head.lastSeq) {
    const rows = await events.createQueryBuilder('e').where('e.seq > :after AND e.seq <= :until', { after: lastSeq, until: head.lastSeq })
      .orderBy('e.seq', 'ASC').limit(pageSize).getMany();
    if (rows.length === 0) break;
    for (const row of rows) {
      const broken = checkLink(row, lastSeq, lastHash);
      if (broken) return { ok: false, count, broken };
      count += 1;
      lastSeq = Number(row.seq);
      lastHash = row.hash;
    }
  }
  if (lastSeq !== head.lastSeq || lastHash !== head.lastHash) {
    return {
      ok: false, count, broken: {
        problem: 'head-mismatch', seq: head.lastSeq, id: null,
        message: lastSeq !== head.lastSeq
          ? `The head says the chain ends at seq ${head.lastSeq}, but it ends at seq ${lastSeq}: ${removedEvents(lastSeq + 1, head.lastSeq)} removed from the end`
          : `The head's hash ${String(head.lastHash)} is not the hash of the last event (seq ${lastSeq}): the head was edited`,
      },
    };
  }
  // Past the head read at the start: rows that a later head does not cover were not appended by scimd.
  const beyond = await events.createQueryBuilder('e').select('MIN(e.seq)', 'seq').where('e.seq > :until', { until: head.lastSeq })
    .getRawOne<{ seq: number | string | null }>();
  const now = await readHead(dataSource);
  const firstBeyond = beyond?.seq === null || beyond?.seq === undefined ? undefined : Number(beyond.seq);
  if (firstBeyond !== undefined && (!now || firstBeyond > now.lastSeq)) {
    const row = await events.findOneBy({ seq: firstBeyond });
    return {
      ok: false, count, broken: {
        problem: 'head-mismatch', seq: firstBeyond, id: row ? Number(row.id) : null,
        message: `Event seq ${firstBeyond} lies past the chain's head (seq ${now?.lastSeq ?? head.lastSeq}): it was inserted, not appended`,
      },
    };
  }
  return { ok: true, count, headSeq: head.lastSeq, headHash: head.lastHash };
}

/** The break at `row`, given the seq and stored hash of the row before it; undefined when the link holds. */
export function checkLink(row: AuditEventEntity, previousSeq: number, previousHash: string | null): ChainBreak | undefined {
  const seq = Number(row.seq);
  const id = Number(row.id);
  if (seq !== previousSeq + 1) {
    return {
      problem: 'seq-gap', seq, id,
      message: `Event seq ${seq} (id ${id}) follows seq ${previousSeq}: ${removedEvents(previousSeq + 1, seq - 1)} removed`,
    };
  }
  if (row.prevHash !== previousHash) {
    return {
      problem: 'prev-hash-mismatch', seq, id,
      message: `Event seq ${seq} (id ${id}) names ${String(row.prevHash)} as the hash before it, but event ${previousSeq} has ${String(previousHash)}: an event before it was rewritten with a new hash, replaced or inserted`,
    };
  }
  const expected = auditEventHash({
    seq, occurredAt: row.occurredAt, actorType: row.actorType, actorId: row.actorId, actorName: row.actorName, door: row.door,
    action: row.action, targetType: row.targetType, targetId: row.targetId, targetName: row.targetName, changes: row.changes,
    requestId: row.requestId, prevHash: row.prevHash,
  });
  if (expected !== row.hash) {
    return { problem: 'hash-mismatch', seq, id, message: `Event seq ${seq} (id ${id}) does not match its hash: it was edited after it was written` };
  }
  return undefined;
}

function removedEvents(first: number, last: number): string {
  return first === last ? `event ${first} was` : `events ${first}-${last} were`;
}

async function readHead(dataSource: DataSource): Promise<AuditChainEntity | null> {
  return dataSource.getRepository(AuditChainEntity).findOneBy({ id: 1 });
}
