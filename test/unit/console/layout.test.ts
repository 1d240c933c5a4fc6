import { expect } from 'chai';
import type { Principal } from '../../../src/auth/principal';
import { html } from '../../../src/console/html';
import { layout, maySee } from '../../../src/console/layout';

function person(permissions: string[], name = 'Ada <Admin>'): Principal {
  return { kind: 'person', id: 'u1', name, tokenId: 's1', roles: [], permissions: new Set(permissions), manages: new Set<string>() };
}

/** The nav's link texts, in order. */
function navLinks(page: string): string[] {
  const nav = /<nav class="site-nav"[^>]*>(.*?)<\/nav>/s.exec(page)?.[1] ?? '';
  return [...nav.matchAll(/<a href="[^"]+"[^>]*>([^<]+)<\/a>/g)].map((match) => match[1] ?? '');
}

describe('console layout', () => {
  describe('maySee()', () => {
    it('opens a section to anyone holding one of its permissions, and the dashboard to everyone', () => {
      expect(maySee(person([]), 'dashboard')).to.equal(true);
      expect(maySee(person([]), 'runs')).to.equal(false);
      expect(maySee(person(['sync:read']), 'runs')).to.equal(true);
      expect(maySee(person(['roles:assign']), 'approvals')).to.equal(true);
      expect(maySee(person(['*']), 'audit')).to.equal(true);
    });
  });

  describe('layout()', () => {
    const page = layout({ principal: person(['sync:read', 'users:read']), csrfToken: 'tok"en' }, {
      title: 'Runs & <more>', section: 'runs', body: html`<p>body</p>`,
    });

    it('lists in the nav only the sections the person may open, marking the current one', () => {
      expect(navLinks(page)).to.deep.equal(['Dashboard', 'Sync runs', 'Users']);
      expect(page).to.contain('<a href="/admin/runs" aria-current="page">Sync runs</a>');
      expect(navLinks(layout({ principal: person(['*']), csrfToken: 't' }, { title: 'x', body: html`` })))
        .to.deep.equal(['Dashboard', 'Sync runs', 'Approvals', 'Audit log', 'Roles', 'Users']);
    });

    it('has a skip link to main, the landmarks, and the files for style and script (no inline ones)', () => {
      expect(page).to.match(/<a class="skip-link" href="#main">/);
      expect(page).to.match(/<header class="site-header">/);
      expect(page).to.match(/<nav class="site-nav" aria-label="Console sections">/);
      expect(page).to.match(/<main id="main" tabindex="-1">\n<h1>Runs &amp; &lt;more&gt;<\/h1>\n<p>body<\/p>/);
      expect(page).to.contain('<link rel="stylesheet" href="/admin/assets/console.css">');
      expect(page).to.contain('<script src="/admin/assets/console.js" defer></script>');
      expect(page).not.to.match(/<style|style=|<script>/);
    });

    it('signs out by a POST carrying the CSRF token, and escapes the person\'s name', () => {
      expect(page).to.match(/<form method="post" action="\/admin\/sign-out"[^>]*>\s*<input type="hidden" name="_csrf" value="tok&quot;en">/);
      expect(page).to.contain('Signed in as <strong>Ada &lt;Admin&gt;</strong>');
    });
  });
});
