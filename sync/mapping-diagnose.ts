/**
 * The doctor's mapping file checks: SYNC_MAPPING_FILE exists and passes the checks a sync run makes
 * (sync/mapping.ts loadMapping), and every AD group it names exists, read through the directory
 * session the directory checks bound: a group the file names that AD lacks grants its role to no one,
 * which a run does not report as an error (sync/ldap/source.ts skips it).
 */
import { readFile } from 'node:fs/promises';
import { NoSuchObjectError, type Client, type Filter } from 'ldapts';
import type { SyncConfig } from '../src/config';
import { fail, ok, reasonOf, skip, skipAfter, withDeadline, type CheckResult } from '../src/diagnosis';
import type { DirectorySession } from './ldap/diagnose';
import { matchingAnyGuid } from './ldap/filters';
import { loadMapping } from './mapping';
import type { GroupRule, SyncMapping } from './types';

const FILE = 'mapping.file';
const GROUPS = 'mapping.groups';

export async function diagnoseMapping(sync: SyncConfig, session: DirectorySession | undefined, deadlineMs: number): Promise<CheckResult[]> {
  if (sync.mappingFile === undefined) {
    return [ok(FILE, 'SYNC_MAPPING_FILE is not set: the default attribute map, and no group grants a role'), skip(GROUPS, 'no mapping file')];
  }
  let mapping: SyncMapping;
  try {
    mapping = await readMapping(sync.mappingFile);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return [
      fail(FILE, missing ? `SYNC_MAPPING_FILE: ${sync.mappingFile} does not exist` : `SYNC_MAPPING_FILE: ${sync.mappingFile}: ${reasonOf(error)}`,
        missing ? 'create the mapping file (docs/ad-sync.md, section 5), or correct SYNC_MAPPING_FILE (a path is relative to the server\'s working directory)'
          : 'correct each key the message names (docs/ad-sync.md, section 5)'),
      ...skipAfter(FILE, [GROUPS]),
    ];
  }
  const rules = mapping.groups.length;
  const results = [ok(FILE, `${sync.mappingFile}: ${Object.keys(mapping.attributes).length} attributes mapped, ${rules} group rule${rules === 1 ? '' : 's'}`)];
  if (rules === 0) return [...results, ok(GROUPS, 'the file names no groups')];
  if (!session) return [...results, skip(GROUPS, 'not checked: the directory checks did not bind')];
  try {
    const missing = await withDeadline('looking up the mapped groups', deadlineMs, () => missingGroups(session, sync.groupFilter, mapping.groups));
    if (missing.length > 0) {
      return [...results, fail(GROUPS, `${missing.length} of ${rules} groups the mapping file names ${missing.length === 1 ? 'is' : 'are'} not in AD `
        + `(or not visible to the sync account, or not matching SYNC_GROUP_FILTER): ${missing.join('; ')}`,
      'correct the DN or objectGUID in the mapping file, or create the group in AD: until then that rule grants its role to no one')];
    }
    return [...results, ok(GROUPS, `all ${rules} groups the mapping file names exist`)];
  } catch (error) {
    return [...results, fail(GROUPS, `cannot look the mapped groups up: ${reasonOf(error)}`, 'check the sync account\'s read access to the groups')];
  }
}

async function readMapping(file: string): Promise<SyncMapping> {
  return loadMapping(await readFile(file, 'utf8'));
}

/** Each rule whose group (or OU, for groupsUnder) is absent, as `groups[i]: <dn or guid>`. */
async function missingGroups(session: DirectorySession, groupFilter: string, rules: readonly GroupRule[]): Promise<string[]> {
  const missing: string[] = [];
  for (const [index, rule] of rules.entries()) {
    let found: boolean;
    let named: string;
    if ('groupsUnder' in rule) {
      named = `groupsUnder ${rule.groupsUnder}`;
      found = await exists(session.client, rule.groupsUnder, 'base', '(objectClass=*)');
    } else if ('guid' in rule.group) {
      named = `group.guid ${rule.group.guid}`;
      found = session.namingContext !== undefined
        && await exists(session.client, session.namingContext, 'sub', matchingAnyGuid(groupFilter, [rule.group.guid]));
    } else {
      named = `group.dn ${rule.group.dn}`;
      found = await exists(session.client, rule.group.dn, 'base', groupFilter);
    }
    if (!found) missing.push(`groups[${index}] ${named}`);
  }
  return missing;
}

async function exists(client: Client, base: string, scope: 'base' | 'sub', filter: string | Filter): Promise<boolean> {
  try {
    const { searchEntries } = await client.search(base, { scope, filter, attributes: ['objectGUID'], sizeLimit: 1 });
    return searchEntries.length > 0;
  } catch (error) {
    if (error instanceof NoSuchObjectError) return false;
    throw error;
  }
}
