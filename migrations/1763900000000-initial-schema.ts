import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import {
  autoIncrementPrimary, boolean, integer, nullableVarchar, text, timestamp, uuidPrimary, varchar,
} from './columns';

const TABLES = [
  'users', 'user_values', 'roles', 'role_members', 'service_accounts', 'service_account_roles', 'api_tokens',
  'audit_events',
] as const;

/** The identity store: users, roles and memberships, service accounts and tokens, audit. */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'users',
      columns: [
        uuidPrimary(),
        varchar('user_name', 255),
        varchar('user_name_key', 255),
        nullableVarchar('external_id', 255),
        nullableVarchar('display_name', 255),
        nullableVarchar('given_name', 255),
        nullableVarchar('family_name', 255),
        nullableVarchar('title', 255),
        nullableVarchar('user_type', 255),
        boolean('active', true),
        nullableVarchar('employee_number', 255),
        nullableVarchar('department', 255),
        nullableVarchar('organization', 255),
        nullableVarchar('manager_id', 255),
        text('profile'),
        nullableVarchar('password_hash', 255),
        varchar('source', 16, { default: "'scim'" }),
        nullableVarchar('source_anchor', 64),
        integer('version', { default: 1 }),
        timestamp('created_at'),
        timestamp('updated_at'),
      ],
      indices: [
        index('uq_users_user_name_key', ['user_name_key'], true),
        index('ix_users_external_id', ['external_id']),
        index('ix_users_source_anchor', ['source_anchor']),
        index('ix_users_created_at', ['created_at']),
        index('ix_users_updated_at', ['updated_at']),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'user_values',
      columns: [
        autoIncrementPrimary(),
        varchar('user_id', 36),
        varchar('attribute', 32),
        nullableVarchar('type', 64),
        boolean('is_primary', false),
        nullableVarchar('value', 512),
        nullableVarchar('value_key', 512),
      ],
      indices: [
        index('ix_user_values_user_id', ['user_id']),
        index('ix_user_values_lookup', ['attribute', 'value_key']),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'roles',
      columns: [
        uuidPrimary(),
        varchar('display_name', 255),
        varchar('display_name_key', 255),
        text('description', { isNullable: true }),
        varchar('kind', 16, { default: "'custom'" }),
        varchar('assignable_to', 16, { default: "'any'" }),
        varchar('risk', 16, { default: "'normal'" }),
        text('permissions'),
        nullableVarchar('external_id', 255),
        varchar('source', 16, { default: "'scim'" }),
        nullableVarchar('source_anchor', 64),
        integer('version', { default: 1 }),
        timestamp('created_at'),
        timestamp('updated_at'),
      ],
      indices: [
        index('uq_roles_display_name_key', ['display_name_key'], true),
        index('ix_roles_external_id', ['external_id']),
        index('ix_roles_source_anchor', ['source_anchor']),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'role_members',
      columns: [
        varchar('role_id', 36, { isPrimary: true }),
        varchar('user_id', 36, { isPrimary: true }),
        varchar('source', 16, { default: "'scim'" }),
        timestamp('created_at'),
      ],
      indices: [index('ix_role_members_user_id', ['user_id'])],
    }));

    await queryRunner.createTable(new Table({
      name: 'service_accounts',
      columns: [
        uuidPrimary(),
        varchar('name', 100),
        varchar('name_key', 100),
        text('description', { isNullable: true }),
        timestamp('created_at'),
        timestamp('disabled_at', { isNullable: true }),
      ],
      indices: [index('uq_service_accounts_name_key', ['name_key'], true)],
    }));

    await queryRunner.createTable(new Table({
      name: 'service_account_roles',
      columns: [
        varchar('account_id', 36, { isPrimary: true }),
        varchar('role_id', 36, { isPrimary: true }),
        timestamp('created_at'),
      ],
      indices: [index('ix_service_account_roles_role_id', ['role_id'])],
    }));

    await queryRunner.createTable(new Table({
      name: 'api_tokens',
      columns: [
        varchar('id', 32, { isPrimary: true }),
        varchar('account_id', 36),
        varchar('secret_hash', 64),
        timestamp('created_at'),
        timestamp('expires_at', { isNullable: true }),
        timestamp('revoked_at', { isNullable: true }),
        timestamp('last_used_at', { isNullable: true }),
      ],
      indices: [index('ix_api_tokens_account_id', ['account_id'])],
    }));

    await queryRunner.createTable(new Table({
      name: 'audit_events',
      columns: [
        autoIncrementPrimary(),
        timestamp('occurred_at'),
        varchar('actor_type', 32),
        nullableVarchar('actor_id', 64),
        varchar('actor_name', 255),
        varchar('door', 16),
        varchar('action', 64),
        varchar('target_type', 32),
        varchar('target_id', 64),
        nullableVarchar('target_name', 255),
        text('changes', { isNullable: true }),
        nullableVarchar('request_id', 64),
      ],
      indices: [
        index('ix_audit_events_occurred_at', ['occurred_at']),
        index('ix_audit_events_target', ['target_type', 'target_id']),
      ],
    }));

    // MariaDB/MySQL compare text case-insensitively under their default collations. SCIM wants
    // id and externalId compared exactly (RFC 7643 §3.1), as SQLite does; case-insensitive
    // attributes get a lower-cased *_key column instead. So every table compares binary.
    const type = queryRunner.connection.driver.options.type;
    if (type === 'mariadb' || type === 'mysql') {
      for (const table of TABLES) {
        await queryRunner.query(`ALTER TABLE \`${table}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      }
    }

    // Foreign keys come last: MariaDB refuses to convert a column that a foreign key joins.
    await queryRunner.createForeignKey('user_values', cascade('fk_user_values_user', 'user_id', 'users'));
    await queryRunner.createForeignKeys('role_members', [
      cascade('fk_role_members_role', 'role_id', 'roles'),
      cascade('fk_role_members_user', 'user_id', 'users'),
    ]);
    await queryRunner.createForeignKeys('service_account_roles', [
      cascade('fk_service_account_roles_account', 'account_id', 'service_accounts'),
      new TableForeignKey({
        name: 'fk_service_account_roles_role', columnNames: ['role_id'],
        referencedTableName: 'roles', referencedColumnNames: ['id'], onDelete: 'RESTRICT', onUpdate: 'NO ACTION',
      }),
    ]);
    await queryRunner.createForeignKey('api_tokens', cascade('fk_api_tokens_account', 'account_id', 'service_accounts'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...TABLES].reverse()) {
      await queryRunner.dropTable(table);
    }
  }
}

function index(name: string, columnNames: string[], isUnique = false): TableIndex {
  return new TableIndex({ name, columnNames, isUnique });
}

function cascade(name: string, column: string, table: string): TableForeignKey {
  return new TableForeignKey({
    name, columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION',
  });
}
