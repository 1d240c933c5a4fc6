/** Which constraint a failed write broke, from either driver's error (as TypeORM passes it on, or the driver's own). */

/** Recognises a unique-index violation from either driver (MariaDB ER_DUP_ENTRY, SQLite UNIQUE constraint). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const codes = [code, driverError?.code];
  return codes.includes('ER_DUP_ENTRY') || codes.includes('SQLITE_CONSTRAINT_UNIQUE')
    || codes.includes('SQLITE_CONSTRAINT_PRIMARYKEY');
}

/**
 * A row still referenced: MariaDB's ER_ROW_IS_REFERENCED_2; SQLite's SQLITE_CONSTRAINT_FOREIGNKEY, or
 * SQLITE_CONSTRAINT_TRIGGER with its foreign-key message, which is how it reports an ON DELETE RESTRICT.
 */
export function isForeignKeyViolation(error: unknown): boolean {
  const { code, message, driverError } = (error ?? {}) as { code?: unknown; message?: unknown; driverError?: { code?: unknown } };
  return [code, driverError?.code].some((c) => c === 'ER_ROW_IS_REFERENCED_2' || c === 'SQLITE_CONSTRAINT_FOREIGNKEY'
    || (c === 'SQLITE_CONSTRAINT_TRIGGER' && String(message).includes('FOREIGN KEY constraint failed')));
}
