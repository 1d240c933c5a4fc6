/** Who is making a change and through which door; every write carries one, and so does its audit event. */
export interface Actor {
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

export const nowIso = (): string => new Date().toISOString();
