import type { EntityManager } from 'typeorm';
import { deferStatement } from './statement-batch';

/**
 * Multi-row INSERTs of plain rows, as parameterised SQL on the caller's transaction manager. For the
 * write paths that insert many rows at a time (a sync page of users, their indexed values, the run
 * report's entries): TypeORM's insert builder names, escapes and re-checks every parameter of every
 * row through its entity metadata, which cost more CPU than the database spent on the rows.
 *
 * Values go in as the drivers bind them: strings, numbers and null. A boolean column takes 1 or 0
 * (better-sqlite3 refuses JavaScript booleans; MariaDB stores either as TINYINT).
 */
export type RowValue = string | number | null;

export async function insertRows(
  manager: EntityManager, table: string, columns: readonly string[], rows: readonly (readonly RowValue[])[], rowsPerStatement: number,
): Promise<void> {
  if (rows.length === 0) return;
  const driver = manager.connection.driver;
  const head = `INSERT INTO ${driver.escape(table)} (${columns.map((column) => driver.escape(column)).join(', ')}) VALUES `;
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const slice = rows.slice(start, start + rowsPerStatement);
    const parameters: RowValue[] = [];
    for (const row of slice) {
      if (row.length !== columns.length) throw new Error(`A row for ${table} has ${row.length} values for ${columns.length} columns`);
      for (const value of row) parameters.push(value);
    }
    await deferStatement(manager, head + Array.from(slice, () => placeholders).join(', '), parameters);
  }
}

/** A boolean as every supported driver binds it. */
export const bit = (value: boolean): number => (value ? 1 : 0);

/** A text column as the drivers return it (a number for a numeric-looking value on some), as a string. */
export const columnText = (value: string | number | null): string => String(value ?? '');
/** A nullable text column as the drivers return it, as a string or null. */
export const columnTextOrNull = (value: string | number | null): string | null => (value === null ? null : String(value));
