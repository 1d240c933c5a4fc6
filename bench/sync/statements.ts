import type { Logger, QueryRunner } from 'typeorm';

/** SQL statements one process sent, by kind (counted in TypeORM's logger hook, so only this process's). */
export interface StatementCounts {
  select: number;
  insert: number;
  update: number;
  delete: number;
  /** START TRANSACTION */
  begin: number;
  commit: number;
  other: number;
}

export const emptyCounts = (): StatementCounts => ({ select: 0, insert: 0, update: 0, delete: 0, begin: 0, commit: 0, other: 0 });

function kindOf(query: string): keyof StatementCounts {
  const word = /^\s*([A-Za-z]+)/.exec(query)?.[1]?.toUpperCase();
  switch (word) {
    case 'SELECT': return 'select';
    case 'INSERT': return 'insert';
    case 'UPDATE': return 'update';
    case 'DELETE': return 'delete';
    case 'START': return 'begin';
    case 'COMMIT': return 'commit';
    default: return 'other';
  }
}

/** Wraps a DataSource's logger: counts every query TypeORM sends, then does what the wrapped logger does. */
export class CountingLogger implements Logger {
  readonly counts = emptyCounts();

  constructor(private readonly inner: Logger) {}

  logQuery(query: string, parameters?: Parameters<Logger['logQuery']>[1], queryRunner?: QueryRunner): void {
    this.counts[kindOf(query)] += 1;
    this.inner.logQuery(query, parameters, queryRunner);
  }

  logQueryError(error: string | Error, query: string, parameters?: Parameters<Logger['logQueryError']>[2], queryRunner?: QueryRunner): void {
    this.inner.logQueryError(error, query, parameters, queryRunner);
  }

  logQuerySlow(time: number, query: string, parameters?: Parameters<Logger['logQuerySlow']>[2], queryRunner?: QueryRunner): void {
    this.inner.logQuerySlow(time, query, parameters, queryRunner);
  }

  logSchemaBuild(message: string, queryRunner?: QueryRunner): void {
    this.inner.logSchemaBuild(message, queryRunner);
  }

  logMigration(message: string, queryRunner?: QueryRunner): void {
    this.inner.logMigration(message, queryRunner);
  }

  log(level: 'log' | 'info' | 'warn', message: Parameters<Logger['log']>[1], queryRunner?: QueryRunner): void {
    this.inner.log(level, message, queryRunner);
  }
}
