/**
 * Distinguished names and nested groups: DN comparison as AD does it (case-insensitive, spaces
 * around separators ignored), "under an OU", and the flattening of nested group membership.
 */
import type { DirectoryGroup } from './types';

/** What makes a DN's key more than its lower-case form (see dnKey). */
const NEEDS_SPLITTING = /[\\;+]|\s[,=]|[,=]\s|^\s|\s$|^,|,$|,,/;

/**
 * A comparison key for a DN: RDNs split on unescaped commas, spaces around `,` `=` `+` dropped,
 * lower-cased. `CN=Ann Lee, OU=Staff,DC=Corp` and `cn=ann lee,ou=staff,dc=corp` get the same key.
 */
export function dnKey(dn: string): string {
  // Most DNs have nothing to normalise but case (no escapes, no multi-valued RDNs, no spaces
  // around separators, no empty RDNs): a sync computes several keys per user, so these skip the split.
  if (!NEEDS_SPLITTING.test(dn)) return dn.toLowerCase();
  const rdns: string[] = [];
  let current = '';
  for (let index = 0; index < dn.length; index += 1) {
    const char = dn[index] ?? '';
    if (char === '\\' && index + 1 < dn.length) {
      current += char + (dn[index + 1] ?? '');
      index += 1;
    } else if (char === ',' || char === ';') {
      rdns.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  rdns.push(current);
  return rdns.map(rdnKey).filter((rdn) => rdn !== '').join(',').toLowerCase();
}

function rdnKey(rdn: string): string {
  return rdn.split(/(?<!\\)\+/).map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return pair.trim();
    return `${pair.slice(0, equals).trim()}=${trimValue(pair.slice(equals + 1))}`;
  }).join('+');
}

/** Leading spaces and unescaped trailing spaces are not part of an attribute value. */
function trimValue(value: string): string {
  const start = value.trimStart();
  const trimmed = start.trimEnd();
  return trimmed.endsWith('\\') && trimmed.length < start.length ? `${trimmed} ` : trimmed;
}

/** True when `dn` lies below `base` (at any depth; `base` itself is not under itself). */
export function isUnder(dn: string, base: string): boolean {
  const key = dnKey(dn);
  const baseKey = dnKey(base);
  if (baseKey === '' || !key.endsWith(`,${baseKey}`)) return false;
  // The comma must separate RDNs, not be the escaped end of a value (`CN=a\,OU=Staff,DC=corp` is not under OU=Staff).
  let backslashes = 0;
  for (let index = key.length - baseKey.length - 2; index >= 0 && key[index] === '\\'; index -= 1) backslashes += 1;
  return backslashes % 2 === 0;
}

/**
 * Flattens a group's membership: the DN keys of every non-group member reachable through nested
 * groups. A member DN that is a group in `groupsByDnKey` is expanded, never twice, so a cycle of
 * groups terminates; member DNs of groups that were not read are treated as leaf members (they
 * resolve to nothing if they are not users either).
 */
export function flattenMembers(root: DirectoryGroup, groupsByDnKey: ReadonlyMap<string, DirectoryGroup>): Set<string> {
  const members = new Set<string>();
  const visited = new Set<string>([dnKey(root.dn)]);
  const stack: DirectoryGroup[] = [root];
  for (let group = stack.pop(); group !== undefined; group = stack.pop()) {
    for (const memberDn of group.memberDns) {
      const key = dnKey(memberDn);
      const nested = groupsByDnKey.get(key);
      if (nested === undefined) {
        members.add(key);
      } else if (!visited.has(key)) {
        visited.add(key);
        stack.push(nested);
      }
    }
  }
  return members;
}

/**
 * The groups a group holds, itself included, however deep: DN keys of `root` and of every group in
 * `groupsByDnKey` reachable from it. The edges are the member lists where they were read, and the
 * nested groups the read found (`nestedGroupDns`) where they were not; a cycle terminates.
 */
export function nestedClosure(root: DirectoryGroup, groupsByDnKey: ReadonlyMap<string, DirectoryGroup>): Map<string, DirectoryGroup> {
  const closure = new Map<string, DirectoryGroup>([[dnKey(root.dn), root]]);
  const stack: DirectoryGroup[] = [root];
  for (let group = stack.pop(); group !== undefined; group = stack.pop()) {
    const edges = group.membersUnread === true ? group.nestedGroupDns ?? [] : group.memberDns;
    for (const dn of edges) {
      const key = dnKey(dn);
      const nested = groupsByDnKey.get(key);
      if (nested !== undefined && !closure.has(key)) {
        closure.set(key, nested);
        stack.push(nested);
      }
    }
  }
  return closure;
}
