import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { nullableVarchar, text, timestamp, uuidPrimary, varchar } from './columns';

const TABLES = ['personal_tokens', 'change_requests'] as const;

/**
 * What each system role manages and the permissions governance adds, frozen as of this migration.
 * `manages` is `all`, `none` or `selected` (then `managed_roles` lists role ids): the roles whose
 * holders a role's holders may manage, and which they may assign.
 */
const ROLE_IDS = {
  superAdministrator: '00000000-0000-4000-8000-000000000001',
  administrator: '00000000-0000-4000-8000-000000000002',
  auditor: '00000000-0000-4000-8000-000000000003',
  helpDesk: '00000000-0000-4000-8000-000000000004',
  userAdministrator: '00000000-0000-4000-8000-000000000005',
  operator: '00000000-0000-4000-8000-000000000006',
  validator: '00000000-0000-4000-8000-000000000007',
  creator: '00000000-0000-4000-8000-000000000008',
  scimProvisioning: '00000000-0000-4000-8000-000000000009',
  readOnly: '00000000-0000-4000-8000-00000000000a',
  fullApi: '00000000-0000-4000-8000-00000000000b',
  batchSync: '00000000-0000-4000-8000-00000000000c',
} as const;

interface SystemRoleGovernance {
  readonly id: string;
  readonly manages: 'all' | 'none' | 'selected';
  readonly managedRoles?: readonly string[];
  readonly addPermissions?: readonly string[];
}

const GOVERNANCE: readonly SystemRoleGovernance[] = [
  { id: ROLE_IDS.superAdministrator, manages: 'all' },
  { id: ROLE_IDS.administrator, manages: 'all' },
  { id: ROLE_IDS.auditor, manages: 'all' },
  { id: ROLE_IDS.helpDesk, manages: 'selected', managedRoles: [ROLE_IDS.auditor, ROLE_IDS.helpDesk], addPermissions: ['roles:assign'] },
  { id: ROLE_IDS.userAdministrator, manages: 'all', addPermissions: ['roles:assign'] },
  { id: ROLE_IDS.operator, manages: 'none' },
  { id: ROLE_IDS.validator, manages: 'none' },
  { id: ROLE_IDS.creator, manages: 'all', addPermissions: ['roles:assign', 'roles:manage'] },
  { id: ROLE_IDS.scimProvisioning, manages: 'all', addPermissions: ['roles:assign'] },
  { id: ROLE_IDS.readOnly, manages: 'none' },
  { id: ROLE_IDS.fullApi, manages: 'all' },
  { id: ROLE_IDS.batchSync, manages: 'all', addPermissions: ['roles:assign'] },
];

/**
 * Governance: what roles manage, personal access tokens of persons, and change requests awaiting a
 * second person's approval (four-eyes).
 */
export class Governance1763900000004 implements MigrationInterface {
  name = 'Governance1763900000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('roles', new TableColumn(varchar('manages', 16, { default: "'none'" })));
    await queryRunner.addColumn('roles', new TableColumn(text('managed_roles', { isNullable: true })));

    await queryRunner.createTable(new Table({
      name: 'personal_tokens',
      columns: [
        varchar('id', 32, { isPrimary: true }),
        varchar('user_id', 36),
        varchar('secret_hash', 64),
        timestamp('created_at'),
        timestamp('expires_at', { isNullable: true }),
        timestamp('revoked_at', { isNullable: true }),
        timestamp('last_used_at', { isNullable: true }),
      ],
      indices: [new TableIndex({ name: 'ix_personal_tokens_user_id', columnNames: ['user_id'] })],
    }));

    await queryRunner.createTable(new Table({
      name: 'change_requests',
      columns: [
        uuidPrimary(),
        varchar('kind', 32),
        varchar('status', 16),
        text('summary'),
        text('payload'),
        varchar('target_type', 32),
        varchar('target_id', 64),
        nullableVarchar('target_name', 255),
        varchar('requested_by_type', 32),
        nullableVarchar('requested_by_id', 64),
        varchar('requested_by_name', 255),
        timestamp('requested_at'),
        timestamp('expires_at'),
        nullableVarchar('decided_by_type', 32),
        nullableVarchar('decided_by_id', 64),
        nullableVarchar('decided_by_name', 255),
        timestamp('decided_at', { isNullable: true }),
        text('comment', { isNullable: true }),
        text('result', { isNullable: true }),
      ],
      indices: [
        new TableIndex({ name: 'ix_change_requests_status', columnNames: ['status', 'requested_at'] }),
        new TableIndex({ name: 'ix_change_requests_target', columnNames: ['target_type', 'target_id'] }),
      ],
    }));

    // As in the initial schema: every table compares binary on MariaDB.
    const type = queryRunner.connection.driver.options.type;
    if (type === 'mariadb' || type === 'mysql') {
      for (const table of TABLES) {
        await queryRunner.query(`ALTER TABLE \`${table}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      }
    }
    await queryRunner.createForeignKey('personal_tokens', new TableForeignKey({
      name: 'fk_personal_tokens_user', columnNames: ['user_id'], referencedTableName: 'users',
      referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION',
    }));

    // Plain SQL with column names: this migration must not depend on today's entity classes.
    for (const role of GOVERNANCE) {
      const rows = await queryRunner.query('SELECT permissions FROM roles WHERE id = ?', [role.id]) as { permissions: string }[];
      const current = rows[0];
      if (!current) continue;
      const permissions = [...new Set([...JSON.parse(current.permissions) as string[], ...(role.addPermissions ?? [])])];
      await queryRunner.query('UPDATE roles SET manages = ?, managed_roles = ?, permissions = ? WHERE id = ?', [
        role.manages, role.managedRoles ? JSON.stringify(role.managedRoles) : null, JSON.stringify(permissions), role.id,
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const role of GOVERNANCE) {
      if (!role.addPermissions) continue;
      const rows = await queryRunner.query('SELECT permissions FROM roles WHERE id = ?', [role.id]) as { permissions: string }[];
      const current = rows[0];
      if (!current) continue;
      const kept = (JSON.parse(current.permissions) as string[]).filter((p) => !(role.addPermissions ?? []).includes(p));
      await queryRunner.query('UPDATE roles SET permissions = ? WHERE id = ?', [JSON.stringify(kept), role.id]);
    }
    for (const table of [...TABLES].reverse()) await queryRunner.dropTable(table);
    await queryRunner.dropColumn('roles', 'managed_roles');
    await queryRunner.dropColumn('roles', 'manages');
  }
}
