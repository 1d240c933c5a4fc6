import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { transaction } from '../db/transaction';
import { nowIso } from '../identity/change-context';
import { lastUseDue, secretMatches } from './tokens';

/** The columns of a stored token (service or personal) that authentication reads. */
export interface StoredTokenRow {
  readonly token_id: string;
  readonly secret_hash: string;
  readonly expires_at: string | null;
  readonly last_used_at: string | null;
}

/**
 * The token row found by id, when it accepts the presented secret (else undefined): the secret matches (constant
 * time), the token has not expired, and its holder may act (`holderMayAct`: an enabled account, an
 * active user). An accepted token's use is recorded at most once a minute, so reads stay reads.
 */
export async function acceptStoredToken<Row extends StoredTokenRow>(
  dataSource: DataSource, entity: EntityTarget<ObjectLiteral>, row: Row | undefined, secret: string,
  holderMayAct: (row: Row) => boolean,
): Promise<Row | undefined> {
  if (!row || !secretMatches(secret, row.secret_hash)) return undefined;
  const now = nowIso();
  if (row.expires_at !== null && row.expires_at <= now) return undefined;
  if (!holderMayAct(row)) return undefined;
  if (lastUseDue(row.last_used_at, now)) {
    // Through the transaction queue: on SQLite a bare write would join (and roll back with) a
    // transaction another request has open on the shared connection.
    await transaction(dataSource, (manager) => manager.update(entity, { id: row.token_id }, { lastUsedAt: now }));
  }
  return row;
}
