import { TestDirectory } from '../../test/support/directory';

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
/** Users created first, without a manager: every later user's manager exists before it is added. */
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

/** Members each group gets: user indexes (the nested group holds a group, not users). */
function groupMembers(users: number, group: string): number[] {
  const all = Array.from({ length: users }, (_, i) => i);
  if (group === 'Bench Everyone') return all;
  if (group === 'Bench Small') return all.slice(0, SMALL_GROUP);
  const dept = /^Bench Dept (\d+)$/.exec(group)?.[1];
  if (dept !== undefined) return all.filter((i) => i % 10 === Number(dept));
  return [];
}

const CHUNK = 5_000;

/**
 * Creates the users and groups over verified LDAPS as Administrator, pipelined on one connection
 * (`TestDirectory.createUsers`, 32 adds in flight, which Samba applies in order: user i's manager ⌊i / 10⌋
 * is one of the first 100, created before, or was sent at least 900 adds earlier). TestDirectory reads the DC from TEST_LDAP_*.
 */
export async function populate(users: number, baseDn: string, log: (message: string) => void): Promise<void> {
  const directory = await TestDirectory.open();
  try {
    const layout = layoutOf(baseDn);
    await directory.createOu(BENCH_OU_NAME, baseDn);
    await directory.createOu('People', layout.benchOu);
    await directory.createOu('Roles', layout.benchOu);
    const describe = (i: number) => directory.sampleUser(userNameOf(i), {
      title: `Title ${i % 37}`,
      department: `Department ${i % 10}`,
      employeeID: `E${String(i).padStart(7, '0')}`,
      telephoneNumber: `+1 555 ${String(i % 10_000).padStart(4, '0')}`,
      ...(i >= ROOTS ? { manager: userDnOf(layout, Math.floor(i / 10)) } : {}),
      enabled: i % 100 !== 99,
    });
    const started = Date.now();
    const managers = Math.min(ROOTS, users);
    await directory.createUsers(layout.peopleOu, managers, describe);
    for (let from = managers; from < users; from += CHUNK) {
      const count = Math.min(CHUNK, users - from);
      await directory.createUsers(layout.peopleOu, count, (i) => describe(from + i));
      const done = from + count;
      const seconds = (Date.now() - started) / 1000;
      log(`  ${done.toLocaleString('en-US')} / ${users.toLocaleString('en-US')} users (${(done / seconds).toFixed(0)} users/s)`);
    }
    const groupsStarted = Date.now();
    const dns = new Map<string, string>();
    for (const name of GROUP_NAMES) {
      const members = groupMembers(users, name).map((i) => userDnOf(layout, i));
      if (name === 'Bench Nested') {
        const small = dns.get('Bench Small');
        if (small !== undefined) members.push(small);
      }
      dns.set(name, await directory.createGroup(layout.rolesOu, name, { members }));
    }
    log(`  ${GROUP_NAMES.length} groups in ${((Date.now() - groupsStarted) / 1000).toFixed(1)} s`);
  } finally {
    await directory.close({ removeSuiteOus: false });
  }
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
