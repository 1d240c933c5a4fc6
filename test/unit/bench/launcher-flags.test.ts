import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launcherNodeFlags } from '../../../bench/sync/launcher-flags';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/**
 * The heap limit is part of how scimd runs (docs/operations.md, "Memory"): every way of starting
 * it gives node the flags of bin/scimd.js's first line, and the sync bench measures with them.
 */
describe('the node flags of every way of starting scimd', () => {
  const flags = launcherNodeFlags(ROOT);

  it('bin/scimd.js sets a heap limit', () => {
    expect(flags.some((flag) => /^--max-old-space-size=\d+$/.test(flag)), flags.join(' ')).to.equal(true);
  });

  it('npm start and npm run scimd run node with the same flags', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).to.equal(`node ${flags.join(' ')} bin/scimd.js serve`);
    expect(scripts.scimd).to.equal(`node ${flags.join(' ')} bin/scimd.js`);
  });

  it('the container image and the systemd unit run node with the same flags', () => {
    expect(read('Dockerfile')).to.include(`ENTRYPOINT ${JSON.stringify(['node', ...flags, 'bin/scimd.js'])}`.replace(/","/g, '", "'));
    expect(read('deploy/scimd.service')).to.include(`ExecStart=/usr/bin/node ${flags.join(' ')} /opt/scimd/bin/scimd.js serve`);
  });
});
