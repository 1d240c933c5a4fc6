import { ScimError, invalidSyntax, invalidValue } from '../errors';
import { BULK_MAX_OPERATIONS } from './limits';
import { referencedBulkId, referencesIn } from './references';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export const BULK_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type BulkMethod = (typeof BULK_METHODS)[number];
export type BulkResource = 'Users' | 'Groups';

/** The resource a path names: an id, or a reference to the resource a POST of the request creates. */
export type ResourceId =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'bulkId'; readonly bulkId: string };

export interface BulkTarget {
  readonly method: BulkMethod;
  readonly resource: BulkResource;
  /** Absent for POST, present for the others. */
  readonly id?: ResourceId;
}

/** One operation of a bulk request as parsed; `error` is set when it cannot run at all. */
export interface BulkOperation {
  /** As the response echoes it: upper-cased when it is a known method, as sent otherwise. */
  readonly method?: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly target?: BulkTarget;
  readonly data?: unknown;
  /** The bulkId this operation declares (a POST without error), so others can refer to it. */
  readonly declares?: string;
  /** The bulkIds its path and data refer to; empty when `error` is set. */
  readonly references: readonly string[];
  readonly error?: ScimError;
}

export interface BulkRequest {
  /** Stop once this many operations have failed; undefined for no limit. */
  readonly failOnErrors?: number;
  readonly operations: readonly BulkOperation[];
}

/**
 * Parses a BulkRequest (RFC 7644 §3.7). A request that is wrong as a whole throws: 400 invalidSyntax
 * without the BulkRequest schema or an Operations array, 413 beyond `maxOperations`. A wrong operation
 * does not: it comes back with its `error`, to be reported in its place while the others run.
 * Attribute names are case-insensitive, as everywhere in SCIM.
 */
export function parseBulkRequest(body: unknown, maxOperations: number = BULK_MAX_OPERATIONS): BulkRequest {
  if (!isObject(body)) throw invalidSyntax('The request body must be a JSON object');
  const fields = caseInsensitive(body);
  const schemas = fields.get('schemas');
  if (!Array.isArray(schemas) || !schemas.some((schema) => typeof schema === 'string' && schema.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())) {
    throw invalidSyntax(`A bulk request must have "schemas": ["${BULK_REQUEST_SCHEMA}"]`);
  }
  const operations = fields.get('operations');
  if (!Array.isArray(operations)) throw invalidSyntax('A bulk request must have an "Operations" array');
  if (operations.length > maxOperations) {
    throw new ScimError(413, undefined,
      `The bulk request has ${operations.length} operations, more than the maxOperations limit of ${maxOperations}`);
  }
  const failOnErrors = fields.get('failonerrors');
  if (failOnErrors !== undefined && failOnErrors !== null && !(Number.isInteger(failOnErrors) && (failOnErrors as number) >= 1)) {
    throw invalidValue('failOnErrors must be a positive integer');
  }
  const declared = new Set<string>();
  const parsed = operations.map((operation: unknown) => {
    const result = parseOperation(operation);
    if (result.error || result.target?.method !== 'POST' || result.bulkId === undefined) return result;
    if (declared.has(result.bulkId)) {
      return { ...result, references: [], error: invalidValue(`bulkId "${result.bulkId}" is used by an earlier POST of this request; each must be unique`) };
    }
    declared.add(result.bulkId);
    return { ...result, declares: result.bulkId };
  });
  return { ...(typeof failOnErrors === 'number' ? { failOnErrors } : {}), operations: parsed };
}

const PATH = /^\/(users|groups)(?:\/([^/?#]+))?\/?$/i;

function parseOperation(operation: unknown): BulkOperation {
  if (!isObject(operation)) return { references: [], error: invalidSyntax('Each operation must be a JSON object') };
  const fields = caseInsensitive(operation);
  const rawMethod = fields.get('method');
  const bulkId = fields.get('bulkid');
  const version = fields.get('version');
  const method = typeof rawMethod === 'string'
    ? BULK_METHODS.find((known) => known === rawMethod.toUpperCase()) : undefined;
  const echo: { method?: string; bulkId?: string; version?: string } = {
    ...(typeof rawMethod === 'string' ? { method: method ?? rawMethod } : {}),
    ...(typeof bulkId === 'string' ? { bulkId } : {}),
    ...(typeof version === 'string' ? { version } : {}),
  };
  const fail = (error: ScimError): BulkOperation => ({ ...echo, references: [], error });

  if (method === undefined) return fail(invalidValue(`"method" must be one of ${BULK_METHODS.join(', ')}`));
  if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '')) return fail(invalidValue('"bulkId" must be a non-empty string'));
  if (version !== undefined && typeof version !== 'string') return fail(invalidValue('"version" must be a string, such as W/"3"'));
  const path = fields.get('path');
  const match = typeof path === 'string' ? PATH.exec(path) : null;
  if (!match) return fail(invalidValue('"path" must be /Users, /Users/{id}, /Groups or /Groups/{id}'));
  const resource: BulkResource = (match[1] ?? '').toLowerCase() === 'users' ? 'Users' : 'Groups';
  let id: ResourceId | undefined;
  if (match[2] !== undefined) {
    let segment: string;
    try {
      segment = decodeURIComponent(match[2]);
    } catch {
      return fail(invalidValue(`"path" ${String(path)} is not a valid URL path`));
    }
    const reference = referencedBulkId(segment);
    id = reference === undefined ? { kind: 'id', id: segment } : { kind: 'bulkId', bulkId: reference };
  }
  if (method === 'POST' && id !== undefined) return fail(invalidValue(`A POST's "path" must be /${resource}, without an id`));
  if (method !== 'POST' && id === undefined) return fail(invalidValue(`A ${method}'s "path" must name a resource: /${resource}/{id}`));
  if (method === 'POST' && bulkId === undefined) return fail(invalidValue('A POST operation must have a "bulkId" (RFC 7644 §3.7)'));

  const data = method === 'DELETE' ? undefined : fields.get('data');
  let references: string[];
  try {
    references = [...new Set([...(id?.kind === 'bulkId' ? [id.bulkId] : []), ...referencesIn(data)])];
  } catch (error) {
    if (error instanceof ScimError) return fail(error);
    throw error;
  }
  return {
    ...echo,
    target: { method, resource, ...(id ? { id } : {}) },
    ...(data === undefined ? {} : { data }),
    references,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object's fields by lower-cased name; the first of names differing only in case wins. */
function caseInsensitive(object: Record<string, unknown>): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const name = key.toLowerCase();
    if (!fields.has(name)) fields.set(name, value);
  }
  return fields;
}
