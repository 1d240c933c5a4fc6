import { invalidValue } from '../errors';
import { parseFilter } from '../filter';
import type { Filter } from '../filter/ast';
import { parseAttributeList, type ResourceSchema } from '../schema';
import { domainField } from './filter-to-condition';

/** RFC 7644 §3.4.2: the query parameters of a list or search request. */
export interface ListParameters {
  readonly filter?: Filter;
  /** 1-based. */
  readonly startIndex: number;
  readonly count: number;
  readonly sortBy?: string;
  readonly sortOrder?: 'ascending' | 'descending';
  readonly attributes: string[];
  readonly excludedAttributes: string[];
  /** RFC 9865: present (possibly empty, for the first page) when the client pages by cursor. */
  readonly cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export type QueryValues = Readonly<Record<string, string | undefined>>;

export function parseListParameters(query: QueryValues, schema: ResourceSchema): ListParameters {
  const filterText = query.filter;
  const sortBy = query.sortBy?.trim();
  const sortOrder = query.sortOrder?.trim().toLowerCase();
  if (query.cursor !== undefined && query.startIndex !== undefined) {
    throw invalidValue('Use either cursor or startIndex paging, not both (RFC 9865)');
  }
  if (sortOrder !== undefined && sortOrder !== 'ascending' && sortOrder !== 'descending') {
    throw invalidValue(`sortOrder must be "ascending" or "descending", not "${query.sortOrder}"`);
  }
  return {
    ...(filterText !== undefined && filterText.trim() !== '' ? { filter: parseFilter(filterText) } : {}),
    // §3.4.2.4: a startIndex below 1 is read as 1; a negative count as 0; more than the
    // maximum returns the maximum (the response's itemsPerPage tells the client).
    startIndex: Math.max(1, integer(query.startIndex, 'startIndex') ?? 1),
    count: Math.min(MAX_PAGE_SIZE, Math.max(0, integer(query.count, 'count') ?? DEFAULT_PAGE_SIZE)),
    ...(sortBy ? { sortBy: sortField(sortBy, schema) } : {}),
    ...(sortOrder ? { sortOrder } : {}),
    ...parseProjection(query),
    ...(query.cursor !== undefined ? { cursor: query.cursor.trim() } : {}),
  } as ListParameters;
}

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, and §3.9 for the responses of writes),
 * de-duplicated and bounded. Writes parse them before writing, so a list refused with 400 changes nothing.
 */
export function parseProjection(query: QueryValues): { attributes: string[]; excludedAttributes: string[] } {
  return {
    attributes: parseAttributeList(query.attributes, 'attributes'),
    excludedAttributes: parseAttributeList(query.excludedAttributes, 'excludedAttributes'),
  };
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^-?\d{1,15}$/.test(value.trim())) throw invalidValue(`${name} must be an integer, not "${value}"`);
  return Number(value);
}

function sortField(name: string, schema: ResourceSchema): string {
  const resolved = schema.resolveName(name);
  if (!resolved) throw invalidValue(`sortBy names an unknown attribute "${name}"`);
  return domainField(resolved.canonical);
}
