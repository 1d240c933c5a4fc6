import type { Principal } from '../auth/principal';

/** What middleware leaves on ctx.state for the handlers after it. */
export interface HttpState {
  requestId?: string;
  principal?: Principal;
}
