import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The system roles. They are data, frozen here as of this migration: a later change to a system
 * role is a new migration, so every database walks the same history. Ids are fixed so that
 * documentation, scripts and other migrations can name them.
 */
interface SeedRole {
  id: string;
  name: string;
  description: string;
  assignableTo: 'person' | 'service' | 'any';
  risk: 'normal' | 'high';
  permissions: string[];
}

const READ_ALL = ['users:read', 'groups:read', 'service-accounts:read', 'audit:read', 'sync:read'];

export const SYSTEM_ROLES: readonly SeedRole[] = [
  { id: '00000000-0000-4000-8000-000000000001', name: 'Super Administrator', assignableTo: 'person', risk: 'high',
    description: 'Full access to everything scimd does.', permissions: ['*'] },
  { id: '00000000-0000-4000-8000-000000000002', name: 'Administrator', assignableTo: 'person', risk: 'high',
    description: 'Full administration of scimd except managing users.',
    permissions: [...READ_ALL, 'roles:manage', 'service-accounts:write', 'sync:run'] },
  { id: '00000000-0000-4000-8000-000000000003', name: 'Auditor', assignableTo: 'person', risk: 'normal',
    description: 'Views everything, changes nothing.', permissions: READ_ALL },
  { id: '00000000-0000-4000-8000-000000000004', name: 'Help Desk Administrator', assignableTo: 'person', risk: 'normal',
    description: 'Manages users that hold no role, the Auditor role or the Help Desk Administrator role.',
    permissions: ['users:read', 'users:write', 'groups:read'] },
  { id: '00000000-0000-4000-8000-000000000005', name: 'User administrator', assignableTo: 'person', risk: 'normal',
    description: 'Manages users and assigns roles to them.',
    permissions: ['users:read', 'users:write', 'groups:read', 'groups:write'] },
  { id: '00000000-0000-4000-8000-000000000006', name: 'Operator', assignableTo: 'person', risk: 'normal',
    description: 'Runs day-to-day operations: directory sync runs and their reports.',
    permissions: ['users:read', 'groups:read', 'sync:read', 'sync:run'] },
  { id: '00000000-0000-4000-8000-000000000007', name: 'Identity Accounts - Validator', assignableTo: 'person',
    risk: 'high', description: 'Approver: validates high-risk changes requested by someone else (four-eyes).',
    permissions: ['users:read', 'groups:read', 'service-accounts:read', 'approvals:decide'] },
  { id: '00000000-0000-4000-8000-000000000008', name: 'Identity Accounts - Creator', assignableTo: 'person',
    risk: 'high', description: 'Manages user and service accounts and their roles; needs a validator to approve.',
    permissions: ['users:read', 'users:write', 'groups:read', 'groups:write', 'service-accounts:read',
      'service-accounts:write'] },
  { id: '00000000-0000-4000-8000-000000000009', name: 'SCIM Provisioning', assignableTo: 'service', risk: 'normal',
    description: 'Held by an identity provider\'s SCIM client: reads and writes Users and Groups.',
    permissions: ['users:read', 'users:write', 'groups:read', 'groups:write'] },
  { id: '00000000-0000-4000-8000-00000000000a', name: 'Read-only API Access', assignableTo: 'service', risk: 'normal',
    description: 'For integrations that only read: GET requests only.', permissions: READ_ALL },
  { id: '00000000-0000-4000-8000-00000000000b', name: 'Full API Access', assignableTo: 'service', risk: 'high',
    description: 'For trusted integrations: every API operation.', permissions: ['*'] },
  { id: '00000000-0000-4000-8000-00000000000c', name: 'Batch sync', assignableTo: 'service', risk: 'normal',
    description: 'The non-personal identity of the Active Directory batch sync; can never be held by a person.',
    permissions: ['users:read', 'users:write', 'groups:read', 'groups:write', 'sync:read', 'sync:run'] },
];

export class SeedSystemRoles1763900000001 implements MigrationInterface {
  name = 'SeedSystemRoles1763900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const now = new Date().toISOString();
    for (const role of SYSTEM_ROLES) {
      // Plain SQL with column names: this migration must not depend on today's entity classes.
      await queryRunner.query(
        'INSERT INTO roles (id, display_name, display_name_key, description, kind, assignable_to, risk, '
        + 'permissions, external_id, source, source_anchor, version, created_at, updated_at) '
        + 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, 1, ?, ?)',
        [role.id, role.name, role.name.toLowerCase(), role.description, 'system', role.assignableTo, role.risk,
          JSON.stringify(role.permissions), 'local', now, now],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const role of SYSTEM_ROLES) await queryRunner.query('DELETE FROM roles WHERE id = ?', [role.id]);
  }
}
