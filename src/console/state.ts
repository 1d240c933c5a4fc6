import type { Context } from 'koa';
import type { Principal } from '../auth/principal';

/**
 * What the console's session middleware leaves on ctx.state for its pages: the signed-in person
 * (a Principal of kind 'person', with their current roles' permissions), the session's CSRF token
 * that every state-changing form carries, and the session's id.
 */
export interface ConsoleState {
  readonly principal: Principal;
  readonly csrfToken: string;
  readonly sessionId: string;
}

/** The signed-in person of a console request; the session middleware guarantees it on every page route. */
export function consoleState(ctx: Context): ConsoleState {
  const state = (ctx.state as { console?: ConsoleState }).console;
  if (!state) throw new Error('console page reached without a session (the session middleware must run first)');
  return state;
}
