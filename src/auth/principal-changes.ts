import type { DataSource } from 'typeorm';

/**
 * "A principal read a moment ago may be stale now": said by the floor-2 writes that change what a
 * service account's token stands for (a token revoked, a role's permissions or managed roles changed,
 * a role deleted), heard by the principal cache of the app on the same DataSource, which then forgets
 * everything at once. This is what makes a revocation immediate on the replica that made it; other
 * replicas (and a revocation by the CLI, another process) rely on the cache's short lifetime.
 * Keyed by DataSource so that two apps in one process (the tests' two replicas) stay as separate as
 * two processes would be.
 */
const listeners = new WeakMap<DataSource, Set<() => void>>();

export function onPrincipalsChanged(dataSource: DataSource, listener: () => void): () => void {
  let set = listeners.get(dataSource);
  if (!set) listeners.set(dataSource, set = new Set());
  set.add(listener);
  return () => { set.delete(listener); };
}

export function principalsChanged(dataSource: DataSource): void {
  for (const listener of listeners.get(dataSource) ?? []) listener();
}
