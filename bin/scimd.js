#!/usr/bin/env -S node --max-old-space-size=1024
// The heap limit (see docs/operations.md, "Memory"): every way of starting scimd gives node the same one.
// scimd runs its TypeScript sources through tsx's loader, so a clean clone needs no build step.
// tsx must read this project's tsconfig (decorator settings) whatever the working directory is.
process.env.TSX_TSCONFIG_PATH = require('node:path').join(__dirname, '..', 'tsconfig.json');
require('tsx/cjs');
require('../src/cli.ts');
