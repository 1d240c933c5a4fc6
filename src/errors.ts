/**
 * Domain errors thrown by floor 2 (identity, auth, governance). Each door maps them to its own
 * wire format in one place (scim/ → SCIM error bodies, the CLI → a message and exit code).
 */
export type DomainErrorKind =
  | 'notFound' | 'conflict' | 'forbidden' | 'mutability' | 'invalid' | 'preconditionFailed' | 'unauthorized'
  /** The database refused the change for now (a deadlock or a cluster certification conflict that
   *  outlived its retries): the caller may send the same request again at once. */
  | 'busy'
  /** The database cannot be reached: the caller should retry after the outage. */
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** The lower-level error this one stands for, kept for logs (never sent to a client). */
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const notFoundError = (message: string): DomainError => new DomainError('notFound', message);
export const conflictError = (message: string): DomainError => new DomainError('conflict', message);
export const forbiddenError = (message: string): DomainError => new DomainError('forbidden', message);
export const mutabilityError = (message: string): DomainError => new DomainError('mutability', message);
export const invalidError = (message: string): DomainError => new DomainError('invalid', message);
export const preconditionFailedError = (message: string): DomainError =>
  new DomainError('preconditionFailed', message);

export const busyError = (message: string, cause?: unknown): DomainError =>
  new DomainError('busy', message, { cause });
export const unavailableError = (message: string, cause?: unknown): DomainError =>
  new DomainError('unavailable', message, { cause });

/** Thrown when configuration is missing or wrong; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
