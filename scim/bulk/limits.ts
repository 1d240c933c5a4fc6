/**
 * The Bulk limits scimd announces in /ServiceProviderConfig (RFC 7644 §3.7.4). A request beyond either
 * is refused as a whole with 413 before any of its operations runs.
 */
export const BULK_MAX_OPERATIONS = 1000;
export const BULK_MAX_PAYLOAD_BYTES = 1048576;
