import { DomainError } from '../../src/errors';
import { invalidFilter } from '../errors';

/** Type and operator mismatches found while building SQL are filter errors to the client. */
export function asFilterError(error: unknown): never {
  if (error instanceof DomainError && error.kind === 'invalid') throw invalidFilter(error.message);
  throw error;
}
