#!/usr/bin/env node
// `npm run bench:cluster`: SCIM write throughput of scimd replicas on a throw-away three-node Galera
// cluster against the same replicas on one node (bench/cluster.bench.ts). See docs/scaling.md.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCluster } from './lib/with-cluster.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
process.exit(await runWithCluster({ name: 'bench:cluster', samba: false, singleServer: true, command: tsx, args: ['bench/cluster.bench.ts', ...process.argv.slice(2)] }));
