import { USER_SORTS } from '../../src/identity/user-fields';
import type { RoleReference, UserWithRoles } from '../../src/identity/stores';
import type { UserRecord } from '../../src/identity/user-profile';
import { applyPatch, parsePatchRequest } from '../patch';
import { etagOf } from '../resources/meta';
import { scimToUserInput, userToScim } from '../resources/user-mapper';
import { userResourceSchema as schema, type Projector, type ScimObject } from '../schema';
import {
  changeContext, expectedVersion, requestProjector, notModified, requirePermission, type ScimRequest, type ScimResponse,
  type ScimServices,
} from './context';
import { listResources, type Listing } from './list';

/** /Users (RFC 7644 §3.3–3.6). */
export async function listUsers(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:read');
  return listResources(request, userListing(services, request.baseUrl));
}

export function userListing(services: ScimServices, baseUrl: string): Listing<UserRecord> {
  return {
    schema, resourceName: 'Users', sorts: USER_SORTS,
    list: (query) => services.users.list(query),
    present: (records, projector, listed) => present(services, records, baseUrl, projector, listed?.roles),
  };
}

export async function getUser(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:read');
  const projector = requestProjector(schema, request);
  const { record, roles } = await services.users.getWithRoles(id(request));
  if (notModified(request, record.version)) return { status: 304, headers: { ETag: etagOf(record.version) } };
  return withEtag(200, projector.project(userToScim(record, roles, request.baseUrl)), record.version);
}

export async function createUser(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:write');
  const projector = requestProjector(schema, request);
  const input = scimToUserInput(schema.normalize(await request.readBody(), { mode: 'create' }));
  const record = await services.users.create(changeContext(request), input);
  // A user just created holds no roles: no need to ask the database.
  const resource = projector.project(userToScim(record, [], request.baseUrl));
  return { status: 201, body: resource, headers: { ETag: etagOf(record.version), Location: `${request.baseUrl}/Users/${record.id}` } };
}

export async function replaceUser(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:write');
  const projector = requestProjector(schema, request);
  const input = scimToUserInput(schema.normalize(await request.readBody(), { mode: 'replace' }));
  const version = expectedVersion(request);
  const written = await services.users.replace(changeContext(request), id(request), input,
    version === undefined ? {} : { expectedVersion: version });
  return respondWith(request, written, projector);
}

export async function patchUser(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:write');
  const projector = requestProjector(schema, request);
  const operations = parsePatchRequest(await request.readBody());
  const version = expectedVersion(request);
  // The patch is applied to the row as locked inside the write, so concurrent patches of one
  // user serialise instead of overwriting each other.
  const written = await services.users.replace(changeContext(request), id(request),
    (current) => scimToUserInput(applyPatch(userToScim(current, [], request.baseUrl), operations, schema)),
    version === undefined ? {} : { expectedVersion: version });
  return respondWith(request, written, projector);
}

export async function deleteUser(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'users:write');
  const version = expectedVersion(request);
  await services.users.delete(changeContext(request), id(request), version === undefined ? {} : { expectedVersion: version });
  return { status: 204 };
}

function respondWith(request: ScimRequest, { record, roles }: UserWithRoles, projector: Projector): ScimResponse {
  return withEtag(200, projector.project(userToScim(record, roles, request.baseUrl)), record.version);
}

async function present(
  services: ScimServices, records: readonly UserRecord[], baseUrl: string, projector: Projector,
  /** The users' roles when the list read them with the page: no second statement then. */
  known?: ReadonlyMap<string, readonly RoleReference[]>,
): Promise<ScimObject[]> {
  const groups = known ?? await services.roles.rolesOfUsers(records.map((record) => record.id));
  return records.map((record) => projector.project(userToScim(record, groups.get(record.id) ?? [], baseUrl)));
}

function withEtag(status: number, resource: ScimObject, version: number): ScimResponse {
  return { status, body: resource, headers: { ETag: etagOf(version) } };
}

function id(request: ScimRequest): string {
  return request.params.id ?? '';
}
