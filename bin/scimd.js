#!/usr/bin/env node
// scimd runs its TypeScript sources through tsx's loader, so a clean clone needs no build step.
require('tsx/cjs');
require('../src/cli.ts');
