/**
 * The metric names a PromQL expression (or a Grafana `label_values(…)` query) reads, as far as a
 * dashboard's expressions go: selectors with label matchers and ranges, aggregations with
 * `by`/`without`, functions, binary operators and Grafana's `$variables`. A name is an identifier
 * that is not a function call, a keyword or a label inside a grouping clause.
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

export function metricNamesIn(expression: string): string[] {
  const labelValues = /^\s*label_values\(\s*([^,)]+)/.exec(expression);
  const source = labelValues ? (labelValues[1] ?? '') : expression;
  const stripped = source
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping labels
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const called = /^\s*\(/.test(stripped.slice((match.index ?? 0) + match[0].length));
    if (!called && !KEYWORDS.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return [...names];
}
