import type { Principal } from '../../src/auth/principal';
import { contextOf, may } from '../../src/auth/principal';
import type { Permission } from '../../src/auth/permissions';
import type { ChangeContext } from '../../src/identity/change-context';
import type { RoleStore, UserStore } from '../../src/identity/stores';
import { ScimError } from '../errors';
import type { QueryValues } from '../query/list-parameters';
import { parseProjection } from '../query/list-parameters';
import { versionsIn } from '../resources/meta';
import { projectorFor, type Projector, type ResourceSchema } from '../schema';

/** A SCIM request as the endpoints see it: no Koa, only what the protocol needs. */
export interface ScimRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: QueryValues;
  /** Reads and parses the body; endpoints call it after the permission check, so a caller
   * without the permission gets 403 whatever it sent. */
  readBody(): Promise<unknown>;
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly principal: Principal;
  readonly requestId: string;
  /** e.g. `http://127.0.0.1:8080/scim/v2` */
  readonly baseUrl: string;
  /**
   * Told of an unexpected error that an endpoint answers itself instead of throwing (a Bulk
   * operation's 500 entry), so that the edge logs it as it logs a request's 500.
   */
  readonly reportUnexpected?: (error: unknown) => void;
}

export interface ScimResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the endpoints need of floor 2: the narrow store contract, not the concrete directories. */
export interface ScimServices {
  readonly users: UserStore;
  readonly roles: RoleStore;
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!may(principal, permission)) {
    throw new ScimError(403, undefined,
      `${principal.kind === 'person' ? 'Person' : 'Service account'} "${principal.name}" lacks the ${permission} permission `
      + `(roles: ${principal.roles.join(', ') || 'none'})`);
  }
}

export function changeContext(request: ScimRequest): ChangeContext {
  return contextOf(request.principal, 'scim', request.requestId);
}

/** The version an If-Match header demands, undefined for none or `*`; -1 when it names no version at all. */
export function expectedVersion(request: ScimRequest): number | undefined {
  if (request.ifMatch === undefined) return undefined;
  const { any, versions } = versionsIn(request.ifMatch);
  if (any) return undefined;
  return versions[0] ?? -1;
}

/** True when an If-None-Match header names the current version (→ 304 Not Modified). */
export function notModified(request: ScimRequest, version: number): boolean {
  if (request.ifNoneMatch === undefined) return false;
  const { any, versions } = versionsIn(request.ifNoneMatch);
  return any || versions.includes(version);
}

/**
 * The request's `attributes`/`excludedAttributes` projector, built before anything is read or
 * written, so that a refused list (400) leaves the resource as it was.
 */
export function requestProjector(schema: ResourceSchema, request: ScimRequest): Projector {
  return projectorFor(schema, parseProjection(request.query));
}
