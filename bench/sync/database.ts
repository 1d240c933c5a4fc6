import mysql from 'mysql2/promise';
import { resetDatabase } from '../seed';

/** The benchmark database: dropped, recreated and migrated before each N (shared with `npm run bench`). */
export { resetDatabase };

/** Server version and the settings that shape write throughput. */
export async function describeDatabase(url: string): Promise<string> {
  const connection = await mysql.createConnection(url);
  try {
    const [rows] = await connection.query(
      'SELECT VERSION() AS v, @@innodb_buffer_pool_size AS pool, @@innodb_flush_log_at_trx_commit AS flush, @@log_bin AS binlog',
    );
    const row = (rows as { v: string; pool: number | string; flush: number | string; binlog: number | string }[])[0];
    if (!row) return 'unknown';
    return `MariaDB ${row.v} (innodb_buffer_pool_size ${Math.round(Number(row.pool) / 2 ** 20)} MiB, `
      + `innodb_flush_log_at_trx_commit=${row.flush}, log_bin=${Number(row.binlog) ? 'on' : 'off'})`;
  } finally {
    await connection.end();
  }
}

/** Row counts of the tables a full sync fills. */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  const connection = await mysql.createConnection(url);
  try {
    const counts: Record<string, number> = {};
    for (const table of ['users', 'user_values', 'role_members', 'audit_events', 'sync_run_entries']) {
      const [rows] = await connection.query(`SELECT COUNT(*) AS n FROM \`${table}\``);
      counts[table] = Number((rows as { n: number | string }[])[0]?.n ?? 0);
    }
    return counts;
  } finally {
    await connection.end();
  }
}
