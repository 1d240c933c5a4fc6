import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { SeedSystemRoles1763900000001 } from './1763900000001-seed-system-roles';
import { SyncRuns1763900000002 } from './1763900000002-sync-runs';
import { RoleNameKeys1763900000003 } from './1763900000003-role-name-keys';
import { Governance1763900000004 } from './1763900000004-governance';
import { AuditChain1763900000005 } from './1763900000005-audit-chain';
import { MailOutbox1763900000006 } from './1763900000006-mail-outbox';
import { ConsoleSessions1763900000007 } from './1763900000007-console-sessions';
import { AuditSeal1763900000008 } from './1763900000008-audit-seal';
import { UserAnchorIndex1763900000009 } from './1763900000009-user-anchor-index';

/** Every migration, in order. Listed explicitly so they load the same under tsx and in tests. */
export const migrations = [
  InitialSchema1763900000000, SeedSystemRoles1763900000001, SyncRuns1763900000002, RoleNameKeys1763900000003,
  Governance1763900000004, AuditChain1763900000005, MailOutbox1763900000006,
  ConsoleSessions1763900000007, AuditSeal1763900000008, UserAnchorIndex1763900000009,
];
