import { expect } from 'chai';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { MAX_PRINCIPAL_CACHE_MS } from '../../../src/config';
import { localOperatorContext } from '../../../src/identity/change-context';
import { eventually } from '../../support/eventually';
import { testDatabases } from '../../support/databases';
import { TestServer } from '../../support/test-server';

/**
 * The principal cache's promise, with two replicas on one MariaDB database: a token revoked through
 * one replica is refused by that replica at its next request and by the other within 2 s, although
 * nothing but the database connects them.
 */
const OPERATOR = localOperatorContext('test');

function tokenId(token: string): string {
  return token.slice('scimd_'.length, 'scimd_'.length + 16);
}

for (const database of testDatabases().filter((candidate) => candidate.name === 'mariadb')) {
  describe(`The principal cache across two replicas on ${database.name}`, function () {
    this.timeout(30_000);
    let first: TestServer;
    let second: TestServer;

    before(async () => {
      const config = await database.fresh();
      first = await TestServer.start(config);
      second = await TestServer.start(config, { migrateOnStart: false });
    });

    after(async () => {
      await second?.stop();
      await first?.stop();
    });

    it('a token revoked through one replica is refused by it at once and by the other within 2 s', async () => {
      const token = await first.token('two-replicas', ['SCIM Provisioning']);
      // Both replicas accept the token and so remember its principal.
      expect((await first.client(token).get('/Users')).status).to.equal(200);
      expect((await second.client(token).get('/Users')).status).to.equal(200);

      await new ServiceAccounts(first.running.dataSource).revokeToken(OPERATOR, tokenId(token));
      const revokedAt = Date.now();
      expect((await first.client(token).get('/Users')).status, 'the replica that revoked').to.equal(401);
      await eventually('the other replica to refuse the revoked token', MAX_PRINCIPAL_CACHE_MS, async () => {
        const status = (await second.client(token).get('/Users')).status;
        return status === 401 ? status : undefined;
      });
      // eventually() allows one poll past its deadline; the bound itself is checked here.
      expect(Date.now() - revokedAt).to.be.at.most(MAX_PRINCIPAL_CACHE_MS + 500);
    });

    it('a token issued through one replica works at once on the other', async () => {
      const token = await first.token('fresh-token', ['SCIM Provisioning']);
      expect((await second.client(token).get('/Users')).status).to.equal(200);
    });
  });
}
