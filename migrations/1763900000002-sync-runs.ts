import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { autoIncrementPrimary, boolean, integer, nullableVarchar, text, timestamp, uuidPrimary, varchar } from './columns';

const TABLES = ['sync_runs', 'sync_run_entries', 'sync_state', 'leases'] as const;

/** The non-personal identity of the directory sync. Fixed id, so that documentation and scripts can name it. */
export const BATCH_SYNC_ACCOUNT = {
  id: '00000000-0000-4000-9000-000000000001',
  name: 'Batch sync',
  description: 'The Active Directory batch sync. It runs inside scimd and needs no token; issue one '
    + '(scimd token create "Batch sync") only for a sync runner outside the server.',
  roleId: '00000000-0000-4000-8000-00000000000c',
} as const;

const COUNTERS = [
  'read_count', 'created_count', 'updated_count', 'deactivated_count', 'deleted_count', 'reactivated_count',
  'unchanged_count', 'skipped_count', 'error_count', 'member_add_count', 'member_remove_count',
] as const;

/**
 * Directory sync bookkeeping: runs and their report entries, the delta watermark, leases (one sync
 * at a time across replicas), each user's DN, and the Batch sync service account (without a token).
 */
export class SyncRuns1763900000002 implements MigrationInterface {
  name = 'SyncRuns1763900000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'sync_runs',
      columns: [
        uuidPrimary(),
        varchar('triggered_by', 16),
        varchar('mode', 8),
        nullableVarchar('mode_reason', 255),
        boolean('dry_run', false),
        varchar('status', 16),
        timestamp('started_at'),
        timestamp('finished_at', { isNullable: true }),
        integer('duration_ms', { isNullable: true }),
        nullableVarchar('server', 255),
        nullableVarchar('invocation_id', 64),
        nullableVarchar('usn_from', 20),
        nullableVarchar('usn_to', 20),
        ...COUNTERS.map((name) => integer(name, { default: 0 })),
        text('message', { isNullable: true }),
        varchar('actor_name', 255),
      ],
      indices: [index('ix_sync_runs_started_at', ['started_at'])],
    }));

    await queryRunner.createTable(new Table({
      name: 'sync_run_entries',
      columns: [
        autoIncrementPrimary(),
        varchar('run_id', 36),
        varchar('anchor', 64),
        nullableVarchar('dn', 1024),
        varchar('object_type', 8),
        varchar('action', 16),
        text('changes'),
        text('message', { isNullable: true }),
        timestamp('created_at'),
      ],
      indices: [index('ix_sync_run_entries_run_action', ['run_id', 'action'])],
    }));

    await queryRunner.createTable(new Table({
      name: 'sync_state',
      columns: [
        varchar('state_key', 32, { isPrimary: true }),
        varchar('invocation_id', 64),
        varchar('usn', 20),
        nullableVarchar('run_id', 36),
        timestamp('updated_at'),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'leases',
      columns: [
        varchar('name', 64, { isPrimary: true }),
        varchar('holder', 255),
        timestamp('acquired_at'),
        timestamp('expires_at'),
      ],
    }));

    // No index: DNs run to hundreds of characters, beyond MariaDB's index prefix.
    await queryRunner.addColumn('users', new TableColumn(nullableVarchar('source_dn', 1024)));

    // As in the initial schema: every table compares binary on MariaDB (users already does).
    const type = queryRunner.connection.driver.options.type;
    if (type === 'mariadb' || type === 'mysql') {
      for (const table of TABLES) {
        await queryRunner.query(`ALTER TABLE \`${table}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      }
    }

    await queryRunner.createForeignKey('sync_run_entries', new TableForeignKey({
      name: 'fk_sync_run_entries_run', columnNames: ['run_id'], referencedTableName: 'sync_runs',
      referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION',
    }));

    await seedBatchSyncAccount(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Tokens an operator issued for the account go with it (api_tokens cascade).
    await queryRunner.query('DELETE FROM service_accounts WHERE id = ?', [BATCH_SYNC_ACCOUNT.id]);
    await queryRunner.dropColumn('users', 'source_dn');
    for (const table of [...TABLES].reverse()) await queryRunner.dropTable(table);
  }
}

/** The Batch sync account holds the Batch sync role and no token: none is ever printed by default. */
async function seedBatchSyncAccount(queryRunner: QueryRunner): Promise<void> {
  const account = BATCH_SYNC_ACCOUNT;
  // Plain SQL with column names: this migration must not depend on today's entity classes.
  const taken = await queryRunner.query('SELECT id FROM service_accounts WHERE name_key = ?', [account.name.toLowerCase()]) as
    { id: string }[];
  if (taken.length > 0) {
    throw new Error(`A service account named "${account.name}" already exists (${taken[0]?.id ?? ''}); `
      + 'rename it (the name is now reserved for the directory sync) and run the migration again');
  }
  const now = new Date().toISOString();
  await queryRunner.query(
    'INSERT INTO service_accounts (id, name, name_key, description, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, NULL)',
    [account.id, account.name, account.name.toLowerCase(), account.description, now],
  );
  await queryRunner.query(
    'INSERT INTO service_account_roles (account_id, role_id, created_at) VALUES (?, ?, ?)',
    [account.id, account.roleId, now],
  );
}

function index(name: string, columnNames: string[]): TableIndex {
  return new TableIndex({ name, columnNames });
}
