import type { Permission } from '../../src/auth/permissions';
import { BULK_MAX_OPERATIONS, BULK_MAX_PAYLOAD_BYTES } from '../bulk/limits';
import { executionOrder, substituteReferences } from '../bulk/references';
import {
  BULK_RESPONSE_SCHEMA, parseBulkRequest, type BulkMethod, type BulkOperation, type BulkResource,
} from '../bulk/request';
import { toScimError } from '../domain-errors';
import { ScimError, invalidSyntax } from '../errors';
import { requirePermission, type ScimRequest, type ScimResponse, type ScimServices } from './context';
import { createGroup, deleteGroup, patchGroup, replaceGroup } from './groups';
import { createUser, deleteUser, patchUser, replaceUser } from './users';

export { BULK_MAX_OPERATIONS, BULK_MAX_PAYLOAD_BYTES };

type Endpoint = (services: ScimServices, request: ScimRequest) => Promise<ScimResponse>;

/** Each operation runs through the endpoint a single request would: same checks, audit and transaction. */
const ENDPOINTS: Readonly<Record<BulkResource, Readonly<Record<BulkMethod, Endpoint>>>> = {
  Users: { POST: createUser, PUT: replaceUser, PATCH: patchUser, DELETE: deleteUser },
  Groups: { POST: createGroup, PUT: replaceGroup, PATCH: patchGroup, DELETE: deleteGroup },
};

/** Checked before references are resolved, so a caller without it gets 403 whatever it sent. */
const WRITE_PERMISSION: Readonly<Record<BulkResource, Permission>> = { Users: 'users:write', Groups: 'groups:write' };

/** One entry of a BulkResponse's Operations (RFC 7644 §3.7.3). */
export interface BulkOperationResult {
  readonly method?: string;
  readonly bulkId?: string;
  readonly location?: string;
  readonly version?: string;
  readonly status: string;
  readonly response?: Record<string, unknown>;
}

/**
 * POST /Bulk (RFC 7644 §3.7). Operations run one after another, each in its own transaction: a bulk
 * request is not atomic. They run in request order except that an operation referring to a later
 * POST's bulkId waits for it; operations on a reference cycle, or referring to a bulkId that no
 * operation declares or whose POST failed, fail with 409 invalidValue. With `failOnErrors`, the
 * request stops after that many failures and the response lists only the operations that ran, in
 * request order.
 */
export async function bulk(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  const body = await request.readBody();
  refuseOversized(body);
  const { failOnErrors, operations } = parseBulkRequest(body, BULK_MAX_OPERATIONS);
  const plan = executionOrder(operations);
  // bulkIds of every POST, valid or not, to tell "that POST failed" from "no such POST".
  const named = new Set(operations.flatMap((operation) =>
    operation.method === 'POST' && operation.bulkId !== undefined ? [operation.bulkId] : []));
  const created = new Map<string, string>();
  const results = new Map<number, BulkOperationResult>();
  let failures = 0;
  for (const index of plan.order) {
    if (failOnErrors !== undefined && failures >= failOnErrors) break;
    const operation = operations[index] as BulkOperation;
    const resolve = (bulkId: string): string => {
      const id = created.get(bulkId);
      if (id !== undefined) return id;
      if (plan.circular.has(index)) {
        throw new ScimError(409, 'invalidValue', `bulkId "${bulkId}" is part of a circular reference that scimd does not resolve`);
      }
      throw new ScimError(409, 'invalidValue', named.has(bulkId)
        ? `The operation with bulkId "${bulkId}" failed, so its resource cannot be referenced`
        : `No POST operation of this request has bulkId "${bulkId}"`);
    };
    const { result, createdId } = await perform(services, request, operation, resolve);
    results.set(index, result);
    if (Number(result.status) >= 400) failures += 1;
    if (operation.declares !== undefined && createdId !== undefined) created.set(operation.declares, createdId);
  }
  return {
    status: 200,
    body: {
      schemas: [BULK_RESPONSE_SCHEMA],
      Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, result]) => result),
    },
  };
}

interface Outcome {
  readonly result: BulkOperationResult;
  /** The id of the resource a successful POST created. */
  readonly createdId?: string;
}

async function perform(
  services: ScimServices, request: ScimRequest, operation: BulkOperation, resolve: (bulkId: string) => string,
): Promise<Outcome> {
  const echo = {
    ...(operation.method === undefined ? {} : { method: operation.method }),
    ...(operation.bulkId === undefined ? {} : { bulkId: operation.bulkId }),
  };
  let location: string | undefined;
  try {
    if (operation.error) throw operation.error;
    const target = operation.target;
    if (!target) throw invalidSyntax('The operation cannot be read');
    requirePermission(request.principal, WRITE_PERMISSION[target.resource]);
    let id: string | undefined;
    if (target.id) {
      id = target.id.kind === 'id' ? target.id.id : resolve(target.id.bulkId);
      location = `${request.baseUrl}/${target.resource}/${id}`;
    }
    const data = substituteReferences(operation.data, resolve);
    const inner: ScimRequest = {
      params: id === undefined ? {} : { id },
      query: {},
      readBody: () => Promise.resolve(requireObject(data, target.method)),
      ...(operation.version === undefined ? {} : { ifMatch: operation.version }),
      principal: request.principal,
      requestId: request.requestId,
      baseUrl: request.baseUrl,
      ...(request.reportUnexpected ? { reportUnexpected: request.reportUnexpected } : {}),
    };
    const response = await ENDPOINTS[target.resource][target.method](services, inner);
    location = response.headers?.Location ?? location;
    const version = response.headers?.ETag;
    const createdId = target.method === 'POST' ? idOf(response.body) : undefined;
    return {
      result: {
        ...echo,
        ...(location === undefined ? {} : { location }),
        ...(version === undefined ? {} : { version }),
        status: String(response.status),
      },
      ...(createdId === undefined ? {} : { createdId }),
    };
  } catch (error) {
    // Unexpected errors carry no internals into the response, as for a single request, and are
    // logged by the edge like one.
    let scimError = toScimError(error);
    if (scimError === undefined) {
      request.reportUnexpected?.(error);
      scimError = new ScimError(500, undefined, `Internal error; quote request id ${request.requestId}`);
    }
    return {
      result: {
        ...echo,
        ...(location === undefined ? {} : { location }),
        status: String(scimError.status),
        response: scimError.toJSON(),
      },
    };
  }
}

function idOf(resource: unknown): string | undefined {
  const id = typeof resource === 'object' && resource !== null ? (resource as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** What the router's body reader does for a single request: the data must be a JSON object. */
function requireObject(data: unknown, method: BulkMethod): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalidSyntax(`A ${method} operation must have "data", a JSON object`);
  }
  return data;
}

/**
 * The router already refuses a body over MAX_BODY_BYTES (1 MiB by default, the same as the Bulk
 * limit). When MAX_BODY_BYTES is raised, this keeps Bulk requests within the maxPayloadSize that
 * /ServiceProviderConfig announces, measured on the parsed body written back as compact JSON.
 */
function refuseOversized(body: unknown): void {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(body), 'utf8');
  } catch {
    throw invalidSyntax('The request body is nested too deeply');
  }
  if (size > BULK_MAX_PAYLOAD_BYTES) {
    throw new ScimError(413, undefined,
      `The bulk request is larger than the maxPayloadSize of ${BULK_MAX_PAYLOAD_BYTES} bytes`);
  }
}
