/**
 * How deep a request body may nest objects and arrays. Real SCIM is shallow: a User with an
 * enterprise manager nests 3 levels, a PATCH whose value is a list of complex values 5, a Bulk
 * request carrying that PATCH 8. 64 leaves room for extensions and IdP quirks and stays far below the
 * depth at which recursive code after JSON.parse (schema normalisation, the PATCH engine,
 * JSON.stringify) runs out of stack: a body nested 100,000 deep fits in 1 MiB.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The deepest nesting of objects and arrays in JSON text (`{}` is 1, `[{}]` 2, a scalar 0), counted
 * by one loop over the characters, without recursion and without parsing, so that it can run
 * before JSON.parse builds anything. Brackets inside strings do not count. It stops as soon as
 * the depth passes `stopAbove` and returns that depth. Text that is not JSON gets a number too;
 * JSON.parse judges it afterwards.
 */
export function nestingDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++; // the escaped character, a quote or a backslash, does not end the string
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && depth > 0) {
      depth--; // stray closers cannot earn credit for openers that follow (JSON.parse refuses such text anyway)
    }
  }
  return deepest;
}
