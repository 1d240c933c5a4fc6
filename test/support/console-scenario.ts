import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { localOperatorContext } from '../../src/identity/change-context';
import { RoleDirectory } from '../../src/identity/roles';
import { UserDirectory } from '../../src/identity/users';

/**
 * Helpers of the console's end-to-end browser scenario (test/browser/console-scenario.test.ts): a
 * person with roles, sign-in at the test OpenID Provider, and the cheap accessibility and layout
 * checks run on every main page (labels, contrast, visible keyboard focus, no page-wide sideways
 * scroll on a phone), and the screenshots of docs/screenshots/.
 */

const OPERATOR = localOperatorContext('test');

/** Creates a local User holding the roles (ids), as the local operator does; returns its id. */
export async function createPerson(dataSource: DataSource, userName: string, roleIds: readonly string[]): Promise<string> {
  const user = await new UserDirectory(dataSource).create(OPERATOR, { profile: { userName, active: true } });
  const roles = new RoleDirectory(dataSource);
  for (const roleId of roleIds) await roles.update(OPERATOR, roleId, { memberChanges: [{ kind: 'add', ids: [user.id] }] });
  return user.id;
}

/**
 * From the console's sign-in page through the provider's development login and consent pages
 * (login = the account's sub, any password), back on scimd's origin.
 */
export async function signInThroughProvider(page: Page, options: { issuer: string; origin: string; providerName: string; login: string }): Promise<void> {
  await page.getByRole('link', { name: `Sign in with ${options.providerName}` }).click();
  await page.waitForURL((url) => url.href.startsWith(options.issuer));
  await page.fill('input[name="login"]', options.login);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.origin === options.origin && !url.pathname.startsWith('/admin/oidc/'));
}

// ---- checks that run in the page ------------------------------------------------------------------
// The functions given to page.evaluate run in Chromium, where these are the DOM's globals; the
// declarations name the little of the DOM they use (the project compiles without the DOM library).

interface DomElement {
  readonly tagName: string;
  readonly id: string;
  readonly title: string;
  readonly outerHTML: string;
  readonly textContent: string | null;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly parentElement: DomElement | null;
  readonly childNodes: ArrayLike<{ readonly nodeType: number; readonly textContent: string | null }>;
  readonly labels?: ArrayLike<{ readonly textContent: string | null }> | null;
  getAttribute(name: string): string | null;
  closest(selector: string): DomElement | null;
  matches(selector: string): boolean;
  getClientRects(): ArrayLike<unknown>;
  getBoundingClientRect(): { readonly height: number };
}
declare const document: {
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
  readonly activeElement: DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  getElementById(id: string): DomElement | null;
};
declare function getComputedStyle(element: DomElement): {
  readonly color: string; readonly backgroundColor: string; readonly fontSize: string; readonly fontWeight: string;
  readonly outlineStyle: string; readonly outlineWidth: string; readonly outlineColor: string;
  readonly visibility: string;
};

/** Form controls (not hidden inputs) without an accessible name from a label, aria-label, aria-labelledby or title. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter((control) => control.getAttribute('type') !== 'hidden')
    .filter((control) => {
      const labelled = Array.from(control.labels ?? []).some((label) => (label.textContent ?? '').trim() !== '');
      const byIds = (control.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter((id) => id !== '')
        .some((id) => (document.getElementById(id)?.textContent ?? '').trim() !== '');
      return !labelled && !byIds && (control.getAttribute('aria-label') ?? '').trim() === '' && control.title.trim() === '';
    })
    .map((control) => control.outerHTML.slice(0, 160)));
}

/** A piece of visible text as the page renders it: its colour, size and weight, and the backgrounds behind it. */
interface RenderedText {
  readonly tag: string;
  readonly text: string;
  readonly color: string;
  readonly fontSize: number;
  readonly fontWeight: number;
  /** The background colours of the element and its ancestors, innermost first. */
  readonly backgrounds: readonly string[];
}

/**
 * Visible text whose colour is below WCAG 2.1 AA contrast against the background it sits on
 * (4.5:1; 3:1 for large text: 24 px, or 18.66 px bold). The background is the first opaque one of
 * the element or its ancestors (the page is white beneath everything). Text in SVG charts is left
 * out: its colour is its fill. The page only reports what it renders; the arithmetic is done here
 * (the code sent to the page declares no functions of its own: tsx would name them with a helper
 * the page does not have).
 */
export async function lowContrastText(page: Page): Promise<string[]> {
  const rendered: RenderedText[] = await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
    .filter((element) => !element.closest('svg, script, style, option') && element.getClientRects().length > 0)
    .map((element) => ({ element, text: Array.from(element.childNodes).filter((node) => node.nodeType === 3).map((node) => node.textContent ?? '').join('').trim() }))
    .filter(({ element, text }) => text !== '' && getComputedStyle(element).visibility === 'visible')
    .map(({ element, text }) => {
      const style = getComputedStyle(element);
      const backgrounds: string[] = [];
      for (let at: DomElement | null = element; at; at = at.parentElement) backgrounds.push(getComputedStyle(at).backgroundColor);
      return { tag: element.tagName, text: text.slice(0, 40), color: style.color, fontSize: parseFloat(style.fontSize), fontWeight: Number(style.fontWeight), backgrounds };
    }));
  const problems: string[] = [];
  for (const item of rendered) {
    const colour = rgba(item.color);
    const background = item.backgrounds.map(rgba).find((candidate) => candidate !== undefined && candidate[3] >= 1) ?? [255, 255, 255, 1];
    if (!colour) {
      problems.push(`${item.tag} "${item.text}": a colour this check cannot read (${item.color})`);
      continue;
    }
    const ratio = contrastRatio(colour, background);
    const large = item.fontSize >= 24 || (item.fontSize >= 18.66 && item.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`${item.tag} "${item.text}": ${ratio.toFixed(2)}:1 (${item.color} on rgb(${background.slice(0, 3).join(', ')}))`);
  }
  return problems;
}

/** `rgb(r, g, b)` or `rgba(r, g, b, a)` as computed styles write colours; undefined for anything else. */
function rgba(value: string): [number, number, number, number] | undefined {
  const match = /^rgba?\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)(?:,\s*(\d*(?:\.\d+)?))?\)$/.exec(value);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3]), match[4] === undefined ? 1 : Number(match[4])];
}

/** WCAG 2.1's contrast ratio of two sRGB colours (alpha ignored). */
export function contrastRatio(a: readonly number[], b: readonly number[]): number {
  const luminance = (colour: readonly number[]): number => {
    const [r = 0, g = 0, bl = 0] = colour.slice(0, 3).map((channel) => {
      const c = channel / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light = 0, dark = 0] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** How far the document scrolls sideways (0 when the page fits its viewport). */
export async function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * The scrolling regions (tables in their .table-wrap, charts in their .chart-scroll) that scroll
 * sideways, by their labels: on a desktop none should, or a column (the message of an error, say)
 * hides beyond the right edge.
 */
export async function sidewaysScrollingRegions(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('.table-wrap, .chart-scroll'))
    .filter((region) => region.scrollWidth > region.clientWidth + 1)
    .map((region) => `${region.getAttribute('aria-label') ?? region.tagName}: ${region.scrollWidth} px in ${region.clientWidth} px`));
}

/**
 * The height in CSS pixels of the smallest number on a chart's y axis as drawn (a chart scales
 * with its width, and its text with it); undefined when the page has no chart.
 */
export async function smallestChartText(page: Page): Promise<number | undefined> {
  const heights = await page.evaluate(() => Array.from(document.querySelectorAll('svg.chart text.tick[dominant-baseline]'))
    .filter((tick) => tick.getClientRects().length > 0)
    .map((tick) => tick.getBoundingClientRect().height));
  return heights.length === 0 ? undefined : Math.min(...heights);
}

/** The focused element's outline, once Tab (from the top of the page) reached the first link of the nav. */
export interface FocusRing {
  readonly presses: number;
  readonly text: string;
  readonly outlineStyle: string;
  readonly outlineWidth: number;
  readonly outlineColor: string;
}

/**
 * Presses Tab on a page just loaded (the focus at its top) until the first link of the site nav has
 * the focus (at most `limit` presses) and reads its outline; undefined when Tab never reaches it.
 */
export async function tabToFirstNavLink(page: Page, limit = 12): Promise<FocusRing | undefined> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const focused = document.activeElement;
      if (!focused?.matches('.site-nav li:first-child a')) return undefined;
      const style = getComputedStyle(focused);
      return { text: (focused.textContent ?? '').trim(), outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth), outlineColor: style.outlineColor };
    });
    if (ring) return { presses, ...ring };
  }
  return undefined;
}

/** Where the screenshots go: docs/screenshots/ of the checkout. */
export const SCREENSHOT_DIR = path.join(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * Writes a full-page PNG of the page to docs/screenshots/<name>.png, only when SCIMD_SCREENSHOTS is
 * set (so a test run leaves the checkout as it was); returns whether it wrote one.
 */
export async function screenshot(page: Page, name: string): Promise<boolean> {
  const wanted = process.env.SCIMD_SCREENSHOTS;
  if (!wanted || wanted === '0' || wanted === 'false') return false;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  return true;
}
