// Run inside a lab host's namespace by the lab tests: calls a manager's control API
// with a certificate from ANOTHER cluster's CA and prints what happened.
//   node probe.js foreign-cert MANAGER_ADDR CLUSTER_CA_PEM_FILE
import { readFileSync } from 'node:fs';
import { ClusterCA, generateNodeKey } from '../../manager/ca/index.js';
import { ManagerClient } from '../../shared/control/client.js';
import type { ForwardRequest, ForwardResponse } from '../../shared/control/proto.js';

async function main(): Promise<void> {
  const [cmd, addr, caFile] = process.argv.slice(2);
  if (cmd !== 'foreign-cert' || !addr || !caFile) throw new Error('usage: probe.js foreign-cert MANAGER_ADDR CA_PEM_FILE');
  const foreign = await ClusterCA.create('foreigncluster0000000000000');
  const key = await generateNodeKey();
  const { certPem } = await foreign.issueNodeCert({ nodeId: 'intruder00000000000000000', role: 'manager', clusterId: 'foreigncluster0000000000000', publicKeyPem: key.publicKeyPem });
  const client = ManagerClient.pinned(addr, readFileSync(caFile, 'utf8'), { certPem, keyPem: key.keyPem });
  try {
    const res = await client.call<ForwardRequest, ForwardResponse>('control', 'Forward', { method: 'GET', url: '/nodes', body: Buffer.alloc(0), contentType: '' });
    console.log(`ACCEPTED ${res.status}`);
  } catch (e) {
    console.log(`REFUSED ${(e as Error).message}`);
  } finally {
    client.close();
  }
}

main().catch((e: unknown) => {
  console.error(`probe: ${(e as Error).message}`);
  process.exit(2);
});
