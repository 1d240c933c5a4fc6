/** How seeded users are named: shared by the seeder and the request builders of the load workers. */
export const userNameOf = (i: number): string => `bench.user${i}@example.com`;
export const workEmailOf = (i: number): string => `u${i}.work@corp.example.com`;
export const SPARE_PREFIX = 'bench.spare';
export const spareNameOf = (i: number): string => `${SPARE_PREFIX}${i}@example.com`;
export const spareEmailOf = (i: number): string => `s${i}.work@corp.example.com`;

/** The SCIM base path scimd serves. */
export const SCIM = '/scim/v2';
/** The SCIM User schema URN, as the benchmarks' request bodies name it. */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** The SCIM PATCH request's schema URN. */
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
