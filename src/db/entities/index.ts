import { ApiTokenEntity } from './api-token.entity';
import { AuditChainEntity } from './audit-chain.entity';
import { AuditEventEntity } from './audit-event.entity';
import { ChangeRequestEntity } from './change-request.entity';
import { ConsoleSessionEntity } from './console-session.entity';
import { LeaseEntity } from './lease.entity';
import { MailOutboxEntity } from './mail-outbox.entity';
import { PersonalTokenEntity } from './personal-token.entity';
import { RoleMemberEntity } from './role-member.entity';
import { RoleEntity } from './role.entity';
import { ServiceAccountRoleEntity } from './service-account-role.entity';
import { ServiceAccountEntity } from './service-account.entity';
import { SyncRunEntryEntity } from './sync-run-entry.entity';
import { SyncRunEntity } from './sync-run.entity';
import { SyncStateEntity } from './sync-state.entity';
import { UserValueEntity } from './user-value.entity';
import { UserEntity } from './user.entity';

export {
  ApiTokenEntity, AuditEventEntity, RoleEntity, RoleMemberEntity, ServiceAccountEntity,
  ServiceAccountRoleEntity, UserEntity, UserValueEntity,
};
export { LeaseEntity, SyncRunEntity, SyncRunEntryEntity, SyncStateEntity };
export { ChangeRequestEntity, PersonalTokenEntity };
export { MailOutboxEntity };
export { AuditChainEntity };
export { ConsoleSessionEntity };

export const entities = [
  UserEntity, UserValueEntity, RoleEntity, RoleMemberEntity, ServiceAccountEntity,
  ServiceAccountRoleEntity, ApiTokenEntity, AuditEventEntity,
  SyncRunEntity, SyncRunEntryEntity, SyncStateEntity, LeaseEntity,
  PersonalTokenEntity, ChangeRequestEntity,
  AuditChainEntity,
  MailOutboxEntity,
  ConsoleSessionEntity,
];
