import { expect } from 'chai';
import { escapeHtml, href, html, segment, trusted } from '../../../src/console/html';

describe('console html', () => {
  describe('html``', () => {
    it('escapes every interpolated string for element text and quoted attributes', () => {
      const evil = '<script>alert("x")</script>&\'';
      expect(html`<p title="${evil}">${evil}</p>`.text).to.equal(
        '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
      );
    });

    it('keeps nested Html as it is, joins arrays and renders nothing for null, undefined and false', () => {
      const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
      expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.text).to.equal('<ul><li>a&lt;b</li><li>c</li></ul>0');
    });

    it('does not double-escape Html, and escapes a string that looks like markup', () => {
      expect(html`${html`<b>${'&'}</b>`}`.text).to.equal('<b>&amp;</b>');
      expect(html`${'<b>&amp;</b>'}`.text).to.equal('&lt;b&gt;&amp;amp;&lt;/b&gt;');
      expect(html`${trusted('<i>ok</i>')}`.text).to.equal('<i>ok</i>');
    });
  });

  describe('escapeHtml()', () => {
    it('replaces the five characters that matter in text and attributes', () => {
      expect(escapeHtml('&<>"\'plain')).to.equal('&amp;&lt;&gt;&quot;&#39;plain');
    });
  });

  describe('href()', () => {
    it('encodes query values and leaves out empty ones', () => {
      expect(href('/admin/runs', { status: 'failed', q: 'CN=A&B,OU=x', page: undefined, mode: '' }))
        .to.equal('/admin/runs?status=failed&q=CN%3DA%26B%2COU%3Dx');
      expect(href('/admin/runs')).to.equal('/admin/runs');
    });

    it('refuses anything but an absolute path, so no value becomes a javascript: or foreign link', () => {
      expect(() => href('javascript:alert(1)')).to.throw(/absolute paths/);
      expect(() => href('https://evil.example/')).to.throw(/absolute paths/);
    });
  });

  describe('segment()', () => {
    it('keeps a value inside its path segment', () => {
      expect(segment('../a/b?c#d')).to.equal('..%2Fa%2Fb%3Fc%23d');
    });
  });
});
