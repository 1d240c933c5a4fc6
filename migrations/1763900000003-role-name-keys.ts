import type { MigrationInterface, QueryRunner } from 'typeorm';
import { roleNameKey } from '../src/identity/role-name';

/**
 * Role names become unique as they read, not only case-insensitively: `display_name_key` is
 * recomputed with roleNameKey (NFKC, format characters dropped, white space collapsed, case folded,
 * trimmed). A later change to that function needs a migration of its own, like this one.
 *
 * Two existing roles whose names now fold to one key cannot both take it (the key is unique): the
 * older keeps the new key and the younger keeps its old, lower-cased key, so nothing is lost and an
 * administrator can rename it; every role created from now on is checked against both.
 */
export class RoleNameKeys1763900000003 implements MigrationInterface {
  name = 'RoleNameKeys1763900000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const roles = await queryRunner.query(
      'SELECT id, display_name, display_name_key FROM roles ORDER BY created_at, id',
    ) as { id: string; display_name: string; display_name_key: string }[];
    const taken = new Set(roles.map((role) => role.display_name_key));
    for (const role of roles) {
      const key = roleNameKey(role.display_name);
      if (key === role.display_name_key || key.length > 255 || taken.has(key)) continue;
      taken.delete(role.display_name_key);
      taken.add(key);
      await queryRunner.query('UPDATE roles SET display_name_key = ? WHERE id = ?', [key, role.id]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const roles = await queryRunner.query('SELECT id, display_name FROM roles') as { id: string; display_name: string }[];
    for (const role of roles) {
      await queryRunner.query('UPDATE roles SET display_name_key = ? WHERE id = ?', [role.display_name.toLowerCase(), role.id]);
    }
  }
}
