import type { RoleReference } from './role-model';

/**
 * The storage-neutral query language of floor 2: what a SCIM filter (or the admin API, or the
 * sync) asks of the store. Field names are the canonical dotted names of src/identity/*-fields.ts.
 */
export type Comparison = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type ConditionValue = string | number | boolean | null;

export type Condition =
  | { readonly kind: 'compare'; readonly field: string; readonly op: Comparison; readonly value: ConditionValue }
  | { readonly kind: 'present'; readonly field: string }
  | { readonly kind: 'and'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly condition: Condition }
  /** Some value of a multi-valued field satisfies `where`, whose fields are the value's sub-fields. */
  | { readonly kind: 'any'; readonly field: string; readonly where: Condition };

/** Where a keyset page starts or the next one would: the sort value and id of a row (see list-page.ts). */
export interface Keyset {
  readonly value: string | number;
  readonly id: string;
}

export interface ListQuery {
  readonly where?: Condition;
  readonly sortBy?: string;
  readonly sortOrder?: 'ascending' | 'descending';
  /** 0-based offset; ignored when `after` is given. */
  readonly offset: number;
  readonly limit: number;
  /** Keyset paging: the page starts after this sort value and id (see list-page.ts). */
  readonly after?: Keyset;
  /**
   * The total an earlier page of the same keyset walk counted (an RFC 9865 cursor carries it): the
   * page answers it instead of counting again, so a deep page costs what the first one does.
   */
  readonly knownTotal?: number;
}

export interface ListResult<T> {
  readonly total: number;
  readonly items: T[];
  /** Where the next page starts, when there is one (the keyset for cursor paging). */
  readonly next?: Keyset;
  /**
   * The roles each listed item holds, by item id, when the store read them with the page (a user
   * list's first page does, in the same statement); otherwise absent, and a caller that needs them
   * asks for them.
   */
  readonly roles?: ReadonlyMap<string, readonly RoleReference[]>;
}
