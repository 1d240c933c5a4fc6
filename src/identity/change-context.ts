/**
 * Who is making a change and through which door; every write carries one, and so does its audit
 * event, so that floor 2 checks its rules with the acting identity in hand whatever the door.
 */
export interface Actor {
  /** A service account (SCIM, admin API), the sync's own identity, or the local CLI operator. */
  readonly type: 'service-account' | 'cli' | 'sync';
  readonly id: string | null;
  readonly name: string;
}

export type Door = 'scim' | 'cli' | 'sync' | 'admin';

export interface ChangeContext {
  readonly actor: Actor;
  readonly door: Door;
  readonly requestId?: string;
}

/** The sync's non-personal identity (seeded by migration 1763900000002, holding the Batch sync role). */
export const BATCH_SYNC_ACCOUNT = { id: '00000000-0000-4000-9000-000000000001', name: 'Batch sync' } as const;

/** The context of the sync's writes: Batch sync through the sync's door; `requestId` names the run. */
export function batchSyncContext(requestId?: string): ChangeContext {
  return {
    actor: { type: 'sync', id: BATCH_SYNC_ACCOUNT.id, name: BATCH_SYNC_ACCOUNT.name }, door: 'sync',
    ...(requestId === undefined ? {} : { requestId }),
  };
}

export const nowIso = (): string => new Date().toISOString();
