/** Types of the PATCH engine (RFC 7644 §3.5.2). */
import type { PatchPath } from '../filter/ast';

/** `schemas` value of a PATCH request body (RFC 7644 §3.5.2). */
export const PATCH_OP_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'replace' | 'remove';

/** One validated entry of `Operations`. */
export interface PatchOperation {
  /** Always lower case, whatever case the client used. */
  readonly op: PatchOpName;
  /** The parsed `path`; absent for add/replace with an object of attribute names as `value`. */
  readonly path?: PatchPath;
  /** The path as the client wrote it, quoted in error details. */
  readonly pathText?: string;
  /** Required for add and replace; optional for remove (a list of values to remove). */
  readonly value?: unknown;
}

/**
 * A change to the `members` of a Group that can be carried out without reading the member list
 * (floor 2's type: the PATCH engine produces what RoleDirectory.update takes).
 */
export type { MemberChange } from '../../src/identity/role-model';
