/** Structured progress of a sync run, for a progress bar or log lines (src/cli/sync-progress.ts). */

export type SyncPhase = 'users' | 'managers' | 'leavers' | 'groups' | 'done';

/** Counts so far. Each is a count of report-worthy things, not an estimate. */
export interface SyncProgressCounts {
  /** users: reading, planning and applying pages of users; then the steps after the read. */
  phase: SyncPhase;
  /** Users read from the directory. */
  read: number;
  /** Users the run has decided for (changed, unchanged or skipped), leavers included. */
  planned: number;
  /** User changes the writer answered for (written, found already as asked, or failed). */
  applied: number;
  /** AD users the store held before the run: what a full read is likely to find (0 on a first run: no estimate). */
  expected: number;
}
