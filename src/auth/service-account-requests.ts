import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { GovernanceConfig } from '../config';
import { ChangeRequestEntity, type RoleEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, invalidError } from '../errors';
import { raiseChangeRequest, type ChangeRequestView } from '../governance/change-request-store';
import type { Applier } from '../governance/change-requests';
import { assertPermitted, nowIso, type ChangeContext } from '../identity/change-context';
import { approvalModeAt, isGoverned } from '../identity/grant-rules';
import {
  accountRoles, assertNameFree, assertTokenIssuable, checkNewAccount, findAccount, governedReasons, nameKeyOf,
  resolveRoles, ServiceAccounts, writeAccount, writeToken, type AccountPlan, type MintedToken, type NewServiceAccount,
  type ServiceAccountView,
} from './service-accounts';
import { issueToken, normalizeExpiry, type IssuedToken } from './tokens';

export type AccountOutcome =
  | { readonly status: 'applied'; readonly account: ServiceAccountView; readonly token: string }
  | {
    readonly status: 'pending'; readonly changeRequest: ChangeRequestView; readonly accountId: string;
    readonly tokenId: string; readonly token: string;
  };

export type TokenOutcome =
  | { readonly status: 'applied'; readonly id: string; readonly token: string }
  | { readonly status: 'pending'; readonly changeRequest: ChangeRequestView; readonly id: string; readonly token: string };

/**
 * Service accounts and tokens as the admin API asks for them (issue 8): applied at once, or, when
 * governed, a change request that a second person holding approvals:decide approves.
 *
 * Governed: an account holding a role whose grant is governed for the requester (high-risk, or
 * carrying permissions the requester lacks: src/identity/grant-rules.ts), and a token for such an
 * account, since the token hands its holder the account's roles. APPROVAL_MODE=all makes every
 * creation through the admin API wait; none waives the rule (audited as waived).
 *
 * The token of a governed request is minted now and shown to the requester once, as every token
 * is; the request carries only its id and the SHA-256 of its secret. Nothing is written until the
 * approval, whose applier inserts the account or token row with that id and hash: from then on the
 * token works. A request rejected, expired or failed writes nothing, so its token never works.
 */
export class ServiceAccountRequests {
  private readonly accounts: ServiceAccounts;

  constructor(private readonly dataSource: DataSource, private readonly governance: GovernanceConfig) {
    this.accounts = new ServiceAccounts(dataSource);
  }

  async create(context: ChangeContext, input: NewServiceAccount): Promise<AccountOutcome> {
    assertPermitted(context, 'service-accounts:write');
    const checked = checkNewAccount(input);
    const roles = await resolveRoles(this.dataSource.manager, input.roleNames);
    const reasons = governedReasons(context.actor, roles);
    const decision = this.decide(context, reasons);
    if (decision !== 'request') {
      return { status: 'applied', ...await this.accounts.create(decision === 'waive' ? { ...context, approvalWaived: true } : context, input) };
    }
    assertPermitted(context, 'roles:manage');
    const issued = issueToken();
    const plan: AccountPlan = { ...checked, accountId: randomUUID(), roles: roles.map((role) => role.id), token: minted(issued) };
    const changeRequest = await transaction(this.dataSource, async (manager) => {
      // The rules the requester must meet now are checked now: a doomed request helps nobody.
      await assertNameFree(manager, plan.name);
      await assertNoPendingAccount(manager, plan.name);
      return raiseChangeRequest(manager, context, {
        kind: 'service-account', target: { type: 'ServiceAccount', id: plan.accountId, name: plan.name },
        payload: {
          accountId: plan.accountId, name: plan.name, roleIds: plan.roles, description: plan.description,
          expiresAt: plan.expiresAt, token: plan.token,
        },
        expiryDays: this.governance.approvalExpiryDays,
        summary: `Create service account "${plan.name}" holding ${names(roles)}${because(reasons)}`,
      });
    });
    return { status: 'pending', changeRequest, accountId: plan.accountId, tokenId: issued.id, token: issued.token };
  }

  async createToken(context: ChangeContext, idOrName: string, expiry?: string): Promise<TokenOutcome> {
    assertPermitted(context, 'service-accounts:write');
    const expiresAt = normalizeExpiry(expiry);
    const account = await findAccount(this.dataSource.manager, idOrName);
    assertTokenIssuable(context, account);
    const roles = await accountRoles(this.dataSource.manager, account.id);
    const reasons = governedReasons(context.actor, roles);
    const decision = this.decide(context, reasons);
    if (decision !== 'request') {
      return { status: 'applied', ...await this.accounts.createToken(decision === 'waive' ? { ...context, approvalWaived: true } : context,
        account.id, expiresAt ?? undefined) };
    }
    assertPermitted(context, 'roles:manage');
    const issued = issueToken();
    const changeRequest = await transaction(this.dataSource, (manager) => raiseChangeRequest(manager, context, {
      kind: 'service-token', target: { type: 'ServiceAccount', id: account.id, name: account.name },
      payload: { accountId: account.id, token: minted(issued), expiresAt }, expiryDays: this.governance.approvalExpiryDays,
      summary: `Issue a token for service account "${account.name}", which holds ${names(roles)}${because(reasons)}`,
    }));
    return { status: 'pending', changeRequest, id: issued.id, token: issued.token };
  }

  /** Apply now, apply with the rule waived (APPROVAL_MODE=none), or raise a request. */
  private decide(context: ChangeContext, reasons: readonly string[]): 'apply' | 'waive' | 'request' {
    if (!isGoverned(context)) return 'apply';
    const mode = approvalModeAt(context, this.governance.approvalMode);
    if (mode === 'none') return reasons.length > 0 ? 'waive' : 'apply';
    return mode === 'all' || reasons.length > 0 ? 'request' : 'apply';
  }
}

/**
 * The applier of approved `service-account` requests: the account as requested, if its name is
 * still free, its roles still exist and may still be held by a service account, its token has not
 * expired meanwhile, and the requester still holds service-accounts:write and roles:manage.
 */
export const applyServiceAccountRequest: Applier = async (manager, context, payload) => {
  assertPermitted(context, 'service-accounts:write');
  assertPermitted(context, 'roles:manage');
  const plan = accountPlanOf(payload);
  assertNotExpired(plan.expiresAt);
  await writeAccount(manager, context, plan);
  return { accountId: plan.accountId, tokenId: plan.token.id };
};

/**
 * The applier of approved `service-token` requests: the token as requested, if the account still
 * exists (and is neither disabled nor Batch sync), the token has not expired meanwhile, and the
 * requester still holds service-accounts:write and roles:manage.
 */
export const applyServiceTokenRequest: Applier = async (manager, context, payload) => {
  assertPermitted(context, 'service-accounts:write');
  assertPermitted(context, 'roles:manage');
  const accountId = text(payload.accountId, 'accountId');
  const expiresAt = optionalText(payload.expiresAt, 'expiresAt');
  const token = mintedOf(payload.token);
  assertNotExpired(expiresAt);
  // An account gone meanwhile is not found by writeToken: the approval then fails the request (409).
  await writeToken(manager, context, { account: accountId, token, expiresAt });
  return { accountId, tokenId: token.id };
};

function minted(issued: IssuedToken): MintedToken {
  return { id: issued.id, secretHash: issued.secretHash };
}

/** A pending request for an account of the same name would fail on approval once the first applies: refused now (409). */
async function assertNoPendingAccount(manager: EntityManager, name: string): Promise<void> {
  const now = nowIso();
  const pending = await manager.find(ChangeRequestEntity, {
    where: { kind: 'service-account', status: 'pending' }, select: { id: true, payload: true, expiresAt: true },
  });
  const same = pending.find((row) => row.expiresAt > now && nameKeyOf(String((JSON.parse(row.payload) as { name?: unknown }).name)) === nameKeyOf(name));
  if (same) throw conflictError(`A service account named "${name}" is already waiting for approval (change request ${same.id})`);
}

function assertNotExpired(expiresAt: string | null): void {
  if (expiresAt !== null && expiresAt <= nowIso()) {
    throw conflictError(`The token would have expired at ${expiresAt}, before the approval; ask again`);
  }
}

/** A stored payload read back strictly: a request is applied only as it was raised. */
function accountPlanOf(payload: Record<string, unknown>): AccountPlan {
  const roles = payload.roleIds;
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) throw invalidError('The request names no roles');
  return {
    accountId: text(payload.accountId, 'accountId'),
    name: text(payload.name, 'name'),
    roles,
    description: optionalText(payload.description, 'description'),
    expiresAt: optionalText(payload.expiresAt, 'expiresAt'),
    token: mintedOf(payload.token),
  };
}

function mintedOf(value: unknown): MintedToken {
  const token = typeof value === 'object' && value !== null ? value as Record<string, unknown> : {};
  return { id: text(token.id, 'token.id'), secretHash: text(token.secretHash, 'token.secretHash') };
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalidError(`The request's ${field} is missing`);
  return value;
}

function optionalText(value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : text(value, field);
}

function names(roles: readonly RoleEntity[]): string {
  return roles.map((role) => `"${role.displayName}"`).join(', ');
}

function because(reasons: readonly string[]): string {
  return reasons.length > 0 ? ` (${reasons.join('; ')})` : '';
}
