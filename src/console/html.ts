/**
 * HTML built by one tagged template that escapes everything it interpolates. A value is text unless
 * it is already Html (made by `html` itself, or by `trusted` for markup the console writes itself,
 * such as an SVG chart assembled from escaped parts). Arrays are joined; null, undefined and false
 * render nothing, so `${condition && html`…`}` reads naturally.
 *
 * Escaping covers both contexts the console interpolates into: element text and double-quoted
 * attribute values (&, <, >, " and '). Never interpolate into an unquoted attribute, a URL scheme, a
 * <script> or a style: the console has no inline scripts or styles (its Content-Security-Policy
 * forbids them), and URLs are built with `href` below.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Interpolation = Html | string | number | bigint | boolean | null | undefined | readonly Interpolation[];

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

function render(value: Interpolation): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  return escapeHtml(String(value as string | number | bigint | boolean));
}

export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

/** Markup the console assembled itself from escaped parts; never for text that came from a request or the store. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/**
 * A console URL: a path under /admin and query parameters (empty values left out), encoded. Only
 * absolute paths are accepted, so a value from the store can never become a `javascript:` link.
 */
export function href(path: string, query: Readonly<Record<string, string | number | undefined | null>> = {}): string {
  if (!path.startsWith('/')) throw new Error(`console links are absolute paths, not ${JSON.stringify(path)}`);
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') parameters.set(name, String(value));
  }
  const search = parameters.toString();
  return search === '' ? path : `${path}?${search}`;
}

/** A path segment from a value (an id from the store): encoded, so it cannot leave its segment. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
