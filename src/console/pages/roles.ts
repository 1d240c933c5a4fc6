import type { Context } from 'koa';
import { PERMISSIONS, isPermissionGrant } from '../../auth/permissions';
import { RoleDefinitions, type RoleView } from '../../identity/role-definitions';
import { num } from '../charts';
import { html, segment, type Html } from '../html';
import { PAGE_SIZE, pageNumber, pager, requireSection, sendPage, time } from './common';
import type { ConsolePageDependencies, PageRoutes } from './index';

/**
 * GET /admin/roles       groups:read   roles by name with their permissions and holder counts, paged
 * GET /admin/roles/:id   groups:read   one role: what it grants, who may hold it, whom it manages
 */
export function registerRolePages(router: PageRoutes, deps: ConsolePageDependencies): void {
  const roles = new RoleDefinitions(deps.dataSource, deps.governance);
  const read = requireSection('roles');

  router.get('/roles', read, async (ctx: Context) => {
    const page = pageNumber(ctx);
    const result = await roles.list({ limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    sendPage(ctx, {
      title: 'Roles', section: 'roles',
      body: html`${roleTable(result.items)}${pager('/admin/roles', {}, page, result.total, 'Roles')}`,
    });
  });

  router.get('/roles/:id', read, async (ctx: Context) => {
    const role = await roles.get(String(ctx.params.id));
    sendPage(ctx, { title: `Role ${role.name}`, section: 'roles', body: roleDetail(role) });
  });
}

function roleTable(items: readonly RoleView[]): Html {
  if (items.length === 0) return html`<p>No roles.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Roles"><table class="data">
<caption>Roles by name</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Kind</th><th scope="col">Risk</th><th scope="col">Permissions</th>
<th scope="col" class="num">Users</th><th scope="col" class="num">Service accounts</th></tr></thead>
<tbody>${items.map((role) => html`<tr><th scope="row"><a href="/admin/roles/${segment(role.id)}">${role.name}</a></th>
<td>${role.kind}${role.source === 'ad' ? ' (from AD)' : ''}</td><td>${riskBadge(role)}</td>
<td>${role.permissions.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="permissions">${role.permissions.map((permission) => html`<li><code>${permission}</code></li>`)}</ul>`}</td>
<td class="num">${num(role.memberCount)}</td><td class="num">${num(role.serviceAccountCount)}</td></tr>`)}</tbody>
</table></div>`;
}

function riskBadge(role: RoleView): Html {
  return html`<span class="badge risk-${role.risk}">${role.risk}</span>`;
}

function roleDetail(role: RoleView): Html {
  return html`${role.description ? html`<p>${role.description}</p>` : ''}
<dl class="facts">
<div><dt>Kind</dt><dd>${role.kind}</dd></div>
<div><dt>Made by</dt><dd>${sourceLabel(role.source)}</dd></div>
<div><dt>Risk</dt><dd>${riskBadge(role)}</dd></div>
<div><dt>Held by</dt><dd>${role.assignableTo === 'any' ? 'persons and service accounts' : role.assignableTo === 'person' ? 'persons only' : 'service accounts only'}</dd></div>
<div><dt>Users holding it</dt><dd>${num(role.memberCount)}</dd></div>
<div><dt>Service accounts holding it</dt><dd>${num(role.serviceAccountCount)}</dd></div>
<div><dt>Manages</dt><dd>${role.manages === 'selected'
    ? html`<ul>${role.managedRoles.map((managed) => html`<li><a href="/admin/roles/${segment(managed.id)}">${managed.name}</a></li>`)}</ul>`
    : role.manages === 'all' ? 'every role' : 'no role'}</dd></div>
<div><dt>Changed</dt><dd>${time(role.updatedAt)} (version ${role.version})</dd></div>
</dl>
<h2>Permissions</h2>
${role.permissions.length === 0 ? html`<p>This role grants no permission.</p>` : html`<ul class="permissions">${role.permissions.map((permission) => html`<li><code>${permission}</code>: ${
    permission === '*' ? 'everything, including permissions added later' : isPermissionGrant(permission) && permission !== '*' ? PERMISSIONS[permission] : ''}</li>`)}</ul>`}`;
}

/** Who made a role, or granted a membership: ad, scim or local, in words. */
export function sourceLabel(source: string): string {
  switch (source) {
    case 'ad': return 'Active Directory';
    case 'scim': return 'identity provider (SCIM)';
    case 'local': return 'admin';
    default: return source;
  }
}
