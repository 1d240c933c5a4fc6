import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

/** A test account: its `sub` and the claims its ID token carries (email, preferred_username, upn, …). */
export interface TestAccount {
  readonly sub: string;
  readonly claims: Readonly<Record<string, string | boolean>>;
}

export interface TestOidcProvider {
  /** `http://<host>:<port>`: OIDC_ISSUER. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  stop(): Promise<void>;
}

/**
 * A real OpenID Provider (the `oidc-provider` package) in this process, on a loopback address and a
 * free port, with one confidential client (authorization code + PKCE, client_secret_post) and the
 * given accounts. Sign-in goes through the package's development login and consent pages: the
 * login is the account's `sub`, any password is accepted. The ID token carries the accounts'
 * claims for the scopes openid, email and profile (conformIdTokenClaims off, as Entra ID and Okta
 * put them into the ID token).
 *
 * `host` defaults to 127.0.0.2: another site than a scimd on 127.0.0.1, so the browser's return
 * from the provider is a cross-site navigation, as with a real provider.
 */
export async function startOidcProvider(options: {
  readonly accounts: readonly TestAccount[];
  /**
   * The client's redirect URIs; a function is asked at the provider's first request, for a relying
   * party that learns its own address only after it was given the issuer (a server on port 0).
   */
  readonly redirectUris: readonly string[] | (() => readonly string[]);
  readonly host?: string;
}): Promise<TestOidcProvider> {
  const host = options.host ?? '127.0.0.2';
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const address = server.address();
  const issuer = `http://${host}:${typeof address === 'object' && address ? address.port : 0}`;
  const clientId = 'scimd-console';
  const clientSecret = 'test-only-client-secret-0123456789abcdef';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const accounts = new Map(options.accounts.map((account) => [account.sub, account]));
  const redirectUris = options.redirectUris;
  const build = (): Provider => new Provider(issuer, {
    clients: [{
      client_id: clientId, client_secret: clientSecret,
      redirect_uris: [...(typeof redirectUris === 'function' ? redirectUris() : redirectUris)],
      response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ['scimd-test-oidc-provider-cookie-key'] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    // Short lives, said explicitly (the package's notices otherwise ask for each).
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'upn'] },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: () => ({ sub, ...account.claims }) } : undefined;
    },
  });
  let callback: ReturnType<Provider['callback']> | undefined;
  server.on('request', (request, response) => {
    callback ??= build().callback();
    void callback(request, response);
  });
  return {
    issuer, clientId, clientSecret,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
