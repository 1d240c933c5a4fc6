import { randomUUID } from 'node:crypto';
import mysql, { type Pool } from 'mysql2/promise';
import { openDataSource } from '../src/db/data-source';
import { SPARE_PREFIX, spareEmailOf, spareNameOf, userNameOf, workEmailOf } from './names';

/**
 * Seeds the benchmark database fast: multi-row INSERTs through mysql2, in the shape the migrations
 * and entities define (users with their profile JSON and filter columns, user_values for the work
 * email, roles, role_members). Going through the SCIM API would take minutes for 100,000 users.
 */
export interface SeedResult {
  /** The seeded set, in creation order: index i is `userNameOf(i)`. */
  readonly ids: string[];
  /** Users in no group, shuffled: the next "not yet a member" for the membership PATCHes. */
  readonly spareIds: string[];
  readonly bigGroupId: string;
  readonly smallGroupId: string;
  readonly seconds: number;
}

export const SCRATCH_TABLE = 'bench_scratch';
const SMALL_GROUP_SIZE = 10;

const BATCH = 2_000;
const PARALLEL = 3;

/** Drops and recreates the database, then applies scimd's migrations to it. */
export async function resetDatabase(url: string): Promise<void> {
  const parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name) || !name.toLowerCase().includes('bench')) {
    throw new Error(`Refusing to drop database "${name}": the benchmark database's name must contain "bench" `
      + '(set BENCH_DATABASE_URL)');
  }
  parsed.pathname = '/';
  const connection = await mysql.createConnection(parsed.toString());
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
  const dataSource = await openDataSource({ kind: 'mariadb', url: url.replace(/^mariadb:/, 'mysql:') });
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

export async function seed(pool: Pool, users: number, spare: number): Promise<SeedResult> {
  const started = process.hrtime.bigint();
  const base = Date.now() - 7 * 86_400_000;
  const ids = Array.from({ length: users }, () => randomUUID());
  const spareIds = Array.from({ length: spare }, () => randomUUID());
  // Distinct creation times, one millisecond apart: list order (created_at, id) is seeding order.
  const at = (i: number) => new Date(base + i).toISOString();

  await insertUsers(pool, users, (i) => ({ id: ids[i] as string, userName: userNameOf(i), email: workEmailOf(i), createdAt: at(i), n: i }));
  await insertUsers(pool, spare, (j) => ({
    id: spareIds[j] as string, userName: spareNameOf(j), email: spareEmailOf(j), createdAt: at(users + j), n: j,
  }));

  const now = new Date().toISOString();
  const bigGroupId = randomUUID();
  const smallGroupId = randomUUID();
  const role = (id: string, name: string) => [id, name, name.toLowerCase(), null, 'custom', 'any', 'normal', '[]', null,
    'scim', null, 1, now, now];
  await pool.query(
    'INSERT INTO roles (id, display_name, display_name_key, description, kind, assignable_to, risk, permissions, '
    + 'external_id, source, source_anchor, version, created_at, updated_at) VALUES ?',
    [[role(bigGroupId, `Bench big group (${users} members)`), role(smallGroupId, `Bench small group (${SMALL_GROUP_SIZE} members)`)]],
  );
  await inBatches(users, async (from, to) => {
    const rows = [];
    for (let i = from; i < to; i++) rows.push([bigGroupId, ids[i], 'scim', now]);
    await pool.query('INSERT INTO role_members (role_id, user_id, source, created_at) VALUES ?', [rows]);
  });
  const small = pickDistinct(ids, Math.min(SMALL_GROUP_SIZE, ids.length));
  await pool.query('INSERT INTO role_members (role_id, user_id, source, created_at) VALUES ?',
    [small.map((id) => [smallGroupId, id, 'scim', now])]);

  await pool.query(`CREATE TABLE ${SCRATCH_TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, `
    + 'created_at VARCHAR(24) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin');
  await pool.query('ANALYZE TABLE users, user_values, roles, role_members');
  shuffle(spareIds);
  return { ids, spareIds, bigGroupId, smallGroupId, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Takes the membership of both bench groups back to what was seeded (the PATCH scenarios add spares). */
export async function resetMemberships(pool: Pool, seeded: SeedResult): Promise<number> {
  const [result] = await pool.query(
    'DELETE m FROM role_members m JOIN users u ON u.id = m.user_id WHERE m.role_id IN (?, ?) AND u.user_name_key LIKE ?',
    [seeded.bigGroupId, seeded.smallGroupId, `${SPARE_PREFIX}%`],
  );
  return (result as { affectedRows: number }).affectedRows;
}

export async function memberCount(pool: Pool, groupId: string): Promise<number> {
  const [rows] = await pool.query('SELECT COUNT(*) AS n FROM role_members WHERE role_id = ?', [groupId]);
  return Number((rows as { n: number | string }[])[0]?.n ?? 0);
}

interface SeedUser {
  readonly id: string;
  readonly userName: string;
  readonly email: string;
  readonly createdAt: string;
  readonly n: number;
}

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth'];
const TITLES = ['Engineer', 'Analyst', 'Manager', 'Designer', 'Accountant'];

async function insertUsers(pool: Pool, count: number, make: (i: number) => SeedUser): Promise<void> {
  await inBatches(count, async (from, to) => {
    const users: unknown[][] = [];
    const values: unknown[][] = [];
    for (let i = from; i < to; i++) {
      const user = make(i);
      const givenName = GIVEN[user.n % GIVEN.length] as string;
      const familyName = FAMILY[Math.floor(user.n / GIVEN.length) % FAMILY.length] as string;
      const displayName = `${givenName} ${familyName} ${user.n}`;
      const title = TITLES[user.n % TITLES.length] as string;
      // The profile as scimd stores a SCIM POST of the same user (see UserDirectory.create).
      const profile = JSON.stringify({
        userName: user.userName,
        name: { givenName, familyName },
        displayName,
        title,
        emails: [{ value: user.email, type: 'work', primary: true }],
      });
      users.push([user.id, user.userName, user.userName.toLowerCase(), null, displayName, givenName, familyName, title,
        null, 1, null, null, null, null, profile, null, 'scim', null, 1, user.createdAt, user.createdAt]);
      values.push([user.id, 'emails', 'work', 1, user.email, user.email.toLowerCase()]);
    }
    await pool.query(
      'INSERT INTO users (id, user_name, user_name_key, external_id, display_name, given_name, family_name, title, '
      + 'user_type, active, employee_number, department, organization, manager_id, profile, password_hash, source, '
      + 'source_anchor, version, created_at, updated_at) VALUES ?',
      [users],
    );
    await pool.query('INSERT INTO user_values (user_id, attribute, type, is_primary, value, value_key) VALUES ?', [values]);
  });
}

/** Runs `work` over [0, count) in batches, a few at a time. */
async function inBatches(count: number, work: (from: number, to: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + BATCH);
      await work(from, next);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
}

function pickDistinct<T>(items: readonly T[], n: number): T[] {
  const copy = [...items];
  shuffle(copy);
  return copy.slice(0, n);
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
