import { createHash } from 'node:crypto';

/**
 * The hash chain over the audit log. Each event carries its position (`seq`, 1, 2, 3 … with no
 * gaps), the hash of the event before it (`prevHash`, null for the first) and its own hash:
 *
 *   hash = hex(SHA-256(UTF-8(JSON.stringify([AUDIT_HASH_VERSION, seq, occurredAt, actorType, actorId,
 *                                            actorName, door, action, targetType, targetId, targetName,
 *                                            changes, requestId, prevHash]))))
 *
 * A JSON array of strings, numbers and nulls has exactly one serialisation, so the encoding is
 * canonical without a canonicaliser; `changes` is hashed as the stored text, not re-serialised.
 * The row id is left out: the database assigns it after the hash is made, and `seq` is the
 * position that counts. Any change to this encoding needs a new version tag and a migration that
 * re-chains (or a verifier that knows both), like migrations/1763900000005-audit-chain.ts.
 */
export const AUDIT_HASH_VERSION = 'scimd-audit-v1';

/** The fields of an audit event as stored, which its hash covers. */
export interface ChainedFields {
  readonly seq: number;
  readonly occurredAt: string;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly actorName: string;
  readonly door: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly targetName: string | null;
  /** The JSON text as stored. */
  readonly changes: string | null;
  readonly requestId: string | null;
  readonly prevHash: string | null;
}

/** An event's fields as stored, before it has its place in the chain. */
export type AuditEventFields = Omit<ChainedFields, 'seq' | 'prevHash'>;

/** The canonical text an event's hash is made of. */
export function canonicalAuditEncoding(fields: ChainedFields): string {
  return JSON.stringify([
    AUDIT_HASH_VERSION, fields.seq, fields.occurredAt, fields.actorType, fields.actorId, fields.actorName, fields.door,
    fields.action, fields.targetType, fields.targetId, fields.targetName, fields.changes, fields.requestId, fields.prevHash,
  ]);
}

/** SHA-256 of the canonical encoding, 64 lower-case hex characters. */
export function auditEventHash(fields: ChainedFields): string {
  return createHash('sha256').update(canonicalAuditEncoding(fields), 'utf8').digest('hex');
}

/** String.prototype.isWellFormed: ES2024, in every Node scimd supports (20.19+), not in TypeScript's ES2023 lib. */
const isWellFormed = (value: string): boolean => (value as string & { isWellFormed(): boolean }).isWellFormed();

/** A surrogate half without its partner: not encodable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A text as the database will store it, so that the hash made before the INSERT is the hash of what
 * is read back: lone surrogates replaced by U+FFFD, as both drivers do when they encode to UTF-8,
 * and at most `max` UTF-16 units (so at most `max` characters, which is how MariaDB counts a
 * varchar) without splitting a surrogate pair.
 */
export function storedText(value: string, max = Number.MAX_SAFE_INTEGER): string {
  // Nearly every text is well formed: a native check spares the pattern's scan (a sync audits a
  // user's whole profile as the changes of its creation).
  const wellFormed = isWellFormed(value) ? value : value.replace(LONE_SURROGATE, '\uFFFD');
  if (wellFormed.length <= max) return wellFormed;
  let end = max;
  const last = wellFormed.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return wellFormed.slice(0, end);
}
