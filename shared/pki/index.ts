export { generateCA, issueCert, certInfo, type CertAndKey, type CertInfo, type IssueOptions } from './certs.js';
export { tlsMaterial, issueNodeTls, type TlsMaterial } from './tls.js';
