/**
 * Group membership changes taken out of a PATCH request, so that a Group with very many members can
 * be changed without reading its member list: the caller applies `memberChanges` to its membership
 * store and runs `otherOperations` through `applyPatch`.
 */
import { invalidPath, invalidValue } from '../errors';
import type { Filter } from '../filter/ast';
import type { ResourceSchema } from '../schema';
import type { MemberChange, PatchOperation } from './types';
import { getKey, isPlainObject, toArray } from './values';

const SUPPORTED_FORMS = 'supported forms are: add "members" with a list of {"value": id}; '
  + 'remove "members[value eq \\"id\\"]" (several joined by "or"); remove "members" with a list of {"value": id}; '
  + 'remove "members" without value (all members); replace "members" with a list of {"value": id}; '
  + 'and a "members" key in the value of an add or replace without path';

/**
 * Splits the operations touching `members` from the others. Recognised forms, in request order:
 * - add, path `members`, value `[{value}]` → `add`; add without path with a `members` key → `add`;
 * - remove `members[value eq "id"]`, optionally `or`-joined → `remove`;
 * - remove `members` with a value `[{value}]` (Microsoft Entra ID) → `remove`;
 * - remove `members` without value → `removeAll`;
 * - replace `members`, with a path or as a key of a path-less value → `replace`.
 * Any other operation on `members` (a filter on `display`, a sub-attribute path, …) is 400
 * invalidPath. For a resource type without `members` everything is in `otherOperations`.
 */
export function splitMemberOperations(
  operations: PatchOperation[],
  schema: ResourceSchema,
): { memberChanges: MemberChange[]; otherOperations: PatchOperation[] } {
  const members = schema.resolve({ attribute: 'members' })?.attribute;
  if (!members) return { memberChanges: [], otherOperations: [...operations] };

  const memberChanges: MemberChange[] = [];
  const otherOperations: PatchOperation[] = [];
  for (const operation of operations) {
    if (operation.path) {
      if (schema.resolve(operation.path.path)?.attribute !== members) {
        otherOperations.push(operation);
        continue;
      }
      memberChanges.push(changeForPath(operation, operation.pathText ?? 'members'));
      continue;
    }
    if (operation.op === 'remove' || !isPlainObject(operation.value)) {
      otherOperations.push(operation);
      continue;
    }
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(operation.value)) {
      const resolved = schema.resolveName(key);
      if (resolved?.attribute !== members) {
        rest[key] = value;
        continue;
      }
      if (resolved.subAttribute) throw invalidPath(`Unsupported change of "${key}": ${SUPPORTED_FORMS}`);
      if (operation.op === 'add') {
        if (value !== null) memberChanges.push({ kind: 'add', ids: memberIds(value, key) });
      } else {
        memberChanges.push({ kind: 'replace', ids: value === null ? [] : memberIds(value, key) });
      }
    }
    if (Object.keys(rest).length > 0) otherOperations.push({ op: operation.op, value: rest });
  }
  return { memberChanges, otherOperations };
}

function changeForPath(operation: PatchOperation, text: string): MemberChange {
  const path = operation.path;
  const plain = path !== undefined && path.filter === undefined && path.subAttribute === undefined
    && path.path.subAttribute === undefined;
  if (plain && operation.op === 'add') return { kind: 'add', ids: memberIds(operation.value, text) };
  if (plain && operation.op === 'replace') return { kind: 'replace', ids: memberIds(operation.value, text) };
  if (plain && operation.op === 'remove') {
    if (operation.value === undefined || operation.value === null) return { kind: 'removeAll' };
    return { kind: 'remove', ids: memberIds(operation.value, text) };
  }
  if (operation.op === 'remove' && path?.filter && path.subAttribute === undefined) {
    const ids = idsFromFilter(path.filter);
    if (ids) return { kind: 'remove', ids: unique(ids) };
  }
  throw invalidPath(`Unsupported "${operation.op}" of "${text}": ${SUPPORTED_FORMS}`);
}

/** `value eq "id"`, or several joined by `or`; undefined for any other filter. */
function idsFromFilter(filter: Filter): string[] | undefined {
  if (filter.kind === 'or') {
    const left = idsFromFilter(filter.left);
    const right = idsFromFilter(filter.right);
    return left && right ? [...left, ...right] : undefined;
  }
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.attribute.toLowerCase() === 'value'
    && filter.path.subAttribute === undefined && typeof filter.value === 'string') {
    return [filter.value];
  }
  return undefined;
}

/** The ids in a members value: `[{"value": "id"}, …]` (a single object is accepted too). */
function memberIds(value: unknown, text: string): string[] {
  if (value === undefined || value === null) throw invalidValue(`"${text}" requires a list of members`);
  return unique(toArray(value).map((member) => {
    const id = isPlainObject(member) ? getKey(member, 'value') : undefined;
    if (typeof id !== 'string' || id === '') {
      throw invalidValue(`Each member of "${text}" must be an object with a non-empty string "value" (the member id)`);
    }
    return id;
  }));
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

