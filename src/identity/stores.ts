/**
 * The store contract of the SCIM face: exactly the calls `scim/endpoints` makes on users and roles,
 * with the directories' own signatures. Floor 2 owns it so that `scim/` depends on this and not on
 * the TypeORM-backed classes, and its unit tests fake a store without casts or a database.
 *
 * `UserDirectory` and `RoleDirectory` satisfy these structurally; the `Implements` checks at the end
 * make the compiler say so here, where the contract lives, if either drifts.
 */
import type { ChangeContext } from './change-context';
import type { ListQuery, ListResult } from './query';
import type { RoleInput, RoleMember, RoleRecord, RoleReference } from './role-model';
import type { RoleDirectory, RoleUpdate } from './roles';
import type { UserRecord } from './user-profile';
import type { UserDirectory, UserInput, UserWithRoles, WriteOptions } from './users';

export type { RoleReference, UserWithRoles };

export interface UserStore {
  get(id: string): Promise<UserRecord>;
  /** A user and the roles it holds, read together (one statement). */
  getWithRoles(id: string): Promise<UserWithRoles>;
  list(query: ListQuery): Promise<ListResult<UserRecord>>;
  create(context: ChangeContext, input: UserInput): Promise<UserRecord>;
  /**
   * A function input (a PATCH) runs on the locked current record inside the write. Gives the user
   * as written and the roles it holds, read with the lock.
   */
  replace(
    context: ChangeContext,
    id: string,
    input: UserInput | ((current: UserRecord) => UserInput),
    options?: WriteOptions,
  ): Promise<UserWithRoles>;
  delete(context: ChangeContext, id: string, options?: WriteOptions): Promise<void>;
}

export interface RoleStore {
  get(id: string): Promise<RoleRecord>;
  list(query: ListQuery): Promise<ListResult<RoleRecord>>;
  create(context: ChangeContext, input: RoleInput, memberIds?: readonly string[]): Promise<RoleRecord>;
  update(context: ChangeContext, id: string, update: RoleUpdate, options?: WriteOptions): Promise<RoleRecord>;
  delete(context: ChangeContext, id: string, options?: WriteOptions): Promise<void>;
  /** Members of each of a page of roles; every id asked for is a key. */
  membersOf(roleIds: readonly string[]): Promise<ReadonlyMap<string, readonly RoleMember[]>>;
  /** Roles held by each of a page of users; every id asked for is a key. */
  rolesOfUsers(userIds: readonly string[]): Promise<ReadonlyMap<string, readonly RoleReference[]>>;
}

/** Compiles only while `Implementation` has every member of `Contract`; nothing of it runs. */
type Implements<Contract, Implementation extends Contract> = [Contract, Implementation];
export type UserDirectoryIsAUserStore = Implements<UserStore, UserDirectory>;
export type RoleDirectoryIsARoleStore = Implements<RoleStore, RoleDirectory>;
