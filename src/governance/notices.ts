import type { EntityManager } from 'typeorm';
import type { UserProfile } from '../identity/user-profile';
import { enqueueMail, isMailAddress } from './outbox';

/**
 * E-mail notices to the people a change concerns. Each is queued in the outbox with the change's
 * own transaction manager, so a notice exists exactly when its change was applied.
 */

export interface RoleChangeNotice {
  readonly userId: string;
  /** Role names added, and removed. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Who made the change (the actor's name). */
  readonly changedBy: string;
  /** Who approved it, when it went through a change request. */
  readonly approvedBy?: string;
  readonly changeRequestId?: string;
}

export type NoticeResult =
  | { readonly queued: true; readonly mailId: string }
  /** no-address: the user has no usable e-mail address; no-user: there is no such user; no-change: nothing was added or removed. */
  | { readonly queued: false; readonly reason: 'no-address' | 'no-user' | 'no-change' };

export const ROLE_CHANGE_SUBJECT = 'Your roles in scimd changed';

/**
 * Queues the notice of a role change to the user it concerns, at their primary e-mail address (else
 * their first). Call it inside the transaction that applies the change. Never throws for the
 * user's data: a user without a usable address gets no notice, and the result says why.
 */
export async function enqueueRoleChangeNotice(manager: EntityManager, change: RoleChangeNotice): Promise<NoticeResult> {
  if (change.added.length === 0 && change.removed.length === 0) return { queued: false, reason: 'no-change' };
  // The profile JSON is the truth (user_values is rewritten from it), and it keeps the order of the emails.
  const rows = await manager.query('SELECT profile FROM users WHERE id = ?', [change.userId]) as { profile: string }[];
  const row = rows[0];
  if (!row) return { queued: false, reason: 'no-user' };
  const profile = JSON.parse(row.profile) as UserProfile;
  const to = addressOf(profile);
  if (to === undefined) return { queued: false, reason: 'no-address' };
  const mailId = await enqueueMail(manager, { to, subject: ROLE_CHANGE_SUBJECT, text: roleChangeText(profile, change) });
  return { queued: true, mailId };
}

/** The primary address, else the first; undefined when that one is not a usable address. */
export function addressOf(profile: UserProfile): string | undefined {
  const emails = (profile.emails ?? []).filter((email) => typeof email.value === 'string' && email.value.trim() !== '');
  const chosen = emails.find((email) => email.primary === true) ?? emails[0];
  const value = chosen?.value?.trim();
  return value !== undefined && isMailAddress(value) ? value : undefined;
}

/** The notice's text: plain, in the words of the person reading it. */
export function roleChangeText(profile: UserProfile, change: RoleChangeNotice): string {
  const name = oneLine(profile.name?.givenName ?? profile.displayName ?? profile.userName);
  const list = (names: readonly string[]) => names.map(oneLine).join(', ');
  const lines = [`Hello ${name},`, '', 'Your roles in scimd changed.', ''];
  if (change.added.length > 0) lines.push(`Added: ${list(change.added)}`);
  if (change.removed.length > 0) lines.push(`Removed: ${list(change.removed)}`);
  lines.push(`Changed by: ${oneLine(change.changedBy)}`);
  if (change.approvedBy !== undefined) lines.push(`Approved by: ${oneLine(change.approvedBy)}`);
  if (change.changeRequestId !== undefined) lines.push(`Change request: ${oneLine(change.changeRequestId)}`);
  lines.push('', 'If you did not expect this change, please contact your administrator.', '', '-- ', 'scimd');
  return `${lines.join('\n')}\n`;
}

/** Names come from other systems: one line each, so none can forge a line of the notice. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
