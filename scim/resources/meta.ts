/** `meta` and ETags (RFC 7643 §3.1, RFC 7644 §3.14): the version is a weak entity tag. */
export const etagOf = (version: number): string => `W/"${version}"`;

/** The version named by an If-Match / If-None-Match value, '*' for any, undefined when none can match. */
export function versionsIn(header: string): { any: boolean; versions: number[] } {
  const versions: number[] = [];
  let any = false;
  for (const part of header.split(',')) {
    const tag = part.trim();
    if (tag === '*') any = true;
    const match = /^(?:W\/)?"(\d+)"$/.exec(tag);
    if (match) versions.push(Number(match[1]));
  }
  return { any, versions };
}

export function meta(resourceType: string, location: string, created: string, lastModified: string, version: number) {
  return { resourceType, created, lastModified, location, version: etagOf(version) };
}
