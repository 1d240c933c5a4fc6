import { may, type Principal } from '../auth/principal';
import type { Permission } from '../auth/permissions';
import { html, type Html } from './html';

/** The console's sections: where each lives and who may see it (the same permissions as the JSON API's routes). */
export const SECTIONS = {
  dashboard: { path: '/admin', label: 'Dashboard', anyOf: [] },
  runs: { path: '/admin/runs', label: 'Sync runs', anyOf: ['sync:read'] },
  // As GET /admin/api/change-requests: those who decide, ask for or audit changes.
  approvals: { path: '/admin/approvals', label: 'Approvals', anyOf: ['approvals:decide', 'roles:manage', 'roles:assign', 'audit:read'] },
  audit: { path: '/admin/audit', label: 'Audit log', anyOf: ['audit:read'] },
  roles: { path: '/admin/roles', label: 'Roles', anyOf: ['groups:read'] },
  users: { path: '/admin/users', label: 'Users', anyOf: ['users:read'] },
} as const satisfies Record<string, { path: string; label: string; anyOf: readonly Permission[] }>;

export type Section = keyof typeof SECTIONS;

/** True when the principal may open the section (a section that needs nothing is open to every signed-in person). */
export function maySee(principal: Principal, section: Section): boolean {
  const needed: readonly Permission[] = SECTIONS[section].anyOf;
  return needed.length === 0 || needed.some((permission) => may(principal, permission));
}

export interface PageFrame {
  readonly principal: Principal;
  readonly csrfToken: string;
}

export interface LayoutInput {
  /** The page's own title (the document title adds "scimd console"). */
  readonly title: string;
  /** The nav entry marked as current. */
  readonly section?: Section;
  readonly body: Html;
}

/**
 * The page around every console page: a skip link, the header with the signed-in person and the
 * sign-out form (a POST with the session's CSRF token), the nav of the sections the person may see,
 * and the main landmark. Styles and the little script are files (the Content-Security-Policy allows
 * no inline ones); the pages work without the script.
 */
export function layout(frame: PageFrame, input: LayoutInput): string {
  const links = (Object.keys(SECTIONS) as Section[]).filter((section) => maySee(frame.principal, section)).map((section) => {
    const { path, label } = SECTIONS[section];
    return html`<li><a href="${path}"${section === input.section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  });
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · scimd console</title>
<link rel="stylesheet" href="/admin/assets/console.css">
<script src="/admin/assets/console.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <a class="brand" href="/admin">scimd console</a>
  <div class="who">
    <span>Signed in as <strong>${frame.principal.name}</strong></span>
    <form method="post" action="/admin/sign-out" class="inline-form">
      <input type="hidden" name="_csrf" value="${frame.csrfToken}">
      <button type="submit" class="button secondary">Sign out</button>
    </form>
  </div>
</header>
<nav class="site-nav" aria-label="Console sections"><ul>${links}</ul></nav>
<main id="main" tabindex="-1">
<h1>${input.title}</h1>
${input.body}
</main>
</body>
</html>`.text}\n`;
}

/** A hidden input with the session's CSRF token: every state-changing form carries one. */
export function csrfField(frame: PageFrame): Html {
  return html`<input type="hidden" name="_csrf" value="${frame.csrfToken}">`;
}
