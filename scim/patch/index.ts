/** Public API of the SCIM PATCH engine (RFC 7644 §3.5.2). */
export { PATCH_OP_URN, type MemberChange, type PatchOpName, type PatchOperation } from './types';
export { parsePatchRequest } from './parse';
export { applyPatch } from './apply';
export { splitMemberOperations } from './members';
