import { ApiTokenEntity } from './api-token.entity';
import { AuditEventEntity } from './audit-event.entity';
import { RoleMemberEntity } from './role-member.entity';
import { RoleEntity } from './role.entity';
import { ServiceAccountRoleEntity } from './service-account-role.entity';
import { ServiceAccountEntity } from './service-account.entity';
import { UserValueEntity } from './user-value.entity';
import { UserEntity } from './user.entity';

export {
  ApiTokenEntity, AuditEventEntity, RoleEntity, RoleMemberEntity, ServiceAccountEntity,
  ServiceAccountRoleEntity, UserEntity, UserValueEntity,
};

export const entities = [
  UserEntity, UserValueEntity, RoleEntity, RoleMemberEntity, ServiceAccountEntity,
  ServiceAccountRoleEntity, ApiTokenEntity, AuditEventEntity,
];
