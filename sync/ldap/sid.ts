/**
 * Windows security identifiers (objectSid): the binary form AD returns → `S-1-5-21-…`.
 *
 * Layout: revision (1 byte), sub-authority count (1 byte), identifier authority (6 bytes, big-endian),
 * then `count` sub-authorities of 4 bytes each, little-endian.
 */

export class InvalidSidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSidError';
  }
}

/** Binary objectSid → string form (`S-1-5-21-x-y-z-rid`). Throws InvalidSidError on malformed input. */
export function sidToString(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) throw new InvalidSidError('a SID has at least 8 bytes');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const revision = buffer.readUInt8(0);
  const count = buffer.readUInt8(1);
  if (revision !== 1) throw new InvalidSidError(`unsupported SID revision ${revision}`);
  if (count > 15) throw new InvalidSidError(`a SID has at most 15 sub-authorities, got ${count}`);
  if (buffer.length !== 8 + 4 * count) {
    throw new InvalidSidError(`a SID with ${count} sub-authorities has ${8 + 4 * count} bytes, got ${buffer.length}`);
  }
  const authority = buffer.readUIntBE(2, 6);
  const parts = [`S-${revision}`, String(authority)];
  for (let i = 0; i < count; i++) parts.push(String(buffer.readUInt32LE(8 + 4 * i)));
  return parts.join('-');
}

/** String SID → binary form (for filters and test fixtures). */
export function sidToBytes(sid: string): Buffer {
  const match = /^S-1-(\d+)((?:-\d+){0,15})$/i.exec(sid.trim());
  if (!match) throw new InvalidSidError(`not a SID: ${JSON.stringify(sid.slice(0, 80))}`);
  const authority = Number(match[1]);
  if (!Number.isSafeInteger(authority) || authority >= 2 ** 48) throw new InvalidSidError('SID identifier authority out of range');
  const subs = (match[2] ?? '').split('-').slice(1).map(Number);
  const buffer = Buffer.alloc(8 + 4 * subs.length);
  buffer.writeUInt8(1, 0);
  buffer.writeUInt8(subs.length, 1);
  buffer.writeUIntBE(authority, 2, 6);
  subs.forEach((sub, i) => {
    if (!Number.isInteger(sub) || sub > 0xffffffff) throw new InvalidSidError('SID sub-authority out of range');
    buffer.writeUInt32LE(sub, 8 + 4 * i);
  });
  return buffer;
}
