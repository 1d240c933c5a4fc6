/**
 * What a streamed full run remembers of the users it has read: per user its anchor, its DN (to
 * resolve manager and group member references), whether it is active once the run is applied, and
 * its id in the store once known (to write a role's new members in the users table's order).
 *
 * It is the one thing a full run keeps for every user, so it is kept in flat typed arrays rather
 * than in Maps of strings (which cost ~400 bytes a user alive, and more in the heap V8 grows around
 * them): a canonical GUID anchor as its 16 bytes, the DN as the first 16 bytes of the SHA-256 of its
 * comparison key (dnKey), the state as one byte, the store id as its 16 bytes, and two
 * open-addressing tables of user numbers that find them: about 90 bytes a user. Two DN keys sharing
 * 128 bits of SHA-256 is not a case to plan for (~10^-29 at a million users). An anchor that is not
 * a canonical GUID (none that Active Directory sends) is kept as text beside them.
 */
import { hash } from 'node:crypto';
import { parseGuidInto } from './ldap/guid';
import { dnKey } from './nesting';

export type SeenState = 'active' | 'inactive' | 'skipped';

const STATES: readonly SeenState[] = ['active', 'inactive', 'skipped'];
const KEY_BYTES = 16;
const INITIAL_USERS = 1024;
/**
 * Where an anchor's and an id's bytes are parsed: every look-up parses one (a full run makes several
 * per user, and per member of every role), so they reuse these instead of a Buffer each time.
 */
const ANCHOR_BYTES = new Uint8Array(KEY_BYTES);
const ID_BYTES = new Uint8Array(KEY_BYTES);

const anchorKey = (anchor: string): string => anchor.toLowerCase();

export class SeenUsers {
  private count = 0;
  /** Per user number: the anchor's 16 bytes (canonical GUIDs), the DN key's digest, the state. */
  private anchors = new Uint8Array(INITIAL_USERS * KEY_BYTES);
  private dns = new Uint8Array(INITIAL_USERS * KEY_BYTES);
  private states = new Uint8Array(INITIAL_USERS);
  /** Per user number: the store id's 16 bytes (a UUID), all zero until known. */
  private ids = new Uint8Array(INITIAL_USERS * KEY_BYTES);
  /** Open addressing: slot → user number + 1 (0: empty), at most half full. */
  private anchorSlots = new Int32Array(INITIAL_USERS * 2);
  private dnSlots = new Int32Array(INITIAL_USERS * 2);
  /** Anchors that are not canonical GUIDs: lower-case key → user number, and the text as recorded. */
  private readonly otherAnchors = new Map<string, number>();
  private readonly otherAnchorText = new Map<number, string>();
  /** Usually few: users the run skipped (mapping errors, userName clashes) keep the memberships they have. */
  readonly skipped = new Set<string>();

  get size(): number {
    return this.count;
  }

  has(anchor: string): boolean {
    return this.numberOf(anchor) !== undefined;
  }

  record(anchor: string, dn: string, state: SeenState): void {
    const user = this.numberOf(anchor) ?? this.add(anchor);
    this.states[user] = STATES.indexOf(state);
    this.placeDn(user, dnDigest(dn));
    if (state === 'skipped') this.skipped.add(anchorKey(anchor));
    else if (this.skipped.size > 0) this.skipped.delete(anchorKey(anchor));
  }

  /** The store's id of a user recorded before (ignored for one not recorded, or an id that is not a UUID). */
  recordId(anchor: string, id: string): void {
    const user = this.numberOf(anchor);
    if (user === undefined || !parseGuidInto(id, ID_BYTES)) return;
    this.ids.set(ID_BYTES, user * KEY_BYTES);
  }

  /**
   * These anchors in the order of their users' store ids, which is the users table's key order (a
   * UUID's bytes compare as its lower-case text, as the key's binary collation does): a role's new
   * members written in this order visit the table's pages one after another, where in anchor order
   * each slice of them visits pages all over a table larger than the buffer pool (docs/benchmarks.md).
   * Anchors without a known id keep their order, after the others.
   */
  inTableOrder(anchors: readonly string[]): string[] {
    const known: { anchor: string; user: number }[] = [];
    const rest: string[] = [];
    for (const anchor of anchors) {
      const user = this.numberOf(anchor);
      if (user === undefined || isZeroAt(this.ids, user * KEY_BYTES)) rest.push(anchor);
      else known.push({ anchor, user });
    }
    known.sort((a, b) => compareAt(this.ids, a.user * KEY_BYTES, b.user * KEY_BYTES));
    return [...known.map((entry) => entry.anchor), ...rest];
  }

  anchorOfDn(dn: string): string | undefined {
    const user = this.findDn(dnDigest(dn));
    return user === undefined ? undefined : this.anchorText(user);
  }

  /** Read in this run and active once it is applied (a full run: anyone not read is out of scope). */
  isActiveAfter(anchor: string): boolean {
    const user = this.numberOf(anchor);
    return user !== undefined && this.states[user] === 0;
  }

  private numberOf(anchor: string): number | undefined {
    if (!parseGuidInto(anchor, ANCHOR_BYTES)) return this.otherAnchors.get(anchorKey(anchor));
    const mask = this.anchorSlots.length - 1;
    for (let slot = slotOf(ANCHOR_BYTES, 0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.anchorSlots[slot] as number;
      if (entry === 0) return undefined;
      if (equalAt(this.anchors, (entry - 1) * KEY_BYTES, ANCHOR_BYTES)) return entry - 1;
    }
  }

  private add(anchor: string): number {
    if (this.count * KEY_BYTES === this.anchors.length) this.grow();
    const user = this.count;
    this.count += 1;
    if (parseGuidInto(anchor, ANCHOR_BYTES)) {
      this.anchors.set(ANCHOR_BYTES, user * KEY_BYTES);
      insertSlot(this.anchorSlots, slotOf(ANCHOR_BYTES, 0), user);
    } else {
      this.otherAnchors.set(anchorKey(anchor), user);
      this.otherAnchorText.set(user, anchor);
    }
    return user;
  }

  private anchorText(user: number): string {
    const other = this.otherAnchorText.get(user);
    if (other !== undefined) return other;
    const hex = Buffer.from(this.anchors.buffer, this.anchors.byteOffset + user * KEY_BYTES, KEY_BYTES).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** The DN now names this user; a DN recorded for another user before now names this one (the later read stands). */
  private placeDn(user: number, digest: Uint8Array): void {
    this.slotDn(user, digest);
    this.dns.set(digest, user * KEY_BYTES);
  }

  /** Points the DN's slot at this user: an empty slot, or the one a user with the same DN held. */
  private slotDn(user: number, digest: Uint8Array): void {
    const mask = this.dnSlots.length - 1;
    for (let slot = slotOf(digest, 0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.dnSlots[slot] as number;
      if (entry === 0 || equalAt(this.dns, (entry - 1) * KEY_BYTES, digest)) {
        this.dnSlots[slot] = user + 1;
        return;
      }
    }
  }

  private findDn(digest: Uint8Array): number | undefined {
    const mask = this.dnSlots.length - 1;
    for (let slot = slotOf(digest, 0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.dnSlots[slot] as number;
      if (entry === 0) return undefined;
      if (equalAt(this.dns, (entry - 1) * KEY_BYTES, digest)) return entry - 1;
    }
  }

  /** Doubles every array and re-slots the users (the tables stay at most half full). */
  private grow(): void {
    const users = this.states.length * 2;
    this.anchors = copied(this.anchors, users * KEY_BYTES);
    this.dns = copied(this.dns, users * KEY_BYTES);
    this.states = copied(this.states, users);
    this.ids = copied(this.ids, users * KEY_BYTES);
    this.anchorSlots = new Int32Array(users * 2);
    this.dnSlots = new Int32Array(users * 2);
    for (let user = 0; user < this.count; user += 1) {
      if (!this.otherAnchorText.has(user)) insertSlot(this.anchorSlots, slotOf(this.anchors, user * KEY_BYTES), user);
      // A DN taken over by a later user is slotted once, for the later user (as placeDn left it).
      this.slotDn(user, this.dns.subarray(user * KEY_BYTES, (user + 1) * KEY_BYTES));
    }
  }
}

function dnDigest(dn: string): Uint8Array {
  return hash('sha256', dnKey(dn), 'buffer').subarray(0, KEY_BYTES);
}

/** A slot number from 4 of the key's bytes (random in both GUIDs and digests). */
function slotOf(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset + 12] as number) | ((bytes[offset + 13] as number) << 8) | ((bytes[offset + 14] as number) << 16)
    | ((bytes[offset + 15] as number) << 24)) >>> 0;
}

function insertSlot(slots: Int32Array, start: number, user: number): void {
  const mask = slots.length - 1;
  let slot = start & mask;
  while (slots[slot] !== 0) slot = (slot + 1) & mask;
  slots[slot] = user + 1;
}

function equalAt(table: Uint8Array, offset: number, key: Uint8Array): boolean {
  for (let i = 0; i < KEY_BYTES; i += 1) if (table[offset + i] !== key[i]) return false;
  return true;
}

function isZeroAt(table: Uint8Array, offset: number): boolean {
  for (let i = 0; i < KEY_BYTES; i += 1) if (table[offset + i] !== 0) return false;
  return true;
}

function compareAt(table: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < KEY_BYTES; i += 1) {
    const difference = (table[a + i] as number) - (table[b + i] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}

function copied<T extends Uint8Array>(from: T, length: number): T {
  const to = new (from.constructor as new (length: number) => T)(length);
  to.set(from);
  return to;
}
