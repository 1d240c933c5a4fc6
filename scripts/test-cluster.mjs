#!/usr/bin/env node
// `npm run test:cluster`: the scale-out suite (test/cluster) against a throw-away three-node MariaDB
// Galera cluster and the Samba test directory. Extra arguments go to mocha. See docs/testing.md.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCluster } from './lib/with-cluster.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const mocha = path.join(root, 'node_modules', '.bin', 'mocha');
const args = ['--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--timeout', '60000',
  'test/cluster/**/*.test.ts', ...process.argv.slice(2)];
process.exit(await runWithCluster({ name: 'test:cluster', samba: true, command: mocha, args }));
