import type { UserEntity, UserValueEntity } from '../db/entities';
import { invalidError } from '../errors';
import { INDEXED_MULTI_VALUED, type UserProfile, type UserRecord } from './user-profile';

/* How a user profile becomes rows (users, user_values) and back; user-writes.ts writes them. */

/** The profile JSON must fit the portable `text` column (64 KiB on MariaDB). */
const MAX_PROFILE_BYTES = 65_000;
const MAX_INDEXED_VALUE_LENGTH = 512;
/** Names are shown in consoles, logs and CSV reports: no NUL, newlines or other control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** `json`: the profile's JSON text when the caller has made it already (a batch of sync creates). */
export function checkProfile(profile: UserProfile, json?: string): UserProfile {
  if (typeof profile.userName !== 'string' || profile.userName.trim() === '') {
    throw invalidError('userName is required and must not be empty');
  }
  if (profile.userName.length > 255) throw invalidError('userName is longer than 255 characters');
  if (CONTROL_CHARACTERS.test(profile.userName)) throw invalidError('userName must not contain control characters');
  if (Buffer.byteLength(json ?? JSON.stringify(profile)) > MAX_PROFILE_BYTES) {
    throw invalidError(`The user's attributes are larger than ${MAX_PROFILE_BYTES} bytes`);
  }
  for (const attribute of INDEXED_MULTI_VALUED) {
    for (const item of profile[attribute] ?? []) {
      if (typeof item.value === 'string' && item.value.length > MAX_INDEXED_VALUE_LENGTH) {
        throw invalidError(`${attribute}.value is longer than ${MAX_INDEXED_VALUE_LENGTH} characters`);
      }
    }
  }
  for (const key of ['externalId', 'displayName', 'title', 'userType'] as const) {
    const value = profile[key];
    if (typeof value === 'string' && value.length > 255) throw invalidError(`${key} is longer than 255 characters`);
  }
  return profile;
}

export type UserColumns = Pick<UserEntity,
  'userName' | 'userNameKey' | 'externalId' | 'displayName' | 'givenName' | 'familyName' | 'title' | 'userType'
  | 'active' | 'employeeNumber' | 'department' | 'organization' | 'managerId' | 'profile'>;

const short = (value: string | undefined): string | null => (value === undefined ? null : value.slice(0, 255));

/** `json`: the profile's JSON text when the caller has made it already. */
export function columnsOf(profile: UserProfile, json?: string): UserColumns {
  const enterprise = profile.enterprise ?? {};
  return {
    userName: profile.userName,
    userNameKey: profile.userName.toLowerCase(),
    externalId: profile.externalId ?? null,
    displayName: short(profile.displayName),
    givenName: short(profile.name?.givenName),
    familyName: short(profile.name?.familyName),
    title: short(profile.title),
    userType: short(profile.userType),
    active: profile.active ?? true,
    employeeNumber: short(enterprise.employeeNumber),
    department: short(enterprise.department),
    organization: short(enterprise.organization),
    managerId: short(enterprise.manager?.value),
    profile: json ?? JSON.stringify(profile),
  };
}

/** The user_values rows of a profile (see UserValueEntity). */
export function indexedValueRows(userId: string, profile: UserProfile): Omit<UserValueEntity, 'id' | 'user'>[] {
  return INDEXED_MULTI_VALUED.flatMap((attribute) => (profile[attribute] ?? []).map((item) => ({
    userId,
    attribute,
    type: typeof item.type === 'string' ? item.type.toLowerCase().slice(0, 64) : null,
    primary: item.primary === true,
    value: typeof item.value === 'string' ? item.value : null,
    valueKey: typeof item.value === 'string' ? item.value.toLowerCase() : null,
  })));
}

export function toRecord(row: UserEntity): UserRecord {
  return {
    id: row.id,
    profile: JSON.parse(row.profile) as UserProfile,
    source: row.source,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The audit view of a profile: flattened one level so changes name attributes, never the password. */
export function auditView(profile: UserProfile, passwordSet: boolean): Record<string, unknown> {
  const { enterprise, ...core } = profile;
  // Absent `active` means active (RFC 7643 leaves the default to the server; scimd's is true).
  const view: Record<string, unknown> = { ...core, active: core.active ?? true };
  for (const [key, value] of Object.entries(enterprise ?? {})) view[`enterprise.${key}`] = value;
  if (passwordSet) view.password = '(set)';
  return view;
}

