import { QueryFailedError, type EntityManager, type QueryRunner } from 'typeorm';

/**
 * Statements of a MariaDB transaction that travel together. On this kind of machine each round trip
 * to the database costs the server thread more CPU than the SQL it carries (a socket write and the
 * wake-up of the reply: docs/benchmarks.md, "Tenth run"), and a SCIM write was five or six of them:
 * START TRANSACTION, its INSERTs or UPDATE, the audit row, COMMIT. None of those but a read needs an
 * answer before the next statement may go, so they wait here and go with the next statement that
 * does need one, as one multi-statement query:
 *
 * - START TRANSACTION waits for the transaction's first statement (a transaction that fails before
 *   its first statement never takes a connection);
 * - a statement deferred with deferStatement() (a write whose result nobody reads) waits for the
 *   next statement of the transaction, or for COMMIT: a POST /Users is one round trip;
 * - ROLLBACK drops what is waiting (it never reached the server) and is sent only when something did.
 *
 * Order is kept: whatever waits goes before the statement that carries it, so a read sees the
 * writes deferred before it. A deferred statement that fails fails the statement that carried it
 * (often the COMMIT): the server stops at the failed one, the transaction rolls back, and the
 * caller gets the driver's error (a unique violation, a deadlock to retry) from transaction() as
 * before, only from a later line. So a deferred write must not be one whose failure its caller
 * catches and gets past inside the transaction; no caller does that (errors end transactions here).
 *
 * The waiting statements are formatted with the connection's own escaping, exactly as mysql2
 * formats a query with parameters (it formats client-side, always), and joined with `;`; the
 * connection allows several statements per query (data-source.ts). No SQL text is built from input
 * anywhere in scimd but through those placeholders.
 *
 * A deferred statement of many values (PREPARED_FROM_VALUES: the multi-row INSERTs of a sync page)
 * does not wait: what waits goes first, then the statement alone as a prepared statement, its
 * values sent in the binary protocol. As text, such a statement is a megabyte of escaped SQL that
 * Node builds, joins and encodes and MariaDB parses back, for one round trip saved out of the
 * milliseconds the statement takes (docs/benchmarks.md, "Prepared bulk statements, and a seal that
 * reads what is pending"). It fails as the others do: the driver's error, wrapped as TypeORM wraps
 * it, ends the transaction.
 */
interface Waiting {
  readonly sql: string;
  readonly parameters: readonly unknown[] | undefined;
}

/** The part of a mysql2 connection used to format a statement as its query() would. */
interface FormattingConnection {
  format(sql: string, values: readonly unknown[]): string;
}

/** The part of a mysql2 connection used to run a statement as a prepared one. */
interface PreparingConnection {
  execute(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void;
}

/** QueryRunner.query() without its overloads. */
type Query = (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;

/**
 * Pending statements are sent before they exceed this many characters: well under MariaDB's
 * default max_allowed_packet (16 MiB), whatever the statement that carries them adds.
 */
const MAX_WAITING_CHARS = 1 << 20;

/**
 * A deferred statement with this many values or more runs on its own as a prepared statement. A
 * sync batch's multi-row INSERTs carry 2,000-6,000 each (250 users, 1,000 indexed values, 250 audit
 * rows, 500 report entries); a single SCIM write sends a few dozen, and keeps its one round trip.
 */
export const PREPARED_FROM_VALUES = 1000;

/**
 * Prepared statements each connection keeps (mysql2 closes the least recently used beyond these).
 * Kept, a statement is prepared once per connection: preparing costs a round trip, and the server
 * describes every placeholder, which the driver parses (a 250-row INSERT measured 6.7 ms prepared
 * each time against 4.7 ms kept; text 7.0 ms). A kept statement holds about 180 bytes per
 * placeholder in the driver (1 MB for a 250-user INSERT); the pool hands out the connection last
 * released, so a sync keeps them on one or two connections. The bound also keeps scimd far below
 * MariaDB's server-wide max_prepared_stmt_count (16,382 by default).
 */
export const PREPARED_STATEMENTS_PER_CONNECTION = 16;

class StatementBatch {
  private waiting: Waiting[] = [];
  private waitingChars = 0;
  /** Whether START TRANSACTION may have reached the server (then a ROLLBACK must follow it there). */
  private opened = false;

  constructor(private readonly runner: QueryRunner, private readonly send: Query) {}

  /** Queues a statement; sends what waits first when the statement would take it past the size limit. */
  async defer(sql: string, parameters: readonly unknown[] | undefined): Promise<void> {
    if (parameters !== undefined && parameters.length >= PREPARED_FROM_VALUES) {
      if (this.waiting.length > 0) await this.sendWaiting([]);
      await this.execute(sql, [...parameters]);
      return;
    }
    const chars = sizeOf(sql, parameters);
    if (this.waiting.length > 0 && this.waitingChars + chars > MAX_WAITING_CHARS) await this.sendWaiting([]);
    this.waiting.push({ sql, parameters });
    this.waitingChars += chars;
  }

  /** Takes the place of the runner's query(). */
  readonly query = (async (sql: string, parameters?: unknown[], structured = false): Promise<unknown> => {
    if (sql === 'START TRANSACTION') {
      await this.defer(sql, undefined);
      return undefined;
    }
    if (sql === 'ROLLBACK') {
      this.waiting = [];
      this.waitingChars = 0;
      if (!this.opened) return undefined;
      this.opened = false;
      return this.send(sql);
    }
    if (this.waiting.length === 0) return this.send(sql, parameters, structured);
    if (this.waitingChars + sizeOf(sql, parameters) > MAX_WAITING_CHARS) {
      await this.sendWaiting([]);
      return this.send(sql, parameters, structured);
    }
    const results = await this.sendWaiting([{ sql, parameters }]);
    const last = results[results.length - 1];
    return structured ? { raw: last, records: Array.isArray(last) ? last : [], affected: affectedRows(last) } : last;
  });

  /** Sends what waits and these reads as one query; the rows of each read, in order. */
  async readTogether(reads: readonly Waiting[]): Promise<unknown[][]> {
    const chars = reads.reduce((sum, read) => sum + sizeOf(read.sql, read.parameters), 0);
    if (this.waiting.length > 0 && this.waitingChars + chars > MAX_WAITING_CHARS) await this.sendWaiting([]);
    const results = await this.sendWaiting(reads);
    return results.slice(results.length - reads.length).map((rows) => (Array.isArray(rows) ? rows as unknown[] : []));
  }

  /**
   * Runs one statement as a prepared statement (kept on the connection for the next statement of
   * the same text), told to the DataSource's subscribers (the query timer) as TypeORM tells them of a query.
   * A server that refuses to prepare it (its max_prepared_stmt_count reached, a proxy without
   * prepared statements) gets it as text instead: nothing ran, so nothing of the transaction is lost.
   */
  private async execute(sql: string, parameters: unknown[]): Promise<void> {
    const connection = await this.runner.connect() as PreparingConnection & FormattingConnection;
    const broadcaster = this.runner.broadcaster;
    await broadcaster.broadcast('BeforeQuery', sql, parameters);
    const started = Date.now();
    let raw: unknown;
    try {
      raw = await new Promise<unknown>((resolve, reject) => {
        connection.execute(sql, parameters, (error, result) => (error ? reject(error) : resolve(result)));
      });
    } catch (error) {
      await broadcaster.broadcast('AfterQuery', sql, parameters, false, undefined, undefined, error);
      if (isPrepareRefused(error)) {
        await this.send(connection.format(sql, parameters));
        return;
      }
      throw new QueryFailedError(sql, parameters, error as Error);
    }
    await broadcaster.broadcast('AfterQuery', sql, parameters, true, Date.now() - started, raw, undefined);
  }

  /** Sends what waits, and a tail of statements if any, as one query; the result of each statement, in order. */
  private async sendWaiting(tail: readonly Waiting[]): Promise<unknown[]> {
    const statements = [...this.waiting, ...tail];
    this.waiting = [];
    this.waitingChars = 0;
    if (statements.some((statement) => statement.sql === 'START TRANSACTION')) this.opened = true;
    const connection = await this.runner.connect() as FormattingConnection;
    const text = statements
      .map((statement) => (statement.parameters?.length ? connection.format(statement.sql, statement.parameters) : statement.sql))
      .join(';\n');
    const results = await this.send(text);
    // One statement comes back as its own result; several as an array of results, one each.
    return statements.length === 1 ? [results] : results as unknown[];
  }
}

/** The server would not prepare the statement (so it did not run): too many prepared already, or none allowed. */
function isPrepareRefused(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ER_MAX_PREPARED_STMT_COUNT_REACHED' || code === 'ER_UNSUPPORTED_PS';
}

/** About the length of a statement once formatted (escaping adds a little to a string, nothing much to a number). */
function sizeOf(sql: string, parameters: readonly unknown[] | undefined): number {
  let chars = sql.length;
  for (const value of parameters ?? []) chars += typeof value === 'string' ? value.length + 2 : 24;
  return chars;
}

function affectedRows(result: unknown): number | undefined {
  return typeof result === 'object' && result !== null && 'affectedRows' in result ? Number(result.affectedRows) : undefined;
}

const batches = new WeakMap<QueryRunner, StatementBatch>();

/** Makes a MariaDB query runner batch its transaction's statements as described above. */
export function batchStatements(runner: QueryRunner): void {
  const batch = new StatementBatch(runner, runner.query.bind(runner) as Query);
  batches.set(runner, batch);
  runner.query = batch.query as QueryRunner['query'];
}

/**
 * Runs a write whose result the caller does not need: in a batching transaction it waits for the
 * next statement (see above); elsewhere (SQLite, or outside a transaction) it runs now.
 */
export async function deferStatement(manager: EntityManager, sql: string, parameters?: readonly unknown[]): Promise<void> {
  const batch = manager.queryRunner ? batches.get(manager.queryRunner) : undefined;
  if (batch) await batch.defer(sql, parameters);
  else await manager.query(sql, parameters as unknown[] | undefined);
}

/** A statement and its placeholder values. */
export interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * Runs reads that need nothing from one another: in a batching transaction as one query together
 * with whatever waits (one round trip for all), elsewhere one after another. The rows of each, in
 * order. A read may lock (FOR UPDATE): the server runs the statements of a query in order.
 */
export async function readTogether(manager: EntityManager, reads: readonly Statement[]): Promise<unknown[][]> {
  const batch = manager.queryRunner ? batches.get(manager.queryRunner) : undefined;
  if (batch && reads.length > 0) return batch.readTogether(reads);
  const results: unknown[][] = [];
  for (const read of reads) results.push(await manager.query(read.sql, [...read.parameters]) as unknown[]);
  return results;
}
