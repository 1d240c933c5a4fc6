import { ScimError, invalidSyntax, invalidValue } from '../errors';
import type { Filter } from '../filter/ast';
import { toCondition } from '../query/filter-to-condition';
import { parseListParameters, type QueryValues } from '../query/list-parameters';
import { LIST_RESPONSE_URN, projectorFor, type ScimObject } from '../schema';
import { may } from '../../src/auth/principal';
import { requirePermission, type ScimRequest, type ScimResponse, type ScimServices } from './context';
import { asFilterError } from './filter-errors';
import { groupListing } from './groups';
import { listResources, type Listing } from './list';
import { userListing } from './users';

export const SEARCH_REQUEST_URN = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** POST /Users/.search and /Groups/.search (RFC 7644 §3.4.3): a GET whose query travels in the body. */
export async function searchUsers(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:read');
  const query = searchQuery(await request.readBody());
  return listResources({ ...request, query }, userListing(services, request.baseUrl));
}

export async function searchGroups(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:read');
  const query = searchQuery(await request.readBody());
  return listResources({ ...request, query }, groupListing(services, request.baseUrl));
}

/**
 * POST /.search at the root searches Users, then Groups, as one list (index paging runs across
 * both; sortBy orders within each type). A filter naming an attribute one type lacks selects
 * nothing of that type. The caller sees only the types it may read.
 */
export async function searchAll(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  const listings: Listing<unknown>[] = [];
  if (may(request.principal, 'users:read')) listings.push(userListing(services, request.baseUrl) as Listing<unknown>);
  if (may(request.principal, 'groups:read')) listings.push(groupListing(services, request.baseUrl) as Listing<unknown>);
  if (listings.length === 0) requirePermission(request.principal, 'users:read');
  const query = searchQuery(await request.readBody());
  if (query.cursor !== undefined) throw invalidValue('Cursor paging is available per resource type (/Users/.search), not at the root');

  const applicable = listings.flatMap((listing) => {
    const parameters = parseListParameters(query, listing.schema);
    const where = parameters.filter ? conditionOrSkip(parameters.filter, listing) : undefined;
    // One projector per resource type of the response, built before any query runs.
    return where === null ? [] : [{ listing, parameters, where, projector: projectorFor(listing.schema, parameters) }];
  });
  if (applicable.length === 0) {
    throw new ScimError(400, 'invalidFilter', 'The filter names attributes that no resource type has');
  }
  const first = applicable[0]?.parameters;
  let skip = (first?.startIndex ?? 1) - 1;
  let room = first?.count ?? 0;
  let total = 0;
  const resources: ScimObject[] = [];
  for (const { listing, parameters, where, projector } of applicable) {
    if (parameters.sortBy !== undefined && !Object.hasOwn(listing.sorts, parameters.sortBy)) continue;
    const result = await listing.list({
      ...(where ? { where } : {}),
      ...(parameters.sortBy ? { sortBy: parameters.sortBy } : {}),
      ...(parameters.sortOrder ? { sortOrder: parameters.sortOrder } : {}),
      offset: skip,
      limit: room,
    }).catch(asFilterError);
    total += result.total;
    resources.push(...await listing.present(result.items, projector, result));
    room -= result.items.length;
    skip = Math.max(0, skip - result.total);
  }
  return {
    status: 200,
    body: {
      schemas: [LIST_RESPONSE_URN], totalResults: total, startIndex: first?.startIndex ?? 1,
      itemsPerPage: resources.length, Resources: resources,
    },
  };
}

/** A filter this resource type cannot answer (unknown attribute) selects none of it: null. */
function conditionOrSkip(filter: Filter, listing: Listing<unknown>) {
  try {
    return toCondition(filter, listing.schema);
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter' && error.detail.startsWith('Unknown attribute')) {
      return null;
    }
    throw error;
  }
}

/** The SearchRequest body as the query parameters of the equivalent GET. */
export function searchQuery(body: unknown): QueryValues {
  const request = body as Record<string, unknown>;
  const schemas = Array.isArray(request.schemas) ? request.schemas : [];
  if (!schemas.some((urn) => typeof urn === 'string' && urn.toLowerCase() === SEARCH_REQUEST_URN.toLowerCase())) {
    throw invalidSyntax(`A search request must list "${SEARCH_REQUEST_URN}" in schemas`);
  }
  const known = new Set(['schemas', 'attributes', 'excludedattributes', 'filter', 'sortby', 'sortorder', 'startindex',
    'count', 'cursor']);
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    if (!known.has(key.toLowerCase())) throw invalidSyntax(`Unknown search request attribute "${key}"`);
    values[key.toLowerCase()] = value;
  }
  return {
    filter: text(values.filter, 'filter'),
    sortBy: text(values.sortby, 'sortBy'),
    sortOrder: text(values.sortorder, 'sortOrder'),
    startIndex: integer(values.startindex, 'startIndex'),
    count: integer(values.count, 'count'),
    cursor: text(values.cursor, 'cursor'),
    attributes: list(values.attributes, 'attributes'),
    excludedAttributes: list(values.excludedattributes, 'excludedAttributes'),
  };
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidValue(`"${name}" must be a string`);
  return value;
}

function integer(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidValue(`"${name}" must be an integer`);
  return String(value);
}

function list(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidValue(`"${name}" must be an array of attribute names`);
  }
  return value.join(',');
}
