import { UAC_NORMAL_DISABLED, UAC_NORMAL_ENABLED } from '../../sync/ldap/account-control';
import { escapeRdnValue, GLOBAL_SECURITY_GROUP, TestDirectory } from '../../test/support/directory';
import { ldbadd } from './ldbadd';
import { ldifChunks, type LdifEntry } from './ldif';

/**
 * The benchmark's directory content, derived from N alone (so that a cached DC needs no description):
 *
 *   OU=Bench Sync,<base>
 *     OU=People   N users bu000000…: UPN, names, mail, title, department, employeeID, phone, manager
 *                 (user i ≥ 100 reports to user ⌊i / 10⌋: a tree, up to 10 reports each), 1% disabled
 *                 (i % 100 = 99)
 *     OU=Roles    Bench Everyone (all N), Bench Dept 1–4 (i % 10 = k: N/10 each), Bench Small (users 0–49),
 *                 Bench Nested (holds the group Bench Small)
 *
 * The mapping maps every group under OU=Roles to a role of the same name (created by the first run).
 */
export const BENCH_OU_NAME = 'Bench Sync';
/** Users without a manager: user i ≥ ROOTS reports to ⌊i / 10⌋. */
const ROOTS = 100;
const SMALL_GROUP = 50;
const DEPARTMENTS = 4;
export const GROUP_NAMES = ['Bench Everyone', ...Array.from({ length: DEPARTMENTS }, (_, k) => `Bench Dept ${k + 1}`), 'Bench Small', 'Bench Nested'];

export interface Layout {
  readonly benchOu: string;
  readonly peopleOu: string;
  readonly rolesOu: string;
}

export function layoutOf(baseDn: string): Layout {
  const benchOu = `OU=${BENCH_OU_NAME},${baseDn}`;
  return { benchOu, peopleOu: `OU=People,${benchOu}`, rolesOu: `OU=Roles,${benchOu}` };
}

export const userNameOf = (i: number): string => `bu${String(i).padStart(6, '0')}`;
export const userDnOf = (layout: Layout, i: number): string => `CN=${userNameOf(i)},${layout.peopleOu}`;

/** The mapping file: every group under OU=Roles becomes a role (default attribute map). */
export function mappingOf(layout: Layout): string {
  return JSON.stringify({ groups: [{ groupsUnder: layout.rolesOu, createRoles: true }] }, null, 2);
}

/** The DNS domain of a base DN (`DC=example,DC=test` → `example.test`), for userPrincipalName and mail. */
function dnsDomainOf(baseDn: string): string {
  return baseDn.split(',').map((part) => part.trim().replace(/^DC=/i, '')).join('.').toLowerCase();
}

function* range(from: number, to: number, keep: (i: number) => boolean = () => true): Generator<number> {
  for (let i = from; i < to; i++) if (keep(i)) yield i;
}

function* map<T, R>(items: Iterable<T>, fn: (item: T) => R): Generator<R> {
  for (const item of items) yield fn(item);
}

/**
 * User i: the attributes `TestDirectory.sampleUser` gives (UPN, names, mail) and the bench's own. The same
 * object classes and userAccountControl as `TestDirectory.createUser`, so a loaded user is one added over LDAP.
 */
function userEntry(layout: Layout, domain: string, i: number): LdifEntry {
  const name = userNameOf(i);
  const attributes: Array<readonly [string, Iterable<string>]> = [
    ['objectClass', ['top', 'person', 'organizationalPerson', 'user']],
    ['cn', [name]],
    ['sAMAccountName', [name]],
    ['userAccountControl', [String(i % 100 === 99 ? UAC_NORMAL_DISABLED : UAC_NORMAL_ENABLED)]],
    ['userPrincipalName', [`${name}@${domain}`]],
    ['givenName', [`Given ${name}`]],
    ['sn', [`Sur ${name}`]],
    ['displayName', [`Given ${name} Sur ${name}`]],
    ['mail', [`${name}@${domain}`]],
    ['title', [`Title ${i % 37}`]],
    ['department', [`Department ${i % 10}`]],
    ['employeeID', [`E${String(i).padStart(7, '0')}`]],
    ['telephoneNumber', [`+1 555 ${String(i % 10_000).padStart(4, '0')}`]],
  ];
  if (i >= ROOTS) attributes.push(['manager', [userDnOf(layout, Math.floor(i / 10))]]);
  return { dn: userDnOf(layout, i), attributes };
}

export const groupDnOf = (layout: Layout, name: string): string => `CN=${escapeRdnValue(name)},${layout.rolesOu}`;

/** A global security group, as `TestDirectory.createGroup` makes it, with its members (DNs, generated lazily). */
function groupEntry(layout: Layout, name: string, members: Iterable<string>): LdifEntry {
  return {
    dn: groupDnOf(layout, name),
    attributes: [
      ['objectClass', ['top', 'group']], ['cn', [name]], ['sAMAccountName', [name]], ['groupType', [GLOBAL_SECURITY_GROUP]],
      ['member', members],
    ],
  };
}

/** Members each group gets: user indexes (the nested group holds a group, not users). */
function groupMembers(users: number, group: string): Iterable<number> {
  if (group === 'Bench Everyone') return range(0, users);
  if (group === 'Bench Small') return range(0, Math.min(SMALL_GROUP, users));
  const dept = /^Bench Dept (\d+)$/.exec(group)?.[1];
  if (dept !== undefined) return range(0, users, (i) => i % 10 === Number(dept));
  return [];
}

function ouEntry(dn: string, name: string): LdifEntry {
  return { dn, attributes: [['objectClass', ['top', 'organizationalUnit']], ['ou', [name]]] };
}

/**
 * The whole directory content, in an order a directory accepts it: OUs, then users in index order (user i's
 * manager ⌊i / 10⌋ comes before it), then the groups (Bench Small before Bench Nested, which holds it).
 * `onUser(i)` is called as user i is produced, and with N once all are, for progress.
 */
export function* benchEntries(users: number, baseDn: string, onUser: (i: number) => void = () => undefined): Generator<LdifEntry> {
  const layout = layoutOf(baseDn);
  const domain = dnsDomainOf(baseDn);
  yield ouEntry(layout.benchOu, BENCH_OU_NAME);
  yield ouEntry(layout.peopleOu, 'People');
  yield ouEntry(layout.rolesOu, 'Roles');
  for (let i = 0; i < users; i++) {
    onUser(i);
    yield userEntry(layout, domain, i);
  }
  onUser(users);
  for (const name of GROUP_NAMES) {
    const members = name === 'Bench Nested'
      ? [groupDnOf(layout, 'Bench Small')]
      : map(groupMembers(users, name), (i) => userDnOf(layout, i));
    yield groupEntry(layout, name, members);
  }
}

const PROGRESS_EVERY = 10_000;

/**
 * Loads the content into the stopped DC in `dcDir` (`ldbadd`, see ldbadd.ts): 3 OUs, N users, 7 groups.
 * Progress counts users handed to ldbadd, which reads them as fast as it adds them (a pipe holds ~64 KiB).
 */
export async function populate(users: number, baseDn: string, dcDir: string, log: (message: string) => void): Promise<void> {
  const started = performance.now();
  const progress = (i: number): void => {
    if (i === 0 || (i % PROGRESS_EVERY !== 0 && i !== users)) return;
    const seconds = (performance.now() - started) / 1000;
    log(`  ${i.toLocaleString('en-US')} / ${users.toLocaleString('en-US')} users (${(i / seconds).toFixed(0)} users/s)`
      + `${i === users ? '; then the groups, their members\' memberOf, and the commit' : ''}`);
  };
  const expected = 3 + users + GROUP_NAMES.length;
  const result = await ldbadd(dcDir, ldifChunks(benchEntries(users, baseDn, progress)), expected, users);
  const cpu = result.cpuSeconds === undefined ? '' : `; CPU ${result.cpuSeconds.toFixed(0)} s in ldbadd, ${result.writerCpuSeconds.toFixed(0)} s writing the LDIF`
    + `${result.otherCores === undefined ? '' : `, other load ${result.otherCores.toFixed(1)} cores`}`;
  log(`  ldbadd added ${result.added.toLocaleString('en-US')} entries in ${result.seconds.toFixed(1)} s${cpu}`);
}

/** Changes the title of `count` users spread evenly over the set; returns their indexes. */
export async function changeTitles(users: number, baseDn: string, count: number, label: string): Promise<number[]> {
  const directory = await TestDirectory.open();
  try {
    const layout = layoutOf(baseDn);
    const step = Math.max(1, Math.floor(users / count));
    const changed = Array.from({ length: Math.min(count, users) }, (_, k) => k * step);
    for (const i of changed) await directory.modify(userDnOf(layout, i), { title: `${label} ${i}` });
    return changed;
  } finally {
    await directory.close({ removeSuiteOus: false });
  }
}
