import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnv, REPO_ROOT } from '../../support/processes';

const run = promisify(execFile);

/**
 * The deployment recipes (Dockerfile, deploy/scimd.service) checked with what this machine has: no
 * container engine runs here, so the image's file set is staged by hand from the Dockerfile's own
 * COPY lines and started, and the unit is checked by systemd's own verifier.
 */
describe('Deployment recipes', function () {
  this.timeout(60_000);

  /** The sources the Dockerfile copies from the build context (not `--from=` another stage). */
  function copiedFromContext(): string[] {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    return dockerfile.split('\n')
      .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
      .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
  }

  describe('Dockerfile', () => {
    it('copies files that exist, none of which .dockerignore leaves out', () => {
      const sources = copiedFromContext();
      expect(sources).to.include.members(['package.json', 'package-lock.json', 'bin', 'src', 'migrations']);
      const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n')
        .map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'));
      for (const source of sources) {
        expect(existsSync(path.join(REPO_ROOT, source)), `${source} exists`).to.equal(true);
        expect(ignored, `${source} is in the build context`).not.to.include(source);
      }
    });

    it('copies everything scimd needs to migrate a database and answer a command', async () => {
      const staged = mkdtempSync(path.join(os.tmpdir(), 'scimd-image-'));
      try {
        for (const source of copiedFromContext()) {
          cpSync(path.join(REPO_ROOT, source), path.join(staged, source), { recursive: true });
        }
        // The image installs node_modules in its first stage; the checkout's serve the same purpose here.
        symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(staged, 'node_modules'));
        // No DATABASE_URL, as in the image: the default SQLite file under the working directory's data/.
        const env = childEnv();
        await run(process.execPath, ['bin/scimd.js', 'migrate'], { cwd: staged, env });
        const { stdout } = await run(process.execPath, ['bin/scimd.js', 'roles', 'list'], { cwd: staged, env });
        expect(stdout).to.contain('SCIM Provisioning');
        expect(existsSync(path.join(staged, 'data', 'scimd.sqlite'))).to.equal(true);
      } finally {
        rmSync(staged, { recursive: true, force: true });
      }
    });
  });

  describe('deploy/scimd.service', () => {
    it('passes systemd-analyze verify', async function () {
      if (!existsSync('/usr/bin/systemd-analyze')) this.skip(); // not every development machine has systemd
      const { stderr } = await run('/usr/bin/systemd-analyze', ['verify', path.join(REPO_ROOT, 'deploy', 'scimd.service')]);
      expect(stderr).to.equal('');
    });

    it('starts the command the README documents, with the hardening the docs list', () => {
      const unit = readFileSync(path.join(REPO_ROOT, 'deploy', 'scimd.service'), 'utf8');
      expect(unit).to.match(/^ExecStart=\/usr\/bin\/node --max-old-space-size=1024 \/opt\/scimd\/bin\/scimd\.js serve$/m);
      for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'DynamicUser=yes', 'CapabilityBoundingSet=']) {
        expect(unit).to.contain(`\n${option}\n`);
      }
      expect(unit, 'V8 needs writable, executable memory').not.to.match(/^MemoryDenyWriteExecute=yes/m);
    });
  });
});
