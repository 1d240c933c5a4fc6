import type { RoleReference } from '../../src/identity/stores';
import type { UserInput } from '../../src/identity/users';
import type { UserProfile, UserRecord } from '../../src/identity/user-profile';
import { ENTERPRISE_USER_SCHEMA_URN, USER_SCHEMA_URN, type ScimObject } from '../schema';
import { meta } from './meta';

/** User records ↔ SCIM User resources (RFC 7643 §4.1, enterprise extension §4.3). */
export function userToScim(
  record: UserRecord,
  groups: readonly RoleReference[],
  baseUrl: string,
): ScimObject {
  const { enterprise, externalId, ...core } = record.profile;
  const hasEnterprise = enterprise !== undefined && Object.keys(enterprise).length > 0;
  const location = `${baseUrl}/Users/${record.id}`;
  return {
    schemas: hasEnterprise ? [USER_SCHEMA_URN, ENTERPRISE_USER_SCHEMA_URN] : [USER_SCHEMA_URN],
    id: record.id,
    ...(externalId === undefined ? {} : { externalId }),
    ...core,
    active: record.profile.active ?? true,
    groups: groups.map((group) => ({
      value: group.id, display: group.displayName, $ref: `${baseUrl}/Groups/${group.id}`, type: 'direct',
    })),
    ...(hasEnterprise ? { [ENTERPRISE_USER_SCHEMA_URN]: enterprise } : {}),
    meta: meta('User', location, record.createdAt, record.updatedAt, record.version),
  };
}

/** A normalized SCIM User body (see ResourceSchema.normalize) as the identity layer's input. */
export function scimToUserInput(body: ScimObject): UserInput {
  const { schemas: _schemas, id: _id, meta: _meta, groups: _groups, password, ...rest } = body;
  const enterprise = rest[ENTERPRISE_USER_SCHEMA_URN];
  delete rest[ENTERPRISE_USER_SCHEMA_URN];
  const profile = { ...rest } as unknown as UserProfile;
  if (enterprise !== undefined && typeof enterprise === 'object' && enterprise !== null
    && Object.keys(enterprise).length > 0) {
    profile.enterprise = enterprise as UserProfile['enterprise'];
  }
  return typeof password === 'string' ? { profile, password } : { profile };
}
