import type { ListResult } from '../../src/identity/query';
import type { ListParameters } from '../query/list-parameters';
import { LIST_RESPONSE_URN, type ScimObject } from '../schema';

/** RFC 7644 §3.4.2: the ListResponse envelope, with integer counts. */
export function listResponse(result: ListResult<unknown>, parameters: ListParameters, resources: ScimObject[]): ScimObject {
  return {
    schemas: [LIST_RESPONSE_URN],
    totalResults: result.total,
    startIndex: parameters.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
