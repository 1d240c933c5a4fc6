import type { OidcConfig } from '../config';
import { codeOf, fail, ok, reasonOf, withDeadline, type CheckResult } from '../diagnosis';
import { discoverOidc } from './oidc';

const DISCOVERY = 'oidc.discovery';

/**
 * The doctor's OpenID Connect check: the console's own discovery (openid-client) of OIDC_ISSUER's
 * /.well-known/openid-configuration, which also checks that the document names the same issuer.
 * The client secret is not used here (discovery needs none) and never printed.
 */
export async function diagnoseOidc(oidc: OidcConfig, deadlineMs: number): Promise<CheckResult> {
  const wellKnown = `${oidc.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  try {
    const configuration = await withDeadline(`reading ${wellKnown}`, deadlineMs,
      () => discoverOidc(oidc, Math.max(1, Math.ceil(deadlineMs / 1000))));
    const metadata = configuration.serverMetadata();
    return ok(DISCOVERY, `${oidc.issuer} discovered: authorization endpoint ${metadata.authorization_endpoint ?? '(none)'}, `
      + `token endpoint ${metadata.token_endpoint ?? '(none)'}`);
  } catch (error) {
    return fail(DISCOVERY, `${wellKnown}: ${describeCause(error)}`, fixFor(error));
  }
}

/**
 * openid-client wraps a network failure ("fetch failed") with the error as its cause, and an
 * unexpected answer with the HTTP response as its cause: either says what happened.
 */
function describeCause(error: unknown): string {
  const reason = reasonOf(error);
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error && !reason.includes(cause.message)) return `${reason}: ${reasonOf(cause)}`;
  if (cause instanceof Response) return `${reason}: HTTP ${cause.status}${cause.statusText ? ` ${cause.statusText}` : ''}`;
  return reason;
}

function fixFor(error: unknown): string {
  const code = codeOf(error) ?? '';
  const text = describeCause(error);
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || /issuer/i.test(text)) {
    return 'the provider calls itself by another issuer: set OIDC_ISSUER to exactly the "issuer" of its openid-configuration '
      + '(Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0)';
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|fetch failed|timed out|no answer/i.test(text)) {
    return 'the provider cannot be reached from here: check the host in OIDC_ISSUER, DNS, and the firewall or proxy';
  }
  return 'OIDC_ISSUER must be the issuer URL whose /.well-known/openid-configuration the provider serves: check it against '
    + 'the provider\'s documentation (docs/admin-console.md)';
}
