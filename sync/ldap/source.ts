/**
 * Reads a directory snapshot (sync/types.ts DirectoryRead) from an Active Directory domain controller.
 *
 * Order matters for delta runs: the rootDSE (highestCommittedUSN) and the DC's invocationId are read
 * BEFORE any object, so a change made while the read runs is either seen now or, having a USN above the
 * watermark, seen again by the next delta; it is never missed.
 *
 * - Full: every user under `baseDns` matching `userFilter`, and the configured groups.
 * - Delta (from `since`): users in scope with uSNChanged > since, each with its memberOf; users changed
 *   anywhere in the naming context that are not in scope (moved out, no longer matching the filter) →
 *   `outOfScope`; deleted users and groups (Show Deleted control) → `tombstones`; and the configured
 *   groups with the groups nested in them, without members (`membersUnread`): the caller reads the
 *   members of those it needs with readGroupMembers (see sync/delta-scope.ts).
 * Groups' `member` is always fetched with explicit ranges (see member-ranges.ts). A member list read
 * later than the group itself holds changes made meanwhile, and those carry a USN above the watermark,
 * so the next delta reads them again: nothing is missed.
 */
import { NoSuchObjectError, type Control, type Entry, type Filter } from 'ldapts';
import type { DirectoryGroup, DirectoryRead, DirectoryTombstone, DirectoryUser, Watermark } from '../types';
import { ShowDeletedControl } from './controls';
import {
  bufferAttributesFor, entryAttributes, firstBuffer, firstString, parseUsn, stringValues, type RawValue,
} from './entries';
import { matchingAnyGuid } from './filters';
import { guidToString, normalizeGuid } from './guid';
import { dnKey, isUnder } from '../nesting';
import {
  MEMBER_RANGE_SIZE, rangedAttribute, rangedChunk, readRemainingRanges, type LdapSearcher, type RangedChunk,
} from './member-ranges';

export type { LdapSearcher } from './member-ranges';

export const DEFAULT_PAGE_SIZE = 500;
/** AD's default MaxPageSize: a larger page is silently cut to it. */
export const MAX_PAGE_SIZE = 1000;
/** What "a user" is when looking for users that left the scope. */
/**
 * The time limit a paged search asks the DC for: none. ldapts asks for 10 s unless told otherwise, and
 * a DC may work out the whole result before it sends the first page (Samba does: 31 s for 100,000
 * users on a busy 2-core machine), so the sync's first page failed with timeLimitExceeded on a large
 * directory. The DC's own policy still applies (AD's MaxQueryDuration, 120 s by default), and every
 * page is still bounded by the connection's per-operation timeout (connection.ts, 120 s).
 */
export const NO_SERVER_TIME_LIMIT = 0;

export const DEFAULT_ANY_USER_FILTER = '(&(objectCategory=person)(objectClass=user))';
/** GUIDs per `(|(objectGUID=…)…)` filter when finding groups by GUID. */
const GUIDS_PER_FILTER = 50;

export interface ReadDirectoryOptions {
  /** Where users are read (subtree of each). */
  readonly baseDns: readonly string[];
  /** Which entries under baseDns are users in scope, e.g. `(&(objectCategory=person)(objectClass=user))`. */
  readonly userFilter: string;
  /** Which entries are groups, e.g. `(objectClass=group)`; applied to every group lookup below. */
  readonly groupFilter: string;
  /** The mapping's groups: by DN, by objectGUID, and every group under these OUs. */
  readonly groupDns?: readonly string[];
  readonly groupGuids?: readonly string[];
  readonly groupsUnder?: readonly string[];
  /** User attributes to fetch (lower-case). objectGUID (the anchor) and uSNChanged are always fetched. */
  readonly attributes: readonly string[];
  readonly mode: 'full' | 'delta';
  /** Delta: where the previous run ended. */
  readonly since?: Watermark;
  /** Page size of paged searches (default 500, at most 1000). */
  readonly pageSize?: number;
  /** Values per `member;range=…` request (default 1500, AD's MaxValRange). */
  readonly memberRangeSize?: number;
  /** Delta: what counts as a user when looking for users that left the scope (default DEFAULT_ANY_USER_FILTER). */
  readonly anyUserFilter?: string;
}

/** A delta was asked from a watermark this DC cannot continue (another DC, or its database was restored). */
export class WatermarkMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatermarkMismatchError';
  }
}

export class DirectoryReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryReadError';
  }
}

/** What the rootDSE and the DC's NTDS Settings say, read before any object. */
export interface DirectoryServerState {
  readonly highestCommittedUsn: number;
  readonly dsServiceName: string;
  readonly dnsHostName: string | null;
  readonly invocationId: string;
  readonly defaultNamingContext: string | null;
  readonly namingContexts: readonly string[];
}

export async function readServerState(client: LdapSearcher): Promise<DirectoryServerState> {
  const { searchEntries } = await client.search('', {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['highestCommittedUSN', 'dsServiceName', 'dnsHostName', 'defaultNamingContext', 'namingContexts'],
  });
  const root = searchEntries[0];
  if (!root) throw new DirectoryReadError('the server returned no rootDSE');
  const attrs = entryAttributes(root);
  const dsServiceName = firstString(attrs, 'dsServiceName');
  if (!dsServiceName) throw new DirectoryReadError('the rootDSE has no dsServiceName: is this an Active Directory domain controller?');
  const highestCommittedUsn = parseUsn(firstString(attrs, 'highestCommittedUSN'), 'rootDSE highestCommittedUSN');

  const ntds = await client.search(dsServiceName, {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['invocationId'],
    explicitBufferAttributes: bufferAttributesFor(['invocationId']),
  });
  const settings = ntds.searchEntries[0];
  const invocation = settings ? firstBuffer(entryAttributes(settings), 'invocationId') : undefined;
  if (!invocation) throw new DirectoryReadError(`cannot read invocationId of ${dsServiceName}`);
  return {
    highestCommittedUsn,
    dsServiceName,
    dnsHostName: firstString(attrs, 'dnsHostName') ?? null,
    invocationId: guidToString(invocation),
    defaultNamingContext: firstString(attrs, 'defaultNamingContext') ?? null,
    namingContexts: (attrs.get('namingcontexts') ?? []).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)),
  };
}

export async function readDirectory(client: LdapSearcher, options: ReadDirectoryOptions): Promise<DirectoryRead> {
  const settings = checkOptions(options);
  const state = await readServerState(client);
  const watermark: Watermark = {
    invocationId: state.invocationId,
    highestCommittedUsn: state.highestCommittedUsn,
    server: state.dnsHostName ?? state.dsServiceName,
  };
  const contexts = namingContextsOf(options.baseDns, state);

  if (options.mode === 'full') {
    const users = await readUsers(client, options.baseDns, options.userFilter, settings);
    const groups = await readGroups(client, contexts, options, settings);
    return { mode: 'full', users, groups, tombstones: [], outOfScope: [], watermark };
  }

  const since = options.since as Watermark;
  if (normalizeGuid(since.invocationId) !== state.invocationId) {
    throw new WatermarkMismatchError(`the watermark was taken on another domain controller or before a restore `
      + `(invocationId ${since.invocationId}, ${since.server}; this DC: ${state.invocationId}, ${watermark.server}): run a full sync`);
  }
  if (since.highestCommittedUsn > state.highestCommittedUsn) {
    throw new WatermarkMismatchError(`the watermark (USN ${since.highestCommittedUsn}) is ahead of ${watermark.server} `
      + `(USN ${state.highestCommittedUsn}): run a full sync`);
  }
  const changed = `(uSNChanged>=${since.highestCommittedUsn + 1})`;
  const anyUserFilter = options.anyUserFilter ?? DEFAULT_ANY_USER_FILTER;
  const { users, outOfScope } = sameFilter(options.userFilter, anyUserFilter)
    ? await changedUsersInOneSearch(client, contexts, options, changed, settings)
    : await changedUsersInTwoSearches(client, contexts, options, `(&${anyUserFilter}${changed})`, changed, settings);
  const tombstones = await readTombstones(client, contexts, changed, settings.pageSize);
  // Without members: the caller reads those of the groups whose roles it plans whole (readGroupMembers).
  const groups = await readGroups(client, contexts, options, settings, false);
  return { mode: 'delta', users, groups, tombstones, outOfScope, watermark };
}

interface Settings {
  readonly pageSize: number;
  readonly rangeSize: number;
  /** Requested user attributes, lower-case, without objectguid. */
  readonly userAttributes: readonly string[];
}

function checkOptions(options: ReadDirectoryOptions): Settings {
  if (options.baseDns.length === 0) throw new DirectoryReadError('baseDns is empty: name at least one base DN to read users from');
  for (const [name, filter] of [['userFilter', options.userFilter], ['groupFilter', options.groupFilter]] as const) {
    if (!/^\(.*\)$/s.test(filter.trim())) throw new DirectoryReadError(`${name} must be a parenthesised LDAP filter, got ${JSON.stringify(filter)}`);
  }
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new DirectoryReadError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  const rangeSize = options.memberRangeSize ?? MEMBER_RANGE_SIZE;
  if (!Number.isInteger(rangeSize) || rangeSize < 1) throw new DirectoryReadError('memberRangeSize must be a positive integer');
  if (options.mode === 'delta' && !options.since) throw new DirectoryReadError('a delta read needs `since` (the previous watermark)');
  if (options.mode !== 'full' && options.mode !== 'delta') throw new DirectoryReadError(`unknown mode ${String(options.mode)}`);
  const userAttributes = [...new Set(options.attributes.map((a) => a.toLowerCase()))].filter((a) => a !== 'objectguid');
  return { pageSize, rangeSize, userAttributes };
}

/** For each base DN, the naming context holding it (the longest one it ends with); defaultNamingContext otherwise. */
function namingContextsOf(baseDns: readonly string[], state: DirectoryServerState): string[] {
  const contexts = new Set<string>();
  for (const base of baseDns) {
    const lower = base.toLowerCase().replace(/\s*,\s*/g, ',');
    const match = state.namingContexts
      .filter((nc) => {
        const n = nc.toLowerCase();
        return lower === n || lower.endsWith(`,${n}`);
      })
      .sort((a, b) => b.length - a.length)[0];
    const context = match ?? state.defaultNamingContext;
    if (context) contexts.add(context);
  }
  if (contexts.size === 0) throw new DirectoryReadError('cannot tell which naming context the base DNs are in (rootDSE has no defaultNamingContext)');
  return [...contexts];
}

async function* pagedSearch(
  client: LdapSearcher,
  base: string,
  filter: string | Filter,
  attributes: readonly string[],
  pageSize: number,
  controls?: Control[],
): AsyncGenerator<Entry> {
  const pages = client.searchPaginated(base, {
    scope: 'sub',
    filter,
    attributes: [...attributes],
    explicitBufferAttributes: bufferAttributesFor(attributes),
    paged: { pageSize },
    timeLimit: NO_SERVER_TIME_LIMIT,
  }, controls);
  for await (const page of pages) yield* page.searchEntries;
}

function anchorOf(entry: Entry, attributes: ReadonlyMap<string, readonly RawValue[]> = entryAttributes(entry)): string {
  const guid = firstBuffer(attributes, 'objectGUID');
  if (!guid) throw new DirectoryReadError(`${entry.dn} has no objectGUID`);
  return guidToString(guid);
}

function usnOf(attrs: ReadonlyMap<string, readonly RawValue[]>, dn: string): number {
  return parseUsn(firstString(attrs, 'uSNChanged'), `uSNChanged of ${dn}`);
}

async function readUsers(client: LdapSearcher, baseDns: readonly string[], filter: string, settings: Settings): Promise<DirectoryUser[]> {
  const users = new Map<string, DirectoryUser>();
  for await (const page of userPages(client, baseDns, filter, settings)) {
    for (const user of page) if (!users.has(user.anchor)) users.set(user.anchor, user); // nested base DNs
  }
  return [...users.values()];
}

/**
 * The users under each base DN, one LDAP page at a time, as the server sends them. A user under two
 * nested base DNs comes twice: the caller keeps the first (it tracks the anchors it has seen anyway).
 */
async function* userPages(
  client: LdapSearcher, baseDns: readonly string[], filter: string, settings: Settings,
  memberOf?: (entry: Entry) => readonly string[],
): AsyncGenerator<DirectoryUser[]> {
  const request = ['objectGUID', 'uSNChanged', ...settings.userAttributes.filter((a) => a !== 'usnchanged')];
  if (memberOf !== undefined && !settings.userAttributes.includes('memberof')) request.push('memberOf');
  for (const base of baseDns) {
    const pages = client.searchPaginated(base, {
      scope: 'sub', filter, attributes: request, explicitBufferAttributes: bufferAttributesFor(request), paged: { pageSize: settings.pageSize },
      timeLimit: NO_SERVER_TIME_LIMIT,
    });
    try {
      for await (const page of pages) {
        yield page.searchEntries.map((entry) => {
          const user = toDirectoryUser(entry, settings);
          return memberOf === undefined ? user : { ...user, memberOf: memberOf(entry) };
        });
      }
    } catch (error) {
      if (error instanceof NoSuchObjectError) throw new DirectoryReadError(`base DN ${base} does not exist`, { cause: error });
      throw error;
    }
  }
}

/**
 * A delta's changed users, each with the groups it is a direct member of (`memberOf`, followed to the
 * end should the server range it), so that its roles in unchanged groups can be planned from it.
 */
async function readChangedUsers(client: LdapSearcher, baseDns: readonly string[], filter: string, settings: Settings): Promise<DirectoryUser[]> {
  const users = new Map<string, DirectoryUser>();
  const ranged: { anchor: string; dn: string; chunk: RangedChunk }[] = [];
  for await (const page of userPages(client, baseDns, filter, settings, (entry) => {
    const chunk = rangedChunk(entry, 'memberOf');
    if (chunk.next !== null) ranged.push({ anchor: anchorOf(entry), dn: entry.dn, chunk });
    return chunk.values;
  })) {
    for (const user of page) if (!users.has(user.anchor)) users.set(user.anchor, user); // nested base DNs
  }
  // Read after the paged search ended: ranges read while it is open would interleave with its pages.
  for (const { anchor, dn, chunk } of ranged) {
    const user = users.get(anchor);
    if (user) users.set(anchor, { ...user, memberOf: await readRemainingRanges(client, dn, 'memberOf', chunk, settings.rangeSize) });
  }
  return [...users.values()];
}

/** An attribute the entry does not have: one shared empty list. */
const NO_VALUES: readonly RawValue[] = Object.freeze([]);

function toDirectoryUser(entry: Entry, settings: Settings): DirectoryUser {
  const attrs = entryAttributes(entry);
  const attributes: Record<string, readonly string[]> = {};
  for (const name of settings.userAttributes) attributes[name] = stringValues(name, attrs.get(name) ?? NO_VALUES);
  return { anchor: anchorOf(entry, attrs), dn: entry.dn, usnChanged: usnOf(attrs, entry.dn), attributes };
}

interface ChangedUsers {
  readonly users: DirectoryUser[];
  readonly outOfScope: { anchor: string; dn: string }[];
}

/** The same filter, but for the spaces between its parts. */
function sameFilter(a: string, b: string): boolean {
  const squeeze = (filter: string): string => filter.replace(/\s*([()&|!])\s*/g, '$1').trim();
  return squeeze(a) === squeeze(b);
}

/**
 * When the scope's filter is the one that says what a user is (the default), the users changed
 * anywhere in the naming contexts are read once, with their attributes, and those under a base DN
 * are the scope's: the DC serves each changed user once instead of twice (half its work for the
 * users of a delta, which is most of it). A user not under a base DN by its DN's text is asked for
 * under the base DNs before it counts as out of scope, so that a base DN written another way (hex
 * escapes, say) can never make users in scope look gone.
 */
async function changedUsersInOneSearch(
  client: LdapSearcher, contexts: readonly string[], options: ReadDirectoryOptions, changed: string, settings: Settings,
): Promise<ChangedUsers> {
  const everywhere = await readChangedUsers(client, contexts, `(&${options.userFilter}${changed})`, settings);
  const users: DirectoryUser[] = [];
  const elsewhere = new Map<string, DirectoryUser>();
  for (const user of everywhere) {
    if (options.baseDns.some((base) => isUnder(user.dn, base) || dnKey(user.dn) === dnKey(base))) users.push(user);
    else elsewhere.set(user.anchor, user);
  }
  const candidates = [...elsewhere.keys()];
  for (let i = 0; i < candidates.length; i += GUIDS_PER_FILTER) {
    const filter = matchingAnyGuid(`(&${options.userFilter}${changed})`, candidates.slice(i, i + GUIDS_PER_FILTER));
    for (const base of options.baseDns) {
      for await (const entry of pagedSearch(client, base, filter, ['objectGUID'], settings.pageSize)) {
        const user = elsewhere.get(anchorOf(entry));
        if (user === undefined) continue;
        users.push(user);
        elsewhere.delete(user.anchor);
      }
    }
  }
  return { users, outOfScope: [...elsewhere.values()].map((user) => ({ anchor: user.anchor, dn: user.dn })) };
}

/** A filter of its own for the scope: the users changed in scope, then those changed anywhere that are not. */
async function changedUsersInTwoSearches(
  client: LdapSearcher, contexts: readonly string[], options: ReadDirectoryOptions, anyUserChanged: string, changed: string, settings: Settings,
): Promise<ChangedUsers> {
  const users = await readChangedUsers(client, options.baseDns, `(&${options.userFilter}${changed})`, settings);
  const inScope = new Set(users.map((user) => user.anchor));
  const outOfScope: { anchor: string; dn: string }[] = [];
  const seen = new Set<string>();
  for (const context of contexts) {
    for await (const entry of pagedSearch(client, context, anyUserChanged, ['objectGUID'], settings.pageSize)) {
      const anchor = anchorOf(entry);
      if (inScope.has(anchor) || seen.has(anchor)) continue;
      seen.add(anchor);
      outOfScope.push({ anchor, dn: entry.dn });
    }
  }
  return { users, outOfScope };
}

/** A full read that the caller consumes page by page: nothing holds every user at once. */
export interface StreamedFullRead {
  /** Taken before any object is read (see the top of this file). */
  readonly watermark: Watermark;
  /** Users in scope, one LDAP page at a time; iterate once, and read nothing else from the client meanwhile. */
  readonly userPages: AsyncIterable<readonly DirectoryUser[]>;
  /**
   * The mapping's groups (and the groups nested in them), without their members (`membersUnread`,
   * with `nestedGroupDns`): the caller reads the members of a few at a time with readGroupMembers,
   * so that no more than one role's groups' member lists are held at once. Read on the groups
   * connection: while the user pages are, when that is a connection of its own.
   */
  readGroups(): Promise<DirectoryGroup[]>;
  /** readGroupMembers on the groups connection: `groups` with the member lists of those in `anchors` read. */
  readGroupMembers(groups: readonly DirectoryGroup[], anchors: ReadonlySet<string>): Promise<DirectoryGroup[]>;
}

/** `groupsClient`: the connection the groups are read on (default: `client`, after the users then). */
export async function streamFullRead(
  client: LdapSearcher, options: Omit<ReadDirectoryOptions, 'mode' | 'since'>, groupsClient: LdapSearcher = client,
): Promise<StreamedFullRead> {
  const settings = checkOptions({ ...options, mode: 'full' });
  const state = await readServerState(client);
  const contexts = namingContextsOf(options.baseDns, state);
  return {
    watermark: { invocationId: state.invocationId, highestCommittedUsn: state.highestCommittedUsn, server: state.dnsHostName ?? state.dsServiceName },
    userPages: userPages(client, options.baseDns, options.userFilter, settings),
    readGroups: () => readGroups(groupsClient, contexts, { ...options, mode: 'full' }, settings, false),
    readGroupMembers: (groups, anchors) => readGroupMembers(groupsClient, groups, anchors, settings.rangeSize),
  };
}

async function readTombstones(client: LdapSearcher, contexts: readonly string[], changed: string, pageSize: number): Promise<DirectoryTombstone[]> {
  const filter = `(&(isDeleted=TRUE)${changed}(|(objectClass=user)(objectClass=group))(!(objectClass=computer)))`;
  const tombstones = new Map<string, DirectoryTombstone>();
  for (const context of contexts) {
    const entries = pagedSearch(client, context, filter, ['objectGUID', 'objectClass', 'uSNChanged'], pageSize, [new ShowDeletedControl()]);
    for await (const entry of entries) {
      const attrs = entryAttributes(entry);
      const classes = (attrs.get('objectclass') ?? []).map((c) => String(c).toLowerCase());
      const kind = classes.includes('group') ? 'group' : classes.includes('user') ? 'user' : null;
      if (!kind) continue;
      const anchor = anchorOf(entry);
      tombstones.set(anchor, { anchor, kind, usnChanged: usnOf(attrs, entry.dn) });
    }
  }
  return [...tombstones.values()];
}

async function readGroups(
  client: LdapSearcher,
  contexts: readonly string[],
  options: ReadDirectoryOptions,
  settings: Settings,
  withMembers = true,
): Promise<DirectoryGroup[]> {
  const attributes = ['objectGUID', 'cn', 'sAMAccountName', 'uSNChanged', ...(withMembers ? [rangedAttribute('member', 0, settings.rangeSize)] : [])];
  const groups = new Map<string, DirectoryGroup>();
  const add = async (entry: Entry): Promise<void> => {
    const anchor = anchorOf(entry);
    if (groups.has(anchor)) return;
    const attrs = entryAttributes(entry);
    const name = firstString(attrs, 'cn') ?? firstString(attrs, 'sAMAccountName') ?? entry.dn;
    const memberDns = withMembers ? await readRemainingRanges(client, entry.dn, 'member', rangedChunk(entry, 'member'), settings.rangeSize) : [];
    groups.set(anchor, { anchor, dn: entry.dn, name, usnChanged: usnOf(attrs, entry.dn), memberDns, ...(withMembers ? {} : { membersUnread: true }) });
  };
  const buffers = bufferAttributesFor(attributes);

  for (const dn of options.groupDns ?? []) {
    let entries: Entry[];
    try {
      ({ searchEntries: entries } = await client.search(dn, {
        scope: 'base', filter: options.groupFilter, attributes, explicitBufferAttributes: buffers,
      }));
    } catch (error) {
      if (error instanceof NoSuchObjectError) continue; // a configured group that does not exist: absent from the read
      throw error;
    }
    for (const entry of entries) await add(entry);
  }

  const guids = [...new Set((options.groupGuids ?? []).map(normalizeGuid))];
  for (let i = 0; i < guids.length; i += GUIDS_PER_FILTER) {
    const filter = matchingAnyGuid(options.groupFilter, guids.slice(i, i + GUIDS_PER_FILTER));
    for (const context of contexts) {
      // Collected first: reading member ranges while a paged search is still open would interleave the two.
      const found: Entry[] = [];
      for await (const entry of pagedSearch(client, context, filter, attributes, settings.pageSize)) found.push(entry);
      for (const entry of found) await add(entry);
    }
  }

  for (const ou of options.groupsUnder ?? []) {
    const found: Entry[] = [];
    try {
      for await (const entry of pagedSearch(client, ou, options.groupFilter, attributes, settings.pageSize)) found.push(entry);
    } catch (error) {
      if (error instanceof NoSuchObjectError) throw new DirectoryReadError(`groupsUnder ${ou} does not exist`, { cause: error });
      throw error;
    }
    for (const entry of found) await add(entry);
  }

  // Groups nested in the configured ones are read too, so the planner can flatten membership:
  // AD keeps memberOf on the nested group, so one search per group finds its group members,
  // however deep, and a cycle ends because a group already read is not read again. The nesting
  // found is kept (nestedGroupDns): without member lists it is what tells a delta which groups hold which.
  const nested = new Map<string, string[]>();
  const queue = [...groups.values()];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const filter = `(&${options.groupFilter}(memberOf=${escapeFilterValue(next.dn)}))`;
    const children: string[] = [];
    for (const context of contexts) {
      const found: Entry[] = [];
      for await (const entry of pagedSearch(client, context, filter, attributes, settings.pageSize)) found.push(entry);
      for (const entry of found) {
        children.push(entry.dn);
        if (groups.has(anchorOf(entry))) continue;
        await add(entry);
        const added = groups.get(anchorOf(entry));
        if (added) queue.push(added);
      }
    }
    nested.set(next.anchor, children);
  }
  return [...groups.values()].map((group) => ({ ...group, nestedGroupDns: nested.get(group.anchor) ?? [] }));
}

/**
 * The member lists of the given groups (by anchor), read now with ranged retrieval: a delta reads
 * them only for the groups whose roles it plans whole. The other groups come back as they were.
 */
export async function readGroupMembers(
  client: LdapSearcher, groups: readonly DirectoryGroup[], anchors: ReadonlySet<string>, rangeSize: number = MEMBER_RANGE_SIZE,
): Promise<DirectoryGroup[]> {
  const result: DirectoryGroup[] = [];
  for (const group of groups) {
    if (group.membersUnread !== true || !anchors.has(group.anchor)) {
      result.push(group);
      continue;
    }
    const first = rangedAttribute('member', 0, rangeSize);
    const { searchEntries } = await client.search(group.dn, { scope: 'base', filter: '(objectClass=*)', attributes: [first] });
    const entry = searchEntries[0];
    if (!entry) throw new DirectoryReadError(`${group.dn} disappeared while its members were read`);
    const { membersUnread: _unread, ...rest } = group;
    result.push({ ...rest, memberDns: await readRemainingRanges(client, group.dn, 'member', rangedChunk(entry, 'member'), rangeSize) });
  }
  return result;
}

/** RFC 4515 §3: a DN as an assertion value, with the filter's special characters escaped. */
function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
