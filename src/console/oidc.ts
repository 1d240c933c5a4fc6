import { createHash, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConfig } from '../config';

/** The path the provider sends the browser back to: register `<PUBLIC_URL>/admin/oidc/callback`. */
export const OIDC_CALLBACK_PATH = '/admin/oidc/callback';
const SCOPE = 'openid email profile';

/** What a sign-in started: where to send the browser, and the login secret its cookie keeps. */
export interface StartedLogin {
  readonly authorizationUrl: string;
  /** Random; the state, the nonce and the PKCE verifier are derived from it (see loginChecks). */
  readonly loginSecret: string;
}

/** The person the provider vouched for: the configured claim's value and the ID token's subject. */
export interface OidcIdentity {
  readonly claim: string;
  readonly value: string;
  readonly subject: string;
}

/** A sign-in the provider refused or that failed its checks: a detail for the person, never a secret. */
export class OidcSignInError extends Error {}

/**
 * The console's OpenID Connect relying party, by openid-client (discovery, authorization code flow
 * with PKCE S256, state and nonce, the code exchange and the ID token's validation: signature by
 * the provider's JWKS, issuer, audience, expiry, nonce). Discovery runs at the first sign-in and is
 * kept; a failed discovery is tried again at the next one.
 *
 * The login state is kept in the browser, not in the database: one random 256-bit login secret in
 * a short-lived SameSite=Lax cookie (Lax, because the provider's redirect back is a cross-site
 * navigation, on which a Strict cookie is not sent), and the state, the nonce and the PKCE verifier
 * are each a SHA-256 of it with their own label. The provider sees only those hashes and the
 * verifier's challenge, none of which leads back to the secret; a callback from another browser,
 * or replayed after the cookie was used, has no secret that yields its state.
 */
export class OidcRelyingParty {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(private readonly config: OidcConfig, private readonly publicUrl: string) {}

  get providerName(): string {
    return this.config.providerName;
  }

  get redirectUri(): string {
    return `${this.publicUrl}${OIDC_CALLBACK_PATH}`;
  }

  /** The origin of the issuer: the console's form-action allows it. */
  get issuerOrigin(): string {
    return new URL(this.config.issuer).origin;
  }

  async start(): Promise<StartedLogin> {
    const configuration = await this.discovered();
    const loginSecret = randomBytes(32).toString('base64url');
    const checks = loginChecks(loginSecret);
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: SCOPE,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, loginSecret };
  }

  /**
   * Completes a sign-in: `query` is the callback's query string; `loginSecret` the login cookie's.
   * Exchanges the code and validates the ID token, then reads the configured claim from it.
   */
  async finish(query: string, loginSecret: string): Promise<OidcIdentity> {
    const configuration = await this.discovered();
    const params = new URLSearchParams(query);
    const error = params.get('error');
    if (error !== null) {
      throw new OidcSignInError(`${this.config.providerName} did not sign you in: ${error}${params.get('error_description') ? ` (${params.get('error_description')})` : ''}`);
    }
    const checks = loginChecks(loginSecret);
    // The URL the provider redirected to, as registered (PUBLIC_URL): openid-client takes the code
    // and state from it and sends its origin and path as redirect_uri with the code.
    const current = new URL(`${this.redirectUri}?${query}`);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true,
      });
    } catch (cause) {
      throw new OidcSignInError(`The sign-in with ${this.config.providerName} could not be completed: ${describe(cause)}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcSignInError(`${this.config.providerName} sent no ID token`);
    const value = claims[this.config.userClaim];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new OidcSignInError(`${this.config.providerName}'s ID token has no "${this.config.userClaim}" claim to match a scimd user by `
        + '(ask your administrator to check OIDC_USER_CLAIM and the scopes the client may ask for)');
    }
    if (this.config.userClaim === 'email' && claims.email_verified === false) {
      throw new OidcSignInError(`${this.config.providerName} says the e-mail address ${value} is not verified`);
    }
    return { claim: this.config.userClaim, value: value.trim(), subject: claims.sub };
  }

  private discovered(): Promise<client.Configuration> {
    this.configuration ??= this.discover().catch((cause: unknown) => {
      this.configuration = undefined;
      throw new OidcSignInError(`${this.config.providerName} cannot be reached for sign-in right now: ${describe(cause)}`);
    });
    return this.configuration;
  }

  private discover(): Promise<client.Configuration> {
    return discoverOidc(this.config);
  }
}

/** Reads the provider's /.well-known/openid-configuration (openid-client), as sign-in and the doctor do. */
export function discoverOidc(config: OidcConfig, timeoutSeconds = 10): Promise<client.Configuration> {
  const issuer = new URL(config.issuer);
  const authentication = config.clientSecret === undefined ? client.None() : client.ClientSecretPost(config.clientSecret);
  // Plain http is accepted by the configuration only for a provider on this machine (tests, development).
  const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  return client.discovery(issuer, config.clientId, undefined, authentication, { execute, timeout: timeoutSeconds });
}

/** The state, nonce and PKCE verifier of a login, each a labelled SHA-256 of its secret (43 base64url characters). */
export function loginChecks(loginSecret: string): { state: string; nonce: string; verifier: string } {
  const derive = (label: string) => createHash('sha256').update(`scimd-console-${label}:${loginSecret}`).digest('base64url');
  return { state: derive('state'), nonce: derive('nonce'), verifier: derive('pkce') };
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}
