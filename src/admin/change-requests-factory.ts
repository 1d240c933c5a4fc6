import type { DataSource } from 'typeorm';
import { applyServiceAccountRequest, applyServiceTokenRequest } from '../auth/service-account-requests';
import { ChangeRequests } from '../governance/change-requests';
import { applySyncRelease } from '../governance/sync-release';
import { applyRoleAssignment } from '../identity/role-assignments';
import { applyRoleDefinition } from '../identity/role-definitions';
import type { TriggerRun } from './sync-routes';

/**
 * The one ChangeRequests of a server, for every door that decides requests (the admin API, the
 * console): what an approval applies, by kind of request, and, for a released sync run, the start
 * of the run once the approval committed (only where the sync is configured).
 */
export function changeRequestsFor(dataSource: DataSource, triggerRun?: TriggerRun): ChangeRequests {
  return new ChangeRequests(dataSource, {
    appliers: {
      'role-assignment': applyRoleAssignment, 'role-definition': applyRoleDefinition, 'sync-release': applySyncRelease,
      'service-account': applyServiceAccountRequest, 'service-token': applyServiceTokenRequest,
    },
    ...(triggerRun ? {
      followUps: {
        'sync-release': async (context, payload) => {
          const mode = payload.mode === 'full' || payload.mode === 'delta' ? payload.mode : undefined;
          const { runId } = await triggerRun({ ...(mode ? { mode } : {}), allowDeletes: true, context });
          return { runId };
        },
      },
    } : {}),
  });
}
