import type { RoleStore, UserStore } from '../../../../src/identity/stores';

/**
 * Stores for endpoint tests without a database: every call fails loudly unless the test supplies it,
 * so a test states exactly which store calls it expects (`{ ...userStore(), delete: … }`).
 */
function unexpected(name: string): () => Promise<never> {
  return () => Promise.reject(new Error(`unexpected store call: ${name}`));
}

export function userStore(overrides: Partial<UserStore> = {}): UserStore {
  return {
    get: unexpected('users.get'),
    getWithRoles: unexpected('users.getWithRoles'),
    list: unexpected('users.list'),
    create: unexpected('users.create'),
    replace: unexpected('users.replace'),
    delete: unexpected('users.delete'),
    ...overrides,
  };
}

export function roleStore(overrides: Partial<RoleStore> = {}): RoleStore {
  return {
    get: unexpected('roles.get'),
    list: unexpected('roles.list'),
    create: unexpected('roles.create'),
    update: unexpected('roles.update'),
    delete: unexpected('roles.delete'),
    membersOf: unexpected('roles.membersOf'),
    rolesOfUsers: unexpected('roles.rolesOfUsers'),
    ...overrides,
  };
}
