import { BULK_MAX_OPERATIONS, BULK_MAX_PAYLOAD_BYTES } from '../bulk/limits';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../query/list-parameters';
import { resourceTypeResponse, resourceTypesListResponse, schemaResponse, schemasListResponse } from '../schema';
import type { ScimRequest, ScimResponse } from './context';

/**
 * RFC 7644 §4 discovery. ServiceProviderConfig says exactly what this server does: PATCH, Bulk,
 * filter, sort, ETags, index and cursor paging; tokens are bearer tokens issued by `scimd token create`.
 */
export function serviceProviderConfig(request: ScimRequest): ScimResponse {
  return {
    status: 200,
    body: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      documentationUri: 'https://github.com/scimd/scimd#readme',
      patch: { supported: true },
      bulk: { supported: true, maxOperations: BULK_MAX_OPERATIONS, maxPayloadSize: BULK_MAX_PAYLOAD_BYTES },
      filter: { supported: true, maxResults: MAX_PAGE_SIZE },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
      // RFC 9865 §4: both paging methods; cursors never expire (they hold a keyset, not server state).
      pagination: {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: DEFAULT_PAGE_SIZE,
        maxPageSize: MAX_PAGE_SIZE,
      },
      authenticationSchemes: [{
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A scimd service-account token (scimd_…) in the Authorization: Bearer header',
        primary: true,
      }],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: `${request.baseUrl}/ServiceProviderConfig`,
      },
    },
  };
}

export function listSchemas(request: ScimRequest): ScimResponse {
  return { status: 200, body: schemasListResponse(request.baseUrl) };
}

export function getSchema(request: ScimRequest): ScimResponse {
  return { status: 200, body: schemaResponse(request.params.id ?? '', request.baseUrl) };
}

export function listResourceTypes(request: ScimRequest): ScimResponse {
  return { status: 200, body: resourceTypesListResponse(request.baseUrl) };
}

export function getResourceType(request: ScimRequest): ScimResponse {
  return { status: 200, body: resourceTypeResponse(request.params.id ?? '', request.baseUrl) };
}
