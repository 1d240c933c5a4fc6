import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The node flags scimd's launcher gives node, from the first line of bin/scimd.js
 * (`#!/usr/bin/env -S node <flags>`): the bench runs the sync with them, so that it measures the
 * process as scimd runs it (the heap limit changes how far V8 lets the heap grow).
 */
export function launcherNodeFlags(root: string): string[] {
  const firstLine = readFileSync(path.join(root, 'bin', 'scimd.js'), 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node((?:\s+--\S+)*)\s*$/.exec(firstLine);
  if (!match) throw new Error(`bin/scimd.js does not start with "#!/usr/bin/env -S node [flags]": ${firstLine}`);
  return (match[1] ?? '').trim().split(/\s+/).filter((flag) => flag !== '');
}
