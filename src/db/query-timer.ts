import type { AfterQueryEvent, BeforeQueryEvent, DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/** What a statement does, from its first keyword: a fixed set, so no SQL text or value reaches a metric. */
export type QueryOperation = 'select' | 'insert' | 'update' | 'delete' | 'transaction' | 'other';

export interface TimedQuery {
  readonly operation: QueryOperation;
  readonly outcome: 'ok' | 'error';
  readonly seconds: number;
}

const OPERATIONS: Readonly<Record<string, QueryOperation>> = {
  select: 'select', with: 'select', insert: 'insert', update: 'update', delete: 'delete',
  start: 'transaction', begin: 'transaction', commit: 'transaction', rollback: 'transaction',
  savepoint: 'transaction', release: 'transaction',
};

/** The operation of a statement: its first word, lower-cased, looked up in a fixed table. */
export function queryOperation(sql: string): QueryOperation {
  const keyword = /^\s*\(?\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase();
  return (keyword && OPERATIONS[keyword]) || 'other';
}

/**
 * Times every statement a DataSource runs and hands the duration to `observe`. A TypeORM
 * subscriber's `afterQuery` carries a duration of its own, but only in whole milliseconds (most
 * SQLite statements take less) and none for a failed statement, so the subscriber starts its own
 * clock in `beforeQuery`. Start times queue per query runner: a runner holds one connection,
 * whose statements complete in the order they were sent.
 */
class QueryTimer implements EntitySubscriberInterface {
  private readonly started = new WeakMap<QueryRunner, number[]>();

  constructor(private readonly observe: (query: TimedQuery) => void) {}

  beforeQuery(event: BeforeQueryEvent): void {
    const queue = this.started.get(event.queryRunner);
    if (queue) queue.push(performance.now());
    else this.started.set(event.queryRunner, [performance.now()]);
  }

  afterQuery(event: AfterQueryEvent): void {
    const start = this.started.get(event.queryRunner)?.shift();
    if (start === undefined) return;
    try {
      this.observe({
        operation: queryOperation(event.query), outcome: event.success ? 'ok' : 'error', seconds: (performance.now() - start) / 1000,
      });
    } catch {
      // A metric must never fail the statement it measures.
    }
  }
}

/**
 * Starts timing the statements of an initialized DataSource; returns the function that stops it.
 * The timer lives in the DataSource's subscriber list, so it lives as long as the DataSource.
 */
export function attachQueryTimer(dataSource: DataSource, observe: (query: TimedQuery) => void): () => void {
  const timer = new QueryTimer(observe);
  dataSource.subscribers.push(timer);
  return () => {
    const index = dataSource.subscribers.indexOf(timer);
    if (index >= 0) dataSource.subscribers.splice(index, 1);
  };
}
