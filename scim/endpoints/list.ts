import type { ListQuery, ListResult } from '../../src/identity/query';
import { invalidValue } from '../errors';
import { decodeCursor, encodeCursor, queryFingerprint } from '../query/cursor';
import { toCondition } from '../query/filter-to-condition';
import { parseListParameters } from '../query/list-parameters';
import { LIST_RESPONSE_URN, projectorFor, type Projector, type ResourceSchema, type ScimObject } from '../schema';
import type { ScimRequest, ScimResponse } from './context';
import { asFilterError } from './filter-errors';

export interface Listing<R> {
  readonly schema: ResourceSchema;
  readonly resourceName: string;
  /** Sortable domain fields, and whether each supports keyset (cursor) paging. */
  readonly sorts: Readonly<Record<string, { readonly keyset: boolean }>>;
  readonly list: (query: ListQuery) => Promise<ListResult<R>>;
  /** Resources of one response, all through the one projector built for it; `listed` is the page they came in. */
  readonly present: (records: readonly R[], projector: Projector, listed?: ListResult<R>) => Promise<ScimObject[]>;
}

/**
 * GET on a resource type (RFC 7644 §3.4.2) and its POST /.search twin: filter, sort, index paging
 * (startIndex/count) or cursor paging (RFC 9865 cursor/nextCursor), and attribute projection.
 */
export async function listResources<R>(request: ScimRequest, listing: Listing<R>): Promise<ScimResponse> {
  const parameters = parseListParameters(request.query, listing.schema);
  const projector = projectorFor(listing.schema, parameters);
  if (parameters.sortBy !== undefined && !Object.hasOwn(listing.sorts, parameters.sortBy)) {
    throw invalidValue(`${listing.resourceName} cannot be sorted by "${request.query.sortBy}"`);
  }
  const byCursor = parameters.cursor !== undefined;
  if (byCursor && parameters.sortBy !== undefined && listing.sorts[parameters.sortBy]?.keyset !== true) {
    throw invalidValue(`Cursor paging cannot sort by "${request.query.sortBy}"; sort by ${
      Object.entries(listing.sorts).filter(([, sort]) => sort.keyset).map(([name]) => name).join(', ')}`);
  }
  const fingerprint = queryFingerprint([request.query.filter, parameters.sortBy, parameters.sortOrder]);
  const position = parameters.cursor ? decodeCursor(parameters.cursor, fingerprint) : undefined;
  const where = parameters.filter ? toCondition(parameters.filter, listing.schema) : undefined;
  const result = await listing.list({
    ...(where ? { where } : {}),
    ...(parameters.sortBy ? { sortBy: parameters.sortBy } : {}),
    ...(parameters.sortOrder ? { sortOrder: parameters.sortOrder } : {}),
    offset: parameters.startIndex - 1,
    limit: parameters.count,
    ...(position ? { after: position.after } : {}),
    ...(position?.total === undefined ? {} : { knownTotal: position.total }),
  }).catch(asFilterError);
  const resources = await listing.present(result.items, projector, result);
  return {
    status: 200,
    body: {
      schemas: [LIST_RESPONSE_URN],
      totalResults: result.total,
      ...(byCursor ? {} : { startIndex: parameters.startIndex }),
      itemsPerPage: resources.length,
      ...(byCursor && result.next ? { nextCursor: encodeCursor(result.next, fingerprint, result.total) } : {}),
      Resources: resources,
    },
  };
}
