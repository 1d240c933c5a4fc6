import type { DataSource } from 'typeorm';
import { PersonalTokens } from './personal-tokens';
import type { Principal } from './principal';
import { ServiceAccounts } from './service-accounts';
import { parseToken } from './tokens';

/** What the HTTP edge needs: the principal a bearer token stands for, or undefined (→ 401). */
export interface BearerAuthenticator {
  authenticate(bearer: string): Promise<Principal | undefined>;
}

/**
 * Authenticates both kinds of token: the prefix says which table holds it (`scimd_p_` a person's
 * personal access token, `scimd_` a service account's), so each request costs one indexed query.
 */
export class Authenticator implements BearerAuthenticator {
  private readonly accounts: ServiceAccounts;
  private readonly persons: PersonalTokens;

  constructor(dataSource: DataSource) {
    this.accounts = new ServiceAccounts(dataSource);
    this.persons = new PersonalTokens(dataSource);
  }

  async authenticate(bearer: string): Promise<Principal | undefined> {
    switch (parseToken(bearer)?.kind) {
      case 'service': return this.accounts.authenticate(bearer);
      case 'personal': return this.persons.authenticate(bearer);
      default: return undefined;
    }
  }
}
