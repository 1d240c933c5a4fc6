import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { invalidError } from '../errors';
import type { Keyset, ListQuery } from './query';

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
  readonly next?: Keyset;
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
  if (query.limit === 0) return { total: await base().getCount(), rows: [] };

  const order = descending ? 'DESC' : 'ASC';
  const ordered = (qb: SelectQueryBuilder<E>) => qb.orderBy(sort.column, order).addOrderBy(`${alias}.id`, order);
  let rows: E[];
  if (query.after !== undefined) {
    if (!sort.keyset) throw invalidError(`Cursor paging cannot sort by "${sortName}"`);
    const beyond = descending ? '<' : '>';
    rows = await ordered(base()).andWhere(
      `(${sort.column} ${beyond} :afterValue OR (${sort.column} = :afterValue AND ${alias}.id ${beyond} :afterId))`,
      { afterValue: query.after.value, afterId: query.after.id },
    ).limit(query.limit + 1).getMany();
  } else if (query.offset >= DEEP_OFFSET) {
    // A deep page: skip through the sort index selecting ids only (the index covers them), then read
    // just the page's rows; fetching whole rows while skipping makes the database scan and sort them all.
    const ids = (await ordered(base().select(`${alias}.id`, 'id')).offset(query.offset).limit(query.limit + 1)
      .getRawMany<{ id: string }>()).map((row) => row.id);
    const byId = ids.length === 0 ? new Map<string, E>() : new Map((await base().andWhereInIds(ids).getMany()).map((row) => [row.id, row]));
    rows = ids.map((id) => byId.get(id)).filter((row): row is E => row !== undefined);
  } else {
    // One row more than asked tells whether a next page exists without a second query.
    rows = await ordered(base()).offset(query.offset).limit(query.limit + 1).getMany();
  }
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const total = await totalOf(query, page.length, more, () => base().getCount());
  const last = page.at(-1);
  return more && last ? { total, rows: page, next: { value: sort.valueOf(last), id: last.id } } : { total, rows: page };
}

/**
 * The page's total, counted only when nothing else tells it: a first page that holds everything is
 * its own count (the common lookup `userName eq "…"` answers one row or none), and a later page of a
 * keyset walk answers the total its first page counted (ListQuery.knownTotal).
 */
async function totalOf(query: ListQuery, rows: number, more: boolean, count: () => Promise<number>): Promise<number> {
  if (query.after !== undefined && query.knownTotal !== undefined) return query.knownTotal;
  if (query.after === undefined && query.offset === 0 && !more) return rows;
  return count();
}

/** From this offset on, index pages select ids first (see above). */
const DEEP_OFFSET = 1000;
