import type { TableColumnOptions } from 'typeorm';

/**
 * A small column vocabulary so each migration reads as a schema, and so one migration serves
 * SQLite and MariaDB alike (only types both drivers know; timestamps are ISO strings).
 */
type Extra = Partial<Pick<TableColumnOptions, 'isNullable' | 'default' | 'isPrimary'>>;

export const varchar = (name: string, length: number, extra: Extra = {}): TableColumnOptions =>
  ({ name, type: 'varchar', length: String(length), isNullable: false, ...extra });
export const nullableVarchar = (name: string, length: number): TableColumnOptions =>
  varchar(name, length, { isNullable: true });
export const text = (name: string, extra: Extra = {}): TableColumnOptions =>
  ({ name, type: 'text', isNullable: false, ...extra });
export const integer = (name: string, extra: Extra = {}): TableColumnOptions =>
  ({ name, type: 'integer', isNullable: false, ...extra });
/** Booleans default to 1/0: SQLite stores them as integers and TypeORM compares defaults as such. */
export const boolean = (name: string, defaultValue: boolean): TableColumnOptions =>
  ({ name, type: 'boolean', isNullable: false, default: defaultValue ? 1 : 0 });
/** ISO 8601 UTC with milliseconds: `2026-01-31T12:00:00.000Z` is 24 characters. */
export const timestamp = (name: string, extra: Extra = {}): TableColumnOptions => varchar(name, 24, extra);
export const uuidPrimary = (name = 'id'): TableColumnOptions => varchar(name, 36, { isPrimary: true });
export const autoIncrementPrimary = (name = 'id'): TableColumnOptions => ({
  name, type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment',
});
