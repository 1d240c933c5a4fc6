/**
 * The vocabulary of `scimd doctor`: what one check found, and how a check is kept from hanging.
 * Each area diagnoses itself next to the code it checks (src/db/diagnose.ts, sync/ldap/diagnose.ts,
 * sync/mapping-diagnose.ts, src/governance/mail-diagnose.ts, src/console/oidc-diagnose.ts); the CLI
 * (src/cli/doctor.ts) runs them and prints the findings (src/cli/doctor-report.ts).
 *
 * A finding never holds a secret: details name hosts, ports, DNs and file paths, never a password,
 * a token or a URL's credentials.
 */

/** ok: works. warn: works, with a limit worth knowing. fail: scimd cannot work so. skip: not checked. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable identifier, `area.check` (`directory.bind`), for scripts reading `--json`. */
  readonly id: string;
  readonly status: CheckStatus;
  /** What was found, in one sentence. */
  readonly detail: string;
  /** For warn and fail: what to do about it, concretely. */
  readonly fix?: string;
}

export const ok = (id: string, detail: string): CheckResult => ({ id, status: 'ok', detail });
export const warn = (id: string, detail: string, fix: string): CheckResult => ({ id, status: 'warn', detail, fix });
export const fail = (id: string, detail: string, fix: string): CheckResult => ({ id, status: 'fail', detail, fix });
export const skip = (id: string, detail: string): CheckResult => ({ id, status: 'skip', detail });

/** Checks not run because `failed` did not work. */
export function skipAfter(failed: string, ids: readonly string[]): CheckResult[] {
  return ids.map((id) => skip(id, `not checked: ${failed} did not pass`));
}

/** A check that ran past its deadline. */
export class DeadlineError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * Resolves as `work` does, or rejects with DeadlineError after `ms`. The work itself is not
 * cancelled here: each caller also gives its client the same timeout, so it ends its own socket,
 * and this deadline is the guarantee that the doctor moves on even when a client does not.
 */
export async function withDeadline<T>(what: string, ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error's message and, when the message lacks it, its code (`ECONNREFUSED`), for a finding's detail. */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0 && !error.message) return reasonOf(error.errors[0]);
  const message = error instanceof Error ? error.message.trim() : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && !message.includes(code)) return message ? `${message} (${code})` : code;
  return message || 'unknown error';
}

/** The error's code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`), or its cause's. */
export function codeOf(error: unknown): string | undefined {
  for (let link: unknown = error, depth = 0; link != null && depth < 5; link = (link as { cause?: unknown }).cause, depth++) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (link instanceof AggregateError) return codeOf(link.errors[0]);
  }
  return undefined;
}
