import { STATUS_CODES } from 'node:http';
import type { Context } from 'koa';
import { DomainError, type DomainErrorKind } from '../errors';

/**
 * The admin API's error bodies: RFC 9457 problem details, `{status, title, detail}` with
 * `application/problem+json` (the type is the default `about:blank`, so the title is the HTTP
 * reason phrase). Not SCIM error bodies: the admin API is not SCIM.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export class Problem extends Error {
  constructor(readonly status: number, readonly detail: string, readonly headers: Readonly<Record<string, string>> = {}) {
    super(detail);
    this.name = 'Problem';
  }

  toJSON(): { status: number; title: string; detail: string } {
    return { status: this.status, title: STATUS_CODES[this.status] ?? 'Error', detail: this.detail };
  }
}

const STATUS_OF_KIND: Readonly<Record<DomainErrorKind, number>> = {
  notFound: 404, conflict: 409, forbidden: 403, mutability: 400, invalid: 400, preconditionFailed: 412, unauthorized: 401,
};

/** The problem an error stands for, or undefined for an unexpected error (a 500). */
export function toProblem(error: unknown): Problem | undefined {
  if (error instanceof Problem) return error;
  if (error instanceof DomainError) return new Problem(STATUS_OF_KIND[error.kind], error.message);
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return new Problem(status, (error as Error).message);
  return undefined;
}

export function sendProblem(ctx: Context, problem: Problem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = problem.toJSON();
}
