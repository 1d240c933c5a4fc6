import type { Control, DN, Entry, Filter, SearchOptions, SearchResult } from 'ldapts';
import type { LdapSearcher } from '../../../../sync/ldap/member-ranges';

export interface FakeSearch {
  readonly base: string;
  readonly options: SearchOptions;
  readonly filter: string;
  readonly controls: readonly Control[];
  readonly paged: boolean;
}

export type FakeHandler = (search: FakeSearch) => Entry[];

/**
 * An LdapSearcher answering from a handler, recording every search (in order). searchPaginated yields the
 * handler's entries in pages of the requested size.
 */
export class FakeLdap implements LdapSearcher {
  readonly searches: FakeSearch[] = [];

  constructor(private readonly handler: FakeHandler) {}

  private record(base: DN | string, options: SearchOptions, controls: Control | Control[] | undefined, paged: boolean): Entry[] {
    const filter = options.filter == null ? '(objectclass=*)' : typeof options.filter === 'string' ? options.filter : (options.filter as Filter).toString();
    const search: FakeSearch = {
      base: String(base), options, filter, paged, controls: controls == null ? [] : Array.isArray(controls) ? controls : [controls],
    };
    this.searches.push(search);
    return this.handler(search);
  }

  async search(base: DN | string, options: SearchOptions = {}, controls?: Control | Control[]): Promise<SearchResult> {
    return { searchEntries: this.record(base, options, controls, false), searchReferences: [] };
  }

  async *searchPaginated(base: DN | string, options: SearchOptions = {}, controls?: Control | Control[]): AsyncGenerator<SearchResult> {
    const entries = this.record(base, options, controls, true);
    const size = typeof options.paged === 'object' && options.paged.pageSize ? options.paged.pageSize : 100;
    if (entries.length === 0) yield { searchEntries: [], searchReferences: [] };
    for (let i = 0; i < entries.length; i += size) yield { searchEntries: entries.slice(i, i + size), searchReferences: [] };
  }
}

/**
 * How AD answers a request for `member;range=low-high` on a group with `members`: at most `maxValRange` values,
 * the chunk named with the range it holds, `*` as the high end of the last chunk (also when it is empty).
 * `maxValRange` null: a server that does not truncate (Samba) — it still honours the requested range.
 */
export function rangedMemberAttribute(members: readonly string[], requested: string, maxValRange: number | null): Entry {
  const match = /^member;range=(\d+)-(\d+|\*)$/i.exec(requested);
  if (!match) throw new Error(`unexpected attribute request ${requested}`);
  const low = Number(match[1]);
  const asked = match[2] === '*' ? Number.POSITIVE_INFINITY : Number(match[2]);
  let high = Math.min(asked, members.length - 1);
  if (maxValRange != null) high = Math.min(high, low + maxValRange - 1);
  const values = low < members.length ? members.slice(low, high + 1) : [];
  const last = high >= members.length - 1;
  return { dn: 'CN=g', [`member;range=${low}-${last ? '*' : high}`]: values };
}
