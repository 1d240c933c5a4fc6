import type { Failure } from './failure';

/** A face's wire format for failures: the media type and the body it makes of a failure. */
export interface Face {
  readonly contentType: string;
  body(failure: Failure): unknown;
}

/** A face and the path prefix it answers under. */
export interface FaceMount {
  readonly prefix: string;
  readonly face: Face;
}

/**
 * Picks the face that answers for a path: the first mount the path is under, else `fallback`.
 * Prefixes compare without regard to case, as the routers match paths (some identity providers vary
 * the case of /scim/v2), so a failure is rendered by the face whose routes would have answered.
 */
export function faceByPrefix(mounts: readonly FaceMount[], fallback: Face): (path: string) => Face {
  const lowered = mounts.map((mount) => ({ prefix: mount.prefix.toLowerCase(), face: mount.face }));
  return (path) => {
    const lower = path.toLowerCase();
    return lowered.find(({ prefix }) => lower === prefix || lower.startsWith(`${prefix}/`))?.face ?? fallback;
  };
}
