/** Recognises a unique-index violation from either driver (MariaDB ER_DUP_ENTRY, SQLite UNIQUE constraint). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const codes = [code, driverError?.code];
  return codes.includes('ER_DUP_ENTRY') || codes.includes('SQLITE_CONSTRAINT_UNIQUE')
    || codes.includes('SQLITE_CONSTRAINT_PRIMARYKEY');
}
