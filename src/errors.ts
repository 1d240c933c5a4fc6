/**
 * Domain errors thrown by floor 2 (identity, auth, governance). Each door maps them to its own
 * wire format in one place (scim/ → SCIM error bodies, the CLI → a message and exit code).
 */
export type DomainErrorKind =
  | 'notFound' | 'conflict' | 'forbidden' | 'mutability' | 'invalid' | 'preconditionFailed' | 'unauthorized';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
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

/** Thrown when configuration is missing or wrong; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
