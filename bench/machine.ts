import os from 'node:os';
import type mysql from 'mysql2/promise';

/** The machine line of a bench run: cores, memory, Node, MariaDB and its buffer pool against the bench data. */
export async function describeMachine(pool: mysql.Pool): Promise<string> {
  const [rows] = await pool.query(
    'SELECT VERSION() AS v, @@innodb_buffer_pool_size AS pool, '
      + '(SELECT SUM(data_length + index_length) FROM information_schema.TABLES WHERE table_schema = DATABASE()) AS data',
  );
  const row = (rows as { v: string; pool: number | string; data: number | string | null }[])[0];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.availableParallelism()} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, `
    + `MariaDB ${row?.v ?? 'unknown'}, ${bufferPoolNote(Number(row?.pool ?? 0), Number(row?.data ?? 0))}`;
}

const MIB = 2 ** 20;

/**
 * The buffer pool against the bench database's size. A pool smaller than the data makes the read
 * floor wait for the disk, and a read floor that waits counts for less against scimd's CPU-bound
 * reads: the same code measured GET /Users/{id} at 86-93% of a read floor with MariaDB's default
 * 128 MiB pool and at 54-56% with 1 GiB (docs/benchmarks.md, "Fourteenth run").
 */
export function bufferPoolNote(poolBytes: number, dataBytes: number): string {
  const sizes = `InnoDB buffer pool ${(poolBytes / MIB).toFixed(0)} MiB for ${(dataBytes / MIB).toFixed(0)} MiB of bench data`;
  return poolBytes >= dataBytes ? sizes
    : `${sizes}: SMALLER than the data, so the read floor waits for the disk and the read ratios come out high `
      + '(size the pool as docs/operations.md advises, e.g. SET GLOBAL innodb_buffer_pool_size, for figures that hold in production)';
}
