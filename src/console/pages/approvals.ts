import type { Context } from 'koa';
import { changeRequestsFor } from '../../admin/change-requests-factory';
import { may } from '../../auth/principal';
import { CHANGE_REQUEST_STATUSES, type ChangeRequestView } from '../../governance/change-request-store';
import { HttpError } from '../../http/http-error';
import { html, segment, type Html } from '../html';
import { csrfField, type PageFrame } from '../layout';
import { consoleState } from '../state';
import { changeContext, formField, frameOf, oneOf, PAGE_SIZE, pageNumber, pager, requireSection, seeOther, sendPage, time } from './common';
import type { ConsolePageDependencies, PageRoutes } from './index';

/** The longest comment a decision takes (as ChangeRequests checks). */
const MAX_COMMENT = 2000;

/**
 * GET  /admin/approvals                 the inbox: change requests by status (pending first by default), paged
 * GET  /admin/approvals/:id             one request: what it asks, who asked, its decision; the decision form
 * POST /admin/approvals/:id/approve     approvals:decide, a comment: applies it (four-eyes: not one's own)
 * POST /admin/approvals/:id/reject      approvals:decide, a comment
 */
export function registerApprovalPages(router: PageRoutes, deps: ConsolePageDependencies): void {
  const requests = changeRequestsFor(deps.dataSource, deps.triggerRun);
  const read = requireSection('approvals');

  router.get('/approvals', read, async (ctx: Context) => {
    const status = ctx.query.status === 'all' ? undefined : oneOf(ctx, 'status', CHANGE_REQUEST_STATUSES) ?? 'pending';
    const page = pageNumber(ctx);
    const result = await requests.list({ ...(status ? { status } : {}), limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const choices = [...CHANGE_REQUEST_STATUSES, 'all'] as const;
    sendPage(ctx, {
      title: 'Approvals', section: 'approvals',
      body: html`<nav class="tabs" aria-label="Requests by status"><ul>${choices.map((choice) => html`<li><a href="/admin/approvals?status=${choice}"${
        (status ?? 'all') === choice ? html` aria-current="page"` : ''}>${choice}</a></li>`)}</ul></nav>
${requestTable(result.items, `Change requests${status ? `: ${status}` : ''}, newest first`)}
${pager('/admin/approvals', { status: status ?? 'all' }, page, result.total, 'Change requests')}`,
    });
  });

  router.get('/approvals/:id', read, async (ctx: Context) => {
    const request = await requests.get(String(ctx.params.id));
    const frame = frameOf(ctx);
    sendPage(ctx, { title: 'Change request', section: 'approvals', body: html`${requestDetail(request)}${decisionForm(frame, request)}` });
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/approvals/:id/${decision}`, async (ctx: Context) => {
      if (!may(consoleState(ctx).principal, 'approvals:decide')) {
        throw new HttpError(403, 'Deciding change requests needs the permission approvals:decide, which your roles do not grant');
      }
      const comment = formField(ctx, 'comment');
      if (comment !== undefined && comment.length > MAX_COMMENT) throw new HttpError(400, `A comment is at most ${MAX_COMMENT} characters`);
      const id = String(ctx.params.id);
      const context = changeContext(ctx);
      if (decision === 'approve') await requests.approve(context, id, comment);
      else await requests.reject(context, id, comment);
      seeOther(ctx, `/admin/approvals/${segment(id)}`);
    });
  }
}

export function requestTable(items: readonly ChangeRequestView[], caption: string): Html {
  if (items.length === 0) return html`<p>No change requests here.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${caption}"><table class="data">
<caption>${caption}</caption>
<thead><tr><th scope="col">Requested</th><th scope="col">Summary</th><th scope="col">Kind</th><th scope="col">By</th><th scope="col">Status</th><th scope="col">Expires</th></tr></thead>
<tbody>${items.map((request) => html`<tr><td>${time(request.requestedAt)}</td>
<th scope="row"><a href="/admin/approvals/${segment(request.id)}">${request.summary}</a></th><td>${request.kind}</td>
<td>${request.requestedBy.name}</td><td><span class="badge request-${request.status}">${request.status}</span></td><td>${time(request.expiresAt)}</td></tr>`)}</tbody>
</table></div>`;
}

function requestDetail(request: ChangeRequestView): Html {
  return html`<dl class="facts">
<div><dt>Summary</dt><dd>${request.summary}</dd></div>
<div><dt>Status</dt><dd><span class="badge request-${request.status}">${request.status}</span></dd></div>
<div><dt>Kind</dt><dd>${request.kind}</dd></div>
<div><dt>Target</dt><dd>${targetLink(request)}</dd></div>
<div><dt>Requested by</dt><dd>${request.requestedBy.name} (${request.requestedBy.type}), ${time(request.requestedAt)}</dd></div>
<div><dt>Expires</dt><dd>${time(request.expiresAt)}</dd></div>
${request.decidedBy ? html`<div><dt>Decided by</dt><dd>${request.decidedBy.name}, ${time(request.decidedAt)}</dd></div>` : ''}
${request.comment ? html`<div><dt>Comment</dt><dd class="prewrap">${request.comment}</dd></div>` : ''}
${request.result ? html`<div><dt>Result</dt><dd>${resultText(request.result)}</dd></div>` : ''}
</dl>
<details><summary>What it applies (payload)</summary><pre>${JSON.stringify(request.payload, null, 2)}</pre></details>`;
}

function targetLink(request: ChangeRequestView): Html {
  const name = request.target.name ?? request.target.id;
  if (request.target.type === 'User') return html`<a href="/admin/users/${segment(request.target.id)}">${name}</a> (User)`;
  if (request.target.type === 'SyncRun') return html`<a href="/admin/runs/${segment(request.target.id)}">sync run ${request.target.id}</a>`;
  if (request.target.type === 'Group' || request.target.type === 'Role') return html`<a href="/admin/roles/${segment(request.target.id)}">${name}</a> (role)`;
  return html`${name} (${request.target.type})`;
}

function resultText(result: Record<string, unknown>): Html {
  if (typeof result.error === 'string') return html`<span class="error-text">Failed: ${result.error}</span>`;
  if (typeof result.runId === 'string') return html`Started <a href="/admin/runs/${segment(result.runId)}">sync run ${result.runId}</a>`;
  return html`<pre>${JSON.stringify(result, null, 2)}</pre>`;
}

/** Approve and reject, each with its comment, for a person who may decide this pending request (not their own). */
function decisionForm(frame: PageFrame, request: ChangeRequestView): Html {
  if (request.status !== 'pending') return html``;
  if (request.requestedBy.type === 'person' && request.requestedBy.id === frame.principal.id) {
    return html`<p class="notice">You asked for this change, so a second person decides it.</p>`;
  }
  if (!may(frame.principal, 'approvals:decide')) return html``;
  return html`<section aria-labelledby="decide"><h2 id="decide">Decide</h2>
<div class="decisions">
${(['approve', 'reject'] as const).map((decision) => html`<form method="post" action="/admin/approvals/${segment(request.id)}/${decision}" class="decision">
${csrfField(frame)}
<div class="field"><label for="comment-${decision}">Comment${decision === 'reject' ? ' (why)' : ''}</label>
<textarea id="comment-${decision}" name="comment" rows="3" maxlength="${MAX_COMMENT}"></textarea></div>
<button type="submit" class="button${decision === 'reject' ? ' danger' : ''}">${decision === 'approve' ? 'Approve and apply' : 'Reject'}</button>
</form>`)}
</div></section>`;
}
