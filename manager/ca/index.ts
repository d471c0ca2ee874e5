export { ClusterCA, generateNodeKey, needsRenewal, type IssueNodeCertRequest, type NodeIdentity, type NodeRole } from './ca.js';
export { caDigest, makeJoinToken, parseJoinToken, tokenMatches, verifyCaPin, type JoinToken } from './tokens.js';
