import type { DataSource } from 'typeorm';
import type { SyncRunView } from './sync-runs';

export type SyncRunListener = (run: SyncRunView) => void;

/**
 * Who hears of a sync run's end, per database: the metrics of the app serving that database count
 * the runs it ends, whoever started them (the schedule, the admin API, an abandoned run ended by
 * the next). Keyed weakly by the DataSource, so listeners go when it goes.
 */
const listeners = new WeakMap<DataSource, Set<SyncRunListener>>();

/** Calls `listener` with every run ended through `dataSource` from now on; returns the unsubscribe. */
export function onSyncRunFinished(dataSource: DataSource, listener: SyncRunListener): () => void {
  let set = listeners.get(dataSource);
  if (!set) listeners.set(dataSource, set = new Set());
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

/** Tells the listeners of `dataSource` that `run` ended. A listener that throws does not fail the run. */
export function announceSyncRunFinished(dataSource: DataSource, run: SyncRunView): void {
  for (const listener of listeners.get(dataSource) ?? []) {
    try {
      listener(run);
    } catch {
      // Listeners are observers (metrics); the run is recorded whatever they do.
    }
  }
}
