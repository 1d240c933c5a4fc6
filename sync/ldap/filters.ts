/**
 * LDAP filters with binary values, built as filter objects.
 *
 * ldapts parses `\xx` escapes in a filter string into a JS string one char per byte and then writes it as
 * UTF-8, so every escaped byte ≥ 0x80 goes out as two bytes and an `(objectGUID=\ba\86…)` filter string
 * matches nothing. An EqualityFilter with a Buffer value is sent byte for byte.
 * (guid.ts' guidFilterValue gives the RFC 4515 text form, for other tools and for logs.)
 */
import { AndFilter, EqualityFilter, FilterParser, OrFilter, type Filter } from 'ldapts';
import { guidToBytes } from './guid';

/** `(objectGUID=<the 16 bytes>)`. */
export function guidEqualityFilter(guid: string): EqualityFilter {
  return new EqualityFilter({ attribute: 'objectGUID', value: guidToBytes(guid) });
}

/** `(&<filter>(|(objectGUID=…)…))`: entries matching `filter` whose objectGUID is one of `guids`. */
export function matchingAnyGuid(filter: string | Filter, guids: readonly string[]): Filter {
  if (guids.length === 0) throw new RangeError('matchingAnyGuid needs at least one GUID');
  const base = typeof filter === 'string' ? FilterParser.parseString(filter) : filter;
  return new AndFilter({ filters: [base, new OrFilter({ filters: guids.map(guidEqualityFilter) })] });
}
