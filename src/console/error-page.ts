import { STATUS_CODES } from 'node:http';
import type { Face } from '../http/faces';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' };

/** Text made safe for element content and double-quoted attribute values. */
export function escapeText(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

/** A small page of the console's own, outside the signed-in layout (sign-in, sign-in failures, errors). */
export function plainPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeText(title)} · scimd console</title>
<link rel="stylesheet" href="/admin/assets/console.css">
</head>
<body class="plain-page">
<main id="main">
<h1>${escapeText(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/**
 * The console's wire format for failures: an HTML page saying what happened (the detail is text,
 * escaped) and where to go on, never problem+json. The app's error renderer picks it for every
 * path under /admin that is not the JSON API (src/app.ts).
 */
export const consoleFace: Face = {
  contentType: 'text/html; charset=utf-8',
  body: (failure) => plainPage(`${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`,
    `<p class="error-detail">${escapeText(failure.detail)}</p>\n<p><a href="/admin">Back to the console</a></p>`),
};
