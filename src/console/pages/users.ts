import type { Context } from 'koa';
import { may } from '../../auth/principal';
import { RoleAssignments, type HeldRole } from '../../identity/role-assignments';
import type { UserRecord } from '../../identity/user-profile';
import { UserDirectory } from '../../identity/users';
import { html, segment, type Html } from '../html';
import { consoleState } from '../state';
import { PAGE_SIZE, pageNumber, pager, queryText, requireSection, sendPage, time } from './common';
import type { ConsolePageDependencies, PageRoutes } from './index';
import { sourceLabel } from './roles';

/**
 * GET /admin/users       users:read   users by userName, searched by the start of their userName, paged
 * GET /admin/users/:id   users:read   one user; with groups:read also each role they hold and who granted it
 */
export function registerUserPages(router: PageRoutes, deps: ConsolePageDependencies): void {
  const users = new UserDirectory(deps.dataSource);
  const assignments = new RoleAssignments(deps.dataSource, deps.governance);
  const read = requireSection('users');

  router.get('/users', read, async (ctx: Context) => {
    const search = queryText(ctx, 'q');
    const page = pageNumber(ctx);
    const result = await users.list({
      // userName starts with: a range of the unique index on the case-folded userName.
      ...(search === undefined ? {} : { where: { kind: 'compare', field: 'userName', op: 'sw', value: search } }),
      sortBy: 'userName', offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE,
    });
    sendPage(ctx, {
      title: 'Users', section: 'users',
      body: html`<form method="get" action="/admin/users" class="filters" role="search" aria-label="Find users">
<div class="field"><label for="user-q">userName starts with</label><input type="search" id="user-q" name="q" value="${search ?? ''}" maxlength="255"></div>
<div class="field actions"><button type="submit" class="button">Find</button> <a href="/admin/users">Clear</a></div>
</form>
${userTable(result.items)}
${pager('/admin/users', { q: search }, page, result.total, 'Users')}`,
    });
  });

  router.get('/users/:id', read, async (ctx: Context) => {
    const user = await users.get(String(ctx.params.id));
    const roles = may(consoleState(ctx).principal, 'groups:read') ? await assignments.rolesOf(user.id) : undefined;
    sendPage(ctx, { title: user.profile.displayName ?? user.profile.userName, section: 'users', body: userDetail(user, roles) });
  });
}

function userTable(items: readonly UserRecord[]): Html {
  if (items.length === 0) return html`<p>No users match.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Users"><table class="data">
<caption>Users by userName</caption>
<thead><tr><th scope="col">userName</th><th scope="col">Display name</th><th scope="col">Active</th><th scope="col">Managed by</th></tr></thead>
<tbody>${items.map((user) => html`<tr><th scope="row"><a href="/admin/users/${segment(user.id)}">${user.profile.userName}</a></th>
<td>${user.profile.displayName ?? ''}</td><td>${user.profile.active === false ? 'no' : 'yes'}</td><td>${sourceLabel(user.source)}</td></tr>`)}</tbody>
</table></div>`;
}

function userDetail(user: UserRecord, roles: readonly HeldRole[] | undefined): Html {
  const emails = user.profile.emails ?? [];
  return html`<dl class="facts">
<div><dt>userName</dt><dd>${user.profile.userName}</dd></div>
<div><dt>Active</dt><dd>${user.profile.active === false ? 'no' : 'yes'}</dd></div>
<div><dt>Managed by</dt><dd>${sourceLabel(user.source)}</dd></div>
${user.profile.title ? html`<div><dt>Title</dt><dd>${user.profile.title}</dd></div>` : ''}
${emails.length > 0 ? html`<div><dt>E-mail</dt><dd>${emails.map((email, index) => html`${index > 0 ? ', ' : ''}${String(email.value ?? '')}${email.primary ? ' (primary)' : ''}`)}</dd></div>` : ''}
<div><dt>Created</dt><dd>${time(user.createdAt)}</dd></div>
<div><dt>Changed</dt><dd>${time(user.updatedAt)} (version ${user.version})</dd></div>
</dl>
<section aria-labelledby="user-roles"><h2 id="user-roles">Roles</h2>
${roles === undefined ? html`<p class="muted">Seeing a user's roles needs the permission groups:read.</p>`
    : roles.length === 0 ? html`<p>${user.profile.userName} holds no role.</p>`
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Roles of the user"><table class="data">
<caption>Roles ${user.profile.userName} holds, and where each came from</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Risk</th><th scope="col">Granted by</th></tr></thead>
<tbody>${roles.map((role) => html`<tr><th scope="row"><a href="/admin/roles/${segment(role.id)}">${role.name}</a></th>
<td><span class="badge risk-${role.risk}">${role.risk}</span></td><td>${sourceLabel(role.source)}</td></tr>`)}</tbody>
</table></div>`}
</section>`;
}
