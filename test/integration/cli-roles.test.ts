import { expect } from 'chai';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../src/db/data-source';
import { localOperatorContext } from '../../src/identity/change-context';
import { UserDirectory } from '../../src/identity/users';
import { explain, runScimd, useSpawnedProcesses } from '../support/processes';

/**
 * `scimd role grant` and `scimd role revoke`, the local operator's bootstrap path: real child
 * processes on a real database file. The operator is the root of trust, so even a high-risk role
 * applies at once, audited as the CLI operator.
 */
describe('scimd role grant and revoke (spawned processes)', function () {
  this.timeout(90_000);
  let tmp = '';
  let env: Record<string, string>;
  let dataSource: DataSource;
  let aliceId: string;

  useSpawnedProcesses('scimd-cli-roles-', (dir) => {
    tmp = dir;
  });

  before(async () => {
    const file = path.join(tmp, 'roles.sqlite');
    env = { DATABASE_URL: `sqlite:${file}` };
    dataSource = await openDataSource({ kind: 'sqlite', path: file });
    await dataSource.runMigrations();
    const alice = await new UserDirectory(dataSource).create(localOperatorContext('test'), {
      profile: { userName: 'alice@example.test', emails: [{ value: 'alice@example.test', primary: true }] },
    });
    aliceId = alice.id;
  });

  after(() => dataSource.destroy());

  const rolesOfAlice = async (): Promise<{ name: string; source: string }[]> => dataSource.query(
    `SELECT r.display_name AS name, m.source AS source FROM role_members m JOIN roles r ON r.id = m.role_id
     WHERE m.user_id = ? ORDER BY r.display_name`, [aliceId],
  );

  it('grants a high-risk role at once, audited as the CLI operator, with the notice queued', async () => {
    const result = await runScimd(['role', 'grant', 'ALICE@example.test', 'super administrator'], { env });
    expect(result.code, explain(result)).to.equal(0);
    expect(result.stdout).to.include('Granted "super administrator" to ALICE@example.test (e-mail notice queued)');
    expect(await rolesOfAlice()).to.deep.equal([{ name: 'Super Administrator', source: 'local' }]);
    const [audit] = await dataSource.query(
      "SELECT actor_type, actor_name, door FROM audit_events WHERE action = 'role.update' ORDER BY id DESC LIMIT 1",
    ) as { actor_type: string; actor_name: string; door: string }[];
    expect(audit).to.deep.include({ actor_type: 'cli', door: 'cli' });
    expect(audit?.actor_name).to.match(/^cli:/);
    const mails = await dataSource.query('SELECT recipient FROM mail_outbox') as { recipient: string }[];
    expect(mails).to.deep.equal([{ recipient: 'alice@example.test' }]);
  });

  it('granting it again changes nothing and says so; --json prints the roles', async () => {
    const result = await runScimd(['role', 'grant', aliceId, 'Super Administrator', '--json'], { env });
    expect(result.code, explain(result)).to.equal(0);
    const outcome = JSON.parse(result.stdout) as { status: string; added: string[]; roles: { name: string }[] };
    expect(outcome.status).to.equal('applied');
    expect(outcome.added).to.deep.equal([]);
    expect(outcome.roles.map((role) => role.name)).to.deep.equal(['Super Administrator']);
  });

  it('revokes it', async () => {
    const result = await runScimd(['role', 'revoke', 'alice@example.test', 'Super Administrator'], { env });
    expect(result.code, explain(result)).to.equal(0);
    expect(result.stdout).to.include('Revoked "Super Administrator" from alice@example.test');
    expect(await rolesOfAlice()).to.deep.equal([]);
  });

  it('refuses an unknown user (exit 3), an unknown role and a service-only role (exit 1), with a message', async () => {
    const noUser = await runScimd(['role', 'grant', 'nobody@example.test', 'Auditor'], { env });
    expect(noUser.code, explain(noUser)).to.equal(3);
    expect(noUser.stderr).to.include('No user "nobody@example.test"');
    const noRole = await runScimd(['role', 'grant', 'alice@example.test', 'Auditors'], { env });
    expect(noRole.code, explain(noRole)).to.equal(1);
    expect(noRole.stderr).to.include('No role "Auditors"');
    const serviceOnly = await runScimd(['role', 'grant', 'alice@example.test', 'Batch sync'], { env });
    expect(serviceOnly.code, explain(serviceOnly)).to.equal(1);
    expect(serviceOnly.stderr).to.include('never by a person');
    expect(await rolesOfAlice()).to.deep.equal([]);
  });
});
