import type { RoleInput, RoleMember, RoleRecord } from '../../src/identity/role-model';
import { GROUP_SCHEMA_URN, ROLE_EXTENSION_URN, type ScimObject } from '../schema';
import { invalidValue } from '../errors';
import { meta } from './meta';

/** Roles ↔ SCIM Group resources (RFC 7643 §4.2) with the scimd role extension. */
export function roleToScim(role: RoleRecord, members: readonly RoleMember[] | undefined, baseUrl: string): ScimObject {
  const location = `${baseUrl}/Groups/${role.id}`;
  return {
    schemas: [GROUP_SCHEMA_URN, ROLE_EXTENSION_URN],
    id: role.id,
    ...(role.externalId === null ? {} : { externalId: role.externalId }),
    displayName: role.displayName,
    ...(members === undefined ? {} : {
      members: members.map((member) => ({
        value: member.userId, display: member.display, type: 'User', $ref: `${baseUrl}/Users/${member.userId}`,
      })),
    }),
    [ROLE_EXTENSION_URN]: {
      kind: role.kind,
      assignableTo: role.assignableTo,
      risk: role.risk,
      permissions: [...role.permissions],
    },
    meta: meta('Group', location, role.createdAt, role.updatedAt, role.version),
  };
}

/** A normalized SCIM Group body as role attributes and the member ids it lists. */
export function scimToRoleInput(body: ScimObject): { attributes: RoleInput; memberIds: string[] | undefined } {
  const attributes: RoleInput = {
    displayName: body.displayName as string,
    ...(typeof body.externalId === 'string' ? { externalId: body.externalId } : {}),
  };
  const members = body.members as ScimObject[] | undefined;
  if (members === undefined) return { attributes, memberIds: undefined };
  return { attributes, memberIds: members.map(memberId) };
}

export function memberId(member: ScimObject): string {
  const type = typeof member.type === 'string' ? member.type : 'User';
  if (type.toLowerCase() !== 'user') {
    throw invalidValue(`Only Users can be members of a role; member type "${type}" is not supported`);
  }
  if (typeof member.value !== 'string' || member.value === '') {
    throw invalidValue('Every member needs a "value" with the id of a User');
  }
  return member.value;
}
