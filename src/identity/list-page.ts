import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { invalidError } from '../errors';
import type { ListQuery } from './query';

/**
 * One page of a filtered, sorted list: the same for every resource type. Pages come by offset
 * (SCIM startIndex) or, for walking large sets, by keyset (`after` the last row seen, RFC 9865
 * cursors), which costs the same on page 1 and page 1,000 because it never skips rows.
 */
export interface SortSpec<E> {
  /** SQL expression of the sort column, e.g. `u.user_name_key`. */
  readonly column: string;
  /** The row's value in that column, for the keyset of the next page. */
  readonly valueOf: (row: E) => string | number;
  /** Keyset paging needs a NOT NULL column: a NULL breaks `col > :value`. */
  readonly keyset: boolean;
}

export interface Page<E> {
  readonly total: number;
  readonly rows: E[];
  /** Where the next page starts, when there is one. */
  readonly next?: { readonly value: string | number; readonly id: string };
}

export async function listPage<E extends ObjectLiteral & { id: string }>(
  base: () => SelectQueryBuilder<E>,
  alias: string,
  query: ListQuery,
  sorts: Readonly<Record<string, SortSpec<E>>>,
  defaultSort: string,
): Promise<Page<E>> {
  const sortName = query.sortBy ?? defaultSort;
  const sort = sorts[sortName];
  if (!sort) throw invalidError(`Cannot sort by "${sortName}"`);
  const descending = query.sortOrder === 'descending';
  const total = await base().getCount();
  if (query.limit === 0 || (query.after === undefined && query.offset >= total)) return { total, rows: [] };

  const qb = base();
  const order = descending ? 'DESC' : 'ASC';
  qb.orderBy(sort.column, order).addOrderBy(`${alias}.id`, order);
  if (query.after !== undefined) {
    if (!sort.keyset) throw invalidError(`Cursor paging cannot sort by "${sortName}"`);
    const beyond = descending ? '<' : '>';
    qb.andWhere(`(${sort.column} ${beyond} :afterValue OR (${sort.column} = :afterValue AND ${alias}.id ${beyond} :afterId))`,
      { afterValue: query.after.value, afterId: query.after.id });
  } else {
    qb.offset(query.offset);
  }
  // One row more than asked tells whether a next page exists without a second query.
  const rows = await qb.limit(query.limit + 1).getMany();
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const last = page.at(-1);
  return more && last ? { total, rows: page, next: { value: sort.valueOf(last), id: last.id } } : { total, rows: page };
}
