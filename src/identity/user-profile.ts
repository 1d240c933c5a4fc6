/**
 * The attributes scimd keeps for a person: the SCIM core User attributes (RFC 7643 §4.1) and the
 * enterprise extension (§4.3) under `enterprise`. Shapes follow SCIM so every door maps to them
 * without loss; `id`, `meta`, `groups` and `password` are not part of the profile.
 */
export interface MultiValue {
  value?: string;
  display?: string;
  type?: string;
  primary?: boolean;
  [subAttribute: string]: unknown;
}

export interface PersonName {
  formatted?: string;
  familyName?: string;
  givenName?: string;
  middleName?: string;
  honorificPrefix?: string;
  honorificSuffix?: string;
}

export interface EnterpriseProfile {
  employeeNumber?: string;
  costCenter?: string;
  organization?: string;
  division?: string;
  department?: string;
  manager?: { value?: string; $ref?: string; displayName?: string };
}

export interface UserProfile {
  userName: string;
  externalId?: string;
  name?: PersonName;
  displayName?: string;
  nickName?: string;
  profileUrl?: string;
  title?: string;
  userType?: string;
  preferredLanguage?: string;
  locale?: string;
  timezone?: string;
  active?: boolean;
  emails?: MultiValue[];
  phoneNumbers?: MultiValue[];
  ims?: MultiValue[];
  photos?: MultiValue[];
  addresses?: MultiValue[];
  entitlements?: MultiValue[];
  roles?: MultiValue[];
  x509Certificates?: MultiValue[];
  enterprise?: EnterpriseProfile;
}

/** Multi-valued attributes whose values are indexed for filtering (see UserValueEntity). */
export const INDEXED_MULTI_VALUED = ['emails', 'phoneNumbers', 'ims', 'entitlements', 'roles'] as const;
export type IndexedMultiValued = (typeof INDEXED_MULTI_VALUED)[number];

export interface UserRecord {
  readonly id: string;
  readonly profile: UserProfile;
  readonly source: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}
