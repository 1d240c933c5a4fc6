/** SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): parsing and in-memory matching. */
export type { AttributePath, CompareOperator, Filter, FilterValue, PatchPath } from './ast';
export { parseFilter, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS } from './parser';
export { parsePatchPath } from './patch-path';
export { matchesFilter, type MatchOptions } from './match';
