import { ScimError } from '../../scim/errors';
import type { Face } from './faces';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12 error bodies, also for 401 and unknown routes: SCIM clients parse them for every status. */
export const scimFace: Face = {
  contentType: SCIM_CONTENT_TYPE,
  body: (failure) => new ScimError(failure.status, failure.scimType, failure.detail).toJSON(),
};
