import { ROLE_SORTS } from '../../src/identity/role-fields';
import type { MemberChange, RoleRecord } from '../../src/identity/role-model';
import { applyPatch, parsePatchRequest, splitMemberOperations } from '../patch';
import { scimToRoleInput, roleToScim } from '../resources/group-mapper';
import { etagOf } from '../resources/meta';
import { groupResourceSchema as schema, type Projector, type ScimObject } from '../schema';
import {
  changeContext, expectedVersion, requestProjector, notModified, requirePermission, type ScimRequest, type ScimResponse,
  type ScimServices,
} from './context';
import { listResources, type Listing } from './list';

/** /Groups (RFC 7644 §3.3–3.6). Every Group is a role. */
export async function listGroups(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:read');
  return listResources(request, groupListing(services, request.baseUrl));
}

export function groupListing(services: ScimServices, baseUrl: string): Listing<RoleRecord> {
  return {
    schema, resourceName: 'Groups', sorts: ROLE_SORTS,
    list: (query) => services.roles.list(query),
    present: (records, projector) => present(services, records, baseUrl, projector),
  };
}

export async function getGroup(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:read');
  const projector = requestProjector(schema, request);
  const role = await services.roles.get(id(request));
  if (notModified(request, role.version)) return { status: 304, headers: { ETag: etagOf(role.version) } };
  return respondWith(services, request, role, projector);
}

export async function createGroup(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:write');
  const projector = requestProjector(schema, request);
  const { attributes, memberIds } = scimToRoleInput(schema.normalize(await request.readBody(), { mode: 'create' }));
  const role = await services.roles.create(changeContext(request), attributes, memberIds ?? []);
  const response = await respondWith(services, request, role, projector);
  return { ...response, status: 201, headers: { ...response.headers, Location: `${request.baseUrl}/Groups/${role.id}` } };
}

export async function replaceGroup(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:write');
  const projector = requestProjector(schema, request);
  const { attributes, memberIds } = scimToRoleInput(schema.normalize(await request.readBody(), { mode: 'replace' }));
  const version = expectedVersion(request);
  // PUT replaces: a body without `members` leaves the role with none (RFC 7644 §3.5.1).
  const memberChanges: MemberChange[] = [memberIds === undefined ? { kind: 'removeAll' } : { kind: 'replace', ids: memberIds }];
  const role = await services.roles.update(changeContext(request), id(request), { attributes, memberChanges },
    version === undefined ? {} : { expectedVersion: version });
  return respondWith(services, request, role, projector);
}

/**
 * PATCH never reads the member list: membership operations become add/remove statements, so adding
 * one member to a role of 100,000 costs what it costs on a role of ten. The response is 204 unless
 * the client asks for the resource with `attributes` or `excludedAttributes` (RFC 7644 §3.5.2 allows
 * either), which spares a full member list on every membership change.
 */
export async function patchGroup(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:write');
  const projector = requestProjector(schema, request);
  const operations = parsePatchRequest(await request.readBody());
  const { memberChanges, otherOperations } = splitMemberOperations(operations, schema);
  const version = expectedVersion(request);
  const attributes = otherOperations.length === 0 ? undefined : (current: RoleRecord) =>
    scimToRoleInput(applyPatch(roleToScim(current, undefined, request.baseUrl), otherOperations, schema)).attributes;
  const role = await services.roles.update(changeContext(request), id(request),
    { ...(attributes ? { attributes } : {}), memberChanges },
    version === undefined ? {} : { expectedVersion: version });
  if (request.query.attributes === undefined && request.query.excludedAttributes === undefined) {
    return { status: 204, headers: { ETag: etagOf(role.version) } };
  }
  return respondWith(services, request, role, projector);
}

export async function deleteGroup(services: ScimServices, request: ScimRequest): Promise<ScimResponse> {
  requirePermission(request.principal, 'groups:write');
  const version = expectedVersion(request);
  await services.roles.delete(changeContext(request), id(request), version === undefined ? {} : { expectedVersion: version });
  return { status: 204 };
}

async function respondWith(
  services: ScimServices, request: ScimRequest, role: RoleRecord, projector: Projector,
): Promise<ScimResponse> {
  const [resource] = await present(services, [role], request.baseUrl, projector);
  return { status: 200, body: resource, headers: { ETag: etagOf(role.version) } };
}

/** Members are loaded only when the response will carry them. */
async function present(
  services: ScimServices, roles: readonly RoleRecord[], baseUrl: string, projector: Projector,
): Promise<ScimObject[]> {
  const members = projector.returns('members') ? await services.roles.membersOf(roles.map((role) => role.id)) : undefined;
  return roles.map((role) => projector.project(roleToScim(role, members?.get(role.id) ?? (members ? [] : undefined), baseUrl)));
}

function id(request: ScimRequest): string {
  return request.params.id ?? '';
}
